// Unit, property and bad-input tests for the seven envelope encodings (protocol.md A.10).
// Reference byte-exactness is covered by test/vectors/encodings-vectors-test.cpp; here we check
// round trips, output shape, rejection with the right code, and the deliberate decisions
// about reference quirks.

#include "catch.hpp"

#include "hivescope/protocol/encoding.hpp"
#include "hivescope/protocol/error.hpp"

#include <algorithm>
#include <random>
#include <string>

using namespace hivescope::protocol;

namespace {

Bytes random_bytes(std::mt19937_64& rng, std::size_t size) {
    Bytes out(size);
    for (auto& byte : out)
        byte = static_cast<std::uint8_t>(rng());
    return out;
}

/// "ok" or the ProtocolError code name.
std::string decode_outcome(Encoding encoding, std::string_view text) {
    try {
        (void)decode(encoding, text);
        return "ok";
    } catch (const ProtocolError& e) {
        return std::string(to_string(e.code()));
    } catch (...) {
        return "other exception";
    }
}

/// The message of the ProtocolError that decoding throws (empty if none).
std::string decode_message(Encoding encoding, std::string_view text) {
    try {
        (void)decode(encoding, text);
    } catch (const ProtocolError& e) {
        return e.what();
    }
    return {};
}

std::size_t ceil_div(std::size_t a, std::size_t b) {
    return (a + b - 1) / b;
}

bool all_in(std::string_view text, std::string_view allowed) {
    return text.find_first_not_of(allowed) == std::string_view::npos;
}

constexpr std::string_view z85_symbols =
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";
constexpr std::string_view b91_symbols =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$%&()*+,./:;<=>?@[]^_`{|}~\"";

} // namespace

TEST_CASE("encoding wire names round-trip and are case-sensitive", "[encoding]") {
    for (const Encoding encoding : all_encodings) {
        CHECK(encoding_from_wire(wire_name(encoding)) == encoding);
        CHECK(parse_encoding(wire_name(encoding)) == encoding);
    }
    CHECK_FALSE(encoding_from_wire("json-hex").has_value());
    CHECK_FALSE(encoding_from_wire("JSON-B100P").has_value());
    CHECK_FALSE(encoding_from_wire("").has_value());
    try {
        (void)parse_encoding("JSON-ROT13");
        FAIL("parse_encoding accepted an unknown name");
    } catch (const ProtocolError& e) {
        CHECK(e.code() == ErrorCode::unknown_encoding);
        CHECK(std::string(e.what()).find("JSON-ROT13") != std::string::npos);
    }
}

TEST_CASE("every encoding round-trips random bytes of every length 0..300",
          "[encoding][property]") {
    std::mt19937_64 rng(0x5eedc0deULL);
    for (const Encoding encoding : all_encodings) {
        INFO(wire_name(encoding));
        for (std::size_t size = 0; size <= 300; ++size) {
            for (int round = 0; round < 3; ++round) {
                const Bytes input = random_bytes(rng, size);
                const std::string text = encode(encoding, input);
                const Bytes back = decode(encoding, text);
                if (back != input) {
                    INFO("size " << size << " text " << text);
                    FAIL("round trip differs");
                }
            }
        }
    }
}

TEST_CASE("round trips hold for extreme byte patterns", "[encoding][property]") {
    for (const Encoding encoding : all_encodings) {
        INFO(wire_name(encoding));
        for (std::size_t size = 0; size <= 40; ++size) {
            for (const std::uint8_t fill : {0x00, 0xff, 0x80, 0x01, 0x7f}) {
                const Bytes input(size, fill);
                CHECK(decode(encoding, encode(encoding, input)) == input);
            }
        }
    }
}

TEST_CASE("encoded text has the shape A.10 defines", "[encoding][property]") {
    std::mt19937_64 rng(42);
    for (std::size_t size = 0; size <= 300; ++size) {
        INFO("size " << size);
        const Bytes input = random_bytes(rng, size);

        const std::string hex = encode(Encoding::json_hex, input);
        CHECK(hex.size() == 2 * size);
        CHECK(all_in(hex, "0123456789abcdef"));

        const std::string b64 = encode(Encoding::json_b64, input);
        CHECK(b64.size() == 4 * ceil_div(size, 3));
        CHECK(all_in(b64, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="));
        const std::string url = encode(Encoding::json_urlsafe_b64, input);
        CHECK(url.size() == b64.size());
        CHECK(all_in(url, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_="));
        // Same bits, different symbols for 62 and 63.
        std::string translated = b64;
        for (char& ch : translated)
            ch = ch == '+' ? '-' : ch == '/' ? '_' : ch;
        CHECK(translated == url);

        const std::string b32 = encode(Encoding::json_b32, input);
        CHECK(b32.size() == 8 * ceil_div(size, 5));
        CHECK(all_in(b32, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567="));

        const std::string z85b = encode(Encoding::json_z85b, input);
        CHECK(z85b.size() == 5 * ceil_div(size, 4) - (4 - size % 4) % 4);
        CHECK(all_in(z85b, z85_symbols));

        const std::string z85p = encode(Encoding::json_z85p, input);
        REQUIRE(z85p.size() == 1 + 5 * ceil_div(size, 4));
        CHECK(static_cast<unsigned char>(z85p[0]) == (4 - size % 4) % 4);
        CHECK(all_in(std::string_view(z85p).substr(1), z85_symbols));

        const std::string b91 = encode(Encoding::json_b91, input);
        CHECK(all_in(b91, b91_symbols));
        // 13 or 14 bits per symbol pair, plus at most two symbols for the tail.
        CHECK(b91.size() <= 2 * ceil_div(8 * size, 13) + 1);
    }
}

TEST_CASE("Z85B and Z85P agree with their definitions on whole words", "[encoding]") {
    // A.10: Z85B reads each 4-byte group little-endian and writes digits least significant
    // first; Z85P reads big-endian and writes most significant first. So for one word the
    // Z85P digits are the Z85B digits of the byte-reversed word, reversed.
    std::mt19937_64 rng(7);
    for (int round = 0; round < 500; ++round) {
        const Bytes word = random_bytes(rng, 4);
        const Bytes reversed(word.rbegin(), word.rend());
        std::string z85b = encode(Encoding::json_z85b, reversed);
        const std::string z85p = encode(Encoding::json_z85p, word);
        std::reverse(z85b.begin(), z85b.end());
        CHECK(z85p == std::string(1, '\0') + z85b);
    }
}

TEST_CASE("decoders accept what the reference decoders accept", "[encoding][reference]") {
    SECTION("hex takes either case") {
        CHECK(decode(Encoding::json_hex, "DEADbeef") == Bytes{0xde, 0xad, 0xbe, 0xef});
    }
    SECTION("base64 skips non-alphabet characters anywhere, whitespace included") {
        const Bytes hello = to_bytes("hello");
        CHECK(decode(Encoding::json_b64, "aGVs bG8=") == hello);
        CHECK(decode(Encoding::json_b64, "aG\nVs\tbG8=\r\n") == hello);
        CHECK(decode(Encoding::json_b64, "a!G*V,s.b G8=") == hello);
        // Latin-1 characters reach pybase64 as single non-alphabet bytes: skipped too.
        CHECK(decode(Encoding::json_b64, "aGVs\xc3\xa9"
                                         "bG8=") == hello);
    }
    SECTION("base64 stops at the padding that ends a group and ignores what follows") {
        CHECK(decode(Encoding::json_b64, "aGVsbG8=trailing!") == to_bytes("hello"));
        CHECK(decode(Encoding::json_b64, "aGk==more") == to_bytes("hi"));
        // '=' that cannot end a group is skipped like any other non-alphabet character.
        CHECK(decode(Encoding::json_b64, "=aG=Vs=bG8=") == to_bytes("hello"));
        CHECK(decode(Encoding::json_b64, "====") == Bytes{});
    }
    SECTION("URL-safe base64 also takes + and /") {
        CHECK(decode(Encoding::json_urlsafe_b64, "_-8=") == Bytes{0xff, 0xef});
        CHECK(decode(Encoding::json_urlsafe_b64, "/+8=") == Bytes{0xff, 0xef});
        CHECK(decode(Encoding::json_urlsafe_b64, "/-8=") == Bytes{0xff, 0xef});
    }
    SECTION("standard base64 skips - and _ as foreign characters") {
        CHECK(decode(Encoding::json_b64, "_-/+8=") == Bytes{0xff, 0xef});
    }
    SECTION("base32 padding of 1, 3, 4 or 6 characters") {
        for (std::size_t size = 1; size <= 5; ++size) {
            const Bytes input(size, 0xa5);
            CHECK(decode(Encoding::json_b32, encode(Encoding::json_b32, input)) == input);
        }
    }
    SECTION("empty text is empty bytes in every encoding") {
        for (const Encoding encoding : all_encodings)
            CHECK(decode(encoding, "").empty());
    }
}

TEST_CASE("reference quirks we reproduce on purpose", "[encoding][reference]") {
    SECTION("Z85B: a lone trailing character carries no data and is accepted (C decoder)") {
        const Bytes word{1, 2, 3, 4};
        CHECK(decode(Encoding::json_z85b, encode(Encoding::json_z85b, word) + "Z") == word);
    }
    SECTION("Z85B: a group above 2^32-1 wraps modulo 2^32 (C uint32 arithmetic)") {
        // '#' is digit 84, so "#####" is 85^5 - 1.
        std::uint64_t value = 1;
        for (int i = 0; i < 5; ++i)
            value *= 85;
        value = (value - 1) & 0xffffffffULL;
        Bytes expected;
        for (int i = 0; i < 4; ++i)
            expected.push_back(static_cast<std::uint8_t>(value >> (8 * i)));
        CHECK(decode(Encoding::json_z85b, "#####") == expected);
    }
    SECTION("Z85P: decoded as the pure-Python codec does, pad byte first") {
        const Bytes input{0xfa, 0xfb, 0xfc};
        const std::string text = encode(Encoding::json_z85p, input);
        CHECK(text[0] == '\x01');
        CHECK(decode(Encoding::json_z85p, text) == input);
        // Only the pad byte: no groups, nothing decoded.
        CHECK(decode(Encoding::json_z85p, std::string(1, '\0')).empty());
        // Pad count 4 is accepted (Python checks `> 4`) and drops a whole word.
        std::string four = encode(Encoding::json_z85p, Bytes{9, 9, 9, 9, 1, 2, 3, 4});
        four[0] = '\x04';
        CHECK(decode(Encoding::json_z85p, four) == Bytes{9, 9, 9, 9});
        // A pad count larger than the data empties it, as Python's slice does.
        std::string over = encode(Encoding::json_z85p, Bytes{});
        over[0] = '\x03';
        CHECK(decode(Encoding::json_z85p, over).empty());
    }
    SECTION("base64 and base32 ignore unused low bits of the last symbol") {
        CHECK(decode(Encoding::json_b64, "aGk=") == decode(Encoding::json_b64, "aGl="));
        CHECK(decode(Encoding::json_b32, "NBUQ====") == decode(Encoding::json_b32, "NBUR===="));
    }
}

TEST_CASE("bad input is rejected with bad_encoding", "[encoding][bad-input]") {
    SECTION("JSON-HEX") {
        CHECK(decode_outcome(Encoding::json_hex, "abc") == "bad_encoding");
        CHECK(decode_outcome(Encoding::json_hex, "zz") == "bad_encoding");
        CHECK(decode_outcome(Encoding::json_hex, "0g") == "bad_encoding");
        CHECK(decode_outcome(Encoding::json_hex, "00 1") == "bad_encoding");
        CHECK(decode_outcome(Encoding::json_hex, "\xc3\xa9") == "bad_encoding");
        CHECK(decode_message(Encoding::json_hex, "00x0").find("'x'") != std::string::npos);
        CHECK(decode_message(Encoding::json_hex, "00x0").find("offset 2") != std::string::npos);
    }
    SECTION("JSON-B64 and JSON-URLSAFE-B64: missing or wrong padding") {
        for (const Encoding encoding : {Encoding::json_b64, Encoding::json_urlsafe_b64}) {
            INFO(wire_name(encoding));
            CHECK(decode_outcome(encoding, "aGVsbG8") == "bad_encoding");
            CHECK(decode_outcome(encoding, "a") == "bad_encoding");
            CHECK(decode_outcome(encoding, "aG=") == "bad_encoding");  // one '=' after 2
            CHECK(decode_outcome(encoding, "aG=x") == "bad_encoding"); // '=' skipped, 3 left
            CHECK(decode_outcome(encoding, "aGVsb") == "bad_encoding");
            // A code point above U+00FF cannot even reach the Python decoder.
            CHECK(decode_outcome(encoding, "aGVs\xe2\x82\xac") == "bad_encoding");
            CHECK(decode_outcome(encoding, "aGVs\xff") == "bad_encoding");
        }
        // '-' and '_' are foreign in standard base64, so only "8=" remains: bad padding.
        CHECK(decode_outcome(Encoding::json_b64, "_-8=") == "bad_encoding");
        CHECK(decode_message(Encoding::json_b64, "aGVsbG8").find("padding") != std::string::npos);
    }
    SECTION("JSON-B32") {
        CHECK(decode_outcome(Encoding::json_b32, "nbswy3dp") == "bad_encoding"); // lower case
        CHECK(decode_outcome(Encoding::json_b32, "NBSWY3D") == "bad_encoding");  // length 7
        CHECK(decode_outcome(Encoding::json_b32, "NBSWY3==") == "bad_encoding"); // 2 pads
        CHECK(decode_outcome(Encoding::json_b32, "NBSWY3D=NBSWY3DP") == "bad_encoding");
        CHECK(decode_outcome(Encoding::json_b32, "NB=WY3DP") == "bad_encoding");
        CHECK(decode_outcome(Encoding::json_b32, "NBSWY3D1") == "bad_encoding");
        CHECK(decode_outcome(Encoding::json_b32, "NBSWY3D8") == "bad_encoding");
        CHECK(decode_outcome(Encoding::json_b32, "========") == "bad_encoding");
        CHECK(decode_outcome(Encoding::json_b32, "NBSW Y3DP") == "bad_encoding");
        CHECK(decode_message(Encoding::json_b32, "NBSWy3DP").find("offset 4") != std::string::npos);
    }
    SECTION("JSON-B91: characters outside the alphabet") {
        for (const char* text : {"AB-C", "AB\\C", "AB'C", "AB C", "AB\nC", "AB\xc3\xa9"}) {
            INFO(text);
            CHECK(decode_outcome(Encoding::json_b91, text) == "bad_encoding");
        }
        // The C decoder would stop at a NUL (strlen); we refuse rather than drop the rest.
        CHECK(decode_outcome(Encoding::json_b91, std::string("AB\0CD", 5)) == "bad_encoding");
        CHECK(decode_message(Encoding::json_b91, "ABC-").find("offset 3") != std::string::npos);
    }
    SECTION("JSON-Z85B: characters outside the alphabet, whitespace included") {
        for (const char* text : {"Hel lo", "Hell\"", "He,lo", "Hel;o", "Hel\\o", "Hel_o", "Hel`o",
                                 "Hel|o", "Hel~o", "Hel'o", "Hello\n", "H\xc3\xa9llo"}) {
            INFO(text);
            CHECK(decode_outcome(Encoding::json_z85b, text) == "bad_encoding");
        }
        CHECK(decode_outcome(Encoding::json_z85b, std::string("He\0lo", 5)) == "bad_encoding");
    }
    SECTION("JSON-Z85P: length, pad byte, characters and overflow") {
        const std::string good = encode(Encoding::json_z85p, Bytes{1, 2, 3, 4, 5});
        CHECK(decode_outcome(Encoding::json_z85p, good.substr(0, good.size() - 1)) ==
              "bad_encoding");
        CHECK(decode_outcome(Encoding::json_z85p, good + "0") == "bad_encoding");
        std::string bad_pad = good;
        bad_pad[0] = '\x05';
        CHECK(decode_outcome(Encoding::json_z85p, bad_pad) == "bad_encoding");
        bad_pad[0] = '3'; // a digit, not a pad count: what the C wrapper's str check trips on
        CHECK(decode_outcome(Encoding::json_z85p, bad_pad) == "bad_encoding");
        std::string bad_char = good;
        bad_char[3] = ' ';
        CHECK(decode_outcome(Encoding::json_z85p, bad_char) == "bad_encoding");
        CHECK(decode_message(Encoding::json_z85p, bad_char).find("offset 3") != std::string::npos);
        CHECK(decode_outcome(Encoding::json_z85p, std::string(1, '\0') + "#####") ==
              "bad_encoding");
        CHECK(decode_outcome(Encoding::json_z85p, "Hello") == "bad_encoding");
    }
}

