#pragma once
// An immutable string shared by its copies. A master names the client of every record it keeps
// (a 40-odd-byte peer id, three records and an agent injection per BUS hop): as std::string
// each of those was an allocation and a copy; shared, each is a reference count.

#include <compare>
#include <cstddef>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>

namespace hivescope::record {

/// Reads like a `const std::string`: converts to `const std::string&` and `std::string_view`,
/// compares with strings, string views and literals, prints. Assigning a new text makes a new
/// shared string; copying one shares it.
class SharedText {
  public:
    SharedText() noexcept = default;
    SharedText(std::string text) // NOLINT(google-explicit-constructor): a text is a string
        : text_(text.empty() ? nullptr : std::make_shared<const std::string>(std::move(text))) {}
    SharedText(std::string_view text) : SharedText(std::string(text)) {}
    SharedText(const char* text) : SharedText(std::string(text)) {}

    [[nodiscard]] const std::string& str() const noexcept { return text_ ? *text_ : no_text(); }
    operator const std::string&() const noexcept { return str(); }
    operator std::string_view() const noexcept { return str(); }

    [[nodiscard]] bool empty() const noexcept { return str().empty(); }
    [[nodiscard]] std::size_t size() const noexcept { return str().size(); }
    [[nodiscard]] const char* data() const noexcept { return str().data(); }
    [[nodiscard]] const char* c_str() const noexcept { return str().c_str(); }
    [[nodiscard]] auto begin() const noexcept { return str().begin(); }
    [[nodiscard]] auto end() const noexcept { return str().end(); }

    /// Whether `a` and `b` share one string (a copy, not an equal text made separately).
    [[nodiscard]] friend bool shares_text(const SharedText& a, const SharedText& b) noexcept {
        return a.text_ != nullptr && a.text_ == b.text_;
    }

    friend bool operator==(const SharedText& a, const SharedText& b) noexcept {
        return a.text_ == b.text_ || a.str() == b.str();
    }
    friend bool operator==(const SharedText& a, const std::string& b) noexcept {
        return a.str() == b;
    }
    friend bool operator==(const SharedText& a, std::string_view b) noexcept {
        return a.str() == b;
    }
    friend bool operator==(const SharedText& a, const char* b) noexcept { return a.str() == b; }
    friend std::strong_ordering operator<=>(const SharedText& a, const SharedText& b) noexcept {
        return a.str().compare(b.str()) <=> 0;
    }
    friend std::string operator+(std::string a, const SharedText& b) {
        a += b.str();
        return a;
    }
    friend std::string operator+(const SharedText& a, std::string_view b) {
        std::string out(a.str());
        out += b;
        return out;
    }
    friend std::ostream& operator<<(std::ostream& out, const SharedText& text) {
        return out << text.str();
    }

  private:
    static const std::string& no_text() noexcept {
        static const std::string none;
        return none;
    }

    std::shared_ptr<const std::string> text_; ///< null when empty
};

} // namespace hivescope::record
