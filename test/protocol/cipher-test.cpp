// AEAD ciphers, binary frames, JSON envelopes and LinkCrypto (protocol.md A.8, A.9): round
// trips over every cipher × encoding × key size, tampering, wrong keys, short frames, bad keys
// and malformed envelopes. Byte-exactness against the reference is in ciphers-vectors-test;
// here Aead (Nettle for short AES-GCM frames, OpenSSL's EVP otherwise) is also held to both
// libraries called directly, on every short length, either side of the switch between them, a
// long body and a GCM counter that wraps inside the frame.

#include "catch.hpp"

#include "hivescope/protocol/cipher.hpp"
#include "hivescope/protocol/encrypted_envelope.hpp"
#include "hivescope/protocol/error.hpp"
#include "hivescope/protocol/link_crypto.hpp"
#include "hivescope/protocol/random.hpp"

#include <nettle/chacha-poly1305.h>
#include <nettle/gcm.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
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

// --- The two libraries Aead is built on, called directly, as references it must agree with ---

/// One AEAD pass over `in` into `out` (as long as `in`): sealing writes the tag to `tag`,
/// opening checks it and returns whether it matched.
using AeadPass = bool (*)(bool sealing, Cipher cipher, ByteView key, ByteView nonce, ByteView in,
                          std::uint8_t* out, std::uint8_t* tag);

struct EvpCipherFree {
    void operator()(EVP_CIPHER* cipher) const noexcept { EVP_CIPHER_free(cipher); }
};
struct EvpContextFree {
    void operator()(EVP_CIPHER_CTX* ctx) const noexcept { EVP_CIPHER_CTX_free(ctx); }
};

const char* openssl_name(Cipher cipher, std::size_t key_size) {
    if (cipher == Cipher::chacha20_poly1305)
        return "ChaCha20-Poly1305";
    return key_size == 16 ? "AES-128-GCM" : key_size == 24 ? "AES-192-GCM" : "AES-256-GCM";
}

/// An AeadPass through OpenSSL's EVP, on a fresh context.
bool openssl_aead(bool sealing, Cipher cipher, ByteView key, ByteView nonce, ByteView in,
                  std::uint8_t* out, std::uint8_t* tag) {
    const std::unique_ptr<EVP_CIPHER, EvpCipherFree> algorithm(
        EVP_CIPHER_fetch(nullptr, openssl_name(cipher, key.size()), nullptr));
    REQUIRE(algorithm);
    const std::unique_ptr<EVP_CIPHER_CTX, EvpContextFree> ctx(EVP_CIPHER_CTX_new());
    REQUIRE(ctx);
    const int enc = sealing ? 1 : 0;
    REQUIRE(EVP_CipherInit_ex(ctx.get(), algorithm.get(), nullptr, nullptr, nullptr, enc) == 1);
    REQUIRE(EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_SET_IVLEN, static_cast<int>(nonce.size()),
                                nullptr) == 1);
    REQUIRE(EVP_CipherInit_ex(ctx.get(), nullptr, nullptr, key.data(), nonce.data(), enc) == 1);
    int written = 0;
    if (!in.empty()) {
        REQUIRE(EVP_CipherUpdate(ctx.get(), out, &written, in.data(),
                                 static_cast<int>(in.size())) == 1);
        REQUIRE(static_cast<std::size_t>(written) == in.size());
    }
    if (!sealing)
        REQUIRE(EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_SET_TAG,
                                    static_cast<int>(aead_tag_size), tag) == 1);
    std::array<std::uint8_t, 16> tail{}; // neither mode writes anything at the end
    if (EVP_CipherFinal_ex(ctx.get(), tail.data(), &written) != 1) {
        ERR_clear_error();
        REQUIRE_FALSE(sealing);
        return false;
    }
    if (sealing)
        REQUIRE(EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_GET_TAG,
                                    static_cast<int>(aead_tag_size), tag) == 1);
    return true;
}

