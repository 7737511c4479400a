#pragma once
// The legacy RSA handshake of protocol.md A.12.5 (poorman_handshake `HalfHandShake`), the RSA
// keys it runs on, and its two primitives: RSA-OAEP (SHA-1 / MGF1-SHA-1, empty label) for the
// secret and RSA-PSS (SHA-256 / MGF1-SHA-256, 32-byte salt) for the master's signature.
//
// Keys are value types over OpenSSL EVP_PKEYs. Their PEM text matches pycryptodome's
// `export_key()` byte for byte (A.13 trap 3), because Python peers compare key text.
//
// Randomness: the handshake secret, the OAEP seed and the PSS salt are all drawn from the caller's
// RandomSource (the padding is encoded here, the RSA exponentiation is OpenSSL's), so a seeded
// simulation replays the same envelopes. Key generation runs OpenSSL's own RSA key generation in
// a private library context whose DRBGs read from the RandomSource, so the same seed gives the
// same key — with the same OpenSSL version: a different OpenSSL may consume the stream
// differently. Decryption and verification need no randomness (OpenSSL's blinding uses its own).

#include "hivescope/protocol/bytes.hpp"
#include "hivescope/protocol/random.hpp"

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

struct evp_pkey_st;

namespace hivescope::protocol {

namespace detail {
/// Releases an EVP_PKEY reference.
struct PkeyFree {
    void operator()(evp_pkey_st* key) const noexcept;
};
/// A counted reference to an EVP_PKEY that is never mutated after creation, so copies share it.
class PkeyRef {
  public:
    PkeyRef() = default;
    /// Takes ownership of one reference.
    explicit PkeyRef(evp_pkey_st* owned) noexcept : key_(owned) {}
    PkeyRef(const PkeyRef& other);
    PkeyRef& operator=(const PkeyRef& other);
    PkeyRef(PkeyRef&&) noexcept = default;
    PkeyRef& operator=(PkeyRef&&) noexcept = default;
    ~PkeyRef() = default;
    [[nodiscard]] evp_pkey_st* get() const noexcept { return key_.get(); }

  private:
    std::unique_ptr<evp_pkey_st, PkeyFree> key_;
};
} // namespace detail

/// Modulus size of the keys the protocol uses.
inline constexpr std::size_t rsa_default_bits = 2048;
/// Bytes of the secret the master draws; it becomes the link key.
inline constexpr std::size_t rsa_secret_size = 32;
/// Bytes of OAEP seed (the SHA-1 digest size).
inline constexpr std::size_t rsa_oaep_seed_size = 20;
/// Bytes of PSS salt (pycryptodome's default: the SHA-256 digest size).
inline constexpr std::size_t rsa_pss_salt_size = 32;

/// An RSA public key.
class RsaPublicKey {
  public:
    /// Imports SubjectPublicKeyInfo (`-----BEGIN PUBLIC KEY-----`, what pycryptodome and our
    /// HELLO carry) or PKCS#1 (`-----BEGIN RSA PUBLIC KEY-----`) PEM; a private-key PEM yields its
    /// public half. A trailing newline is optional. Throws ProtocolError(bad_key) for anything
    /// else, including non-RSA keys and moduli outside 1024..8192 bits.
    [[nodiscard]] static RsaPublicKey from_pem(std::string_view pem);
    /// SubjectPublicKeyInfo PEM as pycryptodome writes it: 64-character lines, LF, no trailing
    /// newline.
    [[nodiscard]] std::string to_pem() const;
    /// SubjectPublicKeyInfo DER.
    [[nodiscard]] Bytes to_der() const;
    /// Modulus length in bytes (256 for RSA-2048): the size of a ciphertext or signature.
    [[nodiscard]] std::size_t size_in_bytes() const noexcept;
    /// Modulus length in bits.
    [[nodiscard]] std::size_t bits() const noexcept;
    /// The underlying EVP_PKEY, borrowed, for OpenSSL calls.
    [[nodiscard]] evp_pkey_st* native() const noexcept { return key_.get(); }

    /// Same modulus and exponent.
    friend bool operator==(const RsaPublicKey& a, const RsaPublicKey& b);

  private:
    explicit RsaPublicKey(detail::PkeyRef key) : key_(std::move(key)) {}
    friend class RsaKeyPair;

