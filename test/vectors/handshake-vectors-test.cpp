// Every case of handshake.json: password handshakes with fixed IVs, the hsub helpers, PBKDF2,
// the RSA handshake (HalfHandShake and the legacy XOR form) and its primitives reproduced byte
// for byte, and the two full session transcripts replayed frame by frame in both directions.

#include "catch.hpp"
#include "vectors.hpp"

#include "hivescope/protocol/binary_codec.hpp"
#include "hivescope/protocol/cipher.hpp"
#include "hivescope/protocol/encoding.hpp"
#include "hivescope/protocol/encrypted_envelope.hpp"
#include "hivescope/protocol/error.hpp"
#include "hivescope/protocol/handshake_messages.hpp"
#include "hivescope/protocol/json_codec.hpp"
#include "hivescope/protocol/password_handshake.hpp"
#include "hivescope/protocol/random.hpp"
#include "hivescope/protocol/rsa_handshake.hpp"

#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <memory>
#include <stdexcept>
#include <string>

using namespace hivescope::protocol;

namespace {

const Json& field(const Json& object, std::string_view key) {
    const Json* value = object.find(key);
    if (value == nullptr)
        throw std::runtime_error("vector case lacks field " + std::string(key));
    return *value;
}

const std::string& str(const Json& object, std::string_view key) {
    const Json& value = field(object, key);
    if (!value.is_string())
        throw std::runtime_error("vector field " + std::string(key) + " is not a string");
    return value.as_string();
}

bool flag(const Json& object, std::string_view key) {
    const Json& value = field(object, key);
    if (!value.is_bool())
        throw std::runtime_error("vector field " + std::string(key) + " is not a bool");
    return value.as_bool();
}

Bytes hex(const Json& object, std::string_view key) {
    return hex_decode(str(object, key));
}

const Json& case_by_id(const Json& file, std::string_view id) {
    for (const Json& c : hivescope::test::vector_cases(file))
        if (c.get_string("id") == id)
            return c;
    throw std::runtime_error("vector case not found: " + std::string(id));
}

// --- Recovering the randomness of recorded RSA outputs ------------------------------------------
// OAEP and PSS are randomised, so a recorded ciphertext or signature can only be reproduced once
// its seed or salt is known. Both can be read back with the keys (a raw RSA operation and the
// MGF1 unmasking of RFC 8017); feeding them to our encoders must then give the recorded bytes
// exactly, which pins our hand-encoded OAEP and PSS to pycryptodome's.

Bytes mgf1(const EVP_MD* md, ByteView seed, std::size_t length) {
    Bytes mask;
    for (std::uint32_t counter = 0; mask.size() < length; ++counter) {
        Bytes input(seed.begin(), seed.end());
        for (int shift = 24; shift >= 0; shift -= 8)
            input.push_back(static_cast<std::uint8_t>(counter >> shift));
        Bytes block(EVP_MAX_MD_SIZE);
        unsigned int n = 0;
        REQUIRE(EVP_Digest(input.data(), input.size(), block.data(), &n, md, nullptr) == 1);
        mask.insert(mask.end(), block.begin(), block.begin() + n);
    }
    mask.resize(length);
    return mask;
}

/// x^e or x^d mod n of a modulus-sized block, via OpenSSL without padding.
Bytes raw_rsa(evp_pkey_st* key, ByteView block, bool private_op) {
    std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(
        EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr), &EVP_PKEY_CTX_free);
    REQUIRE(ctx);
    REQUIRE((private_op ? EVP_PKEY_decrypt_init(ctx.get()) : EVP_PKEY_encrypt_init(ctx.get())) ==
            1);
    REQUIRE(EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_NO_PADDING) == 1);
    Bytes out(static_cast<std::size_t>(EVP_PKEY_get_size(key)));
    std::size_t length = out.size();
    const int ok =
        private_op ? EVP_PKEY_decrypt(ctx.get(), out.data(), &length, block.data(), block.size())
                   : EVP_PKEY_encrypt(ctx.get(), out.data(), &length, block.data(), block.size());
    REQUIRE(ok == 1);
    out.resize(length);
    return out;
}

