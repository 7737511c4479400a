// wss:// on the loopback transport: our satellite and our master over TLS with a self-signed
// certificate made in memory (handshake, BUS round trip, binary frame), and every way TLS can go
// wrong ending as a named refusal on both sides rather than a hang: an untrusted certificate, a
// wrong host name, a plain ws:// client at a wss:// server and a wss:// client at a plain one.
// The port closes with the hive.

#include "catch.hpp"
#include "round_trips.hpp"

#include "hivescope/node/satellite_node.hpp"
#include "hivescope/protocol/error.hpp"
#include "hivescope/protocol/json_codec.hpp"
#include "hivescope/topology/topology_builder.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <thread>

using namespace hivescope;
using namespace std::chrono_literals;

namespace {

/// One master serving wss:// (or ws:// without `tls`) with a few PBKDF2 iterations, and its
/// satellite S1 connecting over the socket.
topology::TopologyBuilder tls_star(std::optional<sim::TlsServerOptions> tls) {
    topology::TopologyBuilder builder;
    builder.options().satellite_pubkeys = false; // no INTERCOM: no RSA key generation
    builder.options().kdf_iterations = 1000;
    topology::MasterSpec master;
    master.use_loopback = true;
    master.options.kdf_iterations = 1000; // the socket keeps the master's own count
    master.loopback_tls = std::move(tls);
    builder.add_master("M0", master);
    topology::SatelliteSpec spec;
    spec.acl.allowed_types = {"recognizer_loop:utterance"};
    builder.add_satellite("S1", "M0", spec);
    return builder;
}

sim::TlsServerOptions server_tls(const std::string& common_name) {
    const auto cert = sim::make_self_signed_certificate(common_name);
    return {cert.certificate_pem, cert.private_key_pem};
}

/// A satellite of the hive's network with a fresh record at M0, connecting to `url`.
node::SatelliteNode outsider(topology::Hive& hive, const std::string& url) {
    node::ClientRecord r;
    r.name = "outsider";
    r.api_key = "outsider-key";
    r.password = "outsider-pw";
    r.allowed_types = {"recognizer_loop:utterance"};
    hive.master("M0").database().add(r);
    node::SatelliteOptions options;
    options.node_id = "outsider";
    options.master_address = url;
    options.access_key = r.api_key;
    options.password = r.password;
    options.kdf_iterations = 1000;
    options.announce_pubkey = false;
    return node::SatelliteNode(hive.network(), options);
}

/// Whether the master recorded a refused connection whose reason starts with `prefix`.
bool refusal_recorded(topology::Hive& hive, const std::string& prefix) {
    for (const auto& entry : hive.recorder("M0"))
        if (entry.kind == record::Kind::refusal && entry.reason.rfind(prefix, 0) == 0)
            return true;
    return false;
}

struct Probe : sim::FrameHandler {
    std::optional<sim::CloseEvent> closed;
    bool opened = false;
    void on_open(sim::Connection&) override { opened = true; }
    void on_frame(sim::Connection&, const sim::Frame&) override {}
    void on_close(sim::Connection&, const sim::CloseEvent& e) override { closed = e; }
};

} // namespace

TEST_CASE("tls: wss:// URLs parse with their default port; bad certificate input is a typed "
          "error",
          "[loopback][tls]") {
    const auto url = sim::parse_websocket_url("wss://example.org/hive?x=1");
    CHECK(url.tls);
    CHECK(url.port == 443);
    CHECK(url.host == "example.org");
    CHECK(url.target == "/hive?x=1");
    CHECK_FALSE(sim::parse_websocket_url("ws://example.org:81").tls);
    CHECK(sim::is_websocket_url("wss://h:1/"));
    CHECK_FALSE(sim::is_websocket_url("M0"));
    CHECK_THROWS_AS(sim::parse_websocket_url("https://h/"), protocol::ProtocolError);

    const auto cert = sim::make_self_signed_certificate("127.0.0.1");
    CHECK(cert.certificate_pem.rfind("-----BEGIN CERTIFICATE-----", 0) == 0);
    CHECK(cert.private_key_pem.rfind("-----BEGIN PRIVATE KEY-----", 0) == 0);
    CHECK_THROWS_AS(sim::make_self_signed_certificate(""), protocol::ProtocolError);
    CHECK_THROWS_AS(sim::make_self_signed_certificate("a,b"), protocol::ProtocolError);

    sim::Simulation sim;
    sim::Network net(sim);
    struct Refuser : sim::Acceptor {
        void on_connect(std::shared_ptr<sim::Connection> c, const sim::ConnectRequest&) override {
            c->refuse({1008, "no"});
        }
    } acceptor;
    sim::WebSocketServerOptions bad;
    bad.tls = sim::TlsServerOptions{"not a pem", cert.private_key_pem};
    CHECK_THROWS_WITH(sim::WebSocketHost(net, acceptor, bad),
                      Catch::Contains("bad TLS certificate chain PEM"));
    bad.tls = sim::TlsServerOptions{cert.certificate_pem,
                                    sim::make_self_signed_certificate("x").private_key_pem};
    CHECK_THROWS_WITH(sim::WebSocketHost(net, acceptor, bad),
                      Catch::Contains("key values mismatch"));
    net.loopback().tls.ca_pem = "not a pem";
    Probe probe;
    CHECK_THROWS_WITH(net.connect("wss://127.0.0.1:1/", {"x", "probe"}, probe),
                      Catch::Contains("bad TLS CA certificate PEM"));
}

