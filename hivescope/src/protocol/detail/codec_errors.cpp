#include "protocol/detail/codec_errors.hpp"

#include "hivescope/protocol/error.hpp"

namespace hivescope::protocol::detail {

std::string describe_byte(unsigned char byte) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string hex = "0x";
    hex.push_back(digits[byte >> 4]);
    hex.push_back(digits[byte & 0x0f]);
    if (byte >= 0x21 && byte <= 0x7e)
        return std::string("'") + static_cast<char>(byte) + "' (" + hex + ")";
    return hex;
}

void throw_bad_character(std::string_view codec, std::string_view text, std::size_t offset) {
    throw ProtocolError(ErrorCode::bad_encoding,
                        std::string(codec) + ": invalid character " +
                            describe_byte(static_cast<unsigned char>(text[offset])) +
                            " at offset " + std::to_string(offset));
}

void throw_bad_encoding(std::string_view codec, const std::string& detail) {
    throw ProtocolError(ErrorCode::bad_encoding, std::string(codec) + ": " + detail);
}

} // namespace hivescope::protocol::detail
