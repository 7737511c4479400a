#include "node/support/scripted_client.hpp"

#include "hivescope/protocol/binary_codec.hpp"
#include "hivescope/protocol/encrypted_envelope.hpp"
#include "hivescope/protocol/error.hpp"
#include "hivescope/protocol/json_codec.hpp"

namespace hivescope::test {

using protocol::BusMessage;
using protocol::HiveMessage;
using protocol::Json;
using protocol::JsonObject;
using protocol::MessageType;

ScriptedClient::ScriptedClient(sim::Network& network, ScriptedClientOptions options)
    : network_(network), options_(std::move(options)),
      random_(network.simulation().random_stream("scripted/" + options_.name)) {
    if (options_.useragent.empty())
        options_.useragent = options_.name;
    session_id_ = options_.session_id.empty() ? options_.name + "-session" : options_.session_id;
}

ScriptedClient::~ScriptedClient() {
    if (connection_)
        connection_->detach();
}

void ScriptedClient::connect(const std::string& address) {
    const std::string authorization =
        options_.authorization
            ? *options_.authorization
            : protocol::make_authorization(options_.useragent, options_.access_key);
    connection_ = network_.connect(address, {authorization, options_.name}, *this);
}

// ---- frames -------------------------------------------------------------------------------------

sim::Frame ScriptedClient::encode(const HiveMessage& message, bool encrypt) {
    const bool binary = message.type() == MessageType::binary ||
                        (binarize_ && (message.type() == MessageType::bus ||
                                       message.type() == MessageType::shared_bus));
    const bool keyed = encrypt && crypto_.has_value();
    if (binary) {
        const protocol::Bytes bits = protocol::encode_binary(message);
        return sim::Frame::binary(keyed ? crypto_->encrypt_binary(bits, random_) : bits);
    }
    const std::string text = protocol::serialize_json(message);
    return sim::Frame::text(keyed ? crypto_->encrypt_text(text, random_) : text);
}

HiveMessage ScriptedClient::decode(const sim::Frame& frame) {
    if (frame.is_binary()) {
        if (crypto_)
            return protocol::decode_binary(crypto_->decrypt_binary(frame.bytes()));
        return protocol::decode_binary(frame.bytes());
    }
    const Json value = Json::parse(frame.data());
    if (protocol::is_encrypted_envelope(value)) {
        if (!crypto_)
            throw protocol::ProtocolError(protocol::ErrorCode::malformed_json,
                                          "encrypted frame before any key");
        return protocol::parse_json_message(crypto_->decrypt_envelope(value));
    }
    return protocol::message_from_json(value);
}

void ScriptedClient::send(const HiveMessage& message) {
    connection_->send(encode(message, true));
}

void ScriptedClient::send_plaintext(const HiveMessage& message) {
    connection_->send(encode(message, false));
}

void ScriptedClient::send_raw(sim::Frame frame) {
    connection_->send(std::move(frame));
}

BusMessage ScriptedClient::make_bus(std::string type, Json data) const {
    return BusMessage(
        std::move(type), std::move(data),
        Json(JsonObject{{"source", options_.useragent},
                        {"destination", "HiveMind"},
                        {"platform", options_.useragent},
                        {"session", Json(JsonObject{{"session_id", session_id_},
                                                    {"site_id", options_.site_id}})}}));
}

void ScriptedClient::send_bus(std::string type, Json data) {
    send(HiveMessage::bus(make_bus(std::move(type), std::move(data))));
}

void ScriptedClient::send_hello(std::optional<std::string> session_id) {
    std::optional<std::string> pubkey;
    if (options_.identity)
        pubkey = options_.identity->public_pem();
    const auto hello =
        protocol::ClientHello::make(pubkey, session_id.value_or(session_id_), options_.site_id);
    send(HiveMessage(MessageType::hello, hello.to_json()));
    hello_sent_ = true;
}

void ScriptedClient::close(sim::CloseEvent close) {
    connection_->close(std::move(close));
}

// ---- the client side of A.12 --------------------------------------------------------------------

void ScriptedClient::on_open(sim::Connection& connection) {
    (void)connection;
    opened_ = true;
}

void ScriptedClient::on_frame(sim::Connection& connection, const sim::Frame& frame) {
    (void)connection;
    frames_.push_back(frame);
    HiveMessage message(MessageType::ping);
    try {
        message = decode(frame);
    } catch (const protocol::ProtocolError& error) {
        decode_errors_.push_back(error.what());
        return;
    }
    received_.push_back(message);
    if (message.type() == MessageType::hello && !server_hello_)
        server_hello_ = protocol::ServerHello::from_json(message.payload());
    if (message.type() == MessageType::handshake)
        on_handshake(message);
}

void ScriptedClient::on_handshake(const HiveMessage& message) {
    if (protocol::is_handshake_response(message.payload())) {
        response_ = protocol::HandshakeResponse::from_json(message.payload());
        if (!awaiting_response_)
            return; // a test drives re-keying by hand
        awaiting_response_ = false;
        protocol::Bytes key;
        try {
            if (password_) {
                password_->receive_and_verify(response_->envelope);
                key = password_->secret();
            } else if (options_.rsa && options_.identity && server_hello_ &&
                       server_hello_->pubkey) {
                key = protocol::rsa_satellite_receive(
                    *options_.identity, protocol::RsaPublicKey::from_pem(*server_hello_->pubkey),
                    response_->envelope);
            } else {
                return;
            }
        } catch (const protocol::ProtocolError&) {
            close({sim::close_code::policy_violation, "handshake failed"});
            return;
        }
        crypto_.emplace(protocol::parse_cipher(response_->cipher),
                        protocol::parse_encoding(response_->encoding), key);
        binarize_ = options_.binarize && password_ != nullptr;
        if (options_.auto_hello)
            send_hello();
        return;
    }
    request_ = protocol::HandshakeRequest::from_json(message.payload());
    if (!options_.auto_handshake)
        return;
    protocol::ClientHandshake shake;
    shake.binarize = options_.binarize;
    shake.encodings = options_.encodings;
    shake.ciphers = options_.ciphers;
    if (options_.preshared_key) {
        // v0 (A.12.6): no shake; the HELLO goes under the pre-shared key.
        crypto_.emplace(protocol::Cipher::aes_gcm, protocol::Encoding::json_hex,
                        protocol::preshared_key_bytes(*options_.preshared_key));
        if (options_.auto_hello)
            send_hello();
        return;
    }
    if (options_.password) {
        password_ = std::make_unique<protocol::PasswordHandshake>(*options_.password,
                                                                  options_.kdf_iterations);
        shake.envelope = password_->start(random_);
    } else if (options_.rsa && options_.identity) {
        shake.pubkey = options_.identity->public_pem();
    } else {
        // Plaintext v0: nothing to negotiate.
        if (options_.auto_hello)
            send_hello();
        return;
    }
    awaiting_response_ = true;
    send_plaintext(HiveMessage(MessageType::handshake, shake.to_json()));
}

void ScriptedClient::on_close(sim::Connection& connection, const sim::CloseEvent& close) {
    (void)connection;
    if (!closed_)
        closed_ = close;
}

// ---- inspection ---------------------------------------------------------------------------------

std::string ScriptedClient::peer_id() const {
    if (!server_hello_ || !server_hello_->peer)
        return {};
    const std::string& peer = *server_hello_->peer;
    const auto cut = peer.rfind("::");
    return (cut == std::string::npos ? peer : peer.substr(0, cut)) + "::" + session_id_;
}

std::vector<HiveMessage> ScriptedClient::received_of(MessageType type) const {
    std::vector<HiveMessage> out;
    for (const auto& message : received_)
        if (message.type() == type)
            out.push_back(message);
    return out;
}

std::vector<BusMessage> ScriptedClient::bus_received(std::string_view type) const {
    std::vector<BusMessage> out;
    for (const auto& message : received_)
        if (message.type() == MessageType::bus) {
            BusMessage bus = message.bus_message();
            if (type.empty() || bus.type() == type)
                out.push_back(std::move(bus));
        }
    return out;
}

} // namespace hivescope::test
