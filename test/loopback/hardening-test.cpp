// Bad input and load on the loopback server (issue 5): garbage text and binary, frames before
// authentication, frames over the limit, handshakes that never finish (the server's upgrade
// timeout and the master's handshake timeout), a client that stops reading, 200 concurrent full
// handshakes and a reconnect storm of two waves. The server answers each with its close code
// (protocol.md B.14, RFC 6455), records every refused or closed client with the reason, keeps
// serving the others, and leaves no thread, socket or port behind. All on 127.0.0.1, bounded in
// count and time.
//
// The misbehaving clients are hand-driven: blocking Boost calls on the test thread for what the
// server's I/O thread answers alone (the upgrade), and a reader thread for what the simulation
// decides (the test thread keeps running it meanwhile).

#include "catch.hpp"

#include "hivescope/node/master_node.hpp"
#include "hivescope/node/satellite_node.hpp"
#include "hivescope/protocol/handshake_messages.hpp"
#include "hivescope/protocol/hive_message.hpp"
#include "hivescope/protocol/json_codec.hpp"
#include "hivescope/sim/websocket.hpp"
#include "hivescope/topology/topology_builder.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include <sys/socket.h>

#include <atomic>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

using namespace hivescope;
using namespace std::chrono_literals;
using sim::CloseEvent;
using sim::Frame;

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

namespace {

std::size_t thread_count() {
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& entry :
         std::filesystem::directory_iterator("/proc/self/task"))
        ++n;
    return n;
}

tcp::endpoint loopback_endpoint(std::uint16_t port) {
    return {asio::ip::make_address("127.0.0.1"), port};
}

/// A TCP client that writes raw bytes and reads everything the server sends until it closes.
class RawSocket {
  public:
    explicit RawSocket(std::uint16_t port) : socket_(io_) {
        socket_.connect(loopback_endpoint(port));
        fd_ = socket_.native_handle(); // read here, before the reader thread uses the socket
    }
    ~RawSocket() { stop(); }
    RawSocket(const RawSocket&) = delete;
    RawSocket& operator=(const RawSocket&) = delete;

    void write(std::string_view bytes) {
        asio::write(socket_, asio::buffer(bytes.data(), bytes.size()));
    }
    /// Reads until the server closes, on a thread.
    void read_to_end_in_background() {
        reader_ = std::thread([this] {
            std::array<char, 4096> chunk{};
            boost::system::error_code ec;
            for (;;) {
                const std::size_t n = socket_.read_some(asio::buffer(chunk), ec);
                if (ec)
                    break;
                const std::lock_guard lock(mutex_);
                received_.append(chunk.data(), n);
            }
            done_ = true;
        });
    }
    [[nodiscard]] bool done() const noexcept { return done_.load(); }
    /// What the server sent so far.
    [[nodiscard]] std::string received() const {
        const std::lock_guard lock(mutex_);
        return received_;
    }
    /// Unblocks and joins the reader.
    void stop() {
        if (reader_.joinable()) {
            ::shutdown(fd_, SHUT_RDWR);
            reader_.join();
        }
    }

  private:
    asio::io_context io_;
    tcp::socket socket_;
    int fd_ = -1;
    std::thread reader_;
    std::atomic<bool> done_{false};
    mutable std::mutex mutex_;
    std::string received_;
};

/// A WebSocket client that upgrades with an authorization, sends what the test says (before
/// reading anything), then reads frames on a thread until the close.
class RawWebSocket {
  public:
    RawWebSocket(std::uint16_t port, const std::string& authorization, int receive_buffer = 0)
        : ws_(io_) {
        auto& socket = ws_.next_layer();
        socket.open(tcp::v4());
        if (receive_buffer > 0)
            socket.set_option(asio::socket_base::receive_buffer_size(receive_buffer));
        socket.connect(loopback_endpoint(port));
        fd_ = socket.native_handle();
        ws_.handshake("127.0.0.1:" + std::to_string(port), "/?authorization=" + authorization);
    }
    ~RawWebSocket() { stop(); }
    RawWebSocket(const RawWebSocket&) = delete;
    RawWebSocket& operator=(const RawWebSocket&) = delete;

