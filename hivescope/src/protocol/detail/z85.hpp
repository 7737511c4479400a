#pragma once
// The two Z85 variants of z85base91 0.0.5 (protocol.md A.10): Z85B (little-endian, least
// significant digit first, pad characters dropped) and Z85P (a raw pad-count byte, then
// standard big-endian Z85 over the zero-padded input).

#include "hivescope/protocol/bytes.hpp"

#include <string>
#include <string_view>

namespace hivescope::protocol::detail {

/// Encode bytes as Z85B text.
[[nodiscard]] std::string z85b_encode(ByteView bytes);
/// Decode Z85B text exactly as the reference C decoder does (see z85.cpp).
[[nodiscard]] Bytes z85b_decode(std::string_view text);

/// Encode bytes as Z85P text: a raw byte 0x00–0x03 followed by Z85 digits.
[[nodiscard]] std::string z85p_encode(ByteView bytes);
/// Decode Z85P text as the pure-Python reference decoder does (see z85.cpp).
[[nodiscard]] Bytes z85p_decode(std::string_view text);

} // namespace hivescope::protocol::detail
