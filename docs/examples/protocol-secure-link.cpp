// Two ends agree on a key with the password handshake, negotiate cipher and encoding, and
// exchange an encrypted text frame and an encrypted binary frame.
#include <hivescope/protocol/binary_codec.hpp>
#include <hivescope/protocol/bus_message.hpp>
#include <hivescope/protocol/error.hpp>
#include <hivescope/protocol/json_codec.hpp>
#include <hivescope/protocol/link_crypto.hpp>
#include <hivescope/protocol/negotiation.hpp>
#include <hivescope/protocol/password_handshake.hpp>

#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

using namespace hivescope::protocol;

int main() {
    // Seeded randomness: the same seed replays the same IVs, nonces and ciphertexts.
    SeededRandom satellite_random(7, "satellite");
    SeededRandom master_random(7, "master");

    // Password handshake (A.12.4); each side verifies the other's proof.
    PasswordHandshake satellite("test-password-123");
    PasswordHandshake master("test-password-123");
    const std::string satellite_envelope = satellite.start(satellite_random);
    const std::string master_envelope = master.start(master_random);
    master.receive_and_verify(satellite_envelope);
    satellite.receive_and_verify(master_envelope);
    if (satellite.secret() != master.secret())
        throw std::logic_error("keys differ");

    // The master picks the client's first proposal it allows (A.10.1): AES-GCM + JSON-B91.
    const std::vector<std::string> proposed = proposal_names(satellite_default_encodings);
    const std::vector<std::string> ciphers = {"AES-GCM", "CHACHA20-POLY1305"};
    const Encoding encoding = *select_encoding(proposed, master_default_encodings);
    const Cipher cipher = *select_cipher(ciphers, master_default_ciphers);
    std::printf("negotiated %s + %s\n", std::string(wire_name(cipher)).c_str(),
                std::string(wire_name(encoding)).c_str());

    LinkCrypto satellite_link(cipher, encoding, satellite.secret());
    LinkCrypto master_link(cipher, encoding, master.secret());

    // A text frame: JSON envelope {"ciphertext", "tag", "nonce"} (A.9.3).
    const HiveMessage hello(
        MessageType::hello,
        JsonObject{{"session", JsonObject{{"session_id", "s1"}}}, {"site_id", "kitchen"}});
    const std::string text_frame =
        satellite_link.encrypt_text(serialize_json(hello), satellite_random);
    if (!(parse_json_message(master_link.decrypt_text(text_frame)) == hello))
        throw std::logic_error("text frame changed");

    // A binary frame: bitstring (A.7) under nonce ‖ ciphertext ‖ tag (A.9.2).
    const HiveMessage audio = HiveMessage::binary(BinaryPayloadType::raw_audio, Bytes(320, 0),
                                                  JsonObject{{"sample_rate", 16000}});
    const Bytes binary_frame =
        satellite_link.encrypt_binary(encode_binary(audio), satellite_random);
    if (!(decode_binary(master_link.decrypt_binary(binary_frame)) == audio))
        throw std::logic_error("binary frame changed");

    // A flipped bit is a typed error, never garbage.
    Bytes tampered = binary_frame;
    tampered.back() ^= 1;
    try {
        (void)master_link.decrypt_binary(tampered);
        throw std::logic_error("tampering went unnoticed");
    } catch (const ProtocolError& error) {
        if (error.code() != ErrorCode::decryption_failed)
            throw;
        std::printf("refused: %s\n", error.what());
    }
}