    void send_text(const std::string& text) {
        ws_.text(true);
        ws_.write(asio::buffer(text));
    }
    void send_binary(const std::string& bytes) {
        ws_.binary(true);
        ws_.write(asio::buffer(bytes));
    }
    /// Bytes straight onto the socket, under the WebSocket framing.
    void send_raw(std::string_view bytes) {
        asio::write(ws_.next_layer(), asio::buffer(bytes.data(), bytes.size()));
    }
    void read_in_background() {
        reader_ = std::thread([this] {
            for (;;) {
                beast::flat_buffer buffer;
                beast::error_code ec;
                ws_.read(buffer, ec);
                if (ec) {
                    const std::lock_guard lock(mutex_);
                    if (ec == websocket::error::closed)
                        close_ = CloseEvent{
                            static_cast<std::uint16_t>(ws_.reason().code),
                            std::string(ws_.reason().reason.data(), ws_.reason().reason.size())};
                    else
                        error_ = ec.message();
                    break;
                }
                const std::lock_guard lock(mutex_);
                frames_.push_back(beast::buffers_to_string(buffer.data()));
            }
            done_ = true;
        });
    }
    [[nodiscard]] bool done() const noexcept { return done_.load(); }
    [[nodiscard]] std::optional<CloseEvent> close() const {
        const std::lock_guard lock(mutex_);
        return close_;
    }
    [[nodiscard]] std::string error() const {
        const std::lock_guard lock(mutex_);
        return error_;
    }
    [[nodiscard]] std::vector<std::string> frames() const {
        const std::lock_guard lock(mutex_);
        return frames_;
    }
    void stop() {
        if (reader_.joinable()) {
            ::shutdown(fd_, SHUT_RDWR);
            reader_.join();
        }
    }

  private:
    asio::io_context io_;
    websocket::stream<tcp::socket> ws_;
    int fd_ = -1;
    std::thread reader_;
    std::atomic<bool> done_{false};
    mutable std::mutex mutex_;
    std::optional<CloseEvent> close_;
    std::string error_;
    std::vector<std::string> frames_;
};

constexpr unsigned test_kdf_iterations = 64; // both ends of every handshake here agree on it

/// A master on a real port, with one client record ("good-key" / "pw").
struct LoopbackMaster {
    explicit LoopbackMaster(sim::WebSocketServerOptions server = {},
                            node::MasterOptions options = master_options())
        : net(simulation), master(net, std::move(options)),
          host(net, master.role(), with_name(std::move(server))) {
        node::ClientRecord record;
        record.name = "good";
        record.api_key = "good-key";
        record.password = "pw";
        record.allowed_types = {"recognizer_loop:utterance"};
        master.database().add(record);
        // The master's RSA key is made now, not during the first client's handshake: a loaded
        // machine can take longer to generate it than the short timeouts these tests use.
        (void)master.core().identity();
    }

    static node::MasterOptions master_options() {
        node::MasterOptions options;
        options.node_id = "M0";
        options.kdf_iterations = test_kdf_iterations;
        return options;
    }
    static sim::WebSocketServerOptions with_name(sim::WebSocketServerOptions server) {
        server.name = "M0";
        return server;
    }

    [[nodiscard]] std::uint16_t port() const { return host.port(); }

    /// Records of `kind` with close code `code` whose reason starts with `reason`.
    [[nodiscard]] std::size_t records(record::Kind kind, std::uint16_t code,
                                      std::string_view reason) {
        std::size_t n = 0;
        for (const auto& entry : master.recorder())
            if (entry.kind == kind && entry.outcome == record::Outcome::closed &&
                entry.code == std::to_string(code) && entry.reason.rfind(reason, 0) == 0)
                ++n;
        return n;
    }
    [[nodiscard]] std::size_t inbound_records() {
        std::size_t n = 0;
        for (const auto& entry : master.recorder())
            n += entry.kind == record::Kind::in ? 1 : 0;
        return n;
    }

    /// Runs the simulation until `done` (wall time, bounded). Polls: what a raw client's thread
    /// sees does not wake the simulation.
    template <class Done> bool wait(Done done, sim::Duration timeout = 5s) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (!done()) {
            if (std::chrono::steady_clock::now() >= deadline)
                return false;
            simulation.run_until([&] { return done(); }, 5ms);
        }
        return true;
    }

    /// A real satellite completes a full handshake: the server still serves.
    void check_still_serving(const std::string& name) {
        node::SatelliteOptions options;
        options.node_id = name;
        options.master_address = host.url();
        options.access_key = "good-key";
        options.password = "pw";
        options.announce_pubkey = false;
        options.kdf_iterations = test_kdf_iterations;
        node::SatelliteNode satellite(net, options);
        satellite.connect();
        REQUIRE(wait([&] {
            const auto client = master.find_client(satellite.role().peer_id());
            return satellite.handshake_complete() && client && client->registered;
        }));
        satellite.disconnect();
        REQUIRE(wait([&] { return master.clients().empty(); }));
    }

    sim::Simulation simulation{7};
    sim::Network net;
    node::MasterNode master;
    sim::WebSocketHost host;
};

