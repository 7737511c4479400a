#include "hivescope/protocol/bytes.hpp"

#include "hivescope/protocol/error.hpp"
#include "protocol/detail/hex.hpp"

namespace hivescope::protocol {

Bytes to_bytes(std::string_view text) {
    return Bytes(text.begin(), text.end());
}

std::string to_string(ByteView bytes) {
    return std::string(bytes.begin(), bytes.end());
}

std::string hex_encode(ByteView bytes) {
    return detail::hex_text_encode(bytes);
}

Bytes hex_decode(std::string_view text) {
    if (text.size() % 2 != 0)
        throw ProtocolError(ErrorCode::bad_encoding,
                            "hex text has odd length " + std::to_string(text.size()));
    Bytes out(text.size() / 2);
    for (std::size_t i = 0; i < out.size(); ++i) {
        const int hi = detail::hex_digit_value(text[2 * i]);
        const int lo = detail::hex_digit_value(text[2 * i + 1]);
        if (hi < 0 || lo < 0)
            throw ProtocolError(ErrorCode::bad_encoding,
                                "non-hex character at offset " +
                                    std::to_string(2 * i + (hi < 0 ? 0 : 1)));
        out[i] = static_cast<std::uint8_t>(hi << 4 | lo);
    }
    return out;
}

} // namespace hivescope::protocol
