#pragma once
// JSON-HEX as binascii.hexlify / unhexlify (protocol.md A.10): lower case out, either case in.

#include "hivescope/protocol/bytes.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace hivescope::protocol::detail {

/// Lower-case hex.
[[nodiscard]] std::string hex_text_encode(ByteView bytes);

/// Writes the lower-case hex of `bytes` to `out`, which has room for 2 * bytes.size() chars.
void hex_text_write(char* out, ByteView bytes) noexcept;

/// Hex of either case; odd length or a non-hex character is ProtocolError(bad_encoding).
[[nodiscard]] Bytes hex_text_decode(std::string_view text);

/// As hex_text_decode, into `out`, which holds exactly text.size() / 2 bytes (for buffers the
/// caller already sized: no allocation, no zero-fill first). Odd length is the same error.
void hex_text_decode_into(std::uint8_t* out, std::string_view text);
/// As hex_text_decode_into, but false instead of an error (`out` then holds no meaning).
[[nodiscard]] bool hex_text_try_decode_into(std::uint8_t* out, std::string_view text) noexcept;

/// The value of a hex digit of either case, or -1.
[[nodiscard]] int hex_digit_value(char c) noexcept;

} // namespace hivescope::protocol::detail
