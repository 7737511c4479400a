#include "hivescope/protocol/intercom.hpp"

#include "hivescope/protocol/cipher.hpp"
#include "hivescope/protocol/encoding.hpp"
#include "hivescope/protocol/error.hpp"
#include "hivescope/protocol/json_codec.hpp"

#include <algorithm>

namespace hivescope::protocol {

namespace {

std::string b64(ByteView bytes) {
    return encode(Encoding::json_b64, bytes);
}

/// A base64 string field of the payload, or nullopt when absent, not a string or not base64.
std::optional<Bytes> b64_field(const Json& payload, std::string_view key) {
    const Json* value = payload.find(key);
    if (value == nullptr || !value->is_string())
        return std::nullopt;
    try {
        return decode(Encoding::json_b64, value->as_string());
    } catch (const ProtocolError&) {
        return std::nullopt;
    }
}

std::optional<OpenedIntercom> fail(std::string* reason, std::string_view why) {
    if (reason != nullptr)
        *reason = std::string(why);
    return std::nullopt;
}

/// The first candidate whose key verifies `signature` over `signed_bytes`.
std::optional<std::string> find_signer(const std::vector<std::string>& candidate_pems,
                                       ByteView signed_bytes, ByteView signature) {
    for (const auto& pem : candidate_pems) {
        std::optional<RsaPublicKey> key;
        try {
            key = RsaPublicKey::from_pem(pem);
        } catch (const ProtocolError&) {
            continue; // a broken trusted key must not break the others
        }
        if (rsa_pss_verify(*key, signed_bytes, signature))
            return pem;
    }
    return std::nullopt;
}

/// The inner envelope from decrypted bytes; nullopt if it is not one.
std::optional<HiveMessage> parse_inner(const Bytes& plaintext) {
    try {
        return parse_json_message(to_string(plaintext));
    } catch (const ProtocolError&) {
        return std::nullopt;
    }
}

} // namespace

HiveMessage seal_intercom(const HiveMessage& inner, const RsaPublicKey& addressee,
                          const RsaKeyPair& sender, RandomSource& random) {
    const std::string plaintext = serialize_json(inner);
    const Bytes key = random.bytes(intercom_key_size);
    const Bytes nonce = random.bytes(intercom_nonce_size);
    // encrypt_bin_with_nonce yields nonce ‖ ct ‖ tag; the hybrid form carries the parts apart.
    const Bytes sealed = encrypt_bin_with_nonce(Cipher::aes_gcm, key, as_bytes(plaintext), nonce);
    const ByteView ciphertext =
        ByteView(sealed).subspan(nonce.size(), sealed.size() - nonce.size() - aead_tag_size);
    const ByteView tag = ByteView(sealed).last(aead_tag_size);
    const Bytes encrypted_key = rsa_oaep_encrypt(addressee, key, random);
    const Bytes signature = rsa_pss_sign(sender, ciphertext, random);

    JsonObject payload;
    payload.set("encrypted_key", b64(encrypted_key));
    payload.set("ciphertext", b64(ciphertext));
    payload.set("tag", b64(tag));
    payload.set("nonce", b64(nonce));
    payload.set("signature", b64(signature));
    HiveMessage message(MessageType::intercom, Json(std::move(payload)));
    message.set_target_pubkey(addressee.to_pem());
    return message;
}

HiveMessage seal_intercom_classic(const HiveMessage& inner, const RsaPublicKey& addressee,
                                  const RsaKeyPair& sender, RandomSource& random) {
    const std::string plaintext = serialize_json(inner);
    const Bytes ciphertext = rsa_oaep_encrypt(addressee, as_bytes(plaintext), random);
    const Bytes signature = rsa_pss_sign(sender, ciphertext, random);
    JsonObject payload;
    payload.set("ciphertext", b64(ciphertext));
    payload.set("signature", b64(signature));
    HiveMessage message(MessageType::intercom, Json(std::move(payload)));
    message.set_target_pubkey(addressee.to_pem());
    return message;
}

IntercomAddress intercom_address(const HiveMessage& intercom, const RsaKeyPair& own) {
    const auto& target = intercom.target_pubkey();
    if (!target)
        return IntercomAddress::absent;
    try {
        return RsaPublicKey::from_pem(*target) == own.public_key() ? IntercomAddress::ours
                                                                   : IntercomAddress::other;
    } catch (const ProtocolError&) {
        return IntercomAddress::other;
    }
}

bool intercom_addressed_to(const HiveMessage& intercom, const RsaKeyPair& own) {
    return intercom_address(intercom, own) == IntercomAddress::ours;
}

std::optional<OpenedIntercom> open_intercom(const HiveMessage& intercom, const RsaKeyPair& own,
                                            const std::vector<std::string>& candidate_pems,
                                            std::string* failure_reason) {
    if (intercom.type() != MessageType::intercom ||
        intercom.payload_kind() != HiveMessage::PayloadKind::object)
        return fail(failure_reason, intercom_not_for_us);
    const IntercomAddress address = intercom_address(intercom, own);
    if (address == IntercomAddress::other)
        return fail(failure_reason, intercom_not_for_us);
    // Without an addressee, failing to decrypt means it was sealed for another node.
    const std::string_view undecryptable =
        address == IntercomAddress::absent ? intercom_not_for_us : intercom_decrypt_failed;

    const Json& payload = intercom.payload();
    const auto ciphertext = b64_field(payload, "ciphertext");
    const auto signature = b64_field(payload, "signature");
    // The signature covers the ciphertext, so without both there is nothing to authenticate.
    if (!ciphertext || !signature)
        return fail(failure_reason, intercom_bad_signature);
    auto signer = find_signer(candidate_pems, *ciphertext, *signature);
    if (!signer)
        return fail(failure_reason, intercom_bad_signature);

    Bytes plaintext;
    if (payload.find("encrypted_key") != nullptr) {
        const auto encrypted_key = b64_field(payload, "encrypted_key");
        const auto tag = b64_field(payload, "tag");
        const auto nonce = b64_field(payload, "nonce");
        if (!encrypted_key || !tag || !nonce || tag->size() != aead_tag_size ||
            nonce->size() != intercom_nonce_size)
            return fail(failure_reason, undecryptable);
        try {
            const Bytes key = rsa_oaep_decrypt(own, *encrypted_key);
            if (key.size() != intercom_key_size)
                return fail(failure_reason, undecryptable);
            Bytes frame;
            frame.reserve(nonce->size() + ciphertext->size() + tag->size());
            frame.insert(frame.end(), nonce->begin(), nonce->end());
            frame.insert(frame.end(), ciphertext->begin(), ciphertext->end());
            frame.insert(frame.end(), tag->begin(), tag->end());
            plaintext = decrypt_bin(Cipher::aes_gcm, key, frame);
        } catch (const ProtocolError&) {
            return fail(failure_reason, undecryptable);
        }
    } else {
        try {
            plaintext = rsa_oaep_decrypt(own, *ciphertext);
        } catch (const ProtocolError&) {
            return fail(failure_reason, undecryptable);
        }
    }
    auto inner = parse_inner(plaintext);
    if (!inner)
        return fail(failure_reason, intercom_decrypt_failed);
    return OpenedIntercom{std::move(*inner), std::move(*signer)};
}

} // namespace hivescope::protocol
