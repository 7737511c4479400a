#pragma once
// The password handshake of protocol.md A.12.4 (poorman_handshake `PasswordHandShake`): each side
// sends an "hsub" proof that it knows the password, both derive the same salt from the two IVs
// and the same PBKDF2 key, and the key itself never crosses the wire. Unlike the reference master,
// both of our sides verify the peer's proof (A.12.4 "Who verifies what").

#include "hivescope/protocol/bytes.hpp"
#include "hivescope/protocol/random.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace hivescope::protocol {

class KeyDerivationCache;

/// Bytes of IV each side draws per handshake.
inline constexpr std::size_t password_iv_size = 8;
/// Hex characters of the envelope a side emits (IV plus the first 16 digest bytes).
inline constexpr std::size_t password_envelope_chars = 48;
/// Shortest envelope `verify_envelope` accepts (the reference's Type-I lower bound).
inline constexpr std::size_t password_envelope_min_chars = 48;
/// Longest envelope `verify_envelope` accepts (all of IV ‖ SHA-256).
inline constexpr std::size_t password_envelope_max_chars = 80;
/// PBKDF2 iteration count of the reference.
inline constexpr unsigned password_kdf_iterations = 100000;
/// Bytes of key the password handshake yields (AES-256-GCM or ChaCha20-Poly1305).
inline constexpr std::size_t password_key_size = 32;

// --- The reference hsub helpers (poorman_handshake.symmetric.utils), kept with the reference's
// --- semantics so the `hsub` vectors can be checked one to one.

/// `create_hsub(text, iv, hsublen)`: the first `hsub_len` characters of hex(iv ‖ SHA-256(iv ‖
/// text)); like a Python slice, a length past the end yields the whole string.
[[nodiscard]] std::string create_hsub(std::string_view text, ByteView iv,
                                      std::size_t hsub_len = password_envelope_chars);
/// `match_hsub(hsub, subject)`: false unless 48 ≤ length ≤ 80 and recomputing with the hsub's IV
/// at the same length reproduces it exactly (so upper-case hex never matches).
[[nodiscard]] bool match_hsub(std::string_view hsub, std::string_view subject);
/// `iv_from_hsub(hsub, digits)`: the IV decoded from the first `digits` hex characters, or
/// nullopt where the reference returns False (too short, odd, or not hex).
[[nodiscard]] std::optional<Bytes> iv_from_hsub(std::string_view hsub, std::size_t digits = 16);

// --- Protocol-level names for the same operations.

/// The envelope a side sends: create_hsub(password, iv8, 48). Throws
/// ProtocolError(invalid_argument) unless `iv8` is 8 bytes.
[[nodiscard]] std::string create_envelope(std::string_view password, ByteView iv8);
/// Whether `envelope` proves knowledge of `password` (A.12.4 `verify(e)`).
[[nodiscard]] bool verify_envelope(std::string_view password, std::string_view envelope);
/// `iv_client XOR iv_server`; both sides compute the same salt. Throws
/// ProtocolError(invalid_argument) when the lengths differ.
[[nodiscard]] Bytes derive_salt(ByteView iv_client, ByteView iv_server);
/// PBKDF2-HMAC-SHA256(utf8(password), salt, 100000 iterations, 32 bytes). Takes tens of
/// milliseconds by design. Throws ProtocolError(crypto_error) if OpenSSL fails.
[[nodiscard]] Bytes derive_key(std::string_view password, ByteView salt);
/// As derive_key with an explicit iteration count (at least 1), for simulated hives only:
/// lowering it is a deliberate, visible choice that real links never make.
[[nodiscard]] Bytes derive_key(std::string_view password, ByteView salt, unsigned iterations);

/// One side (master or satellite: the steps are symmetric) of a password handshake.
/// Usage: `start()` → send the envelope; `receive_and_verify(peer)` → `secret()` is the link key.
class PasswordHandshake {
  public:
    /// `iterations` is the PBKDF2 count; anything but the default is for simulated hives only.
    explicit PasswordHandshake(std::string password, unsigned iterations = password_kdf_iterations);

    /// Draws this side's 8-byte IV from `random` and returns the envelope to send. Calling it
    /// again restarts the handshake with a fresh IV (a re-key, A.12.7).
    [[nodiscard]] std::string start(RandomSource& random);
    /// Verifies the peer's envelope, then derives salt and key. Throws ProtocolError(auth_failed)
    /// (detail starting "handshake failed", the B.14 reason) when the proof does not verify,
    /// and ProtocolError(invalid_argument) if `start` was not called first.
    void receive_and_verify(std::string_view peer_envelope);
    /// The reference master's path (A.12.4, A.13 trap 15): derive the key from the peer's IV
    /// without checking its proof. Only for simulating the baseline; our nodes never call it.
    /// Throws ProtocolError(auth_failed) if the envelope has no decodable IV.
    void receive_without_verifying(std::string_view peer_envelope);

    /// Whether a key has been derived.
    [[nodiscard]] bool complete() const noexcept { return !key_.empty(); }
    /// The derived 32-byte key; throws ProtocolError(invalid_argument) before completion.
    [[nodiscard]] const Bytes& secret() const;
    /// This side's IV (empty before `start`).
    [[nodiscard]] const Bytes& iv() const noexcept { return iv_; }
    /// The salt both sides share (empty before completion).
    [[nodiscard]] const Bytes& salt() const noexcept { return salt_; }
    /// Derive through `cache` (a simulated hive's shared memo) instead of directly; null
    /// derives directly. The key is the same either way.
    void use_cache(KeyDerivationCache* cache) noexcept { cache_ = cache; }

  private:
    void derive_from(std::string_view peer_envelope);

    std::string password_;
    unsigned iterations_ = password_kdf_iterations;
    Bytes iv_;
    Bytes salt_;
    Bytes key_;
    KeyDerivationCache* cache_ = nullptr;
};

} // namespace hivescope::protocol
