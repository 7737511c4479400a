#include "hivescope/protocol/bytes.hpp"

#include "hivescope/protocol/error.hpp"

namespace hivescope::protocol {

Bytes to_bytes(std::string_view text) {
    return Bytes(text.begin(), text.end());
}

std::string to_string(ByteView bytes) {
    return std::string(bytes.begin(), bytes.end());
}

std::string hex_encode(ByteView bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out(bytes.size() * 2, '\0');
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        out[2 * i] = digits[bytes[i] >> 4];
        out[2 * i + 1] = digits[bytes[i] & 0x0f];
    }
    return out;
}

namespace {
int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}
} // namespace

Bytes hex_decode(std::string_view text) {
    if (text.size() % 2 != 0)
        throw ProtocolError(ErrorCode::bad_encoding,
                            "hex text has odd length " + std::to_string(text.size()));
    Bytes out(text.size() / 2);
    for (std::size_t i = 0; i < out.size(); ++i) {
        const int hi = hex_value(text[2 * i]);
        const int lo = hex_value(text[2 * i + 1]);
        if (hi < 0 || lo < 0)
            throw ProtocolError(ErrorCode::bad_encoding,
                                "non-hex character at offset " +
                                    std::to_string(2 * i + (hi < 0 ? 0 : 1)));
        out[i] = static_cast<std::uint8_t>(hi << 4 | lo);
    }
    return out;
}

} // namespace hivescope::protocol