/// An AeadPass through Nettle, on a fresh context.
bool nettle_aead(bool sealing, Cipher cipher, ByteView key, ByteView nonce, ByteView in,
                 std::uint8_t* out, std::uint8_t* tag) {
    std::array<std::uint8_t, aead_tag_size> computed{};
    const auto run = [&](auto& ctx, auto set_key, auto set_nonce, auto encrypt, auto decrypt,
                         auto digest) {
        set_key(&ctx, key.data());
        set_nonce(&ctx);
        (sealing ? encrypt : decrypt)(&ctx, in.size(), out, in.data());
        digest(&ctx, computed.size(), computed.data());
    };
    if (cipher == Cipher::chacha20_poly1305) {
        REQUIRE(nonce.size() == CHACHA_POLY1305_NONCE_SIZE);
        chacha_poly1305_ctx ctx;
        run(
            ctx, chacha_poly1305_set_key,
            [&](chacha_poly1305_ctx* c) { chacha_poly1305_set_nonce(c, nonce.data()); },
            chacha_poly1305_encrypt, chacha_poly1305_decrypt, chacha_poly1305_digest);
    } else if (key.size() == 16) {
        gcm_aes128_ctx ctx;
        run(
            ctx, gcm_aes128_set_key,
            [&](gcm_aes128_ctx* c) { gcm_aes128_set_iv(c, nonce.size(), nonce.data()); },
            gcm_aes128_encrypt, gcm_aes128_decrypt, gcm_aes128_digest);
    } else if (key.size() == 24) {
        gcm_aes192_ctx ctx;
        run(
            ctx, gcm_aes192_set_key,
            [&](gcm_aes192_ctx* c) { gcm_aes192_set_iv(c, nonce.size(), nonce.data()); },
            gcm_aes192_encrypt, gcm_aes192_decrypt, gcm_aes192_digest);
    } else {
        REQUIRE(key.size() == 32);
        gcm_aes256_ctx ctx;
        run(
            ctx, gcm_aes256_set_key,
            [&](gcm_aes256_ctx* c) { gcm_aes256_set_iv(c, nonce.size(), nonce.data()); },
            gcm_aes256_encrypt, gcm_aes256_decrypt, gcm_aes256_digest);
    }
    if (sealing) {
        std::copy(computed.begin(), computed.end(), tag);
        return true;
    }
    return std::equal(computed.begin(), computed.end(), tag);
}

/// `nonce ‖ ciphertext ‖ tag` as `pass` computes it.
Bytes reference_seal(AeadPass pass, Cipher cipher, ByteView key, ByteView nonce,
                     ByteView plaintext) {
    Bytes frame(nonce.size() + plaintext.size() + aead_tag_size);
    std::copy(nonce.begin(), nonce.end(), frame.begin());
    std::uint8_t* body = frame.data() + nonce.size();
    REQUIRE(pass(true, cipher, key, nonce, plaintext, body, body + plaintext.size()));
    return frame;
}

/// The plaintext `pass` reads from a frame, or nullopt when the tag fails.
std::optional<Bytes> reference_open(AeadPass pass, Cipher cipher, ByteView key, ByteView frame) {
    const std::size_t nonce_bytes = nonce_size(cipher);
    REQUIRE(frame.size() >= nonce_bytes + aead_tag_size);
    const ByteView body = frame.subspan(nonce_bytes, frame.size() - nonce_bytes - aead_tag_size);
    Bytes plaintext(body.size());
    std::array<std::uint8_t, aead_tag_size> tag{};
    std::copy(frame.end() - aead_tag_size, frame.end(), tag.begin());
    if (!pass(false, cipher, key, frame.first(nonce_bytes), body, plaintext.data(), tag.data()))
        return std::nullopt;
    return plaintext;
}

Bytes openssl_seal(Cipher cipher, ByteView key, ByteView nonce, ByteView plaintext) {
    return reference_seal(openssl_aead, cipher, key, nonce, plaintext);
}

/// One AES block under `key` (ECB), for building GCM counter blocks by hand.
Bytes aes_block(ByteView key, ByteView block) {
    const char* name = key.size() == 16   ? "AES-128-ECB"
                       : key.size() == 24 ? "AES-192-ECB"
                                          : "AES-256-ECB";
    const std::unique_ptr<EVP_CIPHER, EvpCipherFree> algorithm(
        EVP_CIPHER_fetch(nullptr, name, nullptr));
    const std::unique_ptr<EVP_CIPHER_CTX, EvpContextFree> ctx(EVP_CIPHER_CTX_new());
    REQUIRE((algorithm && ctx));
    REQUIRE(EVP_EncryptInit_ex(ctx.get(), algorithm.get(), nullptr, key.data(), nullptr) == 1);
    REQUIRE(EVP_CIPHER_CTX_set_padding(ctx.get(), 0) == 1);
    Bytes out(16);
    int written = 0;
    REQUIRE(EVP_EncryptUpdate(ctx.get(), out.data(), &written, block.data(), 16) == 1);
    REQUIRE(written == 16);
    return out;
}

/// An element of GF(2^128) in GCM's bit order (the first bit of the block is x^0).
struct Gf128 {
    std::uint64_t hi = 0;
    std::uint64_t lo = 0;