    detail::PkeyRef key_;
};

/// An RSA private key with its public half.
class RsaKeyPair {
  public:
    /// A fresh key pair whose every random bit comes from `random` (see the file comment):
    /// same seed ⇒ same key. `bits` must be 1024..4096 and a multiple of 8. Slow by nature:
    /// around 100 ms for 2048 bits, with a wide spread. Errors: ProtocolError(invalid_argument)
    /// for `bits`, whatever `random` throws, ProtocolError(crypto_error) if OpenSSL fails.
    [[nodiscard]] static RsaKeyPair generate(RandomSource& random,
                                             std::size_t bits = rsa_default_bits);
    /// Imports a PKCS#1 (`-----BEGIN RSA PRIVATE KEY-----`, pycryptodome's default, as in the
    /// vectors) or unencrypted PKCS#8 (`-----BEGIN PRIVATE KEY-----`) PEM. Throws
    /// ProtocolError(bad_key) for anything else, including encrypted keys.
    [[nodiscard]] static RsaKeyPair from_pem(std::string_view pem);
    /// PKCS#1 PEM as pycryptodome's `export_key()` writes it (64-character lines, LF, no
    /// trailing newline).
    [[nodiscard]] std::string to_pem() const;
    /// Unencrypted PKCS#8 PEM, same line rules.
    [[nodiscard]] std::string to_pkcs8_pem() const;
    /// The public half.
    [[nodiscard]] RsaPublicKey public_key() const;
    /// The public half as SubjectPublicKeyInfo PEM (the HELLO `pubkey` text).
    [[nodiscard]] std::string public_pem() const { return public_key().to_pem(); }
    /// Modulus length in bytes.
    [[nodiscard]] std::size_t size_in_bytes() const noexcept;
    /// Modulus length in bits.
    [[nodiscard]] std::size_t bits() const noexcept;
    /// The underlying EVP_PKEY, borrowed, for OpenSSL calls.
    [[nodiscard]] evp_pkey_st* native() const noexcept { return key_.get(); }

  private:
    explicit RsaKeyPair(detail::PkeyRef key) : key_(std::move(key)) {}

    detail::PkeyRef key_;
};

// --- Primitives (poorman_handshake.asymmetric.utils) -------------------------------------------

/// RSA-OAEP (SHA-1, MGF1-SHA-1, empty label) with a 20-byte seed drawn from `random`. Throws
/// ProtocolError(invalid_argument) when the plaintext exceeds size_in_bytes() − 42 bytes.
[[nodiscard]] Bytes rsa_oaep_encrypt(const RsaPublicKey& key, ByteView plaintext,
                                     RandomSource& random);
/// As rsa_oaep_encrypt with the OAEP seed given (20 bytes), for replaying recorded ciphertexts.
[[nodiscard]] Bytes rsa_oaep_encrypt_with_seed(const RsaPublicKey& key, ByteView plaintext,
                                               ByteView seed);
/// Decrypts RSA-OAEP (SHA-1). Throws ProtocolError(decryption_failed) when the ciphertext is not
/// exactly size_in_bytes() long or does not decode.
[[nodiscard]] Bytes rsa_oaep_decrypt(const RsaKeyPair& key, ByteView ciphertext);
/// RSA-PSS signature over SHA-256(message) (MGF1-SHA-256) with a 32-byte salt from `random`.
[[nodiscard]] Bytes rsa_pss_sign(const RsaKeyPair& key, ByteView message, RandomSource& random);
/// As rsa_pss_sign with the salt given (32 bytes), for replaying recorded signatures.
[[nodiscard]] Bytes rsa_pss_sign_with_salt(const RsaKeyPair& key, ByteView message, ByteView salt);
/// Whether `signature` is a valid RSA-PSS (SHA-256, salt 32) signature of `message`. A signature
/// of the wrong length is invalid, as in pycryptodome.
[[nodiscard]] bool rsa_pss_verify(const RsaPublicKey& key, ByteView message, ByteView signature);

// --- The handshake (A.12.5) ---------------------------------------------------------------------

/// What the master sends in its `shake` response and what it keeps.
struct RsaHandshakeOffer {
    std::string envelope; ///< hex(signature ‖ OAEP ciphertext), 1024 characters for RSA-2048
    Bytes secret;         ///< the 32-byte link key
};

/// Master side: secret = 32 bytes, ct = OAEP(client, secret), sig = PSS(master, ct). Draws, in
/// this order, the secret (32 bytes), the OAEP seed (20) and the PSS salt (32) from `random`.
[[nodiscard]] RsaHandshakeOffer
rsa_master_handshake(const RsaKeyPair& master, const RsaPublicKey& client, RandomSource& random);

/// Satellite side, with HalfHandShake semantics: the envelope is split at the satellite's own
/// key size, the signature is verified against the master's HELLO key, the ciphertext is
/// OAEP-decrypted, and the decrypted secret (32 bytes) is the link key. Every failure (not hex,
/// wrong length, key sizes that differ, bad signature, undecryptable or wrong-size secret) throws
/// ProtocolError(auth_failed) with a detail starting "handshake failed" (the B.14 reason).
[[nodiscard]] Bytes rsa_satellite_receive(const RsaKeyPair& satellite, const RsaPublicKey& master,
                                          std::string_view envelope);

/// poorman `HandShake.verify(shake, pub)`: whether the signature, split at the sender's key
/// size, verifies. False (never a throw) for malformed envelopes.
[[nodiscard]] bool rsa_envelope_verifies(const RsaPublicKey& sender, std::string_view envelope);

/// The legacy full `HandShake.receive_handshake` (A.12.5, A.13 trap 16), kept so the
/// `rsa/full_handshake_xor` vector is checked: the decrypted secret XOR the receiver's own
/// secret (as Python's zip, the result has the shorter length). It does not verify; the 0.4.3
/// client's RSA mode cannot agree on a key this way, so our nodes never use it. Throws
/// ProtocolError(auth_failed) on a malformed or undecryptable envelope.
[[nodiscard]] Bytes rsa_full_handshake_xor(const RsaKeyPair& receiver, ByteView own_secret,
                                           std::string_view envelope);

} // namespace hivescope::protocol