const std::string good_authorization = protocol::make_authorization("raw", "good-key");

/// The first close frame in raw server bytes after the HTTP response: {code, reason}.
std::optional<CloseEvent> close_frame_after_upgrade(const std::string& bytes) {
    const auto end = bytes.find("\r\n\r\n");
    if (end == std::string::npos)
        return std::nullopt;
    std::size_t at = end + 4;
    while (at + 2 <= bytes.size()) {
        const auto opcode = static_cast<unsigned char>(bytes[at]) & 0x0f;
        const std::size_t length = static_cast<unsigned char>(bytes[at + 1]) & 0x7f; // < 126 here
        if (at + 2 + length > bytes.size())
            return std::nullopt;
        if (opcode == 0x8 && length >= 2) {
            const auto code =
                static_cast<std::uint16_t>((static_cast<unsigned char>(bytes[at + 2]) << 8) |
                                           static_cast<unsigned char>(bytes[at + 3]));
            return CloseEvent{code, bytes.substr(at + 4, length - 2)};
        }
        at += 2 + length;
    }
    return std::nullopt;
}

/// A client-to-server (masked, zero key) text frame of fewer than 126 bytes.
std::string masked_text_frame(std::string_view text) {
    std::string frame;
    frame.push_back(static_cast<char>(0x81));
    frame.push_back(static_cast<char>(0x80 | text.size()));
    frame.append(4, '\0'); // masking key 0: the payload goes as is
    frame.append(text);
    return frame;
}

} // namespace

TEST_CASE("hardening: garbage, protocol violations and frames over the limit close with their "
          "code, are recorded, and the server keeps serving",
          "[loopback][hardening]") {
    LoopbackMaster fixture({.max_frame_bytes = 64 * 1024});
    struct Case {
        const char* what;
        std::function<void(RawWebSocket&)> send;
        std::uint16_t code;
        std::string reason;  // prefix, as recorded
        bool reason_on_wire; // the master's own close; Beast closes with a code only
    };
    const std::vector<Case> cases{
        {"garbage text", [](RawWebSocket& c) { c.send_text("this is not a HiveMessage {"); },
         sim::close_code::protocol_error, "malformed frame", true},
        {"garbage binary",
         [](RawWebSocket& c) { c.send_binary(std::string("\xff\x00\x13\x37garbage", 11)); },
         sim::close_code::protocol_error, "malformed frame", true},
        {"a text frame that is not UTF-8",
         [](RawWebSocket& c) { c.send_text("\xc3\x28 not utf-8"); }, sim::close_code::bad_payload,
         "text frame not UTF-8", false},
        {"bytes that are not WebSocket framing",
         [](RawWebSocket& c) { c.send_raw("\x0f\x05hello"); }, sim::close_code::protocol_error,
         "websocket protocol violation", false},
        {"a frame over the limit",
         [](RawWebSocket& c) { c.send_text(std::string(64 * 1024 + 1, 'x')); },
         sim::close_code::too_big, "message too big", false},
        {"a BUS before the handshake",
         [](RawWebSocket& c) {
             c.send_text(protocol::serialize_json(
                 protocol::HiveMessage::bus(protocol::BusMessage("recognizer_loop:utterance"))));
         },
         sim::close_code::policy_violation, "unsupported protocol version", true},
    };
    for (const auto& c : cases) {
        INFO(c.what);
        const auto closes = [&] {
            return fixture.records(record::Kind::verdict, c.code, c.reason);
        };
        const std::size_t before = closes();
        RawWebSocket client(fixture.port(), good_authorization);
        c.send(client);
        client.read_in_background();
        const bool closed = fixture.wait([&] { return client.done() && closes() > before; });
        INFO("client error: " << client.error());
        REQUIRE(closed);
        REQUIRE(client.close());
        CHECK(client.close()->code == c.code);
        if (c.reason_on_wire)
            CHECK(client.close()->reason.rfind(c.reason, 0) == 0);
        CHECK(closes() == before + 1);
        REQUIRE(fixture.wait([&] { return fixture.master.clients().empty(); }));
    }
    // Undecodable frames are also kept as decode errors, with the raw frame.
    std::size_t decode_errors = 0;
    for (const auto& entry : fixture.master.recorder())
        decode_errors += entry.kind == record::Kind::decode_error && entry.frame ? 1 : 0;
    CHECK(decode_errors == 2);
    fixture.check_still_serving("after-garbage");
}

