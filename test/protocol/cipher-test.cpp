// AEAD ciphers, binary frames, JSON envelopes and LinkCrypto (protocol.md A.8, A.9): round
// trips over every cipher × encoding × key size, tampering, wrong keys, short frames, bad keys
// and malformed envelopes. Byte-exactness against the reference is in ciphers-vectors-test.

#include "catch.hpp"

#include "hivescope/protocol/cipher.hpp"
#include "hivescope/protocol/encrypted_envelope.hpp"
#include "hivescope/protocol/error.hpp"
#include "hivescope/protocol/link_crypto.hpp"
#include "hivescope/protocol/random.hpp"

#include <functional>
#include <string>
#include <vector>

using namespace hivescope::protocol;

namespace {

/// "ok", or the ProtocolError code name, or "other exception".
std::string outcome(const std::function<void()>& run) {
    try {
        run();
        return "ok";
    } catch (const ProtocolError& e) {
        return std::string(to_string(e.code()));
    } catch (...) {
        return "other exception";
    }
}

struct KeyCase {
    Cipher cipher;
    std::size_t key_size;
};

std::vector<KeyCase> every_cipher_and_key_size() {
    return {{Cipher::aes_gcm, 16},
            {Cipher::aes_gcm, 24},
            {Cipher::aes_gcm, 32},
            {Cipher::chacha20_poly1305, 32}};
}

std::vector<std::string> sample_plaintexts() {
    std::string long_text;
    for (int i = 0; long_text.size() < 300; ++i)
        long_text += "{\"msg_type\": \"bus\", \"n\": " + std::to_string(i) + "} ";
    return {"",
            "a",
            "hello world",
            "ol\xc3\xa1 \xe4\xb8\x96\xe7\x95\x8c \xf0\x9f\x90\x9d",
            "quote \" backslash \\ newline \n nul-free",
            long_text};
}

} // namespace

TEST_CASE("cipher names, nonce sizes and key sizes", "[cipher]") {
    for (const Cipher cipher : all_ciphers) {
        CHECK(cipher_from_wire(wire_name(cipher)) == cipher);
        CHECK(parse_cipher(wire_name(cipher)) == cipher);
    }
    CHECK(wire_name(Cipher::aes_gcm) == "AES-GCM");
    CHECK(wire_name(Cipher::chacha20_poly1305) == "CHACHA20-POLY1305");
    CHECK_FALSE(cipher_from_wire("aes-gcm").has_value());
    CHECK_FALSE(cipher_from_wire("AES-CCM").has_value());
    CHECK(outcome([] { (void)parse_cipher("BLOWFISH"); }) == "unknown_cipher");

    // A.8: a 16-byte GCM nonce (not the 96-bit fast path), 12 for ChaCha20-Poly1305.
    CHECK(nonce_size(Cipher::aes_gcm) == 16);
    CHECK(nonce_size(Cipher::chacha20_poly1305) == 12);
    for (std::size_t size = 0; size <= 64; ++size) {
        INFO("key size " << size);
        CHECK(is_valid_key_size(Cipher::aes_gcm, size) == (size == 16 || size == 24 || size == 32));
        CHECK(is_valid_key_size(Cipher::chacha20_poly1305, size) == (size == 32));
    }
}

TEST_CASE("binary frames round-trip for every cipher and key size", "[cipher][property]") {
    SeededRandom random(1, "cipher-binary");
    for (const auto& [cipher, key_size] : every_cipher_and_key_size()) {
        INFO(wire_name(cipher) << " key " << key_size);
        const Bytes key = random.bytes(key_size);
        for (std::size_t size = 0; size <= 300; size += 7) {
            const Bytes plaintext = random.bytes(size);
            const Bytes frame = encrypt_bin(cipher, key, plaintext, random);
            REQUIRE(frame.size() == nonce_size(cipher) + size + aead_tag_size);
            CHECK(decrypt_bin(cipher, key, frame) == plaintext);
        }
    }
}

