// INTERCOM sealing and opening (protocol.md B.10): hybrid round trip, addressing by key material,
// fail-closed signature check before decryption, the classic form, bad input.

#include "catch.hpp"
#include "vectors.hpp"

#include "hivescope/protocol/bus_message.hpp"
#include "hivescope/protocol/cipher.hpp"
#include "hivescope/protocol/encoding.hpp"
#include "hivescope/protocol/error.hpp"
#include "hivescope/protocol/intercom.hpp"
#include "hivescope/protocol/json_codec.hpp"

#include <random>

using namespace hivescope::protocol;

namespace {

/// The two RSA keys of the handshake vectors (loaded at run time) and one generated
/// 1024-bit stranger, made once per test binary because key generation is slow.
struct Keys {
    RsaKeyPair alice;
    RsaKeyPair bob;
    RsaKeyPair stranger;
};

const Keys& keys() {
    static const Keys k = [] {
        const auto file = hivescope::test::load_vectors("handshake.json");
        std::optional<RsaKeyPair> sender, receiver;
        for (const auto& c : hivescope::test::vector_cases(file)) {
            if (const Json* pem = c.find("sender_private_pem"))
                sender = RsaKeyPair::from_pem(pem->as_string());
            if (const Json* pem = c.find("receiver_private_pem"))
                receiver = RsaKeyPair::from_pem(pem->as_string());
        }
        REQUIRE(sender);
        REQUIRE(receiver);
        SeededRandom random(42, "intercom-test/stranger");
        return Keys{*sender, *receiver, RsaKeyPair::generate(random, 1024)};
    }();
    return k;
}

HiveMessage sample_inner(std::string text = "hello bob") {
    BusMessage bus("speak", Json(JsonObject{{"utterance", Json(std::move(text))}}),
                   Json(JsonObject{{"source", Json("alice")}}));
    return HiveMessage::bus(bus);
}

Bytes b64d(const Json& payload, std::string_view key) {
    return decode(Encoding::json_b64, payload.find(key)->as_string());
}

std::string b64e(ByteView bytes) {
    return encode(Encoding::json_b64, bytes);
}

std::string open_reason(const HiveMessage& msg, const RsaKeyPair& own,
                        const std::vector<std::string>& candidates) {
    std::string reason = "unset";
    const auto opened = open_intercom(msg, own, candidates, &reason);
    if (opened)
        return "opened";
    return reason;
}

} // namespace

TEST_CASE("hybrid INTERCOM round trip", "[intercom]") {
    const auto& k = keys();
    SeededRandom random(1, "rt");
    const HiveMessage inner = sample_inner();
    const HiveMessage sealed = seal_intercom(inner, k.bob.public_key(), k.alice, random);

    SECTION("envelope shape") {
        CHECK(sealed.type() == MessageType::intercom);
        REQUIRE(sealed.target_pubkey());
        CHECK(*sealed.target_pubkey() == k.bob.public_pem());
        const Json& p = sealed.payload();
        std::vector<std::string> keys_in_order;
        for (const auto& [key, value] : p.as_object()) {
            keys_in_order.push_back(key);
            CHECK(value.is_string());
        }
        CHECK(keys_in_order ==
              std::vector<std::string>{"encrypted_key", "ciphertext", "tag", "nonce", "signature"});
        CHECK(b64d(p, "encrypted_key").size() == k.bob.size_in_bytes());
        CHECK(b64d(p, "tag").size() == 16);
        CHECK(b64d(p, "nonce").size() == 16);
        CHECK(b64d(p, "ciphertext").size() == serialize_json(inner).size());
        // The signature covers the raw AES ciphertext (tag excluded).
        CHECK(rsa_pss_verify(k.alice.public_key(), b64d(p, "ciphertext"), b64d(p, "signature")));
        // Standard base64 with padding, as the spec requires.
        CHECK(p.find("nonce")->as_string().size() == 24);
        CHECK(p.find("nonce")->as_string().back() == '=');
        // It survives the text wire form.
        CHECK(parse_json_message(serialize_json(sealed)) == sealed);
    }

    SECTION("the addressee opens it and learns the signer") {
        CHECK(intercom_addressed_to(sealed, k.bob));
        CHECK(intercom_address(sealed, k.bob) == IntercomAddress::ours);
        const std::vector<std::string> candidates{k.stranger.public_pem(), k.alice.public_pem()};
        std::string reason;
        const auto opened = open_intercom(sealed, k.bob, candidates, &reason);
        REQUIRE(opened);
        CHECK(opened->inner == inner);
        CHECK(opened->verifying_pem == k.alice.public_pem());
    }

    SECTION("addressing compares key material, not text") {
        HiveMessage reformatted = sealed;
        // Different text (the private-key PEM, whose public half is the same key).
        reformatted.set_target_pubkey(k.bob.to_pem());
        CHECK(intercom_addressed_to(reformatted, k.bob));
        CHECK(open_reason(reformatted, k.bob, {k.alice.public_pem()}) == "opened");
    }

    SECTION("the key and nonce come from the caller's RandomSource") {
        SeededRandom again(1, "rt");
        CHECK(seal_intercom(inner, k.bob.public_key(), k.alice, again) == sealed);
    }
}

