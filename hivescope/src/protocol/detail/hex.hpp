#pragma once
// JSON-HEX as binascii.hexlify / unhexlify (protocol.md A.10): lower case out, either case in.

#include "hivescope/protocol/bytes.hpp"

#include <string>
#include <string_view>

namespace hivescope::protocol::detail {

/// Lower-case hex.
[[nodiscard]] std::string hex_text_encode(ByteView bytes);

/// Hex of either case; odd length or a non-hex character is ProtocolError(bad_encoding).
[[nodiscard]] Bytes hex_text_decode(std::string_view text);

} // namespace hivescope::protocol::detail
