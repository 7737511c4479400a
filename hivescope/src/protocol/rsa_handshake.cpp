#include "hivescope/protocol/rsa_handshake.hpp"

#include "hivescope/protocol/error.hpp"
#include "protocol/detail/seeded_lib_ctx.hpp"

#include <openssl/core_names.h>
#include <openssl/decoder.h>
#include <openssl/encoder.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

namespace hivescope::protocol {

namespace detail {

void PkeyFree::operator()(evp_pkey_st* key) const noexcept {
    EVP_PKEY_free(key);
}

PkeyRef::PkeyRef(const PkeyRef& other) {
    if (other.key_ && EVP_PKEY_up_ref(other.key_.get()) != 1)
        throw ProtocolError(ErrorCode::crypto_error, "EVP_PKEY_up_ref failed");
    key_.reset(other.key_.get());
}

PkeyRef& PkeyRef::operator=(const PkeyRef& other) {
    if (this != &other) {
        PkeyRef copy(other);
        *this = std::move(copy);
    }
    return *this;
}

} // namespace detail

namespace {

constexpr std::string_view handshake_failed = "handshake failed";
/// Bounds on imported keys: below 1024 bits is broken, above 8192 only costs CPU.
constexpr int min_import_bits = 1024;
constexpr int max_import_bits = 8192;
/// PEM longer than this is not an RSA key of an allowed size.
constexpr std::size_t max_pem_chars = 64 * 1024;
constexpr std::size_t sha1_size = 20;
constexpr std::size_t sha256_size = 32;

struct PkeyCtxFree {
    void operator()(EVP_PKEY_CTX* ctx) const noexcept { EVP_PKEY_CTX_free(ctx); }
};
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree>;
struct EncoderCtxFree {
    void operator()(OSSL_ENCODER_CTX* ctx) const noexcept { OSSL_ENCODER_CTX_free(ctx); }
};
struct DecoderCtxFree {
    void operator()(OSSL_DECODER_CTX* ctx) const noexcept { OSSL_DECODER_CTX_free(ctx); }
};
struct OpensslFree {
    void operator()(unsigned char* data) const noexcept { OPENSSL_free(data); }
};

/// The OpenSSL error queue's first entry as text (and the queue emptied), for messages.
std::string openssl_reason() {
    const unsigned long code = ERR_get_error();
    ERR_clear_error();
    if (code == 0)
        return "no OpenSSL detail";
    char text[256];
    ERR_error_string_n(code, text, sizeof text);
    return text;
}

[[noreturn]] void crypto_failure(const std::string& what) {
    throw ProtocolError(ErrorCode::crypto_error, what + " failed (" + openssl_reason() + ")");
}

[[noreturn]] void refuse(const std::string& why) {
    throw ProtocolError(ErrorCode::auth_failed, std::string(handshake_failed) + ": " + why);
}

Bytes digest(const EVP_MD* md, ByteView first, ByteView second = {}) {
    struct MdCtxFree {
        void operator()(EVP_MD_CTX* ctx) const noexcept { EVP_MD_CTX_free(ctx); }
    };
    std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
    Bytes out(EVP_MAX_MD_SIZE);
    unsigned int length = 0;
    if (!ctx || EVP_DigestInit_ex(ctx.get(), md, nullptr) != 1 ||
        EVP_DigestUpdate(ctx.get(), first.data(), first.size()) != 1 ||
        EVP_DigestUpdate(ctx.get(), second.data(), second.size()) != 1 ||
        EVP_DigestFinal_ex(ctx.get(), out.data(), &length) != 1)
        crypto_failure("message digest");
    out.resize(length);
    return out;
}

/// MGF1 (RFC 8017 B.2.1) over `md`: Hash(seed ‖ counter) blocks, truncated to `length`.
Bytes mgf1(const EVP_MD* md, ByteView seed, std::size_t length) {
    Bytes mask;
    mask.reserve(length + EVP_MAX_MD_SIZE);
    for (std::uint32_t counter = 0; mask.size() < length; ++counter) {
        const std::uint8_t c[4] = {
            static_cast<std::uint8_t>(counter >> 24), static_cast<std::uint8_t>(counter >> 16),
            static_cast<std::uint8_t>(counter >> 8), static_cast<std::uint8_t>(counter)};
        const Bytes block = digest(md, seed, c);
        mask.insert(mask.end(), block.begin(), block.end());
    }
    mask.resize(length);
    return mask;
}

void xor_into(Bytes& target, ByteView mask) {
    for (std::size_t i = 0; i < target.size(); ++i)
        target[i] ^= mask[i];
}

PkeyCtxPtr key_ctx(evp_pkey_st* key) {
    PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
    if (!ctx)
        crypto_failure("EVP_PKEY_CTX_new_from_pkey");
    return ctx;
}

/// One unpadded RSA operation on a block of exactly the modulus size: `init` then `apply` (the
/// EVP_PKEY encrypt or decrypt pair), failures named after `what`.
Bytes raw_rsa(evp_pkey_st* key, ByteView block, int (*init)(EVP_PKEY_CTX*),
              int (*apply)(EVP_PKEY_CTX*, unsigned char*, std::size_t*, const unsigned char*,
                           std::size_t),
              const std::string& what) {
    PkeyCtxPtr ctx = key_ctx(key);
    std::size_t length = 0;
    if (init(ctx.get()) != 1 || EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_NO_PADDING) != 1 ||
        apply(ctx.get(), nullptr, &length, block.data(), block.size()) != 1)
        crypto_failure(what + " setup");
    Bytes out(length);
    if (apply(ctx.get(), out.data(), &length, block.data(), block.size()) != 1)
        crypto_failure(what);
    out.resize(length);
    return out;
}

/// x^e mod n on a block of exactly the modulus size.
Bytes raw_public(evp_pkey_st* key, ByteView block) {
    return raw_rsa(key, block, EVP_PKEY_encrypt_init, EVP_PKEY_encrypt, "RSA public operation");
}

/// x^d mod n on a block of exactly the modulus size (OpenSSL blinds it).
Bytes raw_private(evp_pkey_st* key, ByteView block) {
    return raw_rsa(key, block, EVP_PKEY_decrypt_init, EVP_PKEY_decrypt, "RSA private operation");
}

/// PEM (or DER) text of `key` in the given OSSL_ENCODER output structure.
std::string encode_key(evp_pkey_st* key, int selection, const char* format, const char* structure) {
    std::unique_ptr<OSSL_ENCODER_CTX, EncoderCtxFree> ctx(
        OSSL_ENCODER_CTX_new_for_pkey(key, selection, format, structure, nullptr));
    if (!ctx || OSSL_ENCODER_CTX_get_num_encoders(ctx.get()) == 0)
        crypto_failure(std::string("finding a ") + format + " " + structure + " encoder");
    unsigned char* data = nullptr;
    std::size_t length = 0;
    if (OSSL_ENCODER_to_data(ctx.get(), &data, &length) != 1)
        crypto_failure(std::string("encoding ") + structure);
    std::unique_ptr<unsigned char, OpensslFree> owned(data);
    return std::string(reinterpret_cast<const char*>(data), length);
}

/// pycryptodome ends PEM at the END line; OpenSSL adds a newline.
std::string pycryptodome_pem(std::string pem) {
    while (!pem.empty() && (pem.back() == '\n' || pem.back() == '\r'))
        pem.pop_back();
    return pem;
}

/// Decodes PEM or DER into an RSA EVP_PKEY with at least `selection`; nullptr-free result or a
/// ProtocolError(bad_key) naming `what`.
detail::PkeyRef decode_key(ByteView input, const char* format, int selection, const char* what) {
    EVP_PKEY* key = nullptr;
    std::unique_ptr<OSSL_DECODER_CTX, DecoderCtxFree> ctx(
        OSSL_DECODER_CTX_new_for_pkey(&key, format, nullptr, "RSA", selection, nullptr, nullptr));
    if (!ctx)
        crypto_failure("OSSL_DECODER_CTX_new_for_pkey");
    // An empty passphrase makes encrypted PEM fail cleanly instead of prompting on a terminal.
    OSSL_DECODER_CTX_set_passphrase(ctx.get(), reinterpret_cast<const unsigned char*>(""), 0);
    const unsigned char* data = input.data();
    std::size_t length = input.size();
    const int decoded = OSSL_DECODER_from_data(ctx.get(), &data, &length);
    detail::PkeyRef owned(key);
    if (decoded != 1 || key == nullptr) {
        ERR_clear_error();
        throw ProtocolError(ErrorCode::bad_key, std::string("not a usable ") + what);
    }
    if (EVP_PKEY_is_a(key, "RSA") != 1)
        throw ProtocolError(ErrorCode::bad_key, std::string(what) + " is not an RSA key");
    const int bits = EVP_PKEY_get_bits(key);
    if (bits < min_import_bits || bits > max_import_bits)
        throw ProtocolError(ErrorCode::bad_key, std::string(what) + " has a " +
                                                    std::to_string(bits) +
                                                    "-bit modulus; 1024 to 8192 are accepted");
    return owned;
}

detail::PkeyRef decode_pem(std::string_view pem, int selection, const char* what) {
    if (pem.size() > max_pem_chars)
        throw ProtocolError(ErrorCode::bad_key, std::string(what) + " PEM of " +
                                                    std::to_string(pem.size()) +
                                                    " characters is too long");
    if (pem.find("-----BEGIN") == std::string_view::npos)
        throw ProtocolError(ErrorCode::bad_key, std::string(what) + " is not PEM text");
    std::string text(pem);
    text.push_back('\n'); // pycryptodome's PEM has no final newline
    return decode_key(as_bytes(text), "PEM", selection, what);
}

std::size_t modulus_bytes(evp_pkey_st* key) noexcept {
    return key == nullptr ? 0 : static_cast<std::size_t>(EVP_PKEY_get_size(key));
}

/// Hex-decodes an envelope into signature and ciphertext halves of `half` bytes each.
struct EnvelopeParts {
    Bytes signature;
    Bytes ciphertext;
};

EnvelopeParts split_envelope(std::string_view envelope, std::size_t half) {
    if (envelope.size() != 4 * half)
        refuse("RSA envelope has " + std::to_string(envelope.size()) + " hex characters, " +
               std::to_string(4 * half) + " expected for " + std::to_string(8 * half) +
               "-bit keys");
    Bytes raw;
    try {
        raw = hex_decode(envelope);
    } catch (const ProtocolError&) {
        refuse("RSA envelope is not hex");
    }
    EnvelopeParts parts;
    parts.signature.assign(raw.begin(), raw.begin() + static_cast<std::ptrdiff_t>(half));
    parts.ciphertext.assign(raw.begin() + static_cast<std::ptrdiff_t>(half), raw.end());
    return parts;
}

} // namespace

