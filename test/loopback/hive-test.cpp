// Our satellite and our master over real sockets: `add_master(name, {.use_loopback = true})`
// gives the same MasterNode, recorder and rules as a simulated hive, with the satellites of that
// master connecting over ws://127.0.0.1:<port>/. Handshake with the real PBKDF2 count, encrypted
// HELLO, BUS injected and the reply routed back, a binary frame, a refused key (1008 over the
// wire), a ws:// satellite joining next to simulated ones, and the port closed after the guard.

#include "catch.hpp"
#include "round_trips.hpp"

#include "hivescope/node/satellite_node.hpp"
#include "hivescope/protocol/json_codec.hpp"
#include "hivescope/topology/topology_builder.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <thread>

using namespace hivescope;
using namespace std::chrono_literals;

namespace {

topology::TopologyBuilder loopback_star() {
    topology::TopologyBuilder builder;
    builder.options().satellite_pubkeys = false; // no INTERCOM: no RSA key generation
    builder.options().kdf_iterations = 1000;     // simulated links only; the socket keeps 100000
    builder.add_master("M0", {.use_loopback = true});
    topology::SatelliteSpec spec;
    spec.acl.allowed_types = {"recognizer_loop:utterance"};
    builder.add_satellite("S1", "M0", spec);
    return builder;
}

} // namespace

TEST_CASE("loopback hive: handshake, encrypted HELLO, BUS round trip and binary over a socket",
          "[loopback][hive]") {
    auto hive = loopback_star().start();
    auto& master = hive.master("M0");
    auto& sat = hive.satellite("S1");
    const auto url = hive.loopback_url("M0");
    CHECK(hive.loopback_port("M0") != 0);
    REQUIRE(sat.handshake_complete());
    CHECK(sat.role().connection()->remote_name() == url); // a real link, not a simulated one
    CHECK(sat.role().options().kdf_iterations == protocol::password_kdf_iterations);
    CHECK(sat.role().cipher() == protocol::Cipher::aes_gcm);
    CHECK(sat.role().master_node_id() == "M0");
    // The satellite is ready once its HELLO is sent; the master registers it on arrival.
    REQUIRE(hive.run_until(
        [&] {
            const auto client = master.find_client(sat.role().peer_id());
            return client && client->registered;
        },
        5s));

    // The satellite's HELLO crossed the socket encrypted: the raw frame the master recorded does
    // not show the plaintext type.
    bool saw_hello = false;
    for (const auto& entry : master.recorder())
        if (entry.kind == record::Kind::in && entry.type() == protocol::MessageType::hello) {
            saw_hello = true;
            REQUIRE(entry.frame);
            CHECK(entry.frame->data().find("\"hello\"") == std::string::npos);
        }
    CHECK(saw_hello);

    loopback_tests::check_speak_round_trip(hive, master, sat);
    const auto injected = master.agent().injected_of("recognizer_loop:utterance");
    REQUIRE(injected.size() == 1);
    CHECK(injected[0].context().get_string("source") == sat.role().peer_id());
    loopback_tests::check_audio_delivered(hive, master, sat, 300'000, 7);

    // Stop and start again: the same port comes back and the satellite handshakes again.
    const auto port = hive.loopback_port("M0");
    hive.stop();
    CHECK_FALSE(sat.connected());
    hive.start();
    CHECK(hive.loopback_port("M0") == port);
    CHECK(sat.handshake_complete());
}

TEST_CASE("loopback hive: an unknown key is refused with 1008 over the wire; a ws:// satellite "
          "joins next to simulated ones; the port closes with the hive",
          "[loopback][hive]") {
    std::string url;
    {
        auto builder = loopback_star();
        builder.add_satellite("S2", "M0");
        auto hive = builder.start();
        url = hive.loopback_url("M0");

        node::SatelliteOptions options;
        options.node_id = "intruder";
        options.master_address = url;
        options.access_key = "not-a-key";
        options.password = "whatever";
        options.announce_pubkey = false;
        node::SatelliteNode intruder(hive.network(), options);
        intruder.connect();
        REQUIRE(hive.run_until([&] { return intruder.role().failure().has_value(); }, 5s));
        CHECK(intruder.role().state() == node::LinkState::refused);
        CHECK(intruder.role().failure()->close == sim::CloseEvent{1008, "invalid api key"});
        CHECK(hive.satellite("S1").handshake_complete());
        CHECK(hive.satellite("S2").handshake_complete());

        // A second hive's satellite reaches M0 through its URL, as it would reach any master.
        const auto record = [&] {
            node::ClientRecord r;
            r.name = "outsider";
            r.api_key = "outsider-key";
            r.password = "outsider-pw";
            r.allowed_types = {"recognizer_loop:utterance"};
            return hive.master("M0").database().add(r);
        }();
        topology::TopologyBuilder other;
        other.options().satellite_pubkeys = false;
        other.add_master("LOCAL");
        topology::SatelliteSpec external;
        external.options.access_key = record.api_key;
        external.options.password = record.password;
        other.add_satellite("OUT", url, external);
        // The outsider's hive runs on its own simulation; M0's hive must run too for the
        // handshake, so drive both until the outsider is ready.
        std::optional<topology::Hive> outside;
        std::atomic<bool> started{false};
        std::thread runner([&] {
            outside.emplace(other.start());
            started = true;
        });
        hive.run_until([&] { return started.load(); }, 20s);
        runner.join();
        REQUIRE(outside);
        CHECK(outside->satellite("OUT").handshake_complete());
        CHECK(outside->satellite("OUT").role().master_node_id() == "M0");
    }
    // The hive is gone: its port is closed, so a fresh connection fails.
    sim::Simulation sim;
    sim::Network net(sim);
    struct Probe : sim::FrameHandler {
        std::optional<sim::CloseEvent> closed;
        void on_frame(sim::Connection&, const sim::Frame&) override {}
        void on_close(sim::Connection&, const sim::CloseEvent& e) override { closed = e; }
    } probe;
    auto connection = net.connect(url, sim::ConnectRequest{"x", "probe"}, probe);
    REQUIRE(sim.run_until([&] { return probe.closed.has_value(); }, 5s));
    CHECK(probe.closed->code == sim::close_code::abnormal);
}

TEST_CASE("loopback hive: the server's upgrade timeout and write-queue bound come from the "
          "master's spec; a socket that never upgrades is refused and recorded",
          "[loopback][hive]") {
    topology::TopologyBuilder builder;
    builder.options().satellite_pubkeys = false;
    topology::MasterSpec spec;
    spec.use_loopback = true;
    spec.loopback_handshake_timeout = 150ms;
    spec.loopback_max_write_queue_bytes = 1 << 20;
    builder.add_master("M0", spec);
    auto hive = builder.start();
    CHECK(hive.loopback_host("M0").options().handshake_timeout == 150ms);
    CHECK(hive.loopback_host("M0").options().max_write_queue_bytes == std::size_t{1} << 20);

    // A plain TCP connection that never sends its upgrade request.
    const int silent = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(silent >= 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(hive.loopback_port("M0"));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(silent, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0);
    const auto refused = [&] {
        for (const auto& entry : hive.recorder("M0"))
            if (entry.kind == record::Kind::refusal && entry.code == "1008" &&
                entry.reason == "handshake timeout: no WebSocket upgrade within 150 ms")
                return true;
        return false;
    };
    CHECK(hive.run_until(refused, 5s));
    ::close(silent);
}