TEST_CASE("tls: our satellite and our master over wss://: handshake, BUS round trip and a "
          "binary frame; the port closes with the hive",
          "[loopback][tls]") {
    std::string url;
    {
        auto hive = tls_star(server_tls("127.0.0.1")).start();
        auto& master = hive.master("M0");
        auto& sat = hive.satellite("S1");
        url = hive.loopback_url("M0");
        CHECK(url.rfind("wss://127.0.0.1:", 0) == 0);
        REQUIRE(sat.handshake_complete());
        CHECK(sat.role().connection()->remote_name() == url); // the real TLS link
        CHECK(sat.role().master_node_id() == "M0");

        loopback_tests::check_speak_round_trip(hive, master, sat);
        loopback_tests::check_audio_delivered(hive, master, sat, 200'000, 13);

        // An explicitly insecure client connects without trusting the certificate.
        hive.network().loopback().tls = sim::TlsClientOptions{{}, true};
        auto trusting_nothing = outsider(hive, url);
        trusting_nothing.connect();
        REQUIRE(hive.run_until([&] { return trusting_nothing.handshake_complete(); }, 5s));
    }
    // The hive is gone: its port is closed.
    sim::Simulation sim;
    sim::Network net(sim);
    net.loopback().tls.insecure = true;
    Probe probe;
    auto connection = net.connect(url, {"x", "probe"}, probe);
    REQUIRE(sim.run_until([&] { return probe.closed.has_value(); }, 5s));
    CHECK_FALSE(probe.opened);
    CHECK(probe.closed->code == sim::close_code::abnormal);
    CHECK(probe.closed->reason.rfind("connect:", 0) == 0);
    // The failed session lets go of its socket on the I/O thread: a bounded real-time wait.
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (net.loopback().live_sessions() != 0 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(1ms);
    CHECK(net.loopback().live_sessions() == 0);
}

TEST_CASE("tls: an untrusted certificate or a wrong host name is refused with a named reason "
          "on both sides",
          "[loopback][tls]") {
    auto hive = tls_star(server_tls("127.0.0.1")).start();
    const auto url = hive.loopback_url("M0");
    REQUIRE(hive.satellite("S1").handshake_complete()); // trusted through the topology

    SECTION("untrusted: only the system store") {
        hive.network().loopback().tls = sim::TlsClientOptions{};
        auto intruder = outsider(hive, url);
        intruder.connect();
        REQUIRE(hive.run_until([&] { return intruder.role().failure().has_value(); }, 5s));
        CHECK_FALSE(intruder.handshake_complete());
        CHECK(intruder.role().failure()->close.code == sim::close_code::abnormal);
        CHECK_THAT(intruder.role().failure()->close.reason,
                   Catch::StartsWith("tls handshake: certificate verify failed") &&
                       Catch::Contains("self-signed certificate"));
        CHECK(hive.run_until([&] { return refusal_recorded(hive, "tls handshake: "); }, 5s));
    }
    SECTION("trusted certificate, but for another host") {
        const auto other = sim::make_self_signed_certificate("hive.example");
        hive.network().loopback().tls.ca_pem = other.certificate_pem;
        sim::WebSocketServerOptions options = hive.loopback_host("M0").options();
        options.port = 0;
        options.tls = sim::TlsServerOptions{other.certificate_pem, other.private_key_pem};
        sim::WebSocketHost host(hive.network(), hive.master("M0").role(), options); // 2nd port
        auto intruder = outsider(hive, host.url()); // wss://127.0.0.1: not hive.example
        intruder.connect();
        REQUIRE(hive.run_until([&] { return intruder.role().failure().has_value(); }, 5s));
        CHECK_THAT(intruder.role().failure()->close.reason,
                   Catch::StartsWith("tls handshake: certificate verify failed") &&
                       Catch::Contains("IP address mismatch"));
    }
    CHECK(hive.satellite("S1").handshake_complete());
}

TEST_CASE("tls: a plain ws:// client at a wss:// server, and a wss:// client at a plain server, "
          "end as named refusals",
          "[loopback][tls]") {
    SECTION("ws:// client, wss:// server") {
        auto hive = tls_star(server_tls("127.0.0.1")).start();
        std::string url = hive.loopback_url("M0");
        url.replace(0, 6, "ws://");
        auto plain = outsider(hive, url);
        plain.connect();
        REQUIRE(hive.run_until([&] { return plain.role().failure().has_value(); }, 5s));
        CHECK(plain.role().failure()->close.code == sim::close_code::abnormal);
        CHECK_THAT(plain.role().failure()->close.reason, Catch::StartsWith("handshake: "));
        CHECK(hive.run_until([&] { return refusal_recorded(hive, "tls handshake: "); }, 5s));
        CHECK(hive.satellite("S1").handshake_complete());
    }
    SECTION("wss:// client, ws:// server") {
        auto hive = tls_star(std::nullopt).start();
        std::string url = hive.loopback_url("M0");
        REQUIRE(url.rfind("ws://", 0) == 0);
        url.replace(0, 5, "wss://");
        hive.network().loopback().tls.insecure = true;
        auto secure = outsider(hive, url);
        secure.connect();
        REQUIRE(hive.run_until([&] { return secure.role().failure().has_value(); }, 5s));
        CHECK(secure.role().failure()->close.code == sim::close_code::abnormal);
        CHECK_THAT(secure.role().failure()->close.reason, Catch::StartsWith("tls handshake: "));
        CHECK(hive.run_until([&] { return refusal_recorded(hive, "bad upgrade request"); }, 5s));
        CHECK(hive.satellite("S1").handshake_complete());
    }
}
