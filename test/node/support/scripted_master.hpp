#pragma once
// A test-only master: it performs the master side of the handshake (password, RSA or
// pre-shared key) with the protocol core, then lets a test push any HiveMessage (or raw frame)
// to the satellite and inspect everything the satellite sent. It implements no routing or ACL, so
// satellite tests do not depend on the real master.

#include "hivescope/node/link_protocol.hpp"
#include "hivescope/node/satellite_node.hpp"
#include "hivescope/protocol/cipher.hpp"
#include "hivescope/protocol/encoding.hpp"
#include "hivescope/protocol/handshake_messages.hpp"
#include "hivescope/protocol/hive_message.hpp"
#include "hivescope/protocol/negotiation.hpp"
#include "hivescope/protocol/random.hpp"
#include "hivescope/protocol/rsa_handshake.hpp"
#include "hivescope/sim/network.hpp"
#include "hivescope/sim/simulation.hpp"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace hivescope::test {

/// How the scripted master behaves.
struct ScriptedMasterOptions {
    std::string address = "M0";
    std::string node_id = "M0";
    std::string record_name = "sat-record";
    int client_id = 1;
    /// The record's password; null means the request advertises `password: false`.
    std::optional<std::string> password = std::string("test-password");
    /// The record's pre-shared key: encrypt from accept onward (A.12.6).
    std::optional<std::string> crypto_key;
    unsigned kdf_iterations = 1000;
    bool binarize = false;
    /// Answer the password shake with a proof for another password.
    bool wrong_proof = false;
    /// Refuse every connection with this close instead of accepting.
    std::optional<sim::CloseEvent> refuse;
    /// Send HELLO + request on accept (off: the test pushes them itself).
    bool greet = true;
    std::vector<protocol::Encoding> encodings{protocol::master_default_encodings.begin(),
                                              protocol::master_default_encodings.end()};
    std::vector<protocol::Cipher> ciphers{protocol::master_default_ciphers.begin(),
                                          protocol::master_default_ciphers.end()};
};

/// One scripted master listening at `options.address`; it keeps the latest connection.
class ScriptedMaster final : public sim::Acceptor, public sim::FrameHandler {
  public:
    ScriptedMaster(sim::Network& network, std::shared_ptr<const protocol::RsaKeyPair> identity,
                   ScriptedMasterOptions options = {});
    ~ScriptedMaster() override;
    ScriptedMaster(const ScriptedMaster&) = delete;
    ScriptedMaster& operator=(const ScriptedMaster&) = delete;

    // ---- acting ------------------------------------------------------------------------------
    /// Sends `message` to the satellite: encrypted once a key exists, except HELLO and
    /// HANDSHAKE (A.9.1).
    void push(const protocol::HiveMessage& message);
    /// Sends a raw frame.
    void push_frame(sim::Frame frame);
    /// Closes the connection.
    void close(sim::CloseEvent close);
    /// The HELLO this master sends on accept.
    [[nodiscard]] protocol::HiveMessage hello_message() const;
    /// The shake request this master sends on accept.
    [[nodiscard]] protocol::HiveMessage request_message() const;

    // ---- inspecting --------------------------------------------------------------------------
    [[nodiscard]] const ScriptedMasterOptions& options() const noexcept { return options_; }
    [[nodiscard]] const protocol::RsaKeyPair& identity() const noexcept { return *identity_; }
    [[nodiscard]] node::LinkProtocol& link() noexcept { return link_; }
    [[nodiscard]] const std::shared_ptr<sim::Connection>& connection() const noexcept {
        return connection_;
    }
    /// The peer id the HELLO announced (`<useragent>::<id>::<name>::default`).
    [[nodiscard]] std::string announced_peer() const;
    /// Connection attempts seen (accepted or refused).
    [[nodiscard]] int connects() const noexcept { return connects_; }
    [[nodiscard]] const std::optional<protocol::Authorization>& authorization() const noexcept {
        return authorization_;
    }
    /// Every message decoded from the satellite, in order (handshake and HELLO included).
    [[nodiscard]] const std::vector<protocol::HiveMessage>& received() const noexcept {
        return received_;
    }
    /// The raw frames behind received(), same order.
    [[nodiscard]] const std::vector<sim::Frame>& frames() const noexcept { return frames_; }
    /// Whether each received() message arrived encrypted.
    [[nodiscard]] const std::vector<bool>& encrypted() const noexcept { return encrypted_; }
    /// Received messages of one type.
    [[nodiscard]] std::vector<protocol::HiveMessage> received_of(protocol::MessageType type) const;
    [[nodiscard]] const std::optional<protocol::ClientHandshake>& client_shake() const noexcept {
        return client_shake_;
    }
    [[nodiscard]] const std::optional<protocol::ClientHello>& client_hello() const noexcept {
        return client_hello_;
    }
    /// Frames that failed to decode, with the error text.
    [[nodiscard]] const std::vector<std::string>& decode_errors() const noexcept {
        return decode_errors_;
    }
    /// How the satellite's side closed the link, once it did.
    [[nodiscard]] const std::optional<sim::CloseEvent>& closed() const noexcept { return closed_; }
    [[nodiscard]] bool handshake_done() const noexcept { return link_.has_key(); }

    // ---- sim ---------------------------------------------------------------------------------
    void on_connect(std::shared_ptr<sim::Connection> connection,
                    const sim::ConnectRequest& request) override;
    void on_frame(sim::Connection& connection, const sim::Frame& frame) override;
    void on_close(sim::Connection& connection, const sim::CloseEvent& close) override;

  private:
    void answer_shake(const protocol::ClientHandshake& shake);

    sim::Network& network_;
    std::shared_ptr<const protocol::RsaKeyPair> identity_;
    ScriptedMasterOptions options_;
    protocol::SeededRandom random_;
    node::LinkProtocol link_;
    std::shared_ptr<sim::Connection> connection_;
    int connects_ = 0;
    std::optional<protocol::Authorization> authorization_;
    std::vector<protocol::HiveMessage> received_;
    std::vector<sim::Frame> frames_;
    std::vector<bool> encrypted_;
    std::optional<protocol::ClientHandshake> client_shake_;
    std::optional<protocol::ClientHello> client_hello_;
    std::vector<std::string> decode_errors_;
    std::optional<sim::CloseEvent> closed_;
};

/// RSA keys for node tests: the two keys of the handshake vectors (read at run time) and a
/// generated 1024-bit stranger, made once per test binary because key generation is slow.
struct TestKeys {
    std::shared_ptr<const protocol::RsaKeyPair> master;
    std::shared_ptr<const protocol::RsaKeyPair> satellite;
    std::shared_ptr<const protocol::RsaKeyPair> stranger;
};
[[nodiscard]] const TestKeys& test_keys();

/// Satellite options for tests: S0 at site `kitchen`, to M0, password `test-password`, a low
/// PBKDF2 count (1000, matching ScriptedMasterOptions).
[[nodiscard]] node::SatelliteOptions test_satellite_options();

/// A simulation with a scripted master and one satellite (with the vectors' satellite key).
struct SatelliteHarness {
    explicit SatelliteHarness(ScriptedMasterOptions master_options = {},
                              node::SatelliteOptions satellite_options = test_satellite_options(),
                              std::uint64_t seed = 7);

    /// Connects and runs until the simulation is idle.
    void connect();
    /// Runs until idle.
    void settle() { sim.run_until_idle(); }

    sim::Simulation sim;
    sim::Network net;
    ScriptedMaster master;
    node::SatelliteNode sat;
};

} // namespace hivescope::test