/// The OAEP (SHA-1) seed inside `ciphertext`.
Bytes oaep_seed_of(const RsaKeyPair& key, ByteView ciphertext) {
    const Bytes em = raw_rsa(key.native(), ciphertext, true);
    REQUIRE(em.size() == key.size_in_bytes());
    REQUIRE(em[0] == 0x00);
    const ByteView masked_seed = ByteView(em).subspan(1, 20);
    const ByteView masked_db = ByteView(em).subspan(21);
    Bytes seed(masked_seed.begin(), masked_seed.end());
    const Bytes mask = mgf1(EVP_sha1(), masked_db, 20);
    for (std::size_t i = 0; i < seed.size(); ++i)
        seed[i] ^= mask[i];
    return seed;
}

/// The PSS (SHA-256, 32-byte) salt inside `signature` (2048-bit keys: emLen = k).
Bytes pss_salt_of(const RsaPublicKey& key, ByteView signature) {
    const Bytes em = raw_rsa(key.native(), signature, false);
    REQUIRE(em.size() == key.size_in_bytes());
    REQUIRE(em.back() == 0xbc);
    const std::size_t db_len = em.size() - 32 - 1;
    Bytes db(em.begin(), em.begin() + static_cast<std::ptrdiff_t>(db_len));
    const ByteView h = ByteView(em).subspan(db_len, 32);
    const Bytes mask = mgf1(EVP_sha256(), h, db_len);
    for (std::size_t i = 0; i < db.size(); ++i)
        db[i] ^= mask[i];
    return Bytes(db.end() - 32, db.end());
}

// --- Per-kind checks ----------------------------------------------------------------------------

void check_password_handshake(const Json& c) {
    const std::string& password = str(c, "password");
    const Bytes client_iv = hex(c, "client_iv_hex");
    const Bytes server_iv = hex(c, "server_iv_hex");
    CHECK(create_envelope(password, client_iv) == str(c, "client_envelope"));
    CHECK(create_envelope(password, server_iv) == str(c, "server_envelope"));
    CHECK(derive_salt(client_iv, server_iv) == hex(c, "salt_hex"));
    CHECK(derive_key(password, hex(c, "salt_hex")) == hex(c, "secret_hex"));

    // Both sides, run as our nodes run them (each verifies the other, A.12.4).
    ScriptedRandom satellite_random{client_iv};
    ScriptedRandom master_random{server_iv};
    PasswordHandshake satellite(password);
    PasswordHandshake master(password);
    CHECK(satellite.start(satellite_random) == str(c, "client_envelope"));
    CHECK(master.start(master_random) == str(c, "server_envelope"));
    CHECK(verify_envelope(password, str(c, "client_envelope")) ==
          flag(c, "server_verifies_client_envelope"));
    CHECK(verify_envelope(password, str(c, "server_envelope")) ==
          flag(c, "client_verifies_server_envelope"));
    master.receive_and_verify(str(c, "client_envelope"));
    satellite.receive_and_verify(str(c, "server_envelope"));
    CHECK(master.salt() == hex(c, "salt_hex"));
    CHECK(master.secret() == hex(c, "secret_hex"));
    CHECK(satellite.secret() == hex(c, "secret_hex"));
}

