#pragma once
// What travels on a simulated link: WebSocket-like text and binary frames, and the close event.

#include "hivescope/protocol/bytes.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <variant>

namespace hivescope::sim {

/// One WebSocket message: text (UTF-8) or binary.
///
/// The bytes are immutable and shared: copying a Frame (into a record, onto a link, into the
/// receiver's record) copies a reference-counted pointer, never the bytes. Copies may be made
/// and destroyed on different threads.
struct Frame {
    enum class Kind : std::uint8_t { text, binary };
    Kind kind = Kind::text;

    /// An empty text frame.
    Frame() noexcept = default;

    [[nodiscard]] static Frame text(std::string content) {
        return {Kind::text, std::move(content)};
    }
    [[nodiscard]] static Frame binary(protocol::ByteView bytes) {
        return {Kind::binary, std::string(bytes.begin(), bytes.end())};
    }
    /// A binary frame that takes `bytes` as they are (no copy).
    [[nodiscard]] static Frame binary(std::string bytes) {
        return {Kind::binary, std::move(bytes)};
    }

    [[nodiscard]] bool is_binary() const noexcept { return kind == Kind::binary; }
    /// The text, or the binary bytes; valid while any copy of this frame lives.
    [[nodiscard]] const std::string& data() const noexcept { return data_ ? *data_ : empty(); }
    [[nodiscard]] protocol::ByteView bytes() const noexcept { return protocol::as_bytes(data()); }

    /// Same kind and same bytes (copies of one frame compare equal without reading the bytes).
    friend bool operator==(const Frame& a, const Frame& b) noexcept {
        return a.kind == b.kind && (a.data_ == b.data_ || a.data() == b.data());
    }

  private:
    Frame(Kind kind_in, std::string content);

    static const std::string& empty() noexcept {
        static const std::string none;
        return none;
    }

    std::shared_ptr<const std::string> data_; ///< null only in a default-constructed frame
};

/// WebSocket close status codes used by HiveMind (protocol.md B.14).
namespace close_code {
inline constexpr std::uint16_t normal = 1000;
inline constexpr std::uint16_t protocol_error = 1002;
inline constexpr std::uint16_t no_status = 1005;
inline constexpr std::uint16_t policy_violation = 1008;
} // namespace close_code

/// A close handshake: code and reason.
struct CloseEvent {
    std::uint16_t code = close_code::normal;
    std::string reason;

    friend bool operator==(const CloseEvent&, const CloseEvent&) = default;
};

} // namespace hivescope::sim
