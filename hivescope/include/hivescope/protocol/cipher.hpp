#pragma once
// The two AEAD ciphers of a HiveMind link (protocol.md A.8) and the binary frame layout
// `nonce ‖ ciphertext ‖ tag` (A.9.2). No AAD, no sequence number; every frame draws a fresh
// nonce from the caller's RandomSource.

#include "hivescope/protocol/bytes.hpp"
#include "hivescope/protocol/random.hpp"

#include <array>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace hivescope::protocol {

/// A negotiated cipher, by wire name.
enum class Cipher {
    aes_gcm,           ///< `AES-GCM`: 16/24/32-byte key, 16-byte nonce (GHASH-derived J0)
    chacha20_poly1305, ///< `CHACHA20-POLY1305`: 32-byte key, 12-byte nonce (RFC 8439)
};

/// Every cipher, in the order of the enum.
inline constexpr std::array<Cipher, 2> all_ciphers{Cipher::aes_gcm, Cipher::chacha20_poly1305};

/// The authentication tag length of both ciphers.
inline constexpr std::size_t aead_tag_size = 16;

/// The wire name, e.g. `AES-GCM`.
[[nodiscard]] std::string_view wire_name(Cipher cipher) noexcept;

/// The cipher with this exact (case-sensitive) wire name, or nullopt.
[[nodiscard]] std::optional<Cipher> cipher_from_wire(std::string_view name) noexcept;

/// Like cipher_from_wire but throws ProtocolError(unknown_cipher) naming the text.
[[nodiscard]] Cipher parse_cipher(std::string_view name);

/// Nonce length on the wire: 16 for AES-GCM (not the 96-bit fast path), 12 for ChaCha20.
[[nodiscard]] std::size_t nonce_size(Cipher cipher) noexcept;

/// Whether a key of `size` bytes is usable with the cipher.
[[nodiscard]] bool is_valid_key_size(Cipher cipher, std::size_t size) noexcept;

/// Throws ProtocolError(bad_key) naming the cipher and size when the key is unusable.
void check_key(Cipher cipher, ByteView key);

namespace detail {
/// The longest AES-GCM plaintext an Aead encrypts or decrypts with Nettle; longer frames go
/// through OpenSSL's EVP. Measured at -O2 (Nettle 3.8, OpenSSL 3.0, AES-NI): Nettle saves
/// ~130 ns of per-call overhead but costs ~0.16 ns more per byte, so the two tie somewhere
/// between 800 and 900 bytes depending on key size, direction and run. 768 is at or below the
/// tie in every run: Nettle's side is never measurably slower than OpenSSL would be, and frames
/// of 769 to ~900 bytes give up at most ~20 ns. Declared here so tests can aim at both sides.
inline constexpr std::size_t aes_gcm_nettle_max_plaintext = 768;
} // namespace detail

/// A cipher bound to one key, keyed once per implementation so that per-frame work is only the
/// nonce and the data. AES-GCM frames of up to 768 bytes of plaintext go through Nettle (OpenSSL
/// 3's EVP adds ~130 ns per call, half the cost of a BUS-sized frame); longer ones, and every
/// ChaCha20-Poly1305 frame, through OpenSSL's EVP, which is faster per byte. Each
/// implementation is keyed on the first frame it handles. Copyable (a copy re-keys lazily);
/// not safe to use from two threads at once. The key and Nettle's key schedule are wiped when
/// the object dies.
class Aead {
  public:
    /// Throws ProtocolError(bad_key) for a key of the wrong size, crypto_error if OpenSSL
    /// lacks the cipher.
    Aead(Cipher cipher, ByteView key);
    Aead(const Aead& other);
    Aead& operator=(const Aead& other);
    Aead(Aead&& other) noexcept;
    Aead& operator=(Aead&& other) noexcept;
    ~Aead();

    /// The cipher this object encrypts with.
    [[nodiscard]] Cipher cipher() const noexcept { return cipher_; }
    /// The raw key (for handing the link to another owner; never log it).
    [[nodiscard]] ByteView key() const noexcept;

    /// `nonce ‖ ciphertext ‖ tag` under a nonce drawn from `random`.
    [[nodiscard]] Bytes seal(ByteView plaintext, RandomSource& random);
    /// Same with a caller-chosen nonce (vectors, replays); its size must be nonce_size(cipher)
    /// or ProtocolError(invalid_argument).
    [[nodiscard]] Bytes seal_with_nonce(ByteView plaintext, ByteView nonce);
    /// The size of a sealed frame of `plaintext_size` bytes: nonce, ciphertext and tag.
    [[nodiscard]] std::size_t sealed_size(std::size_t plaintext_size) const noexcept;
    /// As seal, into `frame`, which must hold exactly sealed_size(plaintext.size()) bytes
    /// (else ProtocolError(invalid_argument)): no allocation, for a frame that is encoded at
    /// once (a text envelope).
    void seal_into(ByteView plaintext, RandomSource& random, std::span<std::uint8_t> frame);
    /// The plaintext of a frame; too short or failing the tag is ProtocolError(decryption_failed).
    [[nodiscard]] Bytes open(ByteView frame);
    /// As open, with the plaintext in a string (text envelopes: saves a copy).
    [[nodiscard]] std::string open_text(ByteView frame);

  private:
    template <class Out> Out open_as(ByteView frame);
    void seal_to(ByteView plaintext, ByteView nonce, std::uint8_t* frame);

    struct State;
    Cipher cipher_;
    std::unique_ptr<State> state_;
};

/// One-shot `nonce ‖ ciphertext ‖ tag` with a fresh nonce (bad key: ProtocolError(bad_key)).
[[nodiscard]] Bytes encrypt_bin(Cipher cipher, ByteView key, ByteView plaintext,
                                RandomSource& random);

/// One-shot frame with a given nonce of exactly nonce_size(cipher) bytes.
[[nodiscard]] Bytes encrypt_bin_with_nonce(Cipher cipher, ByteView key, ByteView plaintext,
                                           ByteView nonce);

/// One-shot decryption of `nonce ‖ ciphertext ‖ tag`; throws bad_key or decryption_failed.
[[nodiscard]] Bytes decrypt_bin(Cipher cipher, ByteView key, ByteView frame);

} // namespace hivescope::protocol