TEST_CASE("hardening: frames before authentication reach nobody", "[loopback][hardening]") {
    LoopbackMaster fixture;

    SECTION("an unknown key: the frames sent right after the upgrade are dropped, 1008") {
        RawWebSocket client(fixture.port(), protocol::make_authorization("raw", "no-such-key"));
        client.send_text("{\"msg_type\": \"bus\", \"payload\": {}}");
        client.send_binary("\x01\x02\x03");
        client.read_in_background();
        REQUIRE(fixture.wait([&] { return client.done(); }));
        REQUIRE(client.close());
        CHECK(*client.close() == CloseEvent{1008, "invalid api key"});
        CHECK(client.frames().empty());
        CHECK(fixture.records(record::Kind::refusal, 1008, "invalid api key") == 1);
        CHECK(fixture.inbound_records() == 0);
    }

    SECTION("no authorization at all: 1008 invalid authorization") {
        RawWebSocket client(fixture.port(), "");
        client.send_text("hello?");
        client.read_in_background();
        REQUIRE(fixture.wait([&] { return client.done(); }));
        REQUIRE(client.close());
        CHECK(*client.close() == CloseEvent{1008, "invalid authorization"});
        CHECK(fixture.records(record::Kind::refusal, 1008, "invalid authorization") == 1);
        CHECK(fixture.inbound_records() == 0);
    }

    SECTION("a frame sent with the upgrade request, before the server's answer: 1002") {
        RawSocket client(fixture.port());
        client.write("GET /?authorization=" + good_authorization +
                     " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: "
                     "Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                     "Sec-WebSocket-Version: 13\r\n\r\n" +
                     masked_text_frame("too early"));
        client.read_to_end_in_background();
        // The server waits for the client's close reply (this one never sends it): the close
        // frame is the answer.
        REQUIRE(fixture.wait([&] {
            return close_frame_after_upgrade(client.received()) &&
                   fixture.records(record::Kind::refusal, 1002, "frames") == 1;
        }));
        CHECK(client.received().rfind("HTTP/1.1 101", 0) == 0);
        const auto close = close_frame_after_upgrade(client.received());
        REQUIRE(close);
        CHECK(*close == CloseEvent{1002, "frames before the upgrade response"});
        CHECK(fixture.inbound_records() == 0);
        CHECK(fixture.master.clients().empty());
    }
    fixture.check_still_serving("after-early-frames");
}

TEST_CASE("hardening: what is not a WebSocket upgrade gets 400 and a recorded refusal",
          "[loopback][hardening]") {
    LoopbackMaster fixture;
    static constexpr char tls_hello[] = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 tls?\r\n\r\n";
    const std::vector<std::string> requests{
        "GARBAGE GARBAGE GARBAGE\r\n\r\n", std::string(tls_hello, sizeof tls_hello - 1),
        "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", // plain HTTP, no upgrade
    };
    std::size_t refused = 0;
    for (const auto& request : requests) {
        INFO(request);
        RawSocket client(fixture.port());
        client.write(request);
        client.read_to_end_in_background();
        ++refused;
        REQUIRE(fixture.wait([&] {
            return client.done() &&
                   fixture.records(record::Kind::refusal, 1002, "bad upgrade request: ") == refused;
        }));
        CHECK(client.received().rfind("HTTP/1.1 400", 0) == 0);
    }
    CHECK(fixture.inbound_records() == 0);
    fixture.check_still_serving("after-http-garbage");
}