// --- RsaPublicKey -------------------------------------------------------------------------------

RsaPublicKey RsaPublicKey::from_pem(std::string_view pem) {
    detail::PkeyRef parsed;
    try {
        parsed = decode_pem(pem, EVP_PKEY_PUBLIC_KEY, "RSA public key");
    } catch (const ProtocolError& error) {
        // OpenSSL's public-key decoders skip private-key PEM; pycryptodome accepts it.
        if (error.code() != ErrorCode::bad_key || pem.find("PRIVATE KEY-----") == pem.npos)
            throw;
        parsed = decode_pem(pem, EVP_PKEY_KEYPAIR, "RSA public key");
    }
    // Re-import the SubjectPublicKeyInfo so a public key never carries private parts, even when
    // it was read from a private-key PEM.
    const std::string der =
        encode_key(parsed.get(), EVP_PKEY_PUBLIC_KEY, "DER", "SubjectPublicKeyInfo");
    return RsaPublicKey(decode_key(as_bytes(der), "DER", EVP_PKEY_PUBLIC_KEY, "RSA public key"));
}

std::string RsaPublicKey::to_pem() const {
    return pycryptodome_pem(
        encode_key(key_.get(), EVP_PKEY_PUBLIC_KEY, "PEM", "SubjectPublicKeyInfo"));
}