TEST_CASE("JSON envelopes round-trip for every cipher, encoding and key size",
          "[cipher][envelope][property]") {
    SeededRandom random(2, "cipher-envelope");
    for (const auto& [cipher, key_size] : every_cipher_and_key_size()) {
        const Bytes key = random.bytes(key_size);
        for (const Encoding encoding : all_encodings) {
            for (const std::string& plaintext : sample_plaintexts()) {
                INFO(wire_name(cipher) << " key " << key_size << " " << wire_name(encoding)
                                       << " plaintext size " << plaintext.size());
                const std::string envelope =
                    encrypt_as_json(cipher, encoding, key, plaintext, random);
                CHECK(decrypt_from_json(cipher, encoding, key, envelope) == plaintext);

                // A.9.3 layout: fixed key order, Python separators, ASCII only.
                const Json parsed = Json::parse(envelope);
                REQUIRE(parsed.is_object());
                const JsonObject& members = parsed.as_object();
                REQUIRE(members.size() == 3);
                auto it = members.begin();
                CHECK((it++)->first == "ciphertext");
                CHECK((it++)->first == "tag");
                CHECK((it++)->first == "nonce");
                CHECK(envelope.rfind("{\"ciphertext\": \"", 0) == 0);
                CHECK(envelope.find("\", \"tag\": \"") != std::string::npos);
                CHECK(envelope.find("\", \"nonce\": \"") != std::string::npos);
                for (const char ch : envelope)
                    CHECK((ch >= 0x20 && ch < 0x7f));
                // Each field is encoded on its own.
                CHECK(decode(encoding, parsed.find("tag")->as_string()).size() == aead_tag_size);
                CHECK(decode(encoding, parsed.find("nonce")->as_string()).size() ==
                      nonce_size(cipher));
                CHECK(decode(encoding, parsed.find("ciphertext")->as_string()).size() ==
                      plaintext.size());
            }
        }
    }
}

TEST_CASE("envelopes escape like json.dumps", "[envelope]") {
    const Bytes key(32, 7);
    SeededRandom random(3, "escaping");
    SECTION("Z85P pad bytes are written as \\u0000..\\u0003") {
        for (std::size_t size = 0; size < 4; ++size) {
            const std::string envelope = encrypt_as_json(Cipher::aes_gcm, Encoding::json_z85p, key,
                                                         std::string(size, 'x'), random);
            const std::string escaped =
                "\"ciphertext\": \"\\u000" + std::to_string((4 - size % 4) % 4);
            CHECK(envelope.find(escaped) != std::string::npos);
            CHECK(envelope.find("\"tag\": \"\\u0000") != std::string::npos);
            CHECK(envelope.find("\"nonce\": \"\\u0000") != std::string::npos);
            CHECK(decrypt_from_json(Cipher::aes_gcm, Encoding::json_z85p, key, envelope) ==
                  std::string(size, 'x'));
        }
    }
    SECTION("a '\"' in basE91 output is written as \\\"") {
        bool seen = false;
        for (int round = 0; round < 200 && !seen; ++round) {
            const std::string plaintext = "message " + std::to_string(round);
            const std::string envelope =
                encrypt_as_json(Cipher::aes_gcm, Encoding::json_b91, key, plaintext, random);
            if (envelope.find("\\\"") == std::string::npos)
                continue;
            seen = true;
            CHECK(decrypt_from_json(Cipher::aes_gcm, Encoding::json_b91, key, envelope) ==
                  plaintext);
        }
        CHECK(seen);
    }
}

TEST_CASE("any flipped bit of nonce, ciphertext or tag fails", "[cipher][tamper]") {
    SeededRandom random(4, "tamper");
    for (const auto& [cipher, key_size] : every_cipher_and_key_size()) {
        INFO(wire_name(cipher) << " key " << key_size);
        const Bytes key = random.bytes(key_size);
        const Bytes frame = encrypt_bin(cipher, key, to_bytes("tamper with me, please"), random);
        for (std::size_t bit = 0; bit < frame.size() * 8; ++bit) {
            Bytes bad = frame;
            bad[bit / 8] ^= static_cast<std::uint8_t>(1U << (bit % 8));
            INFO("bit " << bit);
            CHECK(outcome([&] { (void)decrypt_bin(cipher, key, bad); }) == "decryption_failed");
        }
        // Appending or dropping a byte moves the tag: also a failure, not a crash.
        Bytes longer = frame;
        longer.push_back(0);
        CHECK(outcome([&] { (void)decrypt_bin(cipher, key, longer); }) == "decryption_failed");
        const Bytes shorter(frame.begin(), frame.end() - 1);
        CHECK(outcome([&] { (void)decrypt_bin(cipher, key, shorter); }) == "decryption_failed");
    }
}

