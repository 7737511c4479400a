#pragma once
// RFC 4648 base64 in the standard and URL-safe alphabets, written by hand because the decoder
// must accept exactly what pybase64 1.4.3's non-validating `b64decode` accepts (protocol.md
// A.10), which neither OpenSSL's EVP_DecodeBlock nor EVP_DecodeUpdate reproduces.

#include "hivescope/protocol/bytes.hpp"

#include <string>
#include <string_view>

namespace hivescope::protocol::detail {

/// Which 62nd/63rd symbols the encoder writes.
enum class Base64Alphabet {
    standard, ///< `+` and `/` (JSON-B64)
    urlsafe,  ///< `-` and `_` (JSON-URLSAFE-B64); the decoder also takes `+` and `/`
};

/// Encode with `=` padding.
[[nodiscard]] std::string base64_encode(ByteView bytes, Base64Alphabet alphabet);

/// Decode as pybase64 does without `validate=True` (see base64.cpp for the exact rules).
[[nodiscard]] Bytes base64_decode(std::string_view text, Base64Alphabet alphabet);

} // namespace hivescope::protocol::detail