Bytes RsaPublicKey::to_der() const {
    return to_bytes(encode_key(key_.get(), EVP_PKEY_PUBLIC_KEY, "DER", "SubjectPublicKeyInfo"));
}

std::size_t RsaPublicKey::size_in_bytes() const noexcept {
    return modulus_bytes(key_.get());
}

std::size_t RsaPublicKey::bits() const noexcept {
    return key_.get() == nullptr ? 0 : static_cast<std::size_t>(EVP_PKEY_get_bits(key_.get()));
}

bool operator==(const RsaPublicKey& a, const RsaPublicKey& b) {
    return EVP_PKEY_eq(a.key_.get(), b.key_.get()) == 1;
}

// --- RsaKeyPair ---------------------------------------------------------------------------------

RsaKeyPair RsaKeyPair::generate(RandomSource& random, std::size_t bits) {
    if (bits < 1024 || bits > 4096 || bits % 8 != 0)
        throw ProtocolError(ErrorCode::invalid_argument,
                            "RSA key size must be 1024..4096 bits in whole bytes, got " +
                                std::to_string(bits));
    detail::SeededLibCtx seeded;
    const std::string pem = seeded.run(random, [bits](OSSL_LIB_CTX* ctx) {
        PkeyCtxPtr gen(EVP_PKEY_CTX_new_from_name(ctx, "RSA", nullptr));
        if (!gen || EVP_PKEY_keygen_init(gen.get()) != 1 ||
            EVP_PKEY_CTX_set_rsa_keygen_bits(gen.get(), static_cast<int>(bits)) != 1)
            crypto_failure("RSA key generation setup");
        EVP_PKEY* raw = nullptr;
        if (EVP_PKEY_generate(gen.get(), &raw) != 1)
            crypto_failure("RSA key generation");
        detail::PkeyRef key(raw);
        return encode_key(key.get(), EVP_PKEY_KEYPAIR, "PEM", "type-specific");
    });
    // Re-imported into the default context: the key must outlive the private one.
    return RsaKeyPair::from_pem(pem);
}