    static Gf128 load(ByteView block) {
        Gf128 value;
        for (std::size_t i = 0; i < 8; ++i) {
            value.hi = value.hi << 8 | block[i];
            value.lo = value.lo << 8 | block[8 + i];
        }
        return value;
    }
    [[nodiscard]] Bytes store() const {
        Bytes block(16);
        for (std::size_t i = 0; i < 8; ++i) {
            block[i] = static_cast<std::uint8_t>(hi >> (56 - 8 * i));
            block[8 + i] = static_cast<std::uint8_t>(lo >> (56 - 8 * i));
        }
        return block;
    }
    Gf128 operator^(Gf128 other) const { return {hi ^ other.hi, lo ^ other.lo}; }
    /// SP 800-38D, algorithm 1.
    Gf128 operator*(Gf128 y) const {
        Gf128 product;
        for (int bit = 0; bit < 128; ++bit) {
            const std::uint64_t word = bit < 64 ? hi : lo;
            if ((word >> (63 - bit % 64) & 1) != 0)
                product = product ^ y;
            const bool carry = (y.lo & 1) != 0;
            y.lo = y.lo >> 1 | y.hi << 63;
            y.hi >>= 1;
            if (carry)
                y.hi ^= 0xe100000000000000;
        }
        return product;
    }
    /// a^(2^128 - 2) = 1/a.
    [[nodiscard]] Gf128 inverse() const {
        Gf128 power{std::uint64_t{1} << 63, 0}; // 1, then a^(2^k - 1)
        for (int k = 0; k < 127; ++k)
            power = power * power * *this;
        return power * power;
    }
};

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

TEST_CASE("envelopes of frames larger than the on-stack buffers round-trip", "[envelope]") {
    // Text envelopes seal into, and JSON-HEX ones decode into, a 2 KiB buffer on the stack;
    // larger frames take the heap, and a frame straddling the size takes both paths in turn.
    SeededRandom random(21, "large-envelopes");
    for (const auto& [cipher, key_size] : every_cipher_and_key_size()) {
        const Bytes key = random.bytes(key_size);
        Aead aead(cipher, key);
        for (const std::size_t size : {std::size_t{2000}, std::size_t{2020}, std::size_t{2048},
                                       std::size_t{5000}, std::size_t{70000}}) {
            for (const Encoding encoding : {Encoding::json_hex, Encoding::json_b64}) {
                INFO(wire_name(cipher) << " " << wire_name(encoding) << " plaintext " << size);
                std::string plaintext(size, 'x');
                for (std::size_t i = 0; i < size; ++i)
                    plaintext[i] = static_cast<char>('a' + (i * 7) % 26);
                const std::string envelope = encrypt_as_json(aead, encoding, plaintext, random);
                CHECK(decrypt_from_json(aead, encoding, envelope) == plaintext);
                CHECK(read_text_frame(&aead, encoding, envelope).plaintext == plaintext);
                // The envelope parsed as JSON goes the general way, and agrees.
                CHECK(decrypt_envelope(aead, encoding, Json::parse(envelope)) == plaintext);
                // A flipped digit at the very end (in the nonce) still fails the tag.
                std::string tampered = envelope;
                const std::size_t last = tampered.rfind('"') - 1;
                tampered[last] = tampered[last] == '0' ? '1' : '0';
                if (encoding == Encoding::json_hex)
                    CHECK(outcome([&] { (void)decrypt_from_json(aead, encoding, tampered); }) ==
                          "decryption_failed");
            }
        }
    }
}

