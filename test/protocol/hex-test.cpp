// The JSON-HEX codec's vectorised loops against the byte-at-a-time definition: every length
// around the 16- and 32-character blocks, both cases, and a bad character at every position.

#include "catch.hpp"

#include "hivescope/protocol/bytes.hpp"
#include "hivescope/protocol/encoding.hpp"
#include "hivescope/protocol/error.hpp"

#include <random>
#include <string>

using namespace hivescope::protocol;

namespace {
std::string reference_hex(const Bytes& bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (const auto b : bytes) {
        out.push_back(digits[b >> 4]);
        out.push_back(digits[b & 0x0f]);
    }
    return out;
}

std::string error_of(const std::string& text) {
    try {
        (void)decode(Encoding::json_hex, text);
    } catch (const ProtocolError& e) {
        return std::string(to_string(e.code())) + ": " + e.what();
    }
    return "ok";
}
} // namespace

TEST_CASE("hex round-trips every length around the vector blocks", "[hex][encoding]") {
    std::mt19937_64 rng(0x4e7);
    for (std::size_t n = 0; n <= 80; ++n) {
        Bytes bytes(n);
        for (auto& b : bytes)
            b = static_cast<std::uint8_t>(rng());
        const std::string text = reference_hex(bytes);
        CAPTURE(n);
        REQUIRE(hex_encode(bytes) == text);
        REQUIRE(encode(Encoding::json_hex, bytes) == text);
        REQUIRE(decode(Encoding::json_hex, text) == bytes);
        REQUIRE(hex_decode(text) == bytes);
        std::string upper = text;
        for (std::size_t i = 0; i < upper.size(); i += 1 + rng() % 3)
            upper[i] = static_cast<char>(std::toupper(static_cast<unsigned char>(upper[i])));
        REQUIRE(decode(Encoding::json_hex, upper) == bytes);
    }
    Bytes all(256);
    for (std::size_t i = 0; i < all.size(); ++i)
        all[i] = static_cast<std::uint8_t>(i);
    REQUIRE(hex_encode(all) == reference_hex(all));
    REQUIRE(decode(Encoding::json_hex, reference_hex(all)) == all);
}

TEST_CASE("a bad hex character is found wherever it is", "[hex][encoding][bad-input]") {
    const std::string good(136, 'a'); // two 64-digit blocks, a 32-digit one and a tail
    for (const char bad : {'g', 'G', '/', ':', '@', '`', ' ', '\0', '\x80', '\xff', '\xc6'}) {
        for (std::size_t at = 0; at < good.size(); ++at) {
            std::string text = good;
            text[at] = bad;
            CAPTURE(at, static_cast<int>(static_cast<unsigned char>(bad)));
            const std::string error = error_of(text);
            REQUIRE(error.rfind("bad_encoding", 0) == 0);
            REQUIRE(error.find("offset " + std::to_string(at)) != std::string::npos);
            REQUIRE_THROWS_AS(hex_decode(text), ProtocolError);
        }
    }
    REQUIRE(error_of(std::string(33, '0')).find("odd length 33") != std::string::npos);
}