RsaKeyPair RsaKeyPair::from_pem(std::string_view pem) {
    detail::PkeyRef key = decode_pem(pem, EVP_PKEY_KEYPAIR, "RSA private key");
    // A decoder may hand back a public-only key when asked for a key pair; refuse that here.
    BIGNUM* d = nullptr;
    if (EVP_PKEY_get_bn_param(key.get(), OSSL_PKEY_PARAM_RSA_D, &d) != 1 || d == nullptr) {
        ERR_clear_error();
        throw ProtocolError(ErrorCode::bad_key, "RSA private key PEM has no private exponent");
    }
    BN_clear_free(d);
    return RsaKeyPair(std::move(key));
}

std::string RsaKeyPair::to_pem() const {
    return pycryptodome_pem(encode_key(key_.get(), EVP_PKEY_KEYPAIR, "PEM", "type-specific"));
}

std::string RsaKeyPair::to_pkcs8_pem() const {
    return pycryptodome_pem(encode_key(key_.get(), EVP_PKEY_KEYPAIR, "PEM", "PrivateKeyInfo"));
}

RsaPublicKey RsaKeyPair::public_key() const {
    const std::string der =
        encode_key(key_.get(), EVP_PKEY_PUBLIC_KEY, "DER", "SubjectPublicKeyInfo");
    return RsaPublicKey(decode_key(as_bytes(der), "DER", EVP_PKEY_PUBLIC_KEY, "RSA public key"));
}

std::size_t RsaKeyPair::size_in_bytes() const noexcept {
    return modulus_bytes(key_.get());
}

std::size_t RsaKeyPair::bits() const noexcept {
    return key_.get() == nullptr ? 0 : static_cast<std::size_t>(EVP_PKEY_get_bits(key_.get()));
}

// --- Primitives ---------------------------------------------------------------------------------

Bytes rsa_oaep_encrypt(const RsaPublicKey& key, ByteView plaintext, RandomSource& random) {
    const Bytes seed = random.bytes(rsa_oaep_seed_size);
    return rsa_oaep_encrypt_with_seed(key, plaintext, seed);
}

