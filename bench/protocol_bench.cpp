#include "protocol_bench.hpp"

#include "hivescope/protocol/binary_codec.hpp"
#include "hivescope/protocol/bus_message.hpp"
#include "hivescope/protocol/cipher.hpp"
#include "hivescope/protocol/encrypted_envelope.hpp"
#include "hivescope/protocol/json_codec.hpp"
#include "hivescope/protocol/link_crypto.hpp"
#include "hivescope/protocol/password_handshake.hpp"

#include <cstdio>

namespace hivescope::bench {

using namespace hivescope::protocol;

namespace {

// A typical utterance from a satellite, about 300 bytes on the wire.
HiveMessage typical_bus_message() {
    BusMessage utterance(
        "recognizer_loop:utterance",
        JsonObject{{"utterances", JsonArray{"what time is it in lisbon"}}, {"lang", "en-us"}});
    utterance.context()["source"] = "kitchen-satellite";
    utterance.context()["destination"] = "HiveMind";
    utterance.set_session(JsonObject{{"session_id", "3f1c2a9e-5b7d-4c1e-9a8f-0d2b6e4c7a13"},
                                     {"site_id", "kitchen"},
                                     {"lang", "en-us"}});
    return HiveMessage::bus(utterance);
}

} // namespace

void run_protocol_benchmarks(Runner& runner) {
    const HiveMessage message = typical_bus_message();
    const std::string text = serialize_json(message);

    runner.run("json: serialize BUS", text.size(), [&] { keep(serialize_json(message)); });
    runner.run("json: parse BUS", text.size(), [&] { keep(parse_json_message(text)); });
    runner.run("json: parse + serialize BUS", text.size(),
               [&] { keep(serialize_json(parse_json_message(text))); });

    for (const auto compression : {Compression::never, Compression::always}) {
        BinaryEncodeOptions options;
        options.compression = compression;
        const std::string label = compression == Compression::never ? "plain" : "zlib";
        const Bytes frame = encode_binary(message, options);
        runner.run("binary: encode BUS (" + label + ")", frame.size(),
                   [&] { keep(encode_binary(message, options)); });
        runner.run("binary: decode BUS (" + label + ")", frame.size(),
                   [&] { keep(decode_binary(frame)); });
    }

    SeededRandom random(1);
    const Bytes key = random.bytes(32);
    for (const Cipher cipher : {Cipher::aes_gcm, Cipher::chacha20_poly1305}) {
        for (const Encoding encoding : {Encoding::json_hex, Encoding::json_b64}) {
            const std::string label =
                std::string(wire_name(cipher)) + " " + std::string(wire_name(encoding));
            LinkCrypto link(cipher, encoding, key);
            const std::string envelope = link.encrypt_text(text, random);
            runner.run("crypto: encrypt+encode BUS, " + label, envelope.size(),
                       [&] { keep(link.encrypt_text(text, random)); });
            runner.run("crypto: decode+decrypt BUS, " + label, envelope.size(),
                       [&] { keep(link.decrypt_text(envelope)); });
            runner.run("crypto: serialize+encrypt+decrypt+parse, " + label, envelope.size(), [&] {
                keep(parse_json_message(
                    link.decrypt_text(link.encrypt_text(serialize_json(message), random))));
            });
        }
    }

    // AES-GCM alone, seal + open on one Aead: a BUS-sized frame runs on Nettle, a 4 KiB one on
    // OpenSSL's EVP (the switch is at detail::aes_gcm_nettle_max_plaintext).
    Aead aead(Cipher::aes_gcm, key);
    for (const std::size_t size : {text.size(), std::size_t{4096}}) {
        const Bytes plaintext = random.bytes(size);
        const std::string label = size == text.size() ? "BUS-sized" : "4 KiB";
        runner.run("crypto: AES-GCM seal+open, " + label + " frame", size,
                   [&] { keep(aead.open(aead.seal(plaintext, random))); });
    }

    const Bytes salt = random.bytes(8);
    runner.run("handshake: PBKDF2-HMAC-SHA256, 100000 iterations", 0,
               [&] { keep(derive_key("correct horse battery staple", salt)); });
}

} // namespace hivescope::bench