TEST_CASE("wrong key or wrong cipher fails", "[cipher]") {
    SeededRandom random(5, "wrong-key");
    const Bytes key = random.bytes(32);
    Bytes other = key;
    other[31] ^= 1;
    for (const Cipher cipher : all_ciphers) {
        const Bytes frame = encrypt_bin(cipher, key, to_bytes("secret"), random);
        CHECK(outcome([&] { (void)decrypt_bin(cipher, other, frame); }) == "decryption_failed");
        const Cipher wrong =
            cipher == Cipher::aes_gcm ? Cipher::chacha20_poly1305 : Cipher::aes_gcm;
        CHECK(outcome([&] { (void)decrypt_bin(wrong, key, frame); }) == "decryption_failed");
        const std::string envelope =
            encrypt_as_json(cipher, Encoding::json_hex, key, "secret", random);
        CHECK(outcome([&] {
                  (void)decrypt_from_json(cipher, Encoding::json_hex, other, envelope);
              }) == "decryption_failed");
    }
    // Same key bytes, AES-128 versus AES-256: different keys.
    const Bytes frame =
        encrypt_bin(Cipher::aes_gcm, Bytes(key.begin(), key.begin() + 16), to_bytes("x"), random);
    CHECK(outcome([&] { (void)decrypt_bin(Cipher::aes_gcm, key, frame); }) == "decryption_failed");
}

TEST_CASE("short and garbage frames of every length 0..40 fail cleanly", "[cipher][bad-input]") {
    SeededRandom random(6, "short");
    for (const auto& [cipher, key_size] : every_cipher_and_key_size()) {
        const Bytes key = random.bytes(key_size);
        for (std::size_t size = 0; size <= 40; ++size) {
            INFO(wire_name(cipher) << " key " << key_size << " frame " << size);
            const Bytes frame = random.bytes(size);
            CHECK(outcome([&] { (void)decrypt_bin(cipher, key, frame); }) == "decryption_failed");
        }
    }
}

TEST_CASE("keys of the wrong size are bad_key before anything is drawn", "[cipher][bad-input]") {
    const Bytes key16(16, 1);
    SECTION("ChaCha20-Poly1305 with a 16-byte (pre-shared) key") {
        ScriptedRandom random{Bytes(12, 0)};
        CHECK(outcome([&] { (void)Aead(Cipher::chacha20_poly1305, key16); }) == "bad_key");
        CHECK(outcome([&] {
                  (void)encrypt_bin(Cipher::chacha20_poly1305, key16, to_bytes("x"), random);
              }) == "bad_key");
        CHECK(outcome([&] { (void)decrypt_bin(Cipher::chacha20_poly1305, key16, Bytes(40, 0)); }) ==
              "bad_key");
        CHECK(outcome([&] {
                  (void)encrypt_as_json(Cipher::chacha20_poly1305, Encoding::json_b64, key16, "x",
                                        random);
              }) == "bad_key");
        CHECK(outcome([&] {
                  (void)LinkCrypto(Cipher::chacha20_poly1305, Encoding::json_hex, key16);
              }) == "bad_key");
        CHECK(random.remaining() == 1); // no nonce was consumed
    }
    SECTION("AES-GCM with sizes other than 16/24/32") {
        for (const std::size_t size : {0, 1, 15, 17, 23, 25, 31, 33, 64}) {
            INFO("size " << size);
            const Bytes key(size, 2);
            CHECK(outcome([&] { (void)decrypt_bin(Cipher::aes_gcm, key, Bytes(40, 0)); }) ==
                  "bad_key");
            CHECK(outcome([&] {
                      (void)encrypt_bin_with_nonce(Cipher::aes_gcm, key, to_bytes("x"),
                                                   Bytes(16, 0));
                  }) == "bad_key");
        }
    }
    SECTION("the message names the cipher and the size") {
        try {
            (void)Aead(Cipher::chacha20_poly1305, key16);
        } catch (const ProtocolError& e) {
            CHECK(std::string(e.what()).find("CHACHA20-POLY1305") != std::string::npos);
            CHECK(std::string(e.what()).find("16") != std::string::npos);
        }
    }
}

TEST_CASE("a caller-chosen nonce must have the cipher's size", "[cipher][bad-input]") {
    const Bytes key(32, 3);
    for (const Cipher cipher : all_ciphers) {
        for (std::size_t size = 0; size <= 32; ++size) {
            const std::string result = outcome(
                [&] { (void)encrypt_bin_with_nonce(cipher, key, to_bytes("x"), Bytes(size, 0)); });
            CHECK(result == (size == nonce_size(cipher) ? "ok" : "invalid_argument"));
        }
    }
}

