#pragma once
// RFC 4648 base32 (upper case, `=` padded), as Python's `base64.b32encode` / `b32decode` with
// default arguments (protocol.md A.10: lower case is rejected).

#include "hivescope/protocol/bytes.hpp"

#include <string>
#include <string_view>

namespace hivescope::protocol::detail {

/// Encode with `=` padding to a multiple of 8 characters.
[[nodiscard]] std::string base32_encode(ByteView bytes);

/// Decode as CPython 3.11 `base64.b32decode(s)` does (see base32.cpp for the exact rules).
[[nodiscard]] Bytes base32_decode(std::string_view text);

} // namespace hivescope::protocol::detail
