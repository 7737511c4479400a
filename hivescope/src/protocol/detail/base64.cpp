#include "protocol/detail/base64.hpp"

#include "protocol/detail/codec_errors.hpp"

#include <array>
#include <cstdint>

namespace hivescope::protocol::detail {

namespace {

constexpr std::string_view standard_symbols =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view urlsafe_symbols =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

constexpr std::uint8_t skip = 255; // not in the alphabet: ignored by the decoder
constexpr std::uint8_t pad = 254;  // '='

constexpr std::array<std::uint8_t, 256> make_table(bool urlsafe) {
    std::array<std::uint8_t, 256> table{};
    table.fill(skip);
    for (std::size_t i = 0; i < standard_symbols.size(); ++i)
        table[static_cast<unsigned char>(standard_symbols[i])] = static_cast<std::uint8_t>(i);
    // pybase64's urlsafe_b64decode translates '-' and '_' to '+' and '/' and then decodes
    // with the standard table, so both spellings of 62 and 63 are accepted.
    if (urlsafe) {
        table['-'] = 62;
        table['_'] = 63;
    }
    table['='] = pad;
    return table;
}

constexpr auto standard_table = make_table(false);
constexpr auto urlsafe_table = make_table(true);

/// Rejects what Python refuses before decoding: a str holding a code point above U+00FF
/// ("string argument should contain only ASCII characters"). Code points U+0080–U+00FF reach
/// pybase64 as single Latin-1 bytes and are skipped like any other non-alphabet character; in
/// UTF-8 they are the two-byte sequences led by 0xC2/0xC3, whose bytes are all >= 0x80 and so
/// map to `skip` in the tables above. Ill-formed UTF-8 cannot come from a Python str; refuse it.
void check_latin1(std::string_view codec, std::string_view text) {
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto byte = static_cast<unsigned char>(text[i]);
        if (byte < 0x80)
            continue;
        if ((byte == 0xc2 || byte == 0xc3) && i + 1 < text.size() &&
            (static_cast<unsigned char>(text[i + 1]) & 0xc0) == 0x80) {
            ++i;
            continue;
        }
        throw_bad_encoding(codec, "non-Latin-1 character (byte " + describe_byte(byte) +
                                      ") at offset " + std::to_string(i));
    }
}

bool has_non_ascii(std::string_view text) noexcept {
    for (const char ch : text)
        if (static_cast<unsigned char>(ch) >= 0x80)
            return true;
    return false;
}

/// Trims the pre-sized output to what was written.
Bytes finish(Bytes& out, const std::uint8_t* write) {
    out.resize(static_cast<std::size_t>(write - out.data()));
    return std::move(out);
}

} // namespace

std::string base64_encode(ByteView bytes, Base64Alphabet alphabet) {
    const std::string_view symbols =
        alphabet == Base64Alphabet::standard ? standard_symbols : urlsafe_symbols;
    std::string out((bytes.size() + 2) / 3 * 4, '=');
    char* write = out.data();
    std::size_t i = 0;
    for (; i + 3 <= bytes.size(); i += 3) {
        const std::uint32_t group = static_cast<std::uint32_t>(bytes[i]) << 16 |
                                    static_cast<std::uint32_t>(bytes[i + 1]) << 8 | bytes[i + 2];
        write[0] = symbols[group >> 18];
        write[1] = symbols[(group >> 12) & 63];
        write[2] = symbols[(group >> 6) & 63];
        write[3] = symbols[group & 63];
        write += 4;
    }
    const std::size_t rest = bytes.size() - i;
    if (rest > 0) {
        std::uint32_t group = static_cast<std::uint32_t>(bytes[i]) << 16;
        if (rest == 2)
            group |= static_cast<std::uint32_t>(bytes[i + 1]) << 8;
        write[0] = symbols[group >> 18];
        write[1] = symbols[(group >> 12) & 63];
        if (rest == 2)
            write[2] = symbols[(group >> 6) & 63];
    }
    return out;
}

Bytes base64_decode(std::string_view text, Base64Alphabet alphabet) {
    // pybase64 1.4.3 `decode_novalidate` (src/pybase64/_pybase64.c), restated:
    // * characters outside the alphabet are skipped wherever they are (whitespace included);
    // * '=' is skipped after 0 or 1 symbols of a quantum; after 2 symbols it ends the input
    //   only if the next non-skipped character is another '='; after 3 it ends the input;
    //   whatever follows the end is ignored;
    // * input that ends inside a quantum without that padding is "Incorrect padding";
    // * unused low bits of the last symbol are not checked.
    const std::string_view codec =
        alphabet == Base64Alphabet::standard ? "JSON-B64" : "JSON-URLSAFE-B64";
    const auto& table = alphabet == Base64Alphabet::standard ? standard_table : urlsafe_table;
    const auto at = [&](std::size_t i) { return table[static_cast<unsigned char>(text[i])]; };
    Bytes out(text.size() / 4 * 3 + 3);
    std::uint8_t* write = out.data();
    bool latin1_checked = false;
    unsigned position = 0; // symbols seen in the current quantum
    std::uint8_t carry = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        // Fast path for the common case: four alphabet symbols at a group boundary.
        if (position == 0 && i + 4 <= text.size()) {
            const std::uint8_t a = at(i), b = at(i + 1), c = at(i + 2), d = at(i + 3);
            if ((a | b | c | d) < 64) {
                write[0] = static_cast<std::uint8_t>(a << 2 | b >> 4);
                write[1] = static_cast<std::uint8_t>(b << 4 | c >> 2);
                write[2] = static_cast<std::uint8_t>(c << 6 | d);
                write += 3;
                i += 3;
                continue;
            }
        }
        const std::uint8_t symbol = at(i);
        if (symbol == skip) {
            if (!latin1_checked && static_cast<unsigned char>(text[i]) >= 0x80) {
                check_latin1(codec, text);
                latin1_checked = true;
            }
            continue;
        }
        if (symbol == pad) {
            bool ends = position == 3;
            if (position == 2) {
                std::size_t next = i + 1;
                while (next < text.size() && at(next) == skip)
                    ++next;
                ends = next < text.size() && at(next) == pad;
            }
            if (!ends)
                continue;
            // What follows the end is ignored, but Python refused the whole str up front if it
            // held a code point above U+00FF, so the tail still has to pass that check.
            if (!latin1_checked && has_non_ascii(text.substr(i + 1)))
                check_latin1(codec, text);
            return finish(out, write);
        }
        switch (position) {
        case 0:
            carry = static_cast<std::uint8_t>(symbol << 2);
            break;
        case 1:
            *write++ = static_cast<std::uint8_t>(carry | symbol >> 4);
            carry = static_cast<std::uint8_t>(symbol << 4);
            break;
        case 2:
            *write++ = static_cast<std::uint8_t>(carry | symbol >> 2);
            carry = static_cast<std::uint8_t>(symbol << 6);
            break;
        default:
            *write++ = static_cast<std::uint8_t>(carry | symbol);
            break;
        }
        position = (position + 1) % 4;
    }
    if (position != 0)
        throw_bad_encoding(codec, "incorrect padding: input ends after " +
                                      std::to_string(position) + " symbol(s) of a 4-symbol group");
    return finish(out, write);
}

} // namespace hivescope::protocol::detail
