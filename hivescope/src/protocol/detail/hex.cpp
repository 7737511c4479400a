#include "protocol/detail/hex.hpp"

#include "protocol/detail/codec_errors.hpp"

#include <array>
#include <cstdint>
#include <cstring>

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

// Both digits of every byte, so encoding is one table load and one 2-byte store per byte.
constexpr std::array<char, 512> pair_table = [] {
    constexpr char digits[] = "0123456789abcdef";
    std::array<char, 512> table{};
    for (std::size_t i = 0; i < 256; ++i) {
        table[2 * i] = digits[i >> 4];
        table[2 * i + 1] = digits[i & 0x0f];
    }
    return table;
}();

void encode_into(char* out, ByteView bytes) noexcept {
    for (std::size_t i = 0; i < bytes.size(); ++i)
        std::memcpy(out + 2 * i, &pair_table[2 * std::size_t{bytes[i]}], 2);
}

// Decodes into `out` (text.size() / 2 bytes); returns false at the first bad digit, whose
// offset the caller finds again (errors are rare, so the loop carries no position).
bool decode_into(std::uint8_t* out, std::string_view text) noexcept {
    const auto* in = reinterpret_cast<const unsigned char*>(text.data());
    const std::size_t n = text.size() / 2;
    int bad = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const int high = digit_table[in[2 * i]];
        const int low = digit_table[in[2 * i + 1]];
        bad |= high | low;
        out[i] = static_cast<std::uint8_t>(high << 4 | (low & 0x0f));
    }
    return bad >= 0;
}

[[noreturn]] void throw_decode_error(std::string_view text) {
    // Our own message rather than hex_decode's so it names the character, as every other
    // codec's does; the accepted language (binascii.unhexlify) is the same.
    if (text.size() % 2 != 0)
        throw_bad_encoding("JSON-HEX", "odd length " + std::to_string(text.size()));
    for (std::size_t i = 0; i < text.size(); ++i)
        if (digit_table[static_cast<unsigned char>(text[i])] < 0)
            throw_bad_character("JSON-HEX", text, i);
    throw_bad_encoding("JSON-HEX", "undecodable text");
}

} // namespace

int hex_digit_value(char c) noexcept {
    return digit_table[static_cast<unsigned char>(c)];
}

std::string hex_text_encode(ByteView bytes) {
    std::string out(bytes.size() * 2, '\0');
    encode_into(out.data(), bytes);
    return out;
}

void hex_text_append(std::string& out, ByteView bytes) {
    const std::size_t at = out.size();
    out.resize(at + bytes.size() * 2);
    encode_into(out.data() + at, bytes);
}

Bytes hex_text_decode(std::string_view text) {
    Bytes out;
    hex_text_decode_append(out, text);
    return out;
}

void hex_text_decode_append(Bytes& out, std::string_view text) {
    if (text.size() % 2 != 0)
        throw_decode_error(text);
    const std::size_t at = out.size();
    out.resize(at + text.size() / 2);
    if (!decode_into(out.data() + at, text)) {
        out.resize(at);
        throw_decode_error(text);
    }
}

} // namespace hivescope::protocol::detail