// The hsub cases record only the result. Their inputs are the generator's fixed ones: subject
// "pw" and IV 0011223344556677 (the len48 result pins them: no other input reproduces it).
void check_hsub(const Json& c) {
    const Bytes iv = hex_decode("0011223344556677");
    const std::string id = str(c, "id");
    const Json& result = field(c, "result");
    if (id == "hsub/create_hsub len48") {
        CHECK(create_hsub("pw", iv, 48) == result.as_string());
        CHECK(match_hsub(result.as_string(), "pw"));
    } else if (id == "hsub/match too short (46)") {
        CHECK(match_hsub(create_hsub("pw", iv, 46), "pw") == result.as_bool());
    } else if (id == "hsub/match 82 chars") {
        const std::string full = create_hsub("pw", iv, 82); // a slice past the end: 80
        CHECK(full.size() == 80);
        CHECK(match_hsub(full, "pw"));
        CHECK(match_hsub(full + "00", "pw") == result.as_bool());
    } else if (id == "hsub/iv_from_hsub") {
        const auto recovered = iv_from_hsub(create_hsub("pw", iv, 48));
        REQUIRE(recovered.has_value());
        CHECK(hex_encode(*recovered) == result.as_string());
    } else {
        FAIL("unknown hsub case " << id);
    }
}

void check_pbkdf2(const Json& c) {
    // derive_key has the reference's parameters built in; the case must use exactly those.
    REQUIRE(str(c, "hash") == "sha256");
    REQUIRE(field(c, "iterations").as_int() == static_cast<std::int64_t>(password_kdf_iterations));
    REQUIRE(field(c, "dklen").as_int() == static_cast<std::int64_t>(password_key_size));
    CHECK(derive_key(str(c, "password"), hex(c, "salt_hex")) == hex(c, "output_hex"));
}

/// The two key pairs of the RSA cases: only rsa/half_handshake carries the PEMs.
struct RsaKeys {
    RsaKeyPair sender;   ///< the "server-key": the master, signs
    RsaKeyPair receiver; ///< the "client-key": the satellite, decrypts
};

RsaKeys rsa_keys(const Json& file) {
    const Json& half = case_by_id(file, "rsa/half_handshake");
    return {RsaKeyPair::from_pem(str(half, "sender_private_pem")),
            RsaKeyPair::from_pem(str(half, "receiver_private_pem"))};
}

void check_rsa_half_handshake(const Json& c, const RsaKeys& keys) {
    CHECK(keys.sender.to_pem() == str(c, "sender_private_pem"));
    CHECK(keys.receiver.to_pem() == str(c, "receiver_private_pem"));
    const std::string& envelope = str(c, "envelope_hex");
    const RsaPublicKey sender_pub = keys.sender.public_key();
    CHECK(envelope.size() == 1024);
    CHECK(rsa_envelope_verifies(sender_pub, envelope) == flag(c, "receiver_verify"));
    // Our satellite: verify against the master's key, decrypt, the secret is the key.
    CHECK(rsa_satellite_receive(keys.receiver, sender_pub, envelope) ==
          hex(c, "HalfHandShake_receiver_secret_hex"));
    CHECK(hex(c, "HalfHandShake_receiver_secret_hex") == hex(c, "sender_secret_hex"));

    // Our master, given the same three draws (secret, OAEP seed, PSS salt), emits the
    // reference's envelope byte for byte.
    const Bytes raw = hex_decode(envelope);
    const ByteView signature = ByteView(raw).first(256);
    const ByteView ciphertext = ByteView(raw).subspan(256);
    ScriptedRandom draws{hex(c, "sender_secret_hex"), oaep_seed_of(keys.receiver, ciphertext),
                         pss_salt_of(sender_pub, signature)};
    const RsaHandshakeOffer offer =
        rsa_master_handshake(keys.sender, keys.receiver.public_key(), draws);
    CHECK(offer.envelope == envelope);
    CHECK(offer.secret == hex(c, "sender_secret_hex"));
}

void check_rsa_full_handshake_xor(const Json& c, const RsaKeys& keys) {
    const Bytes after = rsa_full_handshake_xor(keys.receiver, hex(c, "receiver_own_secret_hex"),
                                               str(c, "envelope_hex"));
    CHECK((after == hex(c, "receiver_secret_after_hex")) == flag(c, "expected_xor_ok"));
    // And it differs from the master's secret, which is why 0.4.3's RSA mode cannot work.
    CHECK(after !=
          rsa_satellite_receive(keys.receiver, keys.sender.public_key(), str(c, "envelope_hex")));
}

