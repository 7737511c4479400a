// read_text_frame, the single-parse reader of a link's text frames, against the two-step path it
// replaces (Json::parse, is_encrypted_envelope, decrypt_envelope), and decrypt_from_json against
// decrypt_envelope of the parsed text: for valid envelopes of every cipher × encoding, for every
// malformed shape we know, and for thousands of random mutations, both must give the same
// plaintext or JSON, or fail with the same ErrorCode. Also the consuming message_from_json and
// Aead::open_text against their copying counterparts.

#include "catch.hpp"

#include "hivescope/protocol/cipher.hpp"
#include "hivescope/protocol/encrypted_envelope.hpp"
#include "hivescope/protocol/error.hpp"
#include "hivescope/protocol/json_codec.hpp"
#include "hivescope/protocol/link_crypto.hpp"
#include "hivescope/protocol/random.hpp"

#include <cctype>
#include <random>
#include <string>
#include <vector>

using namespace hivescope::protocol;

namespace {

/// What a reader made of a frame: "envelope:<plaintext>", "json:<compact dump>", or
/// "error:<code>".
using Reader = std::string (*)(Aead*, Encoding, const std::string&);

std::string two_step(Aead* aead, Encoding encoding, const std::string& text) {
    try {
        const Json value = Json::parse(text);
        if (!is_encrypted_envelope(value))
            return "json:" + value.dump(JsonStyle::compact);
        if (aead == nullptr)
            return "envelope:";
        return "envelope:" + decrypt_envelope(*aead, encoding, value);
    } catch (const ProtocolError& e) {
        return "error:" + std::string(to_string(e.code()));
    }
}

std::string one_step(Aead* aead, Encoding encoding, const std::string& text) {
    try {
        const TextFrame frame = read_text_frame(aead, encoding, text);
        if (!frame.encrypted)
            return "json:" + frame.json.dump(JsonStyle::compact);
        return "envelope:" + frame.plaintext;
    } catch (const ProtocolError& e) {
        return "error:" + std::string(to_string(e.code()));
    }
}

// decrypt_from_json (which also reads the plain shape without a DOM) against its definition.
std::string from_json(Aead& aead, Encoding encoding, const std::string& text, bool reference) {
    try {
        return reference ? decrypt_envelope(aead, encoding, Json::parse(text))
                         : decrypt_from_json(aead, encoding, text);
    } catch (const ProtocolError& e) {
        return "error:" + std::string(to_string(e.code()));
    }
}

void same(Aead* aead, Encoding encoding, const std::string& text) {
    INFO("frame: " << text.substr(0, 300));
    REQUIRE(one_step(aead, encoding, text) == two_step(aead, encoding, text));
    if (aead != nullptr)
        REQUIRE(from_json(*aead, encoding, text, false) == from_json(*aead, encoding, text, true));
}

const std::string plaintext = R"({"msg_type": "bus", "payload": {"type": "speak"}})";

} // namespace

TEST_CASE("read_text_frame decrypts what decrypt_envelope decrypts, for every cipher × encoding",
          "[text-frame]") {
    SeededRandom random(7);
    for (const Cipher cipher : all_ciphers) {
        for (const Encoding encoding : all_encodings) {
            Aead aead(cipher, random.bytes(32));
            const std::string envelope = encrypt_as_json(aead, encoding, plaintext, random);
            CAPTURE(wire_name(cipher), wire_name(encoding));
            REQUIRE(one_step(&aead, encoding, envelope) == "envelope:" + plaintext);
            same(&aead, encoding, envelope);
            // Without a key the envelope is only recognised.
            REQUIRE(one_step(nullptr, encoding, envelope) == "envelope:");
            // A wrong key fails the same way.
            Aead other(cipher, random.bytes(32));
            same(&other, encoding, envelope);
        }
    }
}

