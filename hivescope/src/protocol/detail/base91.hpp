#pragma once
// basE91 as z85base91 0.0.5 implements it (protocol.md A.10): 13/14-bit groups, two characters
// each, least-significant first, with `"` as the last alphabet symbol.

#include "hivescope/protocol/bytes.hpp"

#include <string>
#include <string_view>

namespace hivescope::protocol::detail {

/// Encode bytes as basE91 text.
[[nodiscard]] std::string base91_encode(ByteView bytes);

/// Decode basE91 text; any character outside the alphabet is ProtocolError(bad_encoding).
[[nodiscard]] Bytes base91_decode(std::string_view text);

} // namespace hivescope::protocol::detail
