#include "hivescope/node/link_protocol.hpp"

#include "hivescope/protocol/binary_codec.hpp"
#include "hivescope/protocol/encrypted_envelope.hpp"
#include "hivescope/protocol/error.hpp"
#include "hivescope/protocol/json_codec.hpp"

namespace hivescope::node {

using namespace hivescope::protocol;

sim::Frame LinkProtocol::encode(const HiveMessage& message, RandomSource& random, bool plaintext) {
    const bool as_binary = message.type() == MessageType::binary ||
                           (binarize_ && (message.type() == MessageType::bus ||
                                          message.type() == MessageType::shared_bus));
    const bool encrypt = crypto_.has_value() && !plaintext;
    if (as_binary) {
        const Bytes frame = encode_binary(message);
        if (!encrypt)
            return sim::Frame::binary(frame);
        return sim::Frame::binary(crypto_->encrypt_binary(frame, random));
    }
    if (!encrypt)
        return sim::Frame::text(serialize_json(message));
    plaintext_scratch_.clear();
    serialize_json_to(plaintext_scratch_, message);
    sim::Frame frame = sim::Frame::text(crypto_->encrypt_text(plaintext_scratch_, random));
    constexpr std::size_t kept_capacity = 16 * 1024;
    if (plaintext_scratch_.capacity() > kept_capacity)
        plaintext_scratch_ = std::string();
    return frame;
}

DecodedFrame LinkProtocol::decode(const sim::Frame& frame) {
    if (frame.is_binary()) {
        if (crypto_) {
            const Bytes plain = crypto_->decrypt_binary(frame.bytes());
            return {decode_binary(plain), true, true};
        }
        return {decode_binary(frame.bytes()), false, true};
    }
    // One parse of the frame; an envelope is decrypted straight from it (no Json tree).
    TextFrame text = crypto_ ? crypto_->read_text_frame(frame.data())
                             : read_text_frame(nullptr, Encoding::json_hex, frame.data());
    if (text.encrypted) {
        if (!crypto_)
            throw ProtocolError(ErrorCode::malformed_json,
                                "encrypted envelope on a link that has no key");
        return {parse_json_message(text.plaintext), true, false};
    }
    return {message_from_json(std::move(text.json)), false, false};
}

} // namespace hivescope::node