TEST_CASE("read_text_frame fails like the two-step path on every malformed shape",
          "[text-frame][bad-input]") {
    SeededRandom random(11);
    Aead aead(Cipher::aes_gcm, random.bytes(16));
    const Encoding hex = Encoding::json_hex;
    const std::string good = encrypt_as_json(aead, hex, plaintext, random);
    const Json parsed = Json::parse(good);
    const std::string ct = parsed.get_string("ciphertext");
    const std::string tag = parsed.get_string("tag");
    const std::string nonce = parsed.get_string("nonce");
    const auto q = [](const std::string& s) { return "\"" + s + "\""; };
    const auto upper = [](std::string s) {
        for (char& c : s)
            c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        return s;
    };
    std::string deep = "1";
    for (int i = 0; i < 130; ++i)
        deep = "[" + deep + "]";
    std::string deep_ok = "1";
    for (int i = 0; i < 120; ++i)
        deep_ok = "[" + deep_ok + "]";

    const std::vector<std::string> frames = {
        "",
        " ",
        "[]",
        "\"ciphertext\"",
        "42",
        "null",
        "{}",
        "{\"ciphertext\": 1}",
        "{\"ciphertext\": null, \"nonce\": " + q(nonce) + "}",
        "{\"ciphertext\": " + q(ct) + "}",
        "{\"ciphertext\": " + q(ct) + ", \"nonce\": 7}",
        "{\"ciphertext\": " + q(ct) + ", \"nonce\": [1], \"tag\": " + q(tag) + "}",
        "{\"ciphertext\": " + q(ct) + ", \"nonce\": " + q(nonce) + ", \"tag\": {}}",
        "{\"ciphertext\": " + q(ct) + ", \"nonce\": " + q(nonce) +
            ", \"tag\": 18446744073709551615}",
        "{\"ciphertext\": " + q(ct) + ", \"nonce\": " + q(nonce) + ", \"tag\": 1.5}",
        "{\"ciphertext\": " + q(ct) + ", \"nonce\": " + q(nonce) + ", \"tag\": true}",
        // The tag's type is checked only after nonce and ciphertext decoded.
        "{\"ciphertext\": " + q(ct) + ", \"nonce\": \"zz\", \"tag\": 5}",
        "{\"ciphertext\": \"abc\", \"nonce\": " + q(nonce) + ", \"tag\": 5}",
        "{\"ciphertext\": " + q(ct) + ", \"nonce\": " + q(nonce) + ", \"tag\": 5}",
        // No tag: the ciphertext's tail is the tag (WebCrypto style).
        "{\"ciphertext\": " + q(ct + tag) + ", \"nonce\": " + q(nonce) + "}",
        "{\"ciphertext\": " + q(ct) + ", \"nonce\": " + q(nonce) + "}",
        // Repeated keys: the last value counts, as in a Python dict.
        "{\"ciphertext\": 1, \"ciphertext\": " + q(ct) + ", \"tag\": " + q(tag) +
            ", \"nonce\": " + q(nonce) + "}",
        "{\"ciphertext\": " + q(ct) + ", \"tag\": " + q(tag) + ", \"nonce\": " + q(nonce) +
            ", \"ciphertext\": \"00\"}",
        "{\"ciphertext\": " + q(ct) + ", \"tag\": " + q(tag) + ", \"nonce\": " + q(nonce) +
            ", \"tag\": " + q(tag) + "}",
        // msg_type anywhere makes it a HiveMessage, not an envelope.
        "{\"msg_type\": \"bus\", \"ciphertext\": " + q(ct) + "}",
        "{\"ciphertext\": " + q(ct) + ", \"nonce\": " + q(nonce) + ", \"msg_type\": null}",
        // Extra keys are ignored, but nesting limits still apply to them.
        "{\"ciphertext\": " + q(ct) + ", \"tag\": " + q(tag) + ", \"nonce\": " + q(nonce) +
            ", \"x\": " + deep_ok + "}",
        "{\"ciphertext\": " + q(ct) + ", \"tag\": " + q(tag) + ", \"nonce\": " + q(nonce) +
            ", \"x\": " + deep + "}",
        "{\"ciphertext\": " + q(ct) + ", \"tag\": " + q(tag) + ", \"nonce\": " + q(nonce) +
            ", \"x\": {\"y\": " + deep + "}}",
        // Escaped hex digits are still hex once unescaped.
        "{\"ciphertext\": \"\\u0030" + ct.substr(1) + "\", \"tag\": " + q(tag) +
            ", \"nonce\": " + q(nonce) + "}",
        "{\"ciphertext\": " + q(ct) + ", \"tag\": " + q(tag) + ", \"nonce\": " + q(nonce) +
            "} trailing",
        "{\"ciphertext\": " + q(ct) + ", \"tag\": " + q(tag) + ", \"nonce\": \"" + nonce +
            "\xff\"}",
        "{\"ciphertext\": " + q(ct.substr(0, ct.size() - 1)) + ", \"tag\": " + q(tag) +
            ", \"nonce\": " + q(nonce) + "}",
        "{\"ciphertext\": " + q(ct) + ", \"tag\": " + q(tag.substr(2)) +
            ", \"nonce\": " + q(nonce) + "}",
        // Spacing and order the strict scan must accept exactly as the JSON parser does.
        "{\"nonce\":" + q(nonce) + ",\"tag\":" + q(tag) + ",\"ciphertext\":" + q(ct) + "}",
        " \t\r\n{ \"ciphertext\" : " + q(ct) + " ,\n\"tag\"\t:" + q(tag) +
            ", \"nonce\": " + q(nonce) + " }\n ",
        "{\"ciphertext\": " + q(ct) + ", \"tag\": " + q(tag) + ", \"nonce\": " + q(nonce) + ",}",
        "{\"ciphertext\": " + q(ct) + ", \"tag\": " + q(tag) + ", \"nonce\": " + q(nonce),
        "{\"ciphertext\": " + q(ct) + " \"tag\": " + q(tag) + ", \"nonce\": " + q(nonce) + "}",
        "{\"ciphertext\" " + q(ct) + ", \"nonce\": " + q(nonce) + "}",
        "{\"ciphertext\": " + q(ct) + ", \"nonce\": " + q(nonce) + "}}",
        "{\"ciphertext\": " + q(ct) + ", \"nonce\": " + q(nonce) + "}\f",
        "{\"ciphertext\": " + q(ct) + ", \"nonce\": " + q(nonce) + ", \"nonce\": " + q(nonce) + "}",
        "{\"ciphertext\": " + q(ct) + ", \"nonce\": " + q(nonce) + ", \"extra\": \"x\"}",
        "{\"ciphertext\": \"" + ct + "\x7f\", \"nonce\": " + q(nonce) + "}",
        "{\"ciphertext\": \"" + ct + "\xc3\xa9\", \"nonce\": " + q(nonce) + "}",
        "{\"ciphertext\": \"" + ct + "\t\", \"nonce\": " + q(nonce) + "}",
        "{\"cipher\\u0074ext\": " + q(ct) + ", \"tag\": " + q(tag) + ", \"nonce\": " + q(nonce) +
            "}",
        "{\"ciphertext\": " + q(ct) + ", \"tag\": " + q(tag) + ", \"nonce\": \"" + nonce +
            "\\\"\"}",
        // The exact layout our encoder writes is read without the scan, and anything in it that
        // is not plain hex goes the general way: both must agree with the two-step path.
        "{\"ciphertext\": " + q(upper(ct)) + ", \"tag\": " + q(upper(tag)) +
            ", \"nonce\": " + q(upper(nonce)) + "}",
        "{\"ciphertext\": " + q(ct) + ", \"tag\": \"\\u0030" + tag.substr(1) +
            "\", \"nonce\": " + q(nonce) + "}",
        "{\"ciphertext\": " + q(ct) + ", \"tag\": " + q(tag) + ", \"nonce\": \"\\u0030" +
            nonce.substr(1) + "\"}",
        "{\"ciphertext\": " + q(ct) + ", \"tag\": " + q(tag) +
            ", \"nonce\": " + q(nonce.substr(1)) + "}",
        "{\"ciphertext\": " + q(ct) + ", \"tag\": " + q(tag) +
            ", \"nonce\": " + q(nonce.substr(2)) + "}",
        "{\"ciphertext\": " + q(ct) + ", \"tag\": \"zz" + tag.substr(2) +
            "\", \"nonce\": " + q(nonce) + "}",
        "{\"ciphertext\": " + q(ct) + ", \"tag\": \"" + tag.substr(0, 4) + "\\\"" + tag.substr(4) +
            "\", \"nonce\": " + q(nonce) + "}",
        "{\"ciphertext\": " + q(ct) + ", \"tag\": " + q(tag) + ", \"nonce\": " + q(nonce) +
            ", \"x\": 1}",
        "{\"ciphertext\": " + q(ct) + ", \"tag\": " + q(tag) + ", \"nonce\": " + q(nonce) + "}}",
        "{\"ciphertext\": " + q(ct) + ", \"tag\": " + q(tag) + ", \"nonce\": " + q(nonce),
        "{\"ciphertext\": \"\", \"tag\": \"\", \"nonce\": \"\"}",
        deep,
        "{\"a\": " + deep + "}",
        "{\"a\": 1e999}",
        "{\"a\": 123456789012345678901234567890}",
    };
    for (const std::string& frame : frames) {
        same(&aead, hex, frame);
        same(nullptr, hex, frame);
    }
    for (const Encoding encoding : all_encodings) {
        const std::string envelope = encrypt_as_json(aead, encoding, plaintext, random);
        const Json fields = Json::parse(envelope);
        for (const char* key : {"ciphertext", "tag", "nonce"}) {
            for (const std::string& bad : {std::string("!"), std::string("~~~~"), std::string()}) {
                Json broken = fields;
                broken.as_object().set(key, bad);
                same(&aead, encoding, broken.dump(JsonStyle::python_ascii));
            }
            Json missing = fields;
            missing.as_object().erase(key);
            same(&aead, encoding, missing.dump(JsonStyle::python_ascii));
        }
    }
}

