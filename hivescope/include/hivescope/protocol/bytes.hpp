#pragma once
// Byte strings as the protocol core passes them around, plus the hex helpers every layer needs
// (JSON-HEX, envelopes, test vectors).

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace hivescope::protocol {

/// An owned byte string.
using Bytes = std::vector<std::uint8_t>;
/// A borrowed byte string.
using ByteView = std::span<const std::uint8_t>;

/// The bytes of a string, unchanged (UTF-8 text stays UTF-8).
[[nodiscard]] Bytes to_bytes(std::string_view text);
/// The bytes as a std::string, unchanged.
[[nodiscard]] std::string to_string(ByteView bytes);
/// A view of a string's bytes.
[[nodiscard]] inline ByteView as_bytes(std::string_view text) noexcept {
    return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

/// Lower-case hex, as Python's `binascii.hexlify`.
[[nodiscard]] std::string hex_encode(ByteView bytes);
/// Hex of either case; throws ProtocolError(bad_encoding) on odd length or a non-hex digit.
[[nodiscard]] Bytes hex_decode(std::string_view text);

} // namespace hivescope::protocol