TEST_CASE("INTERCOM addressed to another key is not for us", "[intercom]") {
    const auto& k = keys();
    SeededRandom random(2, "wrong");
    const HiveMessage sealed = seal_intercom(sample_inner(), k.bob.public_key(), k.alice, random);
    CHECK_FALSE(intercom_addressed_to(sealed, k.alice));
    CHECK(intercom_address(sealed, k.alice) == IntercomAddress::other);
    CHECK(open_reason(sealed, k.alice, {k.alice.public_pem()}) == "not for us");

    HiveMessage garbage_target = sealed;
    garbage_target.set_target_pubkey("not a pem");
    CHECK(intercom_address(garbage_target, k.bob) == IntercomAddress::other);
    CHECK(open_reason(garbage_target, k.bob, {k.alice.public_pem()}) == "not for us");
}

TEST_CASE("INTERCOM signature is checked before decryption, fail-closed", "[intercom]") {
    const auto& k = keys();
    SeededRandom random(3, "sig");
    const HiveMessage sealed = seal_intercom(sample_inner(), k.bob.public_key(), k.alice, random);

    SECTION("unknown signer") {
        CHECK(open_reason(sealed, k.bob, {k.stranger.public_pem()}) == "signature");
        CHECK(open_reason(sealed, k.bob, {}) == "signature");
        // A broken candidate is skipped, not fatal.
        CHECK(open_reason(sealed, k.bob, {"garbage", k.alice.public_pem()}) == "opened");
    }
    SECTION("tampered ciphertext fails the signature, not the decryption") {
        HiveMessage tampered = sealed;
        Bytes ct = b64d(sealed.payload(), "ciphertext");
        ct[0] ^= 0x01;
        tampered.payload()["ciphertext"] = Json(b64e(ct));
        CHECK(open_reason(tampered, k.bob, {k.alice.public_pem()}) == "signature");
    }
    SECTION("tampered signature") {
        HiveMessage tampered = sealed;
        Bytes sig = b64d(sealed.payload(), "signature");
        sig[sig.size() / 2] ^= 0x80;
        tampered.payload()["signature"] = Json(b64e(sig));
        CHECK(open_reason(tampered, k.bob, {k.alice.public_pem()}) == "signature");
    }
    SECTION("missing or non-base64 signature") {
        HiveMessage no_sig = sealed;
        no_sig.payload().as_object().erase("signature");
        CHECK(open_reason(no_sig, k.bob, {k.alice.public_pem()}) == "signature");
        HiveMessage bad_sig = sealed;
        bad_sig.payload()["signature"] = Json("!!not base64!!");
        CHECK(open_reason(bad_sig, k.bob, {k.alice.public_pem()}) == "signature");
        HiveMessage int_sig = sealed;
        int_sig.payload()["signature"] = Json(5);
        CHECK(open_reason(int_sig, k.bob, {k.alice.public_pem()}) == "signature");
    }
    SECTION("a validly signed message whose key or tag is damaged fails decryption") {
        HiveMessage bad_tag = sealed;
        Bytes tag = b64d(sealed.payload(), "tag");
        tag[0] ^= 0x01;
        bad_tag.payload()["tag"] = Json(b64e(tag));
        CHECK(open_reason(bad_tag, k.bob, {k.alice.public_pem()}) == "decrypt failed");

        HiveMessage bad_key = sealed;
        Bytes ek = b64d(sealed.payload(), "encrypted_key");
        ek[10] ^= 0x01;
        bad_key.payload()["encrypted_key"] = Json(b64e(ek));
        CHECK(open_reason(bad_key, k.bob, {k.alice.public_pem()}) == "decrypt failed");

        HiveMessage short_nonce = sealed;
        short_nonce.payload()["nonce"] = Json(b64e(Bytes(12, 0)));
        CHECK(open_reason(short_nonce, k.bob, {k.alice.public_pem()}) == "decrypt failed");

        HiveMessage no_tag = sealed;
        no_tag.payload().as_object().erase("tag");
        CHECK(open_reason(no_tag, k.bob, {k.alice.public_pem()}) == "decrypt failed");
    }
}