TEST_CASE("read_text_frame agrees with the two-step path on random mutations",
          "[text-frame][bad-input][property]") {
    SeededRandom random(3);
    std::mt19937_64 rng(0x7e57f4a3e);
    const std::string alphabet = "{}[]\",:0123456789abcdefABCDEF \\ux.-etrn\x01\xc3\xff";
    for (const Encoding encoding :
         {Encoding::json_hex, Encoding::json_b64, Encoding::json_b91, Encoding::json_z85p}) {
        Aead aead(Cipher::chacha20_poly1305, random.bytes(32));
        const std::string envelope = encrypt_as_json(aead, encoding, plaintext, random);
        for (int i = 0; i < 1500; ++i) {
            std::string text = envelope;
            const int edits = 1 + static_cast<int>(rng() % 3);
            for (int e = 0; e < edits && !text.empty(); ++e) {
                const std::size_t at = rng() % text.size();
                const char c = alphabet[rng() % alphabet.size()];
                switch (rng() % 3) {
                case 0:
                    text[at] = c;
                    break;
                case 1:
                    text.insert(text.begin() + static_cast<std::ptrdiff_t>(at), c);
                    break;
                default:
                    text.erase(at, 1 + rng() % 8);
                    break;
                }
            }
            same(&aead, encoding, text);
        }
    }
}

