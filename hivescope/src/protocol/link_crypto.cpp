#include "hivescope/protocol/link_crypto.hpp"

#include "hivescope/protocol/encrypted_envelope.hpp"

namespace hivescope::protocol {

std::string LinkCrypto::encrypt_text(std::string_view plaintext, RandomSource& random) {
    return encrypt_as_json(aead_, encoding_, plaintext, random);
}

std::string LinkCrypto::decrypt_text(std::string_view envelope_text) {
    return decrypt_from_json(aead_, encoding_, envelope_text);
}

std::string LinkCrypto::decrypt_envelope(const Json& envelope) {
    return protocol::decrypt_envelope(aead_, encoding_, envelope);
}

TextFrame LinkCrypto::read_text_frame(std::string_view text) {
    return protocol::read_text_frame(&aead_, encoding_, text);
}

Bytes LinkCrypto::encrypt_binary(ByteView plaintext, RandomSource& random) {
    return aead_.seal(plaintext, random);
}

Bytes LinkCrypto::decrypt_binary(ByteView frame) {
    return aead_.open(frame);
}

} // namespace hivescope::protocol