void check_rsa_primitives(const Json& c, const RsaKeys& keys) {
    REQUIRE(str(c, "oaep_key") == "receiver (client-key)");
    REQUIRE(str(c, "pss_key") == "sender (server-key)");
    const Bytes oaep_ct = hex(c, "oaep_ciphertext_hex");
    const Bytes plaintext = to_bytes(str(c, "oaep_plaintext"));
    if (flag(c, "decrypt_ok")) {
        CHECK(rsa_oaep_decrypt(keys.receiver, oaep_ct) == plaintext);
    } else {
        CHECK_THROWS_AS(rsa_oaep_decrypt(keys.receiver, oaep_ct), ProtocolError);
    }
    CHECK(rsa_oaep_encrypt_with_seed(keys.receiver.public_key(), plaintext,
                                     oaep_seed_of(keys.receiver, oaep_ct)) == oaep_ct);

    const RsaPublicKey sender_pub = keys.sender.public_key();
    const Bytes message = hex(c, "pss_message_hex");
    const Bytes signature = hex(c, "pss_signature_hex");
    CHECK(rsa_pss_verify(sender_pub, message, signature) == flag(c, "verify_ok"));
    CHECK(rsa_pss_sign_with_salt(keys.sender, message, pss_salt_of(sender_pub, signature)) ==
          signature);
    // The recorded tampered check: any change to message or signature must fail.
    Bytes tampered_message = message;
    tampered_message[0] ^= 0x01;
    Bytes tampered_signature = signature;
    tampered_signature[100] ^= 0x01;
    CHECK(rsa_pss_verify(sender_pub, tampered_message, signature) == flag(c, "verify_tampered"));
    CHECK(rsa_pss_verify(sender_pub, message, tampered_signature) == flag(c, "verify_tampered"));
}

void check_rsa_handshake(const Json& c, const RsaKeys& keys) {
    if (c.find("sender_private_pem") != nullptr)
        check_rsa_half_handshake(c, keys);
    else if (c.find("receiver_own_secret_hex") != nullptr)
        check_rsa_full_handshake_xor(c, keys);
    else
        FAIL("rsa_handshake case of unknown shape: " << str(c, "id"));
}

// --- Session transcripts ------------------------------------------------------------------------

/// What the replay learns from the handshake frames.
struct LinkState {
    std::optional<Bytes> key;
    std::optional<Cipher> cipher;
    std::optional<Encoding> encoding;
    std::optional<bool> binarize;
    std::string client_envelope;
    std::string server_envelope;
    std::size_t plaintext_frames = 0;
    std::size_t encrypted_text_frames = 0;
    std::size_t binary_frames = 0;
    std::size_t notes = 0;
};

/// The first client preference the master allows (A.10.1), as the reference master picks it.
std::string first_allowed(const std::vector<std::string>& client_preference, const Json& allowed) {
    for (const auto& name : client_preference)
        for (const Json& entry : allowed.as_array())
            if (entry.as_string() == name)
                return name;
    FAIL("no common entry");
    return {};
}