TEST_CASE("hardening: handshakes that never finish time out (server upgrade and master "
          "handshake), recorded with the reason",
          "[loopback][hardening]") {
    auto options = LoopbackMaster::master_options();
    // Long enough that the in-time client below (whose handshake may wait for the master's RSA
    // key generation, ~0.1-0.5 s on a loaded machine) never trips it.
    options.handshake_timeout = 1500ms;
    LoopbackMaster fixture({.handshake_timeout = 200ms}, options);
    CHECK(sim::WebSocketServerOptions{}.handshake_timeout == 10s);
    CHECK(node::MasterOptions{}.handshake_timeout == 10s);

    SECTION("no upgrade request, or half of one, within the server's timeout") {
        RawSocket silent(fixture.port());
        RawSocket partial(fixture.port());
        partial.write("GET /?authorization=" + good_authorization + " HTTP/1.1\r\nHost: x\r\n");
        silent.read_to_end_in_background();
        partial.read_to_end_in_background();
        const auto start = std::chrono::steady_clock::now();
        REQUIRE(fixture.wait([&] {
            return silent.done() && partial.done() &&
                   fixture.records(record::Kind::refusal, 1008, "handshake timeout") == 2;
        }));
        CHECK(std::chrono::steady_clock::now() - start >= 150ms);
        CHECK(silent.received().empty());
        for (const auto& entry : fixture.master.recorder())
            if (entry.kind == record::Kind::refusal) {
                CHECK(entry.reason == "handshake timeout: no WebSocket upgrade within 200 ms");
                CHECK(entry.peer.str().rfind("127.0.0.1:", 0) == 0);
            }
    }

    SECTION("upgraded and authenticated, but no HiveMind handshake within the master's timeout") {
        RawWebSocket client(fixture.port(), good_authorization);
        client.read_in_background();
        REQUIRE(fixture.wait([&] { return client.done(); }));
        REQUIRE(client.close());
        CHECK(*client.close() == CloseEvent{1008, "handshake timeout"});
        CHECK(client.frames().size() == 2); // the master's HELLO and HANDSHAKE
        CHECK(fixture.records(record::Kind::verdict, 1008, "handshake timeout") == 1);
        REQUIRE(fixture.wait([&] { return fixture.master.clients().empty(); }));
    }
    SECTION("a client that finishes in time is not affected") {
        fixture.check_still_serving("in-time");
        fixture.simulation.run_for(1600ms);
        CHECK(fixture.records(record::Kind::verdict, 1008, "handshake timeout") == 0);
        CHECK(fixture.records(record::Kind::refusal, 1008, "handshake timeout") == 0);
    }
}

namespace {

/// Accepts everything; counts closes; echoes.
struct FloodServer : sim::Acceptor, sim::FrameHandler {
    std::vector<std::shared_ptr<sim::Connection>> connections;
    std::vector<CloseEvent> closes;
    std::size_t echoed = 0;

    void on_connect(std::shared_ptr<sim::Connection> c, const sim::ConnectRequest&) override {
        c->accept(*this);
        connections.push_back(c);
    }
    void on_frame(sim::Connection& c, const Frame& f) override {
        ++echoed;
        c.send(f);
    }
    void on_close(sim::Connection&, const CloseEvent& e) override { closes.push_back(e); }
};

struct EchoClient : sim::FrameHandler {
    std::vector<Frame> frames;
    std::optional<CloseEvent> closed;
    bool opened = false;
    void on_open(sim::Connection&) override { opened = true; }
    void on_frame(sim::Connection&, const Frame& f) override { frames.push_back(f); }
    void on_close(sim::Connection&, const CloseEvent& e) override { closed = e; }
};

} // namespace

TEST_CASE("hardening: a client that stops reading is dropped at the write-queue bound; the "
          "server does not block and serves the others",
          "[loopback][hardening]") {
    std::thread([] {}).join(); // sanitizers start their helper thread with the first one
    const std::size_t threads_before = thread_count();
    {
        sim::Simulation simulation(9);
        sim::Network net(simulation);
        net.loopback().open_grace = 50ms; // FloodServer does not greet
        FloodServer server;
        constexpr std::size_t limit = 1 << 20;
        sim::WebSocketHost host(net, server, {.max_write_queue_bytes = limit});

        RawWebSocket stalled(host.port(), "stalled", 4096); // upgrades, then never reads
        REQUIRE(simulation.run_until([&] { return server.connections.size() == 1; }, 5s));
        const auto connection = server.connections[0];

        const std::string chunk(64 * 1024, 'z');
        std::size_t sent = 0;
        while (connection->is_open() && sent < (std::size_t{64} << 20)) {
            connection->send(Frame::text(chunk));
            sent += chunk.size();
            simulation.run_until([] { return false; }, 1ms);
        }
        REQUIRE(simulation.run_until([&] { return !server.closes.empty(); }, 5s));
        INFO("sent " << sent << " bytes before the drop");
        CHECK(sent < (std::size_t{64} << 20));
        CHECK(server.closes[0].code == sim::close_code::policy_violation);
        CHECK(server.closes[0].reason.rfind("write queue full: peer not reading", 0) == 0);

        // Meanwhile and afterwards, a reading client is served as usual.
        EchoClient reader;
        auto link = net.connect(host.url(), sim::ConnectRequest{"reader", "reader"}, reader);
        REQUIRE(simulation.run_until([&] { return reader.opened; }, 5s));
        link->send(Frame::text("still here"));
        REQUIRE(simulation.run_until([&] { return !reader.frames.empty(); }, 5s));
        CHECK(reader.frames[0] == Frame::text("still here"));
        link->close({1000, "done"});
        REQUIRE(simulation.run_until([&] { return reader.closed.has_value(); }, 5s));
        for (int i = 0; i < 200 && net.loopback().live_sessions() != 0; ++i)
            simulation.run_until([] { return false; }, 5ms);
        CHECK(net.loopback().live_sessions() == 0);
    }
    CHECK(thread_count() == threads_before);
}

