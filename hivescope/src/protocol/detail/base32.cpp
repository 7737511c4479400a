#include "protocol/detail/base32.hpp"

#include "protocol/detail/codec_errors.hpp"
#include "protocol/detail/symbol_table.hpp"

#include <algorithm>
#include <array>
#include <cstdint>

namespace hivescope::protocol::detail {

namespace {

constexpr std::string_view symbols = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

constexpr auto decode_table = symbol_index_table(symbols);

/// Output bytes carried by a final group with this many '=' (Python: (43 - 5 * pads) // 8).
constexpr std::size_t bytes_for_pads(std::size_t pads) noexcept {
    return (43 - 5 * pads) / 8;
}

} // namespace

std::string base32_encode(ByteView bytes) {
    std::string out((bytes.size() + 4) / 5 * 8, '=');
    char* write = out.data();
    for (std::size_t i = 0; i < bytes.size(); i += 5) {
        const std::size_t take = std::min<std::size_t>(5, bytes.size() - i);
        std::uint64_t group = 0;
        for (std::size_t j = 0; j < 5; ++j)
            group = group << 8 | (j < take ? bytes[i + j] : 0U);
        // 1..5 input bytes fill ceil(8 * take / 5) symbols; the rest stay '='.
        const std::size_t used = (8 * take + 4) / 5;
        for (std::size_t j = 0; j < used; ++j)
            write[j] = symbols[(group >> (35 - 5 * j)) & 31];
        write += 8;
    }
    return out;
}

Bytes base32_decode(std::string_view text) {
    // CPython 3.11 `_b32decode` with casefold=False, map01=None:
    // * the text must be ASCII and its length a multiple of 8;
    // * trailing '=' are stripped and counted; the count must be 0, 1, 3, 4 or 6;
    // * every remaining character must be A–Z or 2–7 (lower case and inner '=' are rejected);
    // * unused low bits of the last group are not checked.
    if (text.size() % 8 != 0)
        throw_bad_encoding("JSON-B32", "incorrect padding: length " + std::to_string(text.size()) +
                                           " is not a multiple of 8");
    std::size_t data = text.size();
    while (data > 0 && text[data - 1] == '=')
        --data;
    const std::size_t pads = text.size() - data;
    for (std::size_t i = 0; i < data; ++i)
        if (decode_table[static_cast<unsigned char>(text[i])] < 0)
            throw_bad_character("JSON-B32", text, i);
    if (pads != 0 && pads != 1 && pads != 3 && pads != 4 && pads != 6)
        throw_bad_encoding("JSON-B32", "incorrect padding: " + std::to_string(pads) +
                                           " trailing '=' characters");
    Bytes out(text.size() / 8 * 5);
    std::uint8_t* write = out.data();
    for (std::size_t i = 0; i < data; i += 8) {
        std::uint64_t group = 0;
        for (std::size_t j = 0; j < 8; ++j) {
            const std::size_t at = i + j;
            group =
                group << 5 | (at < data ? static_cast<std::uint64_t>(
                                              decode_table[static_cast<unsigned char>(text[at])])
                                        : 0U);
        }
        const std::size_t keep = i + 8 <= data ? 5 : bytes_for_pads(pads);
        for (std::size_t j = 0; j < keep; ++j)
            *write++ = static_cast<std::uint8_t>(group >> (32 - 8 * j));
    }
    out.resize(static_cast<std::size_t>(write - out.data()));
    return out;
}

} // namespace hivescope::protocol::detail