void replay_plaintext_frame(const Json& c, const Json& frame, LinkState& link) {
    const std::string& text = str(frame, "frame");
    const HiveMessage message = parse_json_message(text);
    CHECK(serialize_json(message) == text);
    const Json& payload = message.payload();
    const bool from_server = str(frame, "dir") == "server->client";
    const Json& server = field(c, "server");
    const Json& client = field(c, "client");

    if (message.type() == MessageType::hello && from_server) {
        const ServerHello hello = ServerHello::from_json(payload);
        CHECK(hello.to_json() == payload);
        CHECK(hello.node_id == str(server, "peer"));
        REQUIRE(hello.pubkey.has_value());
        CHECK(RsaPublicKey::from_pem(*hello.pubkey).to_pem() == *hello.pubkey);
    } else if (message.type() == MessageType::handshake && from_server &&
               !is_handshake_response(payload)) {
        const HandshakeRequest request = HandshakeRequest::from_json(payload);
        CHECK(request.to_json() == payload);
        CHECK(request.binarize == flag(server, "server_json_binarize"));
        CHECK(request.password);
        CHECK(Json(JsonArray(request.encodings.begin(), request.encodings.end())) ==
              field(server, "allowed_encodings"));
        CHECK(Json(JsonArray(request.ciphers.begin(), request.ciphers.end())) ==
              field(server, "allowed_ciphers"));
    } else if (message.type() == MessageType::handshake && !from_server) {
        const ClientHandshake shake = ClientHandshake::from_json(payload);
        CHECK(shake.to_json() == payload);
        REQUIRE(shake.is_password());
        CHECK(shake.binarize == flag(client, "binarize"));
        link.client_envelope = *shake.envelope;
        // Our satellite with the recorded IV sends the same envelope.
        PasswordHandshake satellite(str(field(server, "client_record"), "password"));
        ScriptedRandom iv{hex(field(c, "fixed_ivs_hex"), "client")};
        CHECK(satellite.start(iv) == link.client_envelope);
        link.binarize = shake.binarize;
        // What the master will select.
        link.encoding = parse_encoding(
            first_allowed(shake.effective_encodings(), field(server, "allowed_encodings")));
        link.cipher = parse_cipher(
            first_allowed(shake.effective_ciphers(), field(server, "allowed_ciphers")));
    } else if (message.type() == MessageType::handshake && from_server) {
        const HandshakeResponse response = HandshakeResponse::from_json(payload);
        CHECK(response.to_json() == payload);
        REQUIRE(link.cipher.has_value());
        CHECK(response.encoding == wire_name(*link.encoding));
        CHECK(response.cipher == wire_name(*link.cipher));
        link.server_envelope = response.envelope;
        // Recompute both sides with the fixed IVs; each verifies the other's proof.
        const std::string password = str(field(server, "client_record"), "password");
        ScriptedRandom master_iv{hex(field(c, "fixed_ivs_hex"), "server")};
        ScriptedRandom satellite_iv{hex(field(c, "fixed_ivs_hex"), "client")};
        PasswordHandshake master(password);
        PasswordHandshake satellite(password);
        CHECK(master.start(master_iv) == link.server_envelope);
        CHECK(satellite.start(satellite_iv) == link.client_envelope);
        master.receive_and_verify(link.client_envelope);
        satellite.receive_and_verify(link.server_envelope);
        REQUIRE(master.secret() == satellite.secret());
        link.key = master.secret();
    } else {
        FAIL("plaintext frame of an unexpected type: " << text);
    }
    ++link.plaintext_frames;
}

void replay_encrypted_text_frame(const Json& c, const Json& frame, LinkState& link) {
    REQUIRE(link.key.has_value());
    const Cipher cipher = parse_cipher(str(frame, "cipher"));
    const Encoding encoding = parse_encoding(str(frame, "encoding"));
    CHECK(cipher == *link.cipher);
    CHECK(encoding == *link.encoding);
    const std::string& text = str(frame, "frame");
    const std::string& plaintext = str(frame, "plaintext");

    CHECK(is_encrypted_envelope(Json::parse(text)));
    CHECK(decrypt_from_json(cipher, encoding, *link.key, text) == plaintext);
    const Bytes nonce = decode(encoding, Json::parse(text).get_string("nonce"));
    CHECK(nonce.size() == nonce_size(cipher));
    CHECK(encrypt_as_json_with_nonce(cipher, encoding, *link.key, plaintext, nonce) == text);

    const HiveMessage message = parse_json_message(plaintext);
    CHECK(serialize_json(message) == plaintext);
    if (message.type() == MessageType::hello) {
        // The satellite's HELLO, encrypted with the new key (A.9.1, A.13 trap 14).
        CHECK(str(frame, "dir") == "client->server");
        const ClientHello hello = ClientHello::from_json(message.payload());
        CHECK(hello.to_json() == message.payload());
        CHECK(hello.session_id() == str(field(c, "client"), "session_id"));
        CHECK(hello.site_id == str(field(c, "client"), "site_id"));
        CHECK_FALSE(hello.pubkey.has_value());
    }
    ++link.encrypted_text_frames;
}