// EME-OAEP encoding, RFC 8017 7.1.1, with SHA-1 for both the label hash and MGF1.
Bytes rsa_oaep_encrypt_with_seed(const RsaPublicKey& key, ByteView plaintext, ByteView seed) {
    if (seed.size() != sha1_size)
        throw ProtocolError(ErrorCode::invalid_argument,
                            "OAEP seed must be 20 bytes, got " + std::to_string(seed.size()));
    const std::size_t k = key.size_in_bytes();
    if (k < 2 * sha1_size + 2 || plaintext.size() > k - 2 * sha1_size - 2)
        throw ProtocolError(ErrorCode::invalid_argument,
                            "OAEP plaintext of " + std::to_string(plaintext.size()) +
                                " bytes is too long for a " + std::to_string(8 * k) + "-bit key");
    // DB = SHA-1("") ‖ zeros ‖ 0x01 ‖ M
    Bytes db = digest(EVP_sha1(), {});
    db.resize(k - sha1_size - 1 - plaintext.size() - 1, 0);
    db.push_back(0x01);
    db.insert(db.end(), plaintext.begin(), plaintext.end());
    xor_into(db, mgf1(EVP_sha1(), seed, db.size()));
    Bytes masked_seed(seed.begin(), seed.end());
    xor_into(masked_seed, mgf1(EVP_sha1(), db, sha1_size));
    Bytes em;
    em.reserve(k);
    em.push_back(0x00);
    em.insert(em.end(), masked_seed.begin(), masked_seed.end());
    em.insert(em.end(), db.begin(), db.end());
    return raw_public(key.native(), em);
}

Bytes rsa_oaep_decrypt(const RsaKeyPair& key, ByteView ciphertext) {
    const std::size_t k = key.size_in_bytes();
    if (ciphertext.size() != k)
        throw ProtocolError(ErrorCode::decryption_failed,
                            "OAEP ciphertext has " + std::to_string(ciphertext.size()) +
                                " bytes, " + std::to_string(k) + " expected");
    PkeyCtxPtr ctx = key_ctx(key.native());
    if (EVP_PKEY_decrypt_init(ctx.get()) != 1 ||
        EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_OAEP_PADDING) != 1 ||
        EVP_PKEY_CTX_set_rsa_oaep_md(ctx.get(), EVP_sha1()) != 1 ||
        EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), EVP_sha1()) != 1)
        crypto_failure("RSA-OAEP setup");
    Bytes out(k);
    std::size_t length = out.size();
    if (EVP_PKEY_decrypt(ctx.get(), out.data(), &length, ciphertext.data(), ciphertext.size()) !=
        1) {
        ERR_clear_error();
        throw ProtocolError(ErrorCode::decryption_failed, "RSA-OAEP decryption failed");
    }
    out.resize(length);
    return out;
}

Bytes rsa_pss_sign(const RsaKeyPair& key, ByteView message, RandomSource& random) {
    const Bytes salt = random.bytes(rsa_pss_salt_size);
    return rsa_pss_sign_with_salt(key, message, salt);
}

// EMSA-PSS encoding, RFC 8017 9.1.1, SHA-256 and MGF1-SHA-256, then the raw private operation.
Bytes rsa_pss_sign_with_salt(const RsaKeyPair& key, ByteView message, ByteView salt) {
    if (salt.size() != rsa_pss_salt_size)
        throw ProtocolError(ErrorCode::invalid_argument,
                            "PSS salt must be 32 bytes, got " + std::to_string(salt.size()));
    const std::size_t k = key.size_in_bytes();
    const std::size_t em_bits = key.bits() - 1;
    const std::size_t em_len = (em_bits + 7) / 8;
    if (em_len < sha256_size + salt.size() + 2)
        throw ProtocolError(ErrorCode::invalid_argument, "RSA key too small for PSS-SHA256");
    const Bytes m_hash = digest(EVP_sha256(), message);
    Bytes m_prime(8, 0);
    m_prime.insert(m_prime.end(), m_hash.begin(), m_hash.end());
    m_prime.insert(m_prime.end(), salt.begin(), salt.end());
    const Bytes h = digest(EVP_sha256(), m_prime);
    // DB = zeros ‖ 0x01 ‖ salt
    Bytes db(em_len - salt.size() - sha256_size - 2, 0);
    db.push_back(0x01);
    db.insert(db.end(), salt.begin(), salt.end());
    xor_into(db, mgf1(EVP_sha256(), h, db.size()));
    db[0] &= static_cast<std::uint8_t>(0xff >> (8 * em_len - em_bits));
    // EM = maskedDB ‖ H ‖ 0xbc, left-padded to the modulus size for the raw operation.
    Bytes block(k - em_len, 0);
    block.insert(block.end(), db.begin(), db.end());
    block.insert(block.end(), h.begin(), h.end());
    block.push_back(0xbc);
    return raw_private(key.native(), block);
}