TEST_CASE("an envelope without a tag carries it at the end of the ciphertext", "[envelope]") {
    SeededRandom random(7, "notag");
    for (const auto& [cipher, key_size] : every_cipher_and_key_size()) {
        const Bytes key = random.bytes(key_size);
        for (const Encoding encoding : all_encodings) {
            INFO(wire_name(cipher) << " " << wire_name(encoding));
            const Bytes nonce = random.bytes(nonce_size(cipher));
            const Bytes frame = encrypt_bin_with_nonce(cipher, key, to_bytes("web crypto"), nonce);
            const Bytes ct_and_tag(frame.begin() + static_cast<std::ptrdiff_t>(nonce.size()),
                                   frame.end());
            Json envelope = Json::object();
            envelope["ciphertext"] = Json(to_string(as_bytes(encode(encoding, ct_and_tag))));
            envelope["nonce"] = Json(encode(encoding, nonce));
            CHECK(decrypt_from_json(cipher, encoding, key,
                                    envelope.dump(JsonStyle::python_ascii)) == "web crypto");
        }
    }
}

TEST_CASE("malformed envelopes are typed errors", "[envelope][bad-input]") {
    const Bytes key(32, 9);
    const auto run = [&](std::string_view text) {
        return outcome(
            [&] { (void)decrypt_from_json(Cipher::aes_gcm, Encoding::json_hex, key, text); });
    };
    CHECK(run("") == "malformed_json");
    CHECK(run("not json at all") == "malformed_json");
    CHECK(run("{\"ciphertext\": ") == "malformed_json");
    CHECK(run("[\"ciphertext\"]") == "malformed_json");
    CHECK(run("\"ciphertext\"") == "malformed_json");
    CHECK(run("42") == "malformed_json");
    CHECK(run("{}") == "invalid_field");
    CHECK(run("{\"ciphertext\": \"00\"}") == "invalid_field");
    CHECK(run("{\"nonce\": \"00\"}") == "invalid_field");
    CHECK(run("{\"ciphertext\": 1, \"nonce\": \"00\"}") == "invalid_field");
    CHECK(run("{\"ciphertext\": \"00\", \"nonce\": null}") == "invalid_field");
    CHECK(run("{\"ciphertext\": \"00\", \"tag\": null, \"nonce\": \"00\"}") == "invalid_field");
    CHECK(run("{\"ciphertext\": \"zz\", \"nonce\": \"00\"}") == "bad_encoding");
    CHECK(run("{\"ciphertext\": \"00\", \"tag\": \"0\", \"nonce\": \"00\"}") == "bad_encoding");
    CHECK(run("{\"ciphertext\": \"00\", \"nonce\": \"00\"}") == "decryption_failed");
    CHECK(run("{\"ciphertext\": \"\", \"tag\": \"\", \"nonce\": \"\"}") == "decryption_failed");

    SECTION("every prefix of a real envelope fails with a typed error") {
        SeededRandom random(8, "prefix");
        const std::string envelope =
            encrypt_as_json(Cipher::aes_gcm, Encoding::json_b91, key, "prefix me", random);
        for (std::size_t cut = 0; cut < envelope.size(); ++cut) {
            INFO("cut " << cut);
            const std::string result = outcome([&] {
                (void)decrypt_from_json(Cipher::aes_gcm, Encoding::json_b91, key,
                                        envelope.substr(0, cut));
            });
            CHECK(result == "malformed_json");
        }
    }
    SECTION("random garbage never escapes as anything but ProtocolError") {
        SeededRandom random(9, "garbage");
        for (int round = 0; round < 2000; ++round) {
            const Bytes noise = random.bytes(round % 80);
            std::string text = "{\"ciphertext\": \"" + to_string(noise) + "\", \"nonce\": \"00\"}";
            if (round % 2 == 0)
                text = to_string(noise);
            for (const Encoding encoding :
                 {Encoding::json_b91, Encoding::json_b64, Encoding::json_z85p}) {
                const std::string result = outcome([&] {
                    (void)decrypt_from_json(Cipher::chacha20_poly1305, encoding, key, text);
                });
                CHECK(result != "ok");
                CHECK(result != "other exception");
            }
        }
    }
}