TEST_CASE("LinkCrypto::read_text_frame is read_text_frame with the link's key", "[text-frame]") {
    SeededRandom random(5);
    LinkCrypto link(Cipher::aes_gcm, Encoding::json_b64, random.bytes(32));
    const std::string envelope = link.encrypt_text(plaintext, random);
    const TextFrame frame = link.read_text_frame(envelope);
    REQUIRE(frame.encrypted);
    REQUIRE(frame.plaintext == plaintext);
    const TextFrame clear = link.read_text_frame(plaintext);
    REQUIRE_FALSE(clear.encrypted);
    REQUIRE(clear.json == Json::parse(plaintext));
}

TEST_CASE("Aead::open_text is open as a string", "[text-frame][cipher]") {
    SeededRandom random(9);
    for (const Cipher cipher : all_ciphers) {
        Aead aead(cipher, random.bytes(32));
        for (const std::string& text : {std::string(), std::string("x"), plaintext}) {
            const Bytes frame = aead.seal(as_bytes(text), random);
            REQUIRE(aead.open_text(frame) == text);
            REQUIRE(to_bytes(aead.open_text(frame)) == aead.open(frame));
            Bytes tampered = frame;
            tampered.back() ^= 1;
            REQUIRE_THROWS_MATCHES(aead.open_text(tampered), ProtocolError,
                                   Catch::Predicate<ProtocolError>([](const ProtocolError& e) {
                                       return e.code() == ErrorCode::decryption_failed;
                                   }));
        }
    }
}

TEST_CASE("message_from_json consuming a tree equals reading a copy", "[text-frame][json]") {
    const std::vector<std::string> texts = {
        plaintext,
        R"({"msg_type": "propagate", "payload": {"msg_type": "bus", "payload": {"type": "x",)"
        R"( "data": {"a": [1, 2.5, "s"]}}, "metadata": {"m": 1}}, "metadata": {"k": "v"},)"
        R"( "route": [{"source": "a", "targets": ["b"]}], "node": "n", "source_peer": "p"})",
        R"({"msg_type": "hello", "payload": null, "metadata": null})",
        R"({"msg_type": "bus", "payload": [], "metadata": {}})",
        R"({"msg_type": "bus", "payload": {}, "metadata": 5})",
        R"({"msg_type": "bus", "payload": {}, "bogus": 1})",
    };
    for (const std::string& text : texts) {
        const Json tree = Json::parse(text);
        std::string copied;
        std::string consumed;
        try {
            copied = serialize_json(message_from_json(tree));
        } catch (const ProtocolError& e) {
            copied = "error:" + std::string(to_string(e.code()));
        }
        try {
            Json mine = tree;
            consumed = serialize_json(message_from_json(std::move(mine)));
        } catch (const ProtocolError& e) {
            consumed = "error:" + std::string(to_string(e.code()));
        }
        CAPTURE(text);
        REQUIRE(consumed == copied);
    }
}
