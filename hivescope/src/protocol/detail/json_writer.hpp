#pragma once
// JSON text written straight into a string's buffer. Appending token by token through
// std::string pays a capacity check and a length update per call, and a BUS envelope is some
// sixty tokens; the writer keeps a cursor into slack it reserved and checks room once per
// token, and short strings go in as one 16-byte store.

#include "hivescope/protocol/json.hpp"

#include <cstddef>
#include <cstring>
#include <string>
#include <string_view>

namespace hivescope::protocol::detail {

class JsonWriter {
  public:
    /// Appends to `out`; `expected` is a size hint for the text to come. Until finish() (or
    /// destruction) `out` holds unspecified bytes past what was written.
    JsonWriter(std::string& out, JsonStyle style, std::size_t expected = 0);
    JsonWriter(const JsonWriter&) = delete;
    JsonWriter& operator=(const JsonWriter&) = delete;
    ~JsonWriter() { finish(); }

    /// Text copied as it is (JSON punctuation, literals, pre-escaped fragments).
    void raw(std::string_view text) {
        if (text.empty()) // a default string_view has no data pointer for memcpy
            return;
        reserve(text.size());
        std::memcpy(cursor_, text.data(), text.size());
        cursor_ += text.size();
    }
    void raw(char c) {
        reserve(1);
        *cursor_++ = c;
    }
    /// `text` as a JSON string literal, quoted and escaped in the writer's dialect.
    void string(std::string_view text);
    /// A whole value in the writer's dialect. Throws ProtocolError(not_serializable) for NaN and
    /// infinities; what was written before stays in the string.
    void value(const Json& value);
    /// `, ` or `,` as the dialect separates items.
    void item_separator() { raw(compact_ ? std::string_view(",") : std::string_view(", ")); }
    /// `: ` or `:` as the dialect separates a key from its value.
    void key_separator() { raw(compact_ ? std::string_view(":") : std::string_view(": ")); }

    /// Trims the string to what was written. Writing may go on afterwards.
    void finish() noexcept;

  private:
    void reserve(std::size_t n) {
        if (static_cast<std::size_t>(end_ - cursor_) < n)
            grow(n);
    }
    void grow(std::size_t n);
    void escaped_string(std::string_view text);

    std::string& out_;
    char* cursor_;
    char* end_;
    bool ascii_only_;
    bool compact_;
};

} // namespace hivescope::protocol::detail