TEST_CASE("hardening: 200 concurrent full handshakes, a reconnect storm of two waves, and "
          "nothing left behind",
          "[loopback][hardening][load]") {
    constexpr std::size_t satellites = 200;
    std::thread([] {}).join();
    const std::size_t threads_before = thread_count();
    std::string url;
    {
        topology::TopologyBuilder builder;
        builder.options().satellite_pubkeys = false;
        topology::MasterSpec master_spec;
        master_spec.use_loopback = true;
        master_spec.options.kdf_iterations = test_kdf_iterations; // over the socket too
        builder.add_master("M0", master_spec);
        for (std::size_t i = 0; i < satellites; ++i)
            builder.add_satellite("S" + std::to_string(i), "M0");
        auto hive = builder.start(); // every handshake complete, every HELLO registered
        url = hive.loopback_url("M0");
        auto& master = hive.master("M0");
        auto& transport = hive.network().loopback();
        CHECK(master.clients().size() == satellites);
        CHECK(transport.live_sessions() == 2 * satellites);
        CHECK(thread_count() == threads_before + 1); // one I/O thread for all of them

        // Checked every few milliseconds rather than before every event: a check copies the
        // master's 200 client descriptions.
        const auto wait = [&](auto done, sim::Duration timeout) {
            const auto deadline = std::chrono::steady_clock::now() + timeout;
            while (!done()) {
                if (std::chrono::steady_clock::now() >= deadline)
                    return false;
                hive.run_until([] { return false; }, 5ms);
            }
            return true;
        };
        const auto registered = [&] {
            std::size_t n = 0;
            for (const auto& client : master.clients())
                n += client.registered ? 1 : 0;
            return n;
        };
        for (int wave = 1; wave <= 2; ++wave) {
            INFO("wave " << wave);
            for (std::size_t i = 0; i < satellites; ++i)
                hive.satellite("S" + std::to_string(i)).disconnect();
            REQUIRE(wait([&] { return master.clients().empty() && transport.live_sessions() == 0; },
                         10s));
            for (std::size_t i = 0; i < satellites; ++i)
                hive.satellite("S" + std::to_string(i)).connect();
            REQUIRE(wait(
                [&] {
                    for (std::size_t i = 0; i < satellites; ++i)
                        if (!hive.satellite("S" + std::to_string(i)).handshake_complete())
                            return false;
                    return registered() == satellites;
                },
                20s));
            CHECK(transport.live_sessions() == 2 * satellites);
            CHECK(thread_count() == threads_before + 1);
        }
        // Nobody was refused or timed out on the way.
        std::size_t abnormal = 0;
        for (const auto& entry : master.recorder())
            abnormal += entry.kind == record::Kind::refusal ||
                                (entry.outcome == record::Outcome::closed && entry.code != "1000")
                            ? 1
                            : 0;
        CHECK(abnormal == 0);
    }
    CHECK(thread_count() == threads_before);
    // The port closed with the hive.
    sim::Simulation simulation;
    sim::Network net(simulation);
    EchoClient probe;
    auto connection = net.connect(url, sim::ConnectRequest{"x", "probe"}, probe);
    REQUIRE(simulation.run_until([&] { return probe.closed.has_value(); }, 5s));
    CHECK_FALSE(probe.opened);
    CHECK(probe.closed->code == sim::close_code::abnormal);
}
