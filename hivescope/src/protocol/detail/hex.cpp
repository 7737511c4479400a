#include "protocol/detail/hex.hpp"

#include "protocol/detail/codec_errors.hpp"

#include <array>
#include <cstdint>

namespace hivescope::protocol::detail {

namespace {

constexpr std::array<std::int8_t, 256> digit_table = [] {
    std::array<std::int8_t, 256> table{};
    table.fill(-1);
    for (int i = 0; i < 10; ++i)
        table[static_cast<std::size_t>('0' + i)] = static_cast<std::int8_t>(i);
    for (int i = 0; i < 6; ++i) {
        table[static_cast<std::size_t>('a' + i)] = static_cast<std::int8_t>(10 + i);
        table[static_cast<std::size_t>('A' + i)] = static_cast<std::int8_t>(10 + i);
    }
    return table;
}();

} // namespace

std::string hex_text_encode(ByteView bytes) {
    return hex_encode(bytes);
}

Bytes hex_text_decode(std::string_view text) {
    // Our own loop rather than hex_decode so the message names the character, as every other
    // codec's does; the accepted language (binascii.unhexlify) is the same.
    if (text.size() % 2 != 0)
        throw_bad_encoding("JSON-HEX", "odd length " + std::to_string(text.size()));
    Bytes out(text.size() / 2);
    for (std::size_t i = 0; i < out.size(); ++i) {
        const int high = digit_table[static_cast<unsigned char>(text[2 * i])];
        const int low = digit_table[static_cast<unsigned char>(text[2 * i + 1])];
        if ((high | low) < 0)
            throw_bad_character("JSON-HEX", text, high < 0 ? 2 * i : 2 * i + 1);
        out[i] = static_cast<std::uint8_t>(high << 4 | low);
    }
    return out;
}

} // namespace hivescope::protocol::detail
