// Links: accept and refuse, FIFO delivery with per-frame times, close ordering, faults, and a
// node that sends from inside a handler without re-entering anyone.

#include "catch.hpp"

#include "hivescope/protocol/error.hpp"
#include "hivescope/sim/network.hpp"

#include <string>
#include <vector>

using namespace hivescope::sim;
using namespace std::chrono_literals;

namespace {

struct Log : FrameHandler {
    Simulation* sim = nullptr;
    std::vector<std::string> events;
    std::function<void(Connection&, const Frame&)> on_frame_action;

    void on_open(Connection& c) override { events.push_back("open " + c.remote_name()); }
    void on_frame(Connection& c, const Frame& f) override {
        events.push_back(format_time(sim->now()) + " " + f.data());
        if (on_frame_action)
            on_frame_action(c, f);
    }
    void on_close(Connection&, const CloseEvent& e) override {
        events.push_back("close " + std::to_string(e.code) + " " + e.reason);
    }
};

struct Server : Acceptor {
    Log handler;
    std::vector<std::shared_ptr<Connection>> connections;
    bool refuse_all = false;
    std::string last_authorization;

    void on_connect(std::shared_ptr<Connection> c, const ConnectRequest& request) override {
        last_authorization = request.authorization;
        if (refuse_all) {
            c->refuse({close_code::policy_violation, "invalid api key"});
            return;
        }
        c->accept(handler);
        connections.push_back(c);
        c->send(Frame::text("welcome"));
    }
};

} // namespace

TEST_CASE("a link opens, carries frames FIFO with latency, and closes", "[sim][network]") {
    Simulation sim(3);
    Network net(sim);
    Server server;
    server.handler.sim = &sim;
    net.listen("M0", server);
    Log client;
    client.sim = &sim;

    auto conn = net.connect("M0", {"YXV0aA==", "S0"}, client);
    CHECK_FALSE(conn->is_open());
    CHECK_THROWS_AS(conn->send(Frame::text("too early")), hivescope::protocol::ProtocolError);
    sim.run_until_idle();
    CHECK(server.last_authorization == "YXV0aA==");
    REQUIRE(conn->is_open());
    CHECK(client.events == std::vector<std::string>{"open M0", "2.000ms welcome"});

    conn->send(Frame::text("one"));
    conn->send(Frame::binary(hivescope::protocol::to_bytes("two")));
    conn->close({close_code::normal, "bye"});
    CHECK_THROWS_AS(conn->send(Frame::text("after close")), hivescope::protocol::ProtocolError);
    sim.run_until_idle();
    CHECK(server.handler.events ==
          std::vector<std::string>{"3.000ms one", "3.000ms two", "close 1000 bye"});
    CHECK(client.events.back() == "close 1000 bye");
    CHECK(conn->is_closed());
}

TEST_CASE("a refused client is closed before any frame", "[sim][network]") {
    Simulation sim;
    Network net(sim);
    Server server;
    server.refuse_all = true;
    net.listen("M0", server);
    Log client;
    client.sim = &sim;
    auto conn = net.connect("M0", {"", "S0"}, client);
    sim.run_until_idle();
    CHECK(client.events == std::vector<std::string>{"close 1008 invalid api key"});
    CHECK(conn->is_closed());
}

TEST_CASE("connecting to an unknown address names the listeners", "[sim][network]") {
    Simulation sim;
    Network net(sim);
    Server server;
    net.listen("M0", server);
    Log client;
    try {
        (void)net.connect("M9", {}, client);
        FAIL("expected an error");
    } catch (const hivescope::protocol::ProtocolError& error) {
        CHECK(std::string(error.what()).find("listening: M0") != std::string::npos);
    }
    CHECK_THROWS_AS(net.listen("M0", server), hivescope::protocol::ProtocolError);
}

TEST_CASE("sending from inside a handler goes through the queue", "[sim][network]") {
    Simulation sim;
    Network net(sim);
    Server server;
    server.handler.sim = &sim;
    int depth = 0;
    server.handler.on_frame_action = [&](Connection& c, const Frame& f) {
        ++depth;
        if (f.data() == "ping")
            c.send(Frame::text("pong"));
        CHECK(depth == 1);
        --depth;
    };
    net.listen("M0", server);
    Log client;
    client.sim = &sim;
    client.on_frame_action = [&](Connection& c, const Frame& f) {
        if (f.data() == "welcome")
            c.send(Frame::text("ping"));
    };
    auto conn = net.connect("M0", {}, client);
    sim.run_until_idle();
    CHECK(client.events.back() == "4.000ms pong");
}

TEST_CASE("jitter keeps FIFO order and is reproducible per seed", "[sim][network]") {
    auto run = [](std::uint64_t seed) {
        Simulation sim(seed);
        Network net(sim);
        net.default_link_options.jitter = 5ms;
        Server server;
        server.handler.sim = &sim;
        net.listen("M0", server);
        Log client;
        client.sim = &sim;
        auto conn = net.connect("M0", {}, client);
        sim.run_until_idle();
        for (int i = 0; i < 20; ++i)
            conn->send(Frame::text(std::to_string(i)));
        sim.run_until_idle();
        return server.handler.events;
    };
    const auto first = run(9);
    CHECK(first == run(9));
    CHECK(first != run(10));
    for (std::size_t i = 0; i < first.size(); ++i)
        CHECK(first[i].substr(first[i].find(' ') + 1) == std::to_string(i));
}

TEST_CASE("fault rules drop, delay and duplicate frames", "[sim][network]") {
    Simulation sim;
    Network net(sim);
    Server server;
    server.handler.sim = &sim;
    net.listen("M0", server);
    Log client;
    client.sim = &sim;
    auto conn = net.connect("M0", {}, client);
    sim.run_until_idle();
    conn->set_fault_rule([](const Frame& f) {
        if (f.data() == "lost")
            return Fault::drop();
        if (f.data() == "twice")
            return Fault::duplicate();
        if (f.data() == "late")
            return Fault::delay(10ms);
        return Fault::pass();
    });
    for (const char* text : {"lost", "twice", "late", "after"})
        conn->send(Frame::text(text));
    sim.run_until_idle();
    CHECK(server.handler.events == std::vector<std::string>{"3.000ms twice", "3.000ms twice",
                                                            "13.000ms late", "13.000ms after"});
}

TEST_CASE("a detached end receives nothing", "[sim][network]") {
    Simulation sim;
    Network net(sim);
    Server server;
    server.handler.sim = &sim;
    net.listen("M0", server);
    Log client;
    client.sim = &sim;
    auto conn = net.connect("M0", {}, client);
    sim.run_until_idle();
    server.connections.front()->send(Frame::text("late news"));
    conn->detach();
    sim.run_until_idle();
    CHECK(client.events == std::vector<std::string>{"open M0", "2.000ms welcome"});
}
