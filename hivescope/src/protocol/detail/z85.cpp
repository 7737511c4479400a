#include "protocol/detail/z85.hpp"

#include "protocol/detail/codec_errors.hpp"
#include "protocol/detail/symbol_table.hpp"

#include <algorithm>
#include <array>
#include <cstdint>

namespace hivescope::protocol::detail {

namespace {

constexpr std::string_view alphabet =
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";
static_assert(alphabet.size() == 85);

constexpr auto decode_table = symbol_index_table(alphabet);

/// Pad bytes added to reach a multiple of 4 (also the count of characters Z85B drops).
constexpr std::size_t pad_to_word(std::size_t size) noexcept {
    return (4 - size % 4) % 4;
}

std::uint32_t digit_at(std::string_view codec, std::string_view text, std::size_t offset) {
    const int digit = decode_table[static_cast<unsigned char>(text[offset])];
    if (digit < 0)
        throw_bad_character(codec, text, offset);
    return static_cast<std::uint32_t>(digit);
}

} // namespace

std::string z85b_encode(ByteView bytes) {
    const std::size_t words = (bytes.size() + 3) / 4;
    std::string out(words * 5, '\0');
    char* write = out.data();
    for (std::size_t w = 0; w < words; ++w) {
        std::uint32_t value = 0;
        for (std::size_t j = 0; j < 4; ++j) {
            const std::size_t at = w * 4 + j;
            if (at < bytes.size())
                value |= static_cast<std::uint32_t>(bytes[at]) << (8 * j);
        }
        for (int j = 0; j < 5; ++j) {
            *write++ = alphabet[value % 85];
            value /= 85;
        }
    }
    out.resize(out.size() - pad_to_word(bytes.size()));
    return out;
}

Bytes z85b_decode(std::string_view text) {
    // The reference stack decodes Z85B with the C library (z85base91 src/z85b.c) behind a
    // Python check that every character is in the alphabet, so we accept exactly that:
    // * any non-alphabet character (whitespace included, which the pure-Python codec would
    //   strip) is rejected;
    // * a short last group stands for its missing high digits = 0 and yields 4 - p bytes,
    //   where p = (5 - len % 5) % 5 — so a lone trailing character (len % 5 == 1) yields
    //   nothing and is accepted, as in the reference;
    // * a group above 2^32 - 1 wraps modulo 2^32 like the C uint32 arithmetic (the pure-Python
    //   codec would raise). The AEAD tag authenticates the decoded bytes, so this leniency
    //   cannot smuggle anything in; it only keeps us from refusing what Python peers accept.
    const std::size_t pad = (5 - text.size() % 5) % 5;
    const std::size_t groups = (text.size() + pad) / 5;
    Bytes out(groups * 4);
    for (std::size_t g = 0; g < groups; ++g) {
        std::uint32_t value = 0;
        std::uint32_t weight = 1;
        for (std::size_t j = 0; j < 5 && g * 5 + j < text.size(); ++j) {
            value += digit_at("JSON-Z85B", text, g * 5 + j) * weight;
            weight *= 85;
        }
        for (std::size_t j = 0; j < 4; ++j)
            out[g * 4 + j] = static_cast<std::uint8_t>(value >> (8 * j));
    }
    out.resize(out.size() - pad);
    return out;
}

std::string z85p_encode(ByteView bytes) {
    const std::size_t words = (bytes.size() + 3) / 4;
    std::string out(1 + words * 5, '\0');
    out[0] = static_cast<char>(pad_to_word(bytes.size()));
    for (std::size_t w = 0; w < words; ++w) {
        std::uint32_t value = 0;
        for (std::size_t j = 0; j < 4; ++j) {
            const std::size_t at = w * 4 + j;
            value = (value << 8) | (at < bytes.size() ? bytes[at] : 0U);
        }
        for (std::size_t j = 5; j-- > 0;) {
            out[1 + w * 5 + j] = alphabet[value % 85];
            value /= 85;
        }
    }
    return out;
}

Bytes z85p_decode(std::string_view text) {
    // The reference cannot decode its own Z85P: the C wrapper rejects the raw pad byte as a
    // non-Z85 character (encodings.json `reference_decode_str_error`). protocol.md A.10 says we
    // MUST decode it, so we follow the pure-Python codec (z85base91/z85p.py), which is what the
    // C decoder computes when handed bytes (`decode_of_bytes_hex`):
    // * empty text is empty bytes (no pad byte needed);
    // * otherwise the length must be 1 + 5k and the pad byte 0–4 (4 is accepted as Python
    //   does, although no encoder writes it); the pad count is capped by the decoded size,
    //   like Python's `decoded[:-p]`;
    // * a group above 2^32 - 1 is rejected (Python's struct.pack raises).
    if (text.empty())
        return {};
    if (text.size() % 5 != 1)
        throw_bad_encoding("JSON-Z85P",
                           "length " + std::to_string(text.size()) + " is not 1 + a multiple of 5");
    const auto pad = static_cast<unsigned char>(text[0]);
    if (pad > 4)
        throw_bad_encoding("JSON-Z85P",
                           "pad-count byte " + describe_byte(pad) + " at offset 0 is not 0-4");
    const std::size_t groups = text.size() / 5;
    Bytes out(groups * 4);
    for (std::size_t g = 0; g < groups; ++g) {
        std::uint64_t value = 0;
        for (std::size_t j = 0; j < 5; ++j)
            value = value * 85 + digit_at("JSON-Z85P", text, 1 + g * 5 + j);
        if (value > 0xffffffffULL)
            throw_bad_encoding("JSON-Z85P",
                               "group at offset " + std::to_string(1 + g * 5) + " exceeds 32 bits");
        for (std::size_t j = 0; j < 4; ++j)
            out[g * 4 + j] = static_cast<std::uint8_t>(value >> (24 - 8 * j));
    }
    out.resize(out.size() - std::min<std::size_t>(pad, out.size()));
    return out;
}

} // namespace hivescope::protocol::detail
