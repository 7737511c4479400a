// Building and starting hives: presets' shapes, credentials, typed errors, dependency order,
// teardown, and same seed ⇒ same trace.

#include "catch.hpp"

#include "hivescope/scenarios/presets.hpp"
#include "hivescope/topology/topology_builder.hpp"

#include <memory>
#include <string>

using namespace hivescope;
using namespace hivescope::scenarios;
using topology::TopologyBuilder;
using topology::TopologyError;

namespace {
// Simulated hives in tests use a low PBKDF2 count: a deliberate, documented choice.
TopologyBuilder fast(TopologyBuilder builder) {
    builder.options().kdf_iterations = 1000;
    return builder;
}

std::string error_text(const std::function<void()>& action) {
    try {
        action();
    } catch (const TopologyError& error) {
        return error.what();
    }
    return "no error";
}
} // namespace

TEST_CASE("presets have the Python library's shapes", "[topology][presets]") {
    CHECK(shape_of(single_satellite()) == Shape{1, 1, 0});
    CHECK(shape_of(admin_satellite()) == Shape{1, 1, 0});
    CHECK(shape_of(three_satellites()) == Shape{1, 3, 0});
    CHECK(shape_of(with_relay()) == Shape{2, 3, 1});
    CHECK(shape_of(chain_topology()) == Shape{2, 2, 1});
    CHECK(shape_of(star_topology()) == Shape{1, 5, 0});
    CHECK(shape_of(with_acl_enforcement()) == Shape{1, 3, 0});
    CHECK(shape_of(hierarchical_hubs()) == Shape{3, 4, 2});
    CHECK(shape_of(with_multiple_agent_protocols()) == Shape{1, 1, 0});
    CHECK(shape_of(tree(2, 3)) == Shape{4, 12, 3});
    CHECK(shape_of(chain_topology(4)) == Shape{5, 5, 4});
}

TEST_CASE("builder errors are typed and list the names that exist", "[topology]") {
    TopologyBuilder builder;
    builder.add_master("M0").add_satellite("S0", "M0");
    CHECK(error_text([&] { builder.add_satellite("S0", "M0"); }).find("already exists") !=
          std::string::npos);
    CHECK(error_text([&] { (void)builder.get_satellite("S9"); }) ==
          "no satellite named \"S9\" (nodes: M0, S0)");
    CHECK(error_text([&] { (void)builder.get_relay("M0"); }).find("no relay") != std::string::npos);
    TopologyBuilder orphan;
    orphan.add_master("M0").add_satellite("S0", "M9");
    CHECK(error_text([&] { (void)orphan.start(); }).find("\"M9\", which does not exist") !=
          std::string::npos);
    TopologyBuilder bad_parent;
    bad_parent.add_master("M0").add_satellite("S0", "M0").add_satellite("S1", "S0");
    CHECK(error_text([&] { (void)bad_parent.start(); }).find("only masters and relays") !=
          std::string::npos);
}

TEST_CASE("start connects every satellite with generated credentials", "[topology]") {
    auto hive = fast(three_satellites({"speak"})).start();
    auto& master = hive.master("M0");
    CHECK(master.clients().size() == 3);
    for (const auto& name : hive.satellite_names()) {
        INFO(name);
        CHECK(hive.satellite(name).handshake_complete());
        const auto record =
            master.database().find_by_key(hive.satellite(name).role().options().access_key);
        REQUIRE(record.has_value());
        CHECK(record->name == name);
        CHECK(record->allowed_types == std::vector<std::string>{"speak"});
        CHECK(record->password.has_value());
    }
    CHECK(error_text([&] { (void)hive.satellite("S7"); }) ==
          "no satellite named \"S7\" (satellites: S0, S1, S2)");
    CHECK(error_text([&] { (void)hive.master("S0"); }) == "no master named \"S0\" (masters: M0)");
}

TEST_CASE("relays start after their upstream and serve their own clients", "[topology]") {
    auto hive = fast(hierarchical_hubs(3, 2)).start();
    CHECK(hive.relay("R1").satellite().handshake_complete());
    CHECK(hive.relay("R2").satellite().handshake_complete());
    CHECK(hive.relay("R2").master().clients().size() == 2);
    CHECK(hive.master("M0").clients().size() == 1);
}

TEST_CASE("stop closes everything and is idempotent", "[topology]") {
    auto hive = fast(single_satellite()).start();
    hive.stop();
    CHECK_FALSE(hive.running());
    CHECK_FALSE(hive.satellite("S0").connected());
    CHECK(hive.master("M0").clients().empty());
    hive.stop();
}

TEST_CASE("a moved hive keeps running and the moved-from one is inert", "[topology]") {
    auto first = fast(single_satellite()).start();
    topology::Hive second = std::move(first);
    CHECK(second.running());
    CHECK_FALSE(first.running()); // NOLINT(bugprone-use-after-move): checking the moved-from state
    CHECK(second.satellite("S0").handshake_complete());
}