TEST_CASE("truncated text: rejected where the length is impossible", "[encoding][bad-input]") {
    std::mt19937_64 rng(99);
    for (std::size_t size = 1; size <= 40; ++size) {
        const Bytes input = random_bytes(rng, size);
        for (const Encoding encoding : all_encodings) {
            const std::string text = encode(encoding, input);
            for (std::size_t cut = 0; cut < text.size(); ++cut) {
                const std::string prefix = text.substr(0, cut);
                const std::string outcome = decode_outcome(encoding, prefix);
                INFO(wire_name(encoding) << " size " << size << " cut " << cut);
                switch (encoding) {
                case Encoding::json_hex:
                    CHECK(outcome == (cut % 2 == 0 ? "ok" : "bad_encoding"));
                    break;
                case Encoding::json_b64:
                case Encoding::json_urlsafe_b64:
                    // Only whole 4-symbol groups decode: a cut inside "xx==" leaves a lone
                    // '=' that cannot close the group, and "xxx" lacks its '='.
                    CHECK(outcome == (cut % 4 == 0 ? "ok" : "bad_encoding"));
                    break;
                case Encoding::json_b32:
                    // Whole 8-symbol groups without padding are valid; anything else is not.
                    CHECK(outcome == (cut % 8 == 0 ? "ok" : "bad_encoding"));
                    break;
                case Encoding::json_z85p:
                    CHECK(outcome == (cut == 0 || cut % 5 == 1 ? "ok" : "bad_encoding"));
                    break;
                case Encoding::json_z85b:
                case Encoding::json_b91:
                    // Every length is valid in these two (the reference agrees): a prefix
                    // decodes to a prefix-ish byte string and never throws.
                    CHECK(outcome == "ok");
                    break;
                }
            }
        }
    }
}

TEST_CASE("arbitrary bytes never crash a decoder", "[encoding][bad-input][property]") {
    std::mt19937_64 rng(2026);
    for (int round = 0; round < 3000; ++round) {
        const Bytes noise = random_bytes(rng, rng() % 64);
        const std::string text(noise.begin(), noise.end());
        for (const Encoding encoding : all_encodings) {
            const std::string outcome = decode_outcome(encoding, text);
            CHECK((outcome == "ok" || outcome == "bad_encoding"));
        }
    }
}
