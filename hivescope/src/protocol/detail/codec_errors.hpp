#pragma once
// Uniform ProtocolError(bad_encoding) messages for the text codecs, so every rejection names the
// codec, the offending character and its byte offset in the same words.

#include <cstddef>
#include <string>
#include <string_view>

namespace hivescope::protocol::detail {

/// `'x' (0x78)` for printable ASCII, `0x00` otherwise: safe to embed in a log line.
[[nodiscard]] std::string describe_byte(unsigned char byte);

/// Throws ProtocolError(bad_encoding): "<codec>: invalid character <c> at offset <n>".
[[noreturn]] void throw_bad_character(std::string_view codec, std::string_view text,
                                      std::size_t offset);

/// Throws ProtocolError(bad_encoding): "<codec>: <detail>".
[[noreturn]] void throw_bad_encoding(std::string_view codec, const std::string& detail);

} // namespace hivescope::protocol::detail