TEST_CASE("same seed, same trace; another seed, another trace", "[topology][determinism]") {
    const auto digest = [](std::uint64_t seed) {
        auto builder = fast(with_relay({"recognizer_loop:utterance"}));
        builder.seed(seed);
        auto hive = builder.start();
        hive.satellite("S0").send_bus(protocol::BusMessage("recognizer_loop:utterance"));
        hive.run_until_idle();
        return hive.trace_digest();
    };
    const auto a = digest(11);
    CHECK(a == digest(11));
    CHECK(a != digest(12));
}

TEST_CASE("both ends of a handshake share one PBKDF2 derivation", "[topology][kdf]") {
    auto builder = fast(three_satellites());
    auto hive = builder.start();
    REQUIRE(hive.kdf_cache() != nullptr);
    // Three links, each derived once by the first end and reused by the second.
    CHECK(hive.kdf_cache()->misses() == 3);
    CHECK(hive.kdf_cache()->hits() == 3);

    builder.options().share_key_derivations = false;
    auto unshared = builder.start();
    CHECK(unshared.kdf_cache() == nullptr);
    CHECK(unshared.master("M0").clients().size() == 3);
}

TEST_CASE("a stopped hive starts again, and starting a running hive is harmless", "[topology]") {
    auto hive = fast(with_relay({"speak"})).start();
    hive.start(); // no-op while running
    CHECK(hive.master("M0").clients().size() == 1);
    hive.stop();
    CHECK_FALSE(hive.satellite("S0").connected());
    hive.start();
    CHECK(hive.running());
    CHECK(hive.satellite("S0").handshake_complete());
    CHECK(hive.satellite("S1").handshake_complete());
    CHECK(hive.relay("R0").satellite().handshake_complete());
    CHECK(hive.relay("R0").master().clients().size() == 2);
}

TEST_CASE("a hive mark separates what came before from what follows", "[topology]") {
    auto hive = fast(single_satellite({"speak"})).start();
    const topology::HiveMark mark = hive.mark();
    CHECK(hive.recorder("M0").since(mark.of("M0")).empty());
    hive.satellite("S0").send(protocol::BusMessage("speak"));
    hive.run_until_idle();
    const auto after = hive.recorder("M0").since(mark.of("M0"));
    CHECK_FALSE(after.empty());
    CHECK(after[0].sequence == mark.of("M0").position);
    CHECK(mark.of("nobody").position == 0);
    CHECK(mark.time <= hive.simulation().now());
}

TEST_CASE("start() returns once every client is registered at its master", "[topology]") {
    auto hive = fast(with_relay()).start();
    // No run_until_idle(): the HELLOs must already have been accepted.
    for (const auto& name : {"S0", "S1"})
        CHECK(hive.relay("R0")
                  .master()
                  .find_client(hive.satellite(name).role().peer_id())
                  ->registered);
    CHECK(hive.master("M0").find_client(hive.relay("R0").satellite().peer_id())->registered);
}

TEST_CASE("hives sharing an RSA key cache generate each node key once, with the same trace",
          "[topology][key-cache]") {
    const auto run = [](const std::shared_ptr<protocol::RsaKeyCache>& cache) {
        auto builder = fast(single_satellite({"recognizer_loop:utterance"}));
        builder.seed(21);
        builder.options().key_cache = cache;
        auto hive = builder.start();
        CHECK(hive.key_cache() == cache.get());
        hive.satellite("S0").send_bus(protocol::BusMessage("recognizer_loop:utterance"));
        hive.run_until_idle();
        return hive.trace_digest();
    };
    const auto shared = std::make_shared<protocol::RsaKeyCache>();
    const auto first = run(shared);
    // The master's key (its HANDSHAKE carries the public half) and the satellite's (its HELLO
    // announces one) were generated once each.
    const auto keys = shared->misses();
    CHECK(keys == 2);
    CHECK(shared->hits() == 0);
    const auto again = run(shared);
    CHECK(shared->misses() == keys);
    CHECK(shared->hits() == keys);
    // A cached key is the key the seed gives: a hive with a cache of its own traces the same.
    const auto fresh_cache = std::make_shared<protocol::RsaKeyCache>();
    CHECK(run(fresh_cache) == first);
    CHECK(fresh_cache->misses() == keys);
    CHECK(again == first);
}

TEST_CASE("keys made in parallel at start are the keys made one by one", "[topology][key-cache]") {
    const auto run = [](bool parallel) {
        auto builder = fast(with_relay({"recognizer_loop:utterance"}));
        builder.seed(33);
        builder.options().satellite_pubkeys = true;
        builder.options().parallel_key_generation = parallel;
        // Each run makes its own keys.
        builder.options().key_cache = std::make_shared<protocol::RsaKeyCache>();
        auto hive = builder.start();
        hive.satellite("S0").send_bus(protocol::BusMessage("recognizer_loop:utterance"));
        hive.run_until_idle();
        // Every node with someone below it, and every satellite, has its key.
        for (const auto& name : hive.satellite_names())
            CHECK(hive.satellite(name).core().has_identity());
        for (const auto& name : hive.relay_names())
            CHECK(hive.relay(name).core().has_identity());
        return std::make_pair(hive.trace_digest(), hive.key_cache()->misses());
    };
    const auto [parallel_digest, parallel_keys] = run(true);
    const auto [serial_digest, serial_keys] = run(false);
    CHECK(parallel_digest == serial_digest);
    CHECK(parallel_keys == serial_keys);
}
