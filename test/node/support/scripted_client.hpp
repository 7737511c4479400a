#pragma once
// A minimal satellite written only against the protocol core and the public frame interface
// (sim::FrameHandler): no node-layer code. It shows that a node we did not write can join a
// simulated hive, and lets master tests script exactly what a client sends: it connects with an
// access key, runs the password (or RSA, or pre-shared key) handshake, sends its HELLO, and then
// sends whatever HiveMessages or raw frames a test asks for, keeping everything it receives.

#include "hivescope/protocol/bus_message.hpp"
#include "hivescope/protocol/handshake_messages.hpp"
#include "hivescope/protocol/hive_message.hpp"
#include "hivescope/protocol/link_crypto.hpp"
#include "hivescope/protocol/negotiation.hpp"
#include "hivescope/protocol/password_handshake.hpp"
#include "hivescope/protocol/random.hpp"
#include "hivescope/protocol/rsa_handshake.hpp"
#include "hivescope/sim/network.hpp"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace hivescope::test {

/// How a scripted client connects and handshakes.
struct ScriptedClientOptions {
    std::string name = "S0";                  ///< node name (traces, random stream)
    std::string useragent;                    ///< empty: the name
    std::string access_key;                   ///< the record's api key
    std::optional<std::string> authorization; ///< raw authorization value, overriding the key
    std::optional<std::string> password;      ///< password handshake when set
    std::optional<std::string> preshared_key; ///< v0: no shake, HELLO under the PSK
    bool rsa = false;                         ///< RSA handshake (needs `identity`)
    std::shared_ptr<const protocol::RsaKeyPair> identity; ///< for RSA and the HELLO pubkey
    std::string session_id;                               ///< empty: `<name>-session`
    std::string site_id = "kitchen";
    bool binarize = false; ///< the `binarize` echoed in the client shake
    std::vector<std::string> encodings = protocol::proposal_names(
        std::span<const protocol::Encoding>(protocol::satellite_default_encodings));
    std::vector<std::string> ciphers = protocol::proposal_names(
        std::span<const protocol::Cipher>(protocol::satellite_default_ciphers));
    /// PBKDF2 iterations; must match the master's (simulated hives only).
    unsigned kdf_iterations = 1000;
    bool auto_handshake = true; ///< answer the master's request
    bool auto_hello = true;     ///< send the HELLO once keyed
};

/// The hand-written satellite.
class ScriptedClient : public sim::FrameHandler {
  public:
    ScriptedClient(sim::Network& network, ScriptedClientOptions options);
    ~ScriptedClient() override;
    ScriptedClient(const ScriptedClient&) = delete;
    ScriptedClient& operator=(const ScriptedClient&) = delete;

    /// Opens the link to the master listening at `address`.
    void connect(const std::string& address);

    // ---- sending -------------------------------------------------------------------------------
    /// Sends `message` as this client would: binary for BINARY (and BUS under binarize), text
    /// otherwise, encrypted once a key exists.
    void send(const protocol::HiveMessage& message);
    /// Sends `message` as plaintext JSON even when a key exists.
    void send_plaintext(const protocol::HiveMessage& message);
    /// Sends a frame as given.
    void send_raw(sim::Frame frame);
    /// A BUS message with `context.session` (this client's session) and source/destination set.
    [[nodiscard]] protocol::BusMessage
    make_bus(std::string type, protocol::Json data = protocol::Json::object()) const;
    /// Sends make_bus(type, data) as a BUS.
    void send_bus(std::string type, protocol::Json data = protocol::Json::object());
    /// Sends a HELLO with this client's session (or `session_id` when given).
    void send_hello(std::optional<std::string> session_id = std::nullopt);
    /// Closes the link from this side.
    void close(sim::CloseEvent close = {});

    // ---- state ---------------------------------------------------------------------------------
    [[nodiscard]] bool opened() const noexcept { return opened_; }
    /// The close the link ended with (a refusal, a close by the master, or our own).
    [[nodiscard]] const std::optional<sim::CloseEvent>& closed() const noexcept { return closed_; }
    /// The HELLO was sent.
    [[nodiscard]] bool ready() const noexcept { return hello_sent_; }
    [[nodiscard]] bool has_key() const noexcept { return crypto_.has_value(); }
    [[nodiscard]] const std::optional<protocol::LinkCrypto>& crypto() const noexcept {
        return crypto_;
    }
    [[nodiscard]] const std::optional<protocol::ServerHello>& server_hello() const noexcept {
        return server_hello_;
    }
    [[nodiscard]] const std::optional<protocol::HandshakeRequest>& request() const noexcept {
        return request_;
    }
    [[nodiscard]] const std::optional<protocol::HandshakeResponse>& response() const noexcept {
        return response_;
    }
    /// The peer id the master knows us by: its HELLO `peer` with our session id at the end.
    [[nodiscard]] std::string peer_id() const;
    [[nodiscard]] const std::string& session_id() const noexcept { return session_id_; }

    /// Every message received, in order.
    [[nodiscard]] const std::vector<protocol::HiveMessage>& received() const noexcept {
        return received_;
    }
    /// Received messages of one type.
    [[nodiscard]] std::vector<protocol::HiveMessage> received_of(protocol::MessageType type) const;
    /// OVOS messages of received BUS frames (of `type`, or all when empty).
    [[nodiscard]] std::vector<protocol::BusMessage> bus_received(std::string_view type = {}) const;
    /// Raw frames received, in order (ciphertext when encrypted).
    [[nodiscard]] const std::vector<sim::Frame>& frames() const noexcept { return frames_; }
    /// Frames that failed to decode, with the error.
    [[nodiscard]] const std::vector<std::string>& decode_errors() const noexcept {
        return decode_errors_;
    }
    [[nodiscard]] sim::Connection* connection() const noexcept { return connection_.get(); }
    [[nodiscard]] protocol::RandomSource& random() noexcept { return random_; }

    // ---- sim::FrameHandler ---------------------------------------------------------------------
    void on_open(sim::Connection& connection) override;
    void on_frame(sim::Connection& connection, const sim::Frame& frame) override;
    void on_close(sim::Connection& connection, const sim::CloseEvent& close) override;

  private:
    sim::Frame encode(const protocol::HiveMessage& message, bool encrypt);
    protocol::HiveMessage decode(const sim::Frame& frame);
    void on_handshake(const protocol::HiveMessage& message);

    sim::Network& network_;
    ScriptedClientOptions options_;
    protocol::SeededRandom random_;
    std::string session_id_;
    std::shared_ptr<sim::Connection> connection_;
    std::optional<protocol::LinkCrypto> crypto_;
    bool binarize_ = false;
    std::unique_ptr<protocol::PasswordHandshake> password_;
    bool awaiting_response_ = false; ///< only our own shake's response is acted on
    bool opened_ = false;
    bool hello_sent_ = false;
    std::optional<sim::CloseEvent> closed_;
    std::optional<protocol::ServerHello> server_hello_;
    std::optional<protocol::HandshakeRequest> request_;
    std::optional<protocol::HandshakeResponse> response_;
    std::vector<protocol::HiveMessage> received_;
    std::vector<sim::Frame> frames_;
    std::vector<std::string> decode_errors_;
};

} // namespace hivescope::test
