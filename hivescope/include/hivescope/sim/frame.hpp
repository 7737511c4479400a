#pragma once
// What travels on a simulated link: WebSocket-like text and binary frames, and the close event.

#include "hivescope/protocol/bytes.hpp"

#include <cstdint>
#include <string>
#include <variant>

namespace hivescope::sim {

/// One WebSocket message: text (UTF-8) or binary.
struct Frame {
    enum class Kind : std::uint8_t { text, binary };
    Kind kind = Kind::text;
    std::string data; ///< the text, or the binary bytes

    [[nodiscard]] static Frame text(std::string content) {
        return {Kind::text, std::move(content)};
    }
    [[nodiscard]] static Frame binary(protocol::ByteView bytes) {
        return {Kind::binary, std::string(bytes.begin(), bytes.end())};
    }
    [[nodiscard]] bool is_binary() const noexcept { return kind == Kind::binary; }
    [[nodiscard]] protocol::ByteView bytes() const noexcept { return protocol::as_bytes(data); }

    friend bool operator==(const Frame&, const Frame&) = default;
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