bool rsa_pss_verify(const RsaPublicKey& key, ByteView message, ByteView signature) {
    if (signature.size() != key.size_in_bytes())
        return false;
    const Bytes m_hash = digest(EVP_sha256(), message);
    PkeyCtxPtr ctx = key_ctx(key.native());
    if (EVP_PKEY_verify_init(ctx.get()) != 1 ||
        EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PSS_PADDING) != 1 ||
        EVP_PKEY_CTX_set_signature_md(ctx.get(), EVP_sha256()) != 1 ||
        EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), EVP_sha256()) != 1 ||
        EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx.get(), static_cast<int>(rsa_pss_salt_size)) != 1)
        crypto_failure("RSA-PSS verification setup");
    const int verdict = EVP_PKEY_verify(ctx.get(), signature.data(), signature.size(),
                                        m_hash.data(), m_hash.size());
    ERR_clear_error();
    return verdict == 1;
}

// --- Handshake ----------------------------------------------------------------------------------

RsaHandshakeOffer rsa_master_handshake(const RsaKeyPair& master, const RsaPublicKey& client,
                                       RandomSource& random) {
    RsaHandshakeOffer offer;
    offer.secret = random.bytes(rsa_secret_size);
    const Bytes ciphertext = rsa_oaep_encrypt(client, offer.secret, random);
    Bytes envelope = rsa_pss_sign(master, ciphertext, random);
    envelope.insert(envelope.end(), ciphertext.begin(), ciphertext.end());
    offer.envelope = hex_encode(envelope);
    return offer;
}

Bytes rsa_satellite_receive(const RsaKeyPair& satellite, const RsaPublicKey& master,
                            std::string_view envelope) {
    const std::size_t own = satellite.size_in_bytes();
    if (master.size_in_bytes() != own)
        refuse("master key is " + std::to_string(master.bits()) + " bits, ours " +
               std::to_string(satellite.bits()) + "; the envelope cannot be split");
    const EnvelopeParts parts = split_envelope(envelope, own);
    if (!rsa_pss_verify(master, parts.ciphertext, parts.signature))
        refuse("RSA envelope signature does not verify against the master's key");
    Bytes secret;
    try {
        secret = rsa_oaep_decrypt(satellite, parts.ciphertext);
    } catch (const ProtocolError& error) {
        refuse(std::string("RSA envelope does not decrypt: ") + error.detail());
    }
    if (secret.size() != rsa_secret_size)
        refuse("RSA handshake secret has " + std::to_string(secret.size()) + " bytes, 32 expected");
    return secret;
}

bool rsa_envelope_verifies(const RsaPublicKey& sender, std::string_view envelope) {
    const std::size_t half = sender.size_in_bytes();
    if (half == 0 || envelope.size() <= 2 * half || envelope.size() % 2 != 0)
        return false;
    Bytes raw;
    try {
        raw = hex_decode(envelope);
    } catch (const ProtocolError&) {
        return false;
    }
    const ByteView all(raw);
    return rsa_pss_verify(sender, all.subspan(half), all.first(half));
}

Bytes rsa_full_handshake_xor(const RsaKeyPair& receiver, ByteView own_secret,
                             std::string_view envelope) {
    const std::size_t own = receiver.size_in_bytes();
    const EnvelopeParts parts = split_envelope(envelope, own);
    Bytes decrypted;
    try {
        decrypted = rsa_oaep_decrypt(receiver, parts.ciphertext);
    } catch (const ProtocolError& error) {
        refuse(std::string("RSA envelope does not decrypt: ") + error.detail());
    }
    const std::size_t n = std::min(decrypted.size(), own_secret.size());
    Bytes secret(n);
    for (std::size_t i = 0; i < n; ++i)
        secret[i] = static_cast<std::uint8_t>(decrypted[i] ^ own_secret[i]);
    return secret;
}

} // namespace hivescope::protocol
