#pragma once
// INTERCOM (protocol.md B.10): a HiveMessage sealed for one node's RSA key and signed by its
// sender, so it can cross any number of relays that can neither read nor forge it. We emit the
// newer line's hybrid form (RSA-OAEP key wrap + AES-256-GCM + RSA-PSS over the ciphertext) and
// also read the classic all-RSA form. The signature is checked before anything is decrypted, so
// an unauthenticated message never reaches the decryptor (fail-closed).

#include "hivescope/protocol/hive_message.hpp"
#include "hivescope/protocol/random.hpp"
#include "hivescope/protocol/rsa_handshake.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hivescope::protocol {

/// Bytes of the fresh AES-256-GCM key each hybrid INTERCOM wraps.
inline constexpr std::size_t intercom_key_size = 32;
/// Bytes of the AES-GCM nonce (the link cipher's 16-byte form, A.8).
inline constexpr std::size_t intercom_nonce_size = 16;

/// Drop reason: `target_pubkey` names another key, or (when absent) the message did not open.
inline constexpr std::string_view intercom_not_for_us = "not for us";
/// Drop reason: no signature, or no candidate key verifies it.
inline constexpr std::string_view intercom_bad_signature = "signature";
/// Drop reason: the signature verified but OAEP, AES-GCM or the inner JSON failed.
inline constexpr std::string_view intercom_decrypt_failed = "decrypt failed";

/// A successfully opened INTERCOM.
struct OpenedIntercom {
    HiveMessage inner;         ///< the decrypted message, to dispatch by its own type
    std::string verifying_pem; ///< the candidate PEM whose key verified the signature
};

/// How an INTERCOM's `target_pubkey` relates to a node's own key.
enum class IntercomAddress : std::uint8_t {
    ours,   ///< it decodes to the node's own key (compared as key material)
    absent, ///< no `target_pubkey`: whoever can open it is the addressee
    other,  ///< another key, or text that is not a public key
};

/// Seals `inner` for `addressee`, signed by `sender`, in the hybrid form: payload
/// `{encrypted_key, ciphertext, tag, nonce, signature}` (standard base64 with `=`), envelope
/// `target_pubkey` = the addressee's PEM. Draws, in order, the AES key (32 bytes), the nonce
/// (16), the OAEP seed (20) and the PSS salt (32) from `random`. Throws
/// ProtocolError(not_serializable) for a BINARY inner message (it has no JSON form).
[[nodiscard]] HiveMessage seal_intercom(const HiveMessage& inner, const RsaPublicKey& addressee,
                                        const RsaKeyPair& sender, RandomSource& random);

/// The classic form the baseline emits (decoded by us, never emitted by our nodes):
/// `{ciphertext: b64(OAEP(addressee, inner JSON)), signature: b64(PSS(sender, OAEP ct))}`.
/// Throws ProtocolError(invalid_argument) when the inner JSON exceeds the OAEP limit (214 bytes
/// for RSA-2048). For tests and for simulating baseline senders.
[[nodiscard]] HiveMessage seal_intercom_classic(const HiveMessage& inner,
                                                const RsaPublicKey& addressee,
                                                const RsaKeyPair& sender, RandomSource& random);

/// Where `intercom`'s `target_pubkey` points, relative to `own`.
[[nodiscard]] IntercomAddress intercom_address(const HiveMessage& intercom, const RsaKeyPair& own);

/// True only when `target_pubkey` decodes to `own`'s key (key material, not text). An absent
/// `target_pubkey` gives false: use intercom_address() to tell "absent" from "other".
[[nodiscard]] bool intercom_addressed_to(const HiveMessage& intercom, const RsaKeyPair& own);

/// Opens an INTERCOM addressed to `own` (B.10 steps 1–3): checks the addressee, verifies the
/// signature against each of `candidate_pems` in order (unparsable PEMs are skipped) BEFORE
/// decrypting, then decrypts (hybrid: OAEP then AES-256-GCM; classic: OAEP) and parses the inner
/// envelope. Returns nullopt with `*failure_reason` set to intercom_not_for_us,
/// intercom_bad_signature or intercom_decrypt_failed. When `target_pubkey` is absent a decryption
/// failure reads as "not for us" (the message was likely sealed for someone else) while a bad
/// signature stays "signature". Never throws on message content.
[[nodiscard]] std::optional<OpenedIntercom>
open_intercom(const HiveMessage& intercom, const RsaKeyPair& own,
              const std::vector<std::string>& candidate_pems,
              std::string* failure_reason = nullptr);

} // namespace hivescope::protocol
