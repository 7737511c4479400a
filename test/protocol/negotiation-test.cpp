// Cipher and encoding negotiation (protocol.md A.10.1).

#include "catch.hpp"

#include "hivescope/protocol/negotiation.hpp"

#include <algorithm>
#include <string>
#include <vector>

using namespace hivescope::protocol;

namespace {
using Names = std::vector<std::string>;

template <typename T, std::size_t N> std::vector<T> as_vector(const std::array<T, N>& values) {
    return {values.begin(), values.end()};
}
} // namespace

TEST_CASE("a stock satellite and a stock master agree on AES-GCM + JSON-B91", "[negotiation]") {
    const Names encodings = proposal_names(satellite_default_encodings);
    const Names ciphers = proposal_names(satellite_default_ciphers);
    CHECK(select_encoding(encodings, master_default_encodings) == Encoding::json_b91);
    CHECK(select_cipher(ciphers, master_default_ciphers) == Cipher::aes_gcm);
}

TEST_CASE("the client's order wins over the master's", "[negotiation]") {
    const std::vector<Encoding> allowed{Encoding::json_hex, Encoding::json_b32};
    CHECK(select_encoding(Names{"JSON-B32", "JSON-HEX"}, allowed) == Encoding::json_b32);
    CHECK(select_encoding(Names{"JSON-HEX", "JSON-B32"}, allowed) == Encoding::json_hex);
    CHECK(select_encoding(Names{"JSON-B91", "JSON-HEX"}, allowed) == Encoding::json_hex);

    CHECK(select_cipher(Names{"CHACHA20-POLY1305", "AES-GCM"}, master_default_ciphers) ==
          Cipher::chacha20_poly1305);
    CHECK(select_cipher(Names{"AES-GCM", "CHACHA20-POLY1305"}, master_default_ciphers) ==
          Cipher::aes_gcm);
}

TEST_CASE("unknown names are skipped, not fatal", "[negotiation]") {
    CHECK(select_encoding(Names{"JSON-B100P", "json-b91", "", "JSON-B64"},
                          master_default_encodings) == Encoding::json_b64);
    CHECK(select_cipher(Names{"AES-CCM", "aes-gcm", "CHACHA20-POLY1305"}, master_default_ciphers) ==
          Cipher::chacha20_poly1305);
    CHECK_FALSE(select_encoding(Names{"JSON-B100P"}, master_default_encodings).has_value());
    CHECK_FALSE(select_cipher(Names{"BLOWFISH"}, master_default_ciphers).has_value());
}

TEST_CASE("an empty client list means the link defaults", "[negotiation]") {
    CHECK(link_default_encoding == Encoding::json_hex);
    CHECK(link_default_cipher == Cipher::aes_gcm);
    CHECK(select_encoding(Names{}, master_default_encodings) == Encoding::json_hex);
    CHECK(select_cipher(Names{}, master_default_ciphers) == Cipher::aes_gcm);
    // ... and still needs the master to allow them.
    CHECK_FALSE(select_encoding(Names{}, std::vector<Encoding>{Encoding::json_b64}).has_value());
    CHECK_FALSE(select_cipher(Names{}, std::vector<Cipher>{Cipher::chacha20_poly1305}).has_value());
}

TEST_CASE("an empty intersection refuses the client", "[negotiation]") {
    CHECK_FALSE(
        select_encoding(Names{"JSON-B91"}, std::vector<Encoding>{Encoding::json_hex}).has_value());
    CHECK_FALSE(select_encoding(Names{"JSON-B91"}, std::vector<Encoding>{}).has_value());
    CHECK_FALSE(select_cipher(Names{"AES-GCM"}, std::vector<Cipher>{Cipher::chacha20_poly1305})
                    .has_value());
}

TEST_CASE("JSON-Z85P is never selected or proposed", "[negotiation]") {
    // A.10: the reference cannot decode its own Z85P, so a session on it would be dropped.
    CHECK_FALSE(is_negotiable(Encoding::json_z85p));
    CHECK(select_encoding(Names{"JSON-Z85P", "JSON-Z85B"}, master_default_encodings) ==
          Encoding::json_z85b);
    CHECK_FALSE(select_encoding(Names{"JSON-Z85P"}, std::vector<Encoding>{Encoding::json_z85p})
                    .has_value());
    CHECK_FALSE(select_encoding(Names{"JSON-Z85P"}, master_default_encodings).has_value());

    const Names proposal = proposal_names(master_default_encodings);
    CHECK(std::find(proposal.begin(), proposal.end(), "JSON-Z85P") == proposal.end());
    CHECK(proposal.size() == master_default_encodings.size() - 1);
    for (const Encoding encoding : satellite_default_encodings)
        CHECK(is_negotiable(encoding));
}

TEST_CASE("default lists are consistent with each other", "[negotiation]") {
    // The master allows all seven (as the reference server.json); the satellite proposes the
    // same set minus Z85P.
    std::vector<Encoding> master = as_vector(master_default_encodings);
    std::vector<Encoding> satellite = as_vector(satellite_default_encodings);
    std::vector<Encoding> every = as_vector(all_encodings);
    std::sort(master.begin(), master.end());
    std::sort(satellite.begin(), satellite.end());
    std::sort(every.begin(), every.end());
    CHECK(master == every);
    every.erase(std::remove(every.begin(), every.end(), Encoding::json_z85p), every.end());
    CHECK(satellite == every);

    std::vector<Cipher> master_ciphers = as_vector(master_default_ciphers);
    std::vector<Cipher> satellite_ciphers = as_vector(satellite_default_ciphers);
    std::sort(master_ciphers.begin(), master_ciphers.end());
    std::sort(satellite_ciphers.begin(), satellite_ciphers.end());
    CHECK(master_ciphers == satellite_ciphers);

    // Proposals go out as wire names that parse back to the same values, in order.
    const Names names = proposal_names(satellite_default_encodings);
    REQUIRE(names.size() == satellite_default_encodings.size());
    for (std::size_t i = 0; i < names.size(); ++i)
        CHECK(encoding_from_wire(names[i]) == satellite_default_encodings[i]);
    const Names cipher_names = proposal_names(satellite_default_ciphers);
    REQUIRE(cipher_names.size() == satellite_default_ciphers.size());
    for (std::size_t i = 0; i < cipher_names.size(); ++i)
        CHECK(cipher_from_wire(cipher_names[i]) == satellite_default_ciphers[i]);
}

TEST_CASE("every client proposal picks its first allowed entry", "[negotiation][property]") {
    // Exhaustive over all ordered pairs of names (plus an unknown one) against every subset
    // of allowed encodings: the result is the first proposed, negotiable, allowed entry.
    Names pool;
    for (const Encoding encoding : all_encodings)
        pool.emplace_back(wire_name(encoding));
    pool.emplace_back("JSON-UNKNOWN");
    for (unsigned mask = 0; mask < (1U << all_encodings.size()); ++mask) {
        std::vector<Encoding> allowed;
        for (std::size_t i = 0; i < all_encodings.size(); ++i)
            if ((mask >> i) & 1U)
                allowed.push_back(all_encodings[i]);
        for (const std::string& first : pool) {
            for (const std::string& second : pool) {
                const Names proposal{first, second};
                std::optional<Encoding> expected;
                for (const std::string& name : proposal) {
                    const auto parsed = encoding_from_wire(name);
                    if (parsed && is_negotiable(*parsed) &&
                        std::find(allowed.begin(), allowed.end(), *parsed) != allowed.end()) {
                        expected = parsed;
                        break;
                    }
                }
                CHECK(select_encoding(proposal, allowed) == expected);
            }
        }
    }
}