TEST_CASE("authentic plaintext that is not UTF-8 is invalid_utf8", "[envelope]") {
    const Bytes key(16, 4);
    SeededRandom random(10, "utf8");
    const std::string envelope =
        encrypt_as_json(Cipher::aes_gcm, Encoding::json_b64, key, "\xff\xfe not utf-8", random);
    CHECK(outcome([&] {
              (void)decrypt_from_json(Cipher::aes_gcm, Encoding::json_b64, key, envelope);
          }) == "invalid_utf8");
}

TEST_CASE("envelope detection follows A.9.3", "[envelope]") {
    CHECK(is_encrypted_envelope(Json::parse(R"({"ciphertext": "00", "nonce": "00"})")));
    CHECK(is_encrypted_envelope(Json::parse(R"({"ciphertext": 5})")));
    CHECK_FALSE(is_encrypted_envelope(Json::parse(R"({"msg_type": "bus", "ciphertext": "x"})")));
    CHECK_FALSE(is_encrypted_envelope(Json::parse(R"({"msg_type": "bus", "payload": {}})")));
    CHECK_FALSE(is_encrypted_envelope(Json::parse(R"({"payload": {"ciphertext": "x"}})")));
    CHECK_FALSE(is_encrypted_envelope(Json::parse(R"(["ciphertext"])")));
    CHECK_FALSE(is_encrypted_envelope(Json::parse(R"("ciphertext")")));
    CHECK_FALSE(is_encrypted_envelope(Json()));
}

TEST_CASE("a reused Aead matches one-shot encryption and survives failures", "[cipher]") {
    SeededRandom keys(11, "aead-keys");
    for (const auto& [cipher, key_size] : every_cipher_and_key_size()) {
        INFO(wire_name(cipher) << " key " << key_size);
        const Bytes key = keys.bytes(key_size);
        Aead aead(cipher, key);
        SeededRandom ours(12, "nonces");
        SeededRandom theirs(12, "nonces");
        for (int round = 0; round < 50; ++round) {
            const Bytes plaintext = keys.bytes(static_cast<std::size_t>(round * 5));
            const Bytes frame = aead.seal(plaintext, ours);
            CHECK(frame == encrypt_bin(cipher, key, plaintext, theirs));
            CHECK(aead.open(frame) == plaintext);
            Bytes bad = frame;
            bad.back() ^= 0x80;
            CHECK(outcome([&] { (void)aead.open(bad); }) == "decryption_failed");
            CHECK(aead.open(frame) == plaintext); // still usable after a failed open
        }
        Aead copy = aead;
        const Bytes frame = copy.seal(to_bytes("copied"), ours);
        CHECK(aead.open(frame) == to_bytes("copied"));
        CHECK(Bytes(copy.key().begin(), copy.key().end()) == key);
        Aead moved = std::move(copy);
        CHECK(moved.open(frame) == to_bytes("copied"));
        copy = moved; // a moved-from object can be assigned again
        CHECK(copy.open(frame) == to_bytes("copied"));
    }
}

TEST_CASE("LinkCrypto wraps the negotiated cipher, encoding and key", "[cipher][link]") {
    SeededRandom random(13, "link");
    const Bytes key = random.bytes(32);
    for (const Cipher cipher : all_ciphers) {
        for (const Encoding encoding : all_encodings) {
            INFO(wire_name(cipher) << " " << wire_name(encoding));
            LinkCrypto sender(cipher, encoding, key);
            LinkCrypto receiver = sender;
            CHECK(receiver.cipher() == cipher);
            CHECK(receiver.encoding() == encoding);
            CHECK(Bytes(receiver.key().begin(), receiver.key().end()) == key);

            const std::string text = R"({"msg_type": "bus", "payload": {"type": "speak"}})";
            const std::string envelope = sender.encrypt_text(text, random);
            CHECK(receiver.decrypt_text(envelope) == text);
            CHECK(receiver.decrypt_envelope(Json::parse(envelope)) == text);
            CHECK(decrypt_from_json(cipher, encoding, key, envelope) == text);

            const Bytes binary = random.bytes(100);
            const Bytes frame = sender.encrypt_binary(binary, random);
            CHECK(receiver.decrypt_binary(frame) == binary);
            CHECK(decrypt_bin(cipher, key, frame) == binary);
        }
    }
}