TEST_CASE("INTERCOM without target_pubkey is tried", "[intercom]") {
    const auto& k = keys();
    SeededRandom random(4, "absent");
    HiveMessage sealed = seal_intercom(sample_inner("x"), k.bob.public_key(), k.alice, random);
    sealed.set_target_pubkey(std::nullopt);
    CHECK(intercom_address(sealed, k.bob) == IntercomAddress::absent);
    CHECK_FALSE(intercom_addressed_to(sealed, k.bob));
    // The addressee can open it...
    CHECK(open_reason(sealed, k.bob, {k.alice.public_pem()}) == "opened");
    // ...anyone else fails to decrypt, which means it was not for them.
    CHECK(open_reason(sealed, k.alice, {k.alice.public_pem()}) == "not for us");
    // An unverifiable one is still refused for its signature.
    CHECK(open_reason(sealed, k.bob, {k.stranger.public_pem()}) == "signature");
}

TEST_CASE("classic INTERCOM form is decoded", "[intercom]") {
    const auto& k = keys();
    SeededRandom random(5, "classic");
    // The classic form fits only 214 bytes of inner JSON (RSA-2048 OAEP-SHA1).
    const HiveMessage inner = HiveMessage::bus(BusMessage("speak"));
    REQUIRE(serialize_json(inner).size() <= 214);

    SECTION("built with the RSA primitives directly") {
        const std::string json = serialize_json(inner);
        const Bytes ct = rsa_oaep_encrypt(k.bob.public_key(), as_bytes(json), random);
        const Bytes sig = rsa_pss_sign(k.alice, ct, random);
        HiveMessage classic(
            MessageType::intercom,
            Json(JsonObject{{"ciphertext", Json(b64e(ct))}, {"signature", Json(b64e(sig))}}));
        classic.set_target_pubkey(k.bob.public_pem());
        std::string reason;
        const auto opened = open_intercom(classic, k.bob, {k.alice.public_pem()}, &reason);
        REQUIRE(opened);
        CHECK(opened->inner == inner);
        CHECK(opened->verifying_pem == k.alice.public_pem());
        CHECK(open_reason(classic, k.bob, {k.bob.public_pem()}) == "signature");
        // The same bytes under the wrong private key: validly signed, undecryptable.
        HiveMessage misaddressed = classic;
        misaddressed.set_target_pubkey(k.alice.public_pem());
        CHECK(open_reason(misaddressed, k.alice, {k.alice.public_pem()}) == "decrypt failed");
    }
    SECTION("seal_intercom_classic produces the same shape and refuses oversize inners") {
        const HiveMessage classic =
            seal_intercom_classic(inner, k.bob.public_key(), k.alice, random);
        CHECK(classic.payload().as_object().size() == 2);
        CHECK(open_reason(classic, k.bob, {k.alice.public_pem()}) == "opened");
        CHECK_THROWS_AS(seal_intercom_classic(sample_inner(std::string(300, 'a')),
                                              k.bob.public_key(), k.alice, random),
                        ProtocolError);
    }
    SECTION("a large inner goes only in the hybrid form") {
        const HiveMessage big = sample_inner(std::string(5000, 'z'));
        const HiveMessage sealed = seal_intercom(big, k.bob.public_key(), k.alice, random);
        std::string reason;
        const auto opened = open_intercom(sealed, k.bob, {k.alice.public_pem()}, &reason);
        REQUIRE(opened);
        CHECK(opened->inner == big);
    }
}