TEST_CASE("seal_into writes seal's frame into the caller's buffer", "[cipher]") {
    SeededRandom keys(22, "seal-into");
    for (const auto& [cipher, key_size] : every_cipher_and_key_size()) {
        INFO(wire_name(cipher) << " key " << key_size);
        Aead aead(cipher, keys.bytes(key_size));
        for (const std::size_t size : {std::size_t{0}, std::size_t{37}, std::size_t{1000}}) {
            const Bytes plaintext = keys.bytes(size);
            SeededRandom ours(23, "nonces");
            SeededRandom theirs(23, "nonces");
            REQUIRE(aead.sealed_size(size) == nonce_size(cipher) + size + aead_tag_size);
            Bytes frame(aead.sealed_size(size));
            aead.seal_into(plaintext, ours, frame);
            CHECK(frame == aead.seal(plaintext, theirs));
            CHECK(aead.open(frame) == plaintext);
        }
        SECTION("a buffer of any other size is invalid_argument, and draws no nonce") {
            SeededRandom ours(24, "nonces");
            SeededRandom theirs(24, "nonces");
            Bytes small(aead.sealed_size(10) - 1);
            Bytes large(aead.sealed_size(10) + 1);
            CHECK(outcome([&] { aead.seal_into(keys.bytes(10), ours, small); }) ==
                  "invalid_argument");
            CHECK(outcome([&] { aead.seal_into(keys.bytes(10), ours, large); }) ==
                  "invalid_argument");
            CHECK(ours.bytes(8) == theirs.bytes(8));
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
        for (std::size_t round = 0; round < 50; ++round) {
            // Even rounds: 0..245 bytes; odd ones: from 115 below AES-GCM's switch from Nettle
            // to OpenSSL to 125 above it.
            const std::size_t size =
                round % 2 == 0 ? round * 5 : detail::aes_gcm_nettle_max_plaintext - 120 + round * 5;
            const Bytes plaintext = keys.bytes(size);
            const Bytes frame = aead.seal(plaintext, ours);
            CHECK(frame == encrypt_bin(cipher, key, plaintext, theirs));
            CHECK(aead.open(frame) == plaintext);
            Bytes bad = frame;
            bad.back() ^= 0x80;
            CHECK(outcome([&] { (void)aead.open(bad); }) == "decryption_failed");
            CHECK(aead.open(frame) == plaintext); // still usable after a failed open
        }
        Aead copy = aead; // after short and long frames: the copy keys its own state
        const Bytes frame = copy.seal(to_bytes("copied"), ours);
        CHECK(aead.open(frame) == to_bytes("copied"));
        const Bytes long_text = keys.bytes(detail::aes_gcm_nettle_max_plaintext + 1);
        const Bytes long_frame = copy.seal(long_text, ours);
        CHECK(aead.open(long_frame) == long_text);
        CHECK(copy.open(aead.seal(long_text, ours)) == long_text);
        CHECK(Bytes(copy.key().begin(), copy.key().end()) == key);
        Aead moved = std::move(copy);
        CHECK(moved.open(frame) == to_bytes("copied"));
        CHECK(moved.open(long_frame) == long_text);
        copy = moved; // a moved-from object can be assigned again
        CHECK(copy.open(frame) == to_bytes("copied"));
        CHECK(copy.open(long_frame) == long_text);
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

TEST_CASE("Aead agrees byte for byte with OpenSSL's EVP and with Nettle on every length",
          "[cipher][cross-check]") {
    // Aead runs AES-GCM on Nettle up to aes_gcm_nettle_max_plaintext bytes of plaintext and on
    // OpenSSL's EVP above (ChaCha20-Poly1305 always on EVP). Each length is held to both
    // libraries called directly: Aead's frame must be theirs byte for byte and open in each, and
    // Aead must open theirs, so every frame Aead's Nettle side seals is opened by OpenSSL and
    // every frame its OpenSSL side seals by Nettle, and the other way round. Lengths: empty,
    // every partial block up to 70 bytes (GCM's 16, ChaCha20's 64), the switch -1, 0, +1 and a
    // long body; short and long lengths alternate on one reused object, so each lazily keyed
    // side is used again after the other.
    constexpr std::size_t limit = detail::aes_gcm_nettle_max_plaintext;
    static_assert(limit > 70);
    const std::array<std::size_t, 4> long_sizes{limit - 1, limit, limit + 1, 5000};
    std::vector<std::size_t> sizes;
    for (std::size_t size = 0; size <= 70; ++size) {
        sizes.push_back(size);
        sizes.push_back(long_sizes[size % long_sizes.size()]);
    }
    const std::array<std::pair<const char*, AeadPass>, 2> references{
        {{"OpenSSL", openssl_aead}, {"Nettle", nettle_aead}}};
    SeededRandom random(14, "cross-check");
    for (const auto& [cipher, key_size] : every_cipher_and_key_size()) {
        const Bytes key = random.bytes(key_size);
        Aead aead(cipher, key);
        for (const std::size_t size : sizes) {
            INFO(wire_name(cipher) << " key " << key_size << " plaintext " << size);
            const Bytes plaintext = random.bytes(size);
            const Bytes nonce = random.bytes(nonce_size(cipher));
            const Bytes ours = aead.seal_with_nonce(plaintext, nonce);
            for (const auto& [library, pass] : references) {
                INFO("reference: " << library);
                const Bytes theirs = reference_seal(pass, cipher, key, nonce, plaintext);
                CHECK(hex_encode(ours) == hex_encode(theirs));
                CHECK(reference_open(pass, cipher, key, ours) == plaintext);
                CHECK(aead.open(theirs) == plaintext);
                CHECK(aead.open_text(theirs) == to_string(plaintext));
            }
            // A bad tag fails on either side of the switch, and the object goes on opening.
            Bytes bad = ours;
            bad.back() ^= 0x01;
            CHECK(outcome([&] { (void)aead.open(bad); }) == "decryption_failed");
            CHECK(aead.open(ours) == plaintext);
        }
    }
}

TEST_CASE("AES-GCM's 32-bit block counter wraps inside a frame as SP 800-38D says",
          "[cipher][cross-check]") {
    // With a 16-byte nonce J0 = GHASH(nonce ‖ len) = nonce·H² ⊕ L·H, so a nonce can be solved
    // for a chosen J0: here one whose counter runs FFFFFFFE, FFFFFFFF, 00000000 (not carrying
    // into the upper 96 bits). A random nonce hits this about once in 2^32 / blocks frames.
    SeededRandom random(15, "counter-wrap");
    for (const std::size_t key_size : {16, 24, 32}) {
        INFO("key " << key_size);
        const Bytes key = random.bytes(key_size);
        const Gf128 h = Gf128::load(aes_block(key, Bytes(16, 0)));
        Bytes j0 = random.bytes(16);
        std::fill(j0.begin() + 12, j0.end(), std::uint8_t{0xff});
        j0[15] = 0xfd;
        const Gf128 length{0, 128}; // 0 bits of AAD ‖ 128 bits of nonce
        const Bytes nonce = ((Gf128::load(j0) ^ length * h) * (h * h).inverse()).store();

        // A short body (Aead's Nettle side) and a long one (its OpenSSL side).
        for (const std::size_t size :
             {std::size_t{16 * 5 + 7}, detail::aes_gcm_nettle_max_plaintext + 16 * 3 + 5}) {
            INFO("plaintext " << size);
            const Bytes plaintext = random.bytes(size);
            const Bytes frame = Aead(Cipher::aes_gcm, key).seal_with_nonce(plaintext, nonce);
            CHECK(hex_encode(frame) ==
                  hex_encode(openssl_seal(Cipher::aes_gcm, key, nonce, plaintext)));
            CHECK(Aead(Cipher::aes_gcm, key).open(frame) == plaintext);

            // Block i of the body is encrypted under J0's upper 96 bits ‖ (FFFFFFFD + 1 + i)
            // mod 2^32.
            for (std::size_t block = 0; block < 5; ++block) {
                Bytes counter = j0;
                const std::uint32_t low = 0xfffffffdU + 1U + static_cast<std::uint32_t>(block);
                for (std::size_t i = 0; i < 4; ++i)
                    counter[12 + i] = static_cast<std::uint8_t>(low >> (24 - 8 * i));
                const Bytes keystream = aes_block(key, counter);
                for (std::size_t i = 0; i < 16; ++i) {
                    INFO("block " << block << " byte " << i);
                    CHECK((frame[16 + 16 * block + i] ^ plaintext[16 * block + i]) == keystream[i]);
                }
            }
        }
    }
}

TEST_CASE("a reused Aead refuses every single-bit flip, for any body length", "[cipher][tamper]") {
    // Empty body (nonce and tag only), partial and whole GCM blocks, either side of ChaCha20's
    // 64-byte block and of AES-GCM's switch from Nettle to OpenSSL; open and open_text alike,
    // and the object still opens the real frame.
    constexpr std::size_t limit = detail::aes_gcm_nettle_max_plaintext;
    SeededRandom random(16, "tamper-lengths");
    for (const auto& [cipher, key_size] : every_cipher_and_key_size()) {
        Aead aead(cipher, random.bytes(key_size));
        for (const std::size_t size :
             {std::size_t{0}, std::size_t{1}, std::size_t{15}, std::size_t{16}, std::size_t{17},
              std::size_t{63}, std::size_t{64}, std::size_t{65}, limit, limit + 1}) {
            INFO(wire_name(cipher) << " key " << key_size << " plaintext " << size);
            const Bytes plaintext = random.bytes(size);
            const Bytes frame = aead.seal(plaintext, random);
            std::size_t refused = 0;
            for (std::size_t bit = 0; bit < frame.size() * 8; ++bit) {
                Bytes bad = frame;
                bad[bit / 8] ^= static_cast<std::uint8_t>(1U << (bit % 8));
                const std::string binary = outcome([&] { (void)aead.open(bad); });
                const std::string text = outcome([&] { (void)aead.open_text(bad); });
                if (binary == "decryption_failed" && text == "decryption_failed")
                    ++refused;
                else
                    FAIL_CHECK("bit " << bit << ": open " << binary << ", open_text " << text);
            }
            CHECK(refused == frame.size() * 8);
            CHECK(aead.open(frame) == plaintext);
        }
    }
}
