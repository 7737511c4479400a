#include "node/support/scripted_master.hpp"

#include "hivescope/protocol/error.hpp"
#include "hivescope/protocol/link_crypto.hpp"
#include "hivescope/protocol/password_handshake.hpp"

#include "vectors.hpp"

namespace hivescope::test {

using namespace hivescope::protocol;

ScriptedMaster::ScriptedMaster(sim::Network& network, std::shared_ptr<const RsaKeyPair> identity,
                               ScriptedMasterOptions options)
    : network_(network), identity_(std::move(identity)), options_(std::move(options)),
      random_(network.simulation().random_stream("scripted-master/" + options_.address)) {
    network_.listen(options_.address, *this);
}

ScriptedMaster::~ScriptedMaster() {
    network_.unlisten(options_.address);
    if (connection_)
        connection_->detach();
}

std::string ScriptedMaster::announced_peer() const {
    const std::string useragent = authorization_ ? authorization_->useragent : "?";
    return useragent + "::" + std::to_string(options_.client_id) + "::" + options_.record_name +
           "::default";
}

HiveMessage ScriptedMaster::hello_message() const {
    ServerHello hello{identity_->public_pem(), announced_peer(), options_.node_id};
    return HiveMessage(MessageType::hello, hello.to_json());
}

HiveMessage ScriptedMaster::request_message() const {
    HandshakeRequest request;
    request.handshake = !options_.crypto_key;
    request.binarize = options_.binarize;
    request.preshared_key = options_.crypto_key.has_value();
    request.password = options_.password.has_value();
    for (const auto e : options_.encodings)
        request.encodings.emplace_back(wire_name(e));
    for (const auto c : options_.ciphers)
        request.ciphers.emplace_back(wire_name(c));
    return HiveMessage(MessageType::handshake, request.to_json());
}

void ScriptedMaster::on_connect(std::shared_ptr<sim::Connection> connection,
                                const sim::ConnectRequest& request) {
    ++connects_;
    try {
        authorization_ = parse_authorization(request.authorization);
    } catch (const ProtocolError&) {
        authorization_.reset();
    }
    if (options_.refuse) {
        connection->refuse(*options_.refuse);
        return;
    }
    if (connection_)
        connection_->detach();
    connection_ = std::move(connection);
    connection_->accept(*this);
    link_ = node::LinkProtocol{};
    if (options_.crypto_key)
        link_.set_crypto(LinkCrypto(Cipher::aes_gcm, Encoding::json_hex,
                                    preshared_key_bytes(*options_.crypto_key)));
    if (options_.greet) {
        push(hello_message());
        push(request_message());
    }
}

void ScriptedMaster::push(const HiveMessage& message) {
    const bool plaintext =
        message.type() == MessageType::hello || message.type() == MessageType::handshake;
    connection_->send(link_.encode(message, random_, plaintext));
}

void ScriptedMaster::push_frame(sim::Frame frame) {
    connection_->send(std::move(frame));
}

void ScriptedMaster::close(sim::CloseEvent close) {
    connection_->close(std::move(close));
}

std::vector<HiveMessage> ScriptedMaster::received_of(MessageType type) const {
    std::vector<HiveMessage> out;
    for (const auto& message : received_)
        if (message.type() == type)
            out.push_back(message);
    return out;
}

void ScriptedMaster::on_frame(sim::Connection&, const sim::Frame& frame) {
    std::optional<node::DecodedFrame> opt;
    try {
        opt = link_.decode(frame);
    } catch (const ProtocolError& error) {
        decode_errors_.emplace_back(error.what());
        return;
    }
    const node::DecodedFrame& decoded = *opt;
    received_.push_back(decoded.message);
    frames_.push_back(frame);
    encrypted_.push_back(decoded.encrypted);
    const HiveMessage& message = decoded.message;
    if (message.type() == MessageType::handshake) {
        client_shake_ = ClientHandshake::from_json(message.payload());
        answer_shake(*client_shake_);
    } else if (message.type() == MessageType::hello) {
        client_hello_ = ClientHello::from_json(message.payload());
    }
}

void ScriptedMaster::answer_shake(const ClientHandshake& shake) {
    if (shake.is_rsa()) {
        const auto offer =
            rsa_master_handshake(*identity_, RsaPublicKey::from_pem(*shake.pubkey), random_);
        push(HiveMessage(MessageType::handshake,
                         HandshakeResponse{offer.envelope, "JSON-HEX", "AES-GCM"}.to_json()));
        link_.set_crypto(LinkCrypto(Cipher::aes_gcm, Encoding::json_hex, offer.secret));
        return;
    }
    if (!shake.is_password() || !options_.password) {
        close({sim::close_code::policy_violation, "handshake failed"});
        return;
    }
    PasswordHandshake handshake(*options_.password, options_.kdf_iterations);
    std::string envelope = handshake.start(random_);
    try {
        handshake.receive_and_verify(*shake.envelope);
    } catch (const ProtocolError&) {
        close({sim::close_code::policy_violation, "handshake failed"});
        return;
    }
    if (options_.wrong_proof)
        envelope = create_envelope("not-" + *options_.password, handshake.iv());
    const auto encoding = select_encoding(shake.effective_encodings(), options_.encodings);
    const auto cipher = select_cipher(shake.effective_ciphers(), options_.ciphers);
    if (!encoding || !cipher) {
        close({sim::close_code::policy_violation,
               !cipher ? "no common cipher" : "no common encoding"});
        return;
    }
    push(HiveMessage(MessageType::handshake,
                     HandshakeResponse{envelope, std::string(wire_name(*encoding)),
                                       std::string(wire_name(*cipher))}
                         .to_json()));
    link_.set_crypto(LinkCrypto(*cipher, *encoding, handshake.secret()));
    link_.set_binarize(shake.binarize && options_.binarize);
}

void ScriptedMaster::on_close(sim::Connection&, const sim::CloseEvent& close) {
    closed_ = close;
}

const TestKeys& test_keys() {
    static const TestKeys keys = [] {
        const auto file = load_vectors("handshake.json");
        std::shared_ptr<const RsaKeyPair> sender, receiver;
        for (const auto& c : vector_cases(file)) {
            if (const Json* pem = c.find("sender_private_pem"))
                sender = std::make_shared<const RsaKeyPair>(RsaKeyPair::from_pem(pem->as_string()));
            if (const Json* pem = c.find("receiver_private_pem"))
                receiver =
                    std::make_shared<const RsaKeyPair>(RsaKeyPair::from_pem(pem->as_string()));
        }
        if (!sender || !receiver)
            throw std::runtime_error("handshake.json has no RSA key pair case");
        SeededRandom random(99, "node-tests/stranger");
        return TestKeys{sender, receiver,
                        std::make_shared<const RsaKeyPair>(RsaKeyPair::generate(random, 1024))};
    }();
    return keys;
}

node::SatelliteOptions test_satellite_options() {
    node::SatelliteOptions options;
    options.node_id = "S0";
    options.site_id = "kitchen";
    options.master_address = "M0";
    options.access_key = "key-S0";
    options.password = "test-password";
    options.kdf_iterations = 1000;
    return options;
}

SatelliteHarness::SatelliteHarness(ScriptedMasterOptions master_options,
                                   node::SatelliteOptions satellite_options, std::uint64_t seed)
    : sim(seed), net(sim), master(net, test_keys().master, std::move(master_options)),
      sat(net, std::move(satellite_options)) {
    sat.core().set_identity(test_keys().satellite);
}

void SatelliteHarness::connect() {
    sat.connect();
    sim.run_until_idle();
}

} // namespace hivescope::test