void replay_binary_frame(const Json& frame, LinkState& link) {
    REQUIRE(link.key.has_value());
    const Cipher cipher = parse_cipher(str(frame, "cipher"));
    CHECK(cipher == *link.cipher);
    CHECK(link.binarize == true);
    const Bytes wire = hex(frame, "frame");
    const Bytes bitstring = hex(frame, "plaintext_bitstring_hex");
    CHECK(decrypt_bin(cipher, *link.key, wire) == bitstring);
    const ByteView nonce = ByteView(wire).first(nonce_size(cipher));
    CHECK(encrypt_bin_with_nonce(cipher, *link.key, bitstring, nonce) == wire);

    const HiveMessage message = decode_binary(bitstring);
    const Json& decoded = field(frame, "plaintext_decoded");
    if (message.type() == MessageType::binary) {
        CHECK(str(decoded, "msg_type") == "bin");
        CHECK(message.bin_type_code() == field(decoded, "bin_type").as_int());
        CHECK(message.metadata() == field(decoded, "metadata"));
        CHECK(hex_encode(message.bytes()) == str(decoded, "payload_hex"));
    } else {
        CHECK(to_json(message) == decoded);
    }
    // The reference client compresses (`compress: true`, A.7.5): our encoder gives the same bits.
    CHECK(encode_binary(message) == bitstring);
    ++link.binary_frames;
}

void check_session_transcript(const Json& c) {
    LinkState link;
    for (const Json& frame : field(c, "frames").as_array()) {
        const std::string& dir = str(frame, "dir");
        INFO("frame " << frame.dump().substr(0, 200));
        if (dir == "note") {
            REQUIRE(link.key.has_value());
            CHECK(str(frame, "event") == "handshake complete");
            CHECK(hex(frame, "server_key_hex") == *link.key);
            CHECK(hex(frame, "client_key_hex") == *link.key);
            CHECK(str(frame, "cipher") == wire_name(*link.cipher));
            CHECK(str(frame, "encoding") == wire_name(*link.encoding));
            CHECK(flag(frame, "server_binarize_for_client") == link.binarize);
            ++link.notes;
        } else if (dir != "server->client" && dir != "client->server") {
            FAIL("unknown frame direction " << dir);
        } else if (flag(frame, "binary")) {
            replay_binary_frame(frame, link);
        } else if (frame.find("plaintext") != nullptr) {
            replay_encrypted_text_frame(c, frame, link);
        } else {
            replay_plaintext_frame(c, frame, link);
        }
    }
    // Four plaintext handshake frames, one note, and the rest encrypted.
    CHECK(link.plaintext_frames == 4);
    CHECK(link.notes == 1);
    CHECK(link.encrypted_text_frames + link.binary_frames + 5 ==
          field(c, "frames").as_array().size());
}

} // namespace

TEST_CASE("handshake vectors: every case", "[vectors][handshake]") {
    const Json file = hivescope::test::load_vectors("handshake.json");
    const JsonArray& cases = hivescope::test::vector_cases(file);
    const RsaKeys keys = rsa_keys(file);
    std::size_t handled = 0;
    for (const Json& c : cases) {
        const std::string& kind = str(c, "kind");
        INFO("case " << str(c, "id"));
        if (kind == "password_handshake")
            check_password_handshake(c);
        else if (kind == "hsub")
            check_hsub(c);
        else if (kind == "pbkdf2")
            check_pbkdf2(c);
        else if (kind == "rsa_handshake")
            check_rsa_handshake(c, keys);
        else if (kind == "rsa_primitives")
            check_rsa_primitives(c, keys);
        else if (kind == "session_transcript")
            check_session_transcript(c);
        else
            FAIL("unknown case kind " << kind);
        ++handled;
    }
    REQUIRE(handled == cases.size());
    REQUIRE(handled == 13);
}