TEST_CASE("INTERCOM whose plaintext is not an envelope fails decryption", "[intercom]") {
    const auto& k = keys();
    SeededRandom random(6, "junk");
    // Build a validly signed hybrid payload around text that is not a HiveMessage.
    const Bytes key = random.bytes(32);
    const Bytes nonce = random.bytes(16);
    const std::string text = R"({"not": "an envelope"})";
    const Bytes sealed = encrypt_bin_with_nonce(Cipher::aes_gcm, key, as_bytes(text), nonce);
    const Bytes ct(sealed.begin() + 16, sealed.end() - 16);
    const Bytes tag(sealed.end() - 16, sealed.end());
    HiveMessage msg(MessageType::intercom,
                    Json(JsonObject{{"encrypted_key",
                                     Json(b64e(rsa_oaep_encrypt(k.bob.public_key(), key, random)))},
                                    {"ciphertext", Json(b64e(ct))},
                                    {"tag", Json(b64e(tag))},
                                    {"nonce", Json(b64e(nonce))},
                                    {"signature", Json(b64e(rsa_pss_sign(k.alice, ct, random)))}}));
    msg.set_target_pubkey(k.bob.public_pem());
    CHECK(open_reason(msg, k.bob, {k.alice.public_pem()}) == "decrypt failed");
}

TEST_CASE("INTERCOM opening never throws on random payloads", "[intercom][property]") {
    const auto& k = keys();
    std::mt19937_64 gen(0x1c0);
    const std::vector<std::string> fields{"encrypted_key", "ciphertext", "tag",
                                          "nonce",         "signature",  "other"};
    int opened = 0;
    for (int i = 0; i < 400; ++i) {
        JsonObject payload;
        for (const auto& field : fields) {
            switch (gen() % 4) {
            case 0:
                break;
            case 1: {
                Bytes b(gen() % 300);
                for (auto& byte : b)
                    byte = static_cast<std::uint8_t>(gen());
                payload.set(field, Json(b64e(b)));
                break;
            }
            case 2:
                payload.set(field, Json(static_cast<std::int64_t>(gen() % 1000)));
                break;
            default:
                payload.set(field, Json("%%%"));
            }
        }
        HiveMessage msg(MessageType::intercom, Json(std::move(payload)));
        if (gen() % 2 == 0)
            msg.set_target_pubkey(k.bob.public_pem());
        std::string reason;
        CHECK_NOTHROW([&] {
            if (open_intercom(msg, k.bob, {k.alice.public_pem()}, &reason))
                ++opened;
        }());
        CHECK((reason == "signature" || reason == "decrypt failed" || reason == "not for us"));
    }
    CHECK(opened == 0);
    // A non-INTERCOM message is never opened.
    CHECK(open_reason(sample_inner(), k.bob, {k.alice.public_pem()}) == "not for us");
}
