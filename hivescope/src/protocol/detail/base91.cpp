#include "protocol/detail/base91.hpp"

#include "protocol/detail/codec_errors.hpp"
#include "protocol/detail/symbol_table.hpp"

#include <array>
#include <cstdint>

namespace hivescope::protocol::detail {

namespace {

constexpr std::string_view alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$%&()*+,./:;<=>?@[]^_`{|}~\"";
static_assert(alphabet.size() == 91);

constexpr auto decode_table = symbol_index_table(alphabet);

} // namespace

std::string base91_encode(ByteView bytes) {
    // At least 13 bits per symbol pair, plus up to two symbols for the tail.
    std::string out(2 * ((8 * bytes.size() + 12) / 13) + 2, '\0');
    char* write = out.data();
    std::uint32_t bits = 0; // pending bits, least significant first
    unsigned count = 0;     // how many of them are valid
    for (const std::uint8_t byte : bytes) {
        bits |= static_cast<std::uint32_t>(byte) << count;
        count += 8;
        if (count > 13) {
            // 13 bits suffice unless their value is small enough that 14 still fit in 91*91.
            std::uint32_t value = bits & 8191;
            if (value > 88) {
                bits >>= 13;
                count -= 13;
            } else {
                value = bits & 16383;
                bits >>= 14;
                count -= 14;
            }
            *write++ = alphabet[value % 91];
            *write++ = alphabet[value / 91];
        }
    }
    if (count > 0) {
        *write++ = alphabet[bits % 91];
        if (count > 7 || bits > 90)
            *write++ = alphabet[bits / 91];
    }
    out.resize(static_cast<std::size_t>(write - out.data()));
    return out;
}

Bytes base91_decode(std::string_view text) {
    // Mirrors the reference C decoder (z85base91 src/b91.c), including that a pair whose value
    // is >= 8192 but takes the 13-bit branch leaves its top bit in `bits`: the encoder never
    // produces such pairs, and decoding them the same way keeps us byte-identical. The one
    // deliberate difference: the C decoder stops at a NUL (strlen); we reject it instead of
    // silently ignoring whatever follows.
    Bytes out(text.size()); // each symbol carries at most 7 bits, a lone last one at most 8
    std::uint8_t* write = out.data();
    std::uint32_t bits = 0; // decoded bits not yet emitted, least significant first
    unsigned count = 0;     // how many of them are valid (always < 8 between pairs)
    const auto symbol_at = [&](std::size_t i) {
        const int symbol = decode_table[static_cast<unsigned char>(text[i])];
        if (symbol < 0)
            throw_bad_character("JSON-B91", text, i);
        return static_cast<std::uint32_t>(symbol);
    };
    std::size_t i = 0;
    for (; i + 2 <= text.size(); i += 2) {
        const std::uint32_t value = symbol_at(i) + symbol_at(i + 1) * 91;
        bits |= value << count;
        count += (value & 8191) > 88 ? 13 : 14;
        // 13 or 14 new bits on top of fewer than 8: one byte, sometimes two.
        *write++ = static_cast<std::uint8_t>(bits);
        bits >>= 8;
        count -= 8;
        if (count >= 8) {
            *write++ = static_cast<std::uint8_t>(bits);
            bits >>= 8;
            count -= 8;
        }
    }
    if (i < text.size())
        *write++ = static_cast<std::uint8_t>(bits | symbol_at(i) << count);
    out.resize(static_cast<std::size_t>(write - out.data()));
    return out;
}

} // namespace hivescope::protocol::detail
