// Loop prevention by route hops (protocol.md B.7.4) at both halves of a relay, and floods over a
// chain of relays that end on their own.

#include "catch.hpp"

#include "multihop-support.hpp"

using namespace hivescope;
using namespace hivescope::test::multihop;
using protocol::BusMessage;
using protocol::Json;
using protocol::RouteHop;

namespace {

// A request as a client would send it, with a hop naming `node` pre-filled on the outer route, the
// inner route, or neither.
enum class Where { outer, inner, none };
HiveMessage with_hop(MessageType type, const std::string& node, Where where) {
    HiveMessage message = HiveMessage::wrap(type, HiveMessage::bus(BusMessage("loop.note")));
    if (type == MessageType::query || type == MessageType::cascade)
        message.set_metadata(Json(protocol::JsonObject{{"query_id", "loop-" + node}}));
    const RouteHop hop{node, {"somewhere"}};
    if (where == Where::outer)
        message.add_hop(hop);
    else if (where == Where::inner)
        message.inner().add_hop(hop);
    return message;
}

// Out records of a transport type, anywhere in the hive.
std::size_t outs(topology::Hive& hive, MessageType type) {
    std::size_t n = 0;
    for (const auto& name : all_names(hive))
        n += records_of(hive.recorder(name), Kind::out, type).size();
    return n;
}

} // namespace

TEST_CASE("relay: a request whose route already names the relay is dropped there as a loop",
          "[topology][relay][loop]") {
    auto hive = start(fast(scenarios::with_relay({"loop.note"})));
    auto& s0 = hive.satellite("S0").role();

    // From downstream, at the master half, for every request type and either route.
    {
        for (const MessageType type : {MessageType::propagate, MessageType::escalate,
                                       MessageType::query, MessageType::cascade}) {
            for (const Where where : {Where::outer, Where::inner}) {
                INFO(protocol::wire_name(type) << (where == Where::outer ? " outer" : " inner"));
                const auto r0_mark = hive.recorder("R0").mark();
                const auto m0_mark = hive.recorder("M0").mark();
                const auto s1_mark = hive.recorder("S1").mark();
                s0.send(with_hop(type, "R0", where));
                REQUIRE(hive.run_until_idle());
                INFO(transcripts(hive, {"S0", "R0"}, 8));
                const auto r0 = hive.recorder("R0").since(r0_mark);
                std::size_t loops = 0;
                std::size_t forwarded = 0;
                for (const auto& r : r0) {
                    if (r.kind == Kind::verdict && r.outcome == Outcome::dropped &&
                        r.reason == "loop")
                        ++loops;
                    if (r.kind == Kind::out && r.message && r.message->type() == type)
                        ++forwarded;
                }
                CHECK(loops == 1);
                CHECK(forwarded == 0);
                CHECK(hive.relay("R0").agent().injected_of("loop.note").empty());
                CHECK(hive.recorder("M0").since(m0_mark).empty());
                CHECK(hive.recorder("S1").since(s1_mark).empty());
            }
        }
        // The same message without the hop is forwarded: the hop is what stopped it.
        s0.send(with_hop(MessageType::propagate, "R0", Where::none));
        REQUIRE(hive.run_until_idle());
        CHECK(records_of(hive.recorder("M0"), Kind::in, MessageType::propagate).size() == 1);
        CHECK(records_of(hive.recorder("S1"), Kind::in, MessageType::propagate).size() == 1);
    }

    // From upstream, at the satellite half.
    {
        const auto s0_mark = hive.recorder("S0").mark();
        const auto s1_mark = hive.recorder("S1").mark();
        const std::string r0_at_m0 = hive.relay("R0").satellite().peer_id();
        for (const MessageType type :
             {MessageType::propagate, MessageType::broadcast, MessageType::cascade}) {
            INFO(protocol::wire_name(type));
            const auto r0_mark = hive.recorder("R0").mark();
            hive.master("M0").role().send(r0_at_m0, with_hop(type, "R0", Where::outer));
            REQUIRE(hive.run_until_idle());
            INFO(transcripts(hive, {"M0", "R0"}, 8));
            const auto r0 = hive.recorder("R0").since(r0_mark);
            std::size_t loops = 0;
            std::size_t forwarded = 0;
            for (const auto& r : r0) {
                if (r.kind == Kind::verdict && r.outcome == Outcome::dropped && r.reason == "loop")
                    ++loops;
                if (r.kind == Kind::out)
                    ++forwarded;
            }
            CHECK(loops == 1);
            CHECK(forwarded == 0);
        }
        CHECK(hive.recorder("S0").since(s0_mark).empty());
        CHECK(hive.recorder("S1").since(s1_mark).empty());
        // Without the hop, the relay forwards it to both clients.
        hive.master("M0").role().send(r0_at_m0,
                                      with_hop(MessageType::propagate, "R0", Where::none));
        REQUIRE(hive.run_until_idle());
        CHECK(records_of(hive.recorder("S0").since(s0_mark), Kind::in, MessageType::propagate)
                  .size() == 1);
        CHECK(records_of(hive.recorder("S1").since(s1_mark), Kind::in, MessageType::propagate)
                  .size() == 1);
    }
}

TEST_CASE("relay: floods over a chain of relays end, with a bounded number of frames",
          "[topology][relay][loop][ping]") {
    // M0 ← R1 ← R2 ← R3 ← S0, and a second client at each end so every fan-out has a choice.
    auto builder = fast(scenarios::chain_topology(3, {"flood.note"}));
    builder.add_satellite("SX", "M0").add_satellite("SY", "R3");
    auto hive = start(builder);
    const std::size_t nodes = all_names(hive).size(); // 7
    const std::size_t links = nodes - 1;

    const auto frames = [&hive] {
        std::size_t n = 0;
        for (const auto& name : all_names(hive))
            for (const auto& r : hive.recorder(name))
                n += r.kind == Kind::out ? 1 : 0;
        return n;
    };
    const std::size_t before = frames();

    // PING floods from both ends and the middle, and a PROPAGATE from the deepest satellite.
    hive.master("M0").start_ping_flood();
    REQUIRE(hive.run_until_idle());
    hive.satellite("S0").role().start_ping_flood();
    REQUIRE(hive.run_until_idle());
    hive.relay("R2").satellite().start_ping_flood();
    REQUIRE(hive.run_until_idle());
    hive.satellite("SY").role().propagate(BusMessage("flood.note"));
    REQUIRE(hive.run_until_idle());
    INFO(transcripts(hive, {"R2"}, 40));

    // In a tree, each of a flood's `nodes` PINGs (the starter's and one answer per other node)
    // crosses every link exactly once, and the PROPAGATE crosses every link once: nothing
    // circulates, nothing is sent twice.
    const std::size_t sent = frames() - before;
    INFO("frames sent " << sent << " for " << nodes << " nodes");
    CHECK(sent == 3 * nodes * links + links);
    // The propagate reached every other node exactly once.
    for (const auto& name : all_names(hive)) {
        INFO(name);
        std::size_t heard = 0;
        for (const auto& r : hive.recorder(name))
            if (r.kind == Kind::in && r.message && r.message->type() == MessageType::propagate &&
                r.bus_type() == "flood.note")
                ++heard;
        CHECK(heard == (name == "SY" ? 0u : 1u));
    }
    CHECK(outs(hive, MessageType::propagate) > 0);
    // No node ever saw its own hop come back.
    for (const auto& name : all_names(hive))
        CHECK(drops(hive.recorder(name), "loop").empty());
}
