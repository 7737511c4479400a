#include "simulation_run.hpp"

#include "hivescope/protocol/message_summary.hpp"
#include "hivescope/scenarios/presets.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <iostream>
#include <map>
#include <ostream>
#include <set>

namespace hivescope::cli {

using namespace hivescope::protocol;
using node::SatelliteNode;
using topology::Hive;
using topology::TopologyBuilder;

namespace {

const std::vector<std::string> allowed = {"recognizer_loop:utterance",
                                          "question",
                                          "question.unanswerable",
                                          "cascade.ask",
                                          "escalated.note",
                                          "broadcast.note",
                                          "shared.note"};

TopologyBuilder preset(const RunOptions& options) {
    const std::string& name = options.preset;
    if (name == "single")
        return scenarios::single_satellite(allowed);
    if (name == "admin")
        return scenarios::admin_satellite(allowed);
    if (name == "three")
        return scenarios::three_satellites(allowed);
    if (name == "star")
        return scenarios::star_topology(options.satellites, allowed);
    if (name == "relay")
        return scenarios::with_relay(allowed);
    if (name == "chain")
        return scenarios::chain_topology(options.relays, allowed);
    if (name == "acl")
        return scenarios::with_acl_enforcement(allowed);
    if (name == "hierarchical")
        return scenarios::hierarchical_hubs(options.levels, options.satellites, allowed);
    if (name == "tree")
        return scenarios::tree(options.depth, options.branching, allowed);
    throw std::invalid_argument("unknown preset \"" + name +
                                "\" (single, admin, three, star, relay, chain, acl, "
                                "hierarchical, tree)");
}

// One invariant: what was expected, what happened.
struct Check {
    std::string what;
    bool held = false;
    std::string detail;
};

class Progress {
  public:
    Progress(bool enabled, std::size_t total) : enabled_(enabled), total_(total) {}
    void step(const std::string& label) {
        ++done_;
        if (!enabled_)
            return;
        const double elapsed = std::chrono::duration<double>(clock::now() - start_).count();
        if (elapsed < 1.0)
            return;
        const int width = 30;
        const int filled = static_cast<int>(width * done_ / std::max<std::size_t>(total_, 1));
        std::fprintf(stderr, "\r[%s%s] %zu/%zu %-28s", std::string(filled, '#').c_str(),
                     std::string(width - filled, ' ').c_str(), done_, total_, label.c_str());
        shown_ = true;
    }
    ~Progress() {
        if (shown_)
            std::fprintf(stderr, "\n");
    }

  private:
    using clock = std::chrono::steady_clock;
    bool enabled_;
    std::size_t total_;
    std::size_t done_ = 0;
    bool shown_ = false;
    clock::time_point start_ = clock::now();
};

// The node a satellite is connected to, as its master-side recorder and agent.
struct Upstream {
    node::Bus* agent = nullptr;
    std::string name;
};

std::size_t count_bus(const node::Bus& bus, const std::string& type) {
    std::size_t n = 0;
    for (const auto& injection : bus.injected())
        if (injection.message.type() == type)
            ++n;
    return n;
}

// Whether the satellite's record at its upstream blacklists `type`.
bool blacklists(Hive& hive, const std::string& satellite, const std::string& type) {
    const auto& options = hive.satellite(satellite).role().options();
    const auto& relays = hive.relay_names();
    node::ClientDatabase& database =
        std::find(relays.begin(), relays.end(), options.master_address) != relays.end()
            ? hive.relay(options.master_address).database()
            : hive.master(options.master_address).database();
    const auto record = database.find_by_key(options.access_key);
    return record && std::find(record->message_blacklist.begin(), record->message_blacklist.end(),
                               type) != record->message_blacklist.end();
}

} // namespace

int run_simulation(const RunOptions& options, std::ostream& out) {
    const auto wall_start = std::chrono::steady_clock::now();
    TopologyBuilder builder = preset(options);
    builder.seed(options.seed);
    builder.options().kdf_iterations = options.kdf_iterations;
    builder.options().satellite_pubkeys = false;
    Hive hive = builder.start();
    const std::vector<std::string> names = hive.satellite_names();
    const double start_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();

    // Where each satellite is connected.
    std::map<std::string, Upstream> upstream_of;
    std::vector<node::Bus*> agents;
    for (const auto& name : hive.master_names())
        agents.push_back(&hive.master(name).agent());
    for (const auto& name : hive.relay_names())
        agents.push_back(&hive.relay(name).agent());
    for (const auto& name : names) {
        const std::string& address = hive.satellite(name).role().options().master_address;
        Upstream up;
        up.name = address;
        up.agent = hive.relay_names().end() !=
                           std::find(hive.relay_names().begin(), hive.relay_names().end(), address)
                       ? &hive.relay(address).agent()
                       : &hive.master(address).agent();
        upstream_of[name] = up;
    }

    // Agents answer utterances with `speak` to the asker, and questions through the query path.
    for (node::Bus* agent : agents) {
        agent->on("recognizer_loop:utterance", [agent](const BusMessage& message) {
            agent->emit(message.reply("speak", JsonObject{{"utterance", "it is noon"}}));
        });
        agent->on_query("question", [](const BusMessage& message) {
            return std::optional(message.reply("answer", JsonObject{{"text", "42"}}));
        });
    }
    for (const auto& name : names) {
        hive.satellite(name).bus().on_query("cascade.ask", [name](const BusMessage& message) {
            return std::optional(message.reply("cascade.answer", JsonObject{{"from", name}}));
        });
    }

    std::vector<Check> checks;
    std::size_t expected_speak = 0;
    Progress progress(options.progress, names.size() * 4 + 4);

    // 1. Every satellite: an allowed utterance (injected once, answered once), a denied type,
    //    a query answered by the agent, and audio for the binary handler.
    for (const auto& name : names) {
        auto& satellite = hive.satellite(name);
        const Upstream& up = upstream_of[name];
        const std::size_t injected_before = count_bus(*up.agent, "recognizer_loop:utterance");
        const std::size_t speak_before = count_bus(satellite.bus(), "speak");
        satellite.send_bus(BusMessage("recognizer_loop:utterance",
                                      JsonObject{{"utterances", JsonArray{"what time is it"}}}));
        hive.run_until_idle();
        progress.step("utterances");
        const std::size_t injected =
            count_bus(*up.agent, "recognizer_loop:utterance") - injected_before;
        const std::size_t spoken = count_bus(satellite.bus(), "speak") - speak_before;
        // A client whose message_blacklist names `speak` must not get the reply (B.4).
        const bool speak_blacklisted = blacklists(hive, name, "speak");
        expected_speak += speak_blacklisted ? 0 : 1;
        checks.push_back(
            {name + ": utterance injected once at " + up.name +
                 (speak_blacklisted ? ", its speak reply blacklisted" : " and answered once"),
             injected == 1 && spoken == (speak_blacklisted ? 0u : 1u),
             "injected " + std::to_string(injected) + ", speak " + std::to_string(spoken)});

        const std::size_t denied_before = count_bus(satellite.bus(), "hive.policy.denied");
        satellite.send_bus(BusMessage("forbidden.type"));
        hive.run_until_idle();
        progress.step("denials");
        const std::size_t denied = count_bus(satellite.bus(), "hive.policy.denied") - denied_before;
        checks.push_back({name + ": a type outside allowed_types is denied and not injected",
                          denied == 1 && count_bus(*up.agent, "forbidden.type") == 0,
                          "denied " + std::to_string(denied)});

        const std::size_t answers_before = count_bus(satellite.bus(), "answer");
        satellite.query(BusMessage("question", JsonObject{{"q", "meaning"}}));
        hive.run_until_idle();
        progress.step("queries");
        const std::size_t answers = count_bus(satellite.bus(), "answer") - answers_before;
        checks.push_back({name + ": QUERY answered by the agent, to the asker only", answers == 1,
                          "answers " + std::to_string(answers)});

        const std::size_t calls_before = up.agent->binary_calls().size();
        satellite.role().send_binary(BinaryPayloadType::raw_audio, Bytes(640, 0),
                                     JsonObject{{"sample_rate", 16000}});
        hive.run_until_idle();
        progress.step("binary");
        const std::size_t calls = up.agent->binary_calls().size() - calls_before;
        checks.push_back(
            {name + ": RAW_AUDIO dispatched to microphone_input",
             calls == 1 && up.agent->binary_calls().back().handler == "microphone_input",
             "calls " + std::to_string(calls)});
    }

    // 2. Nobody received anyone else's speak: replies are routed to the asker only.
    {
        std::size_t total_speak = 0;
        for (const auto& name : names)
            total_speak += count_bus(hive.satellite(name).bus(), "speak");
        checks.push_back({"speak replies: one per satellite that may receive it, none leaked",
                          total_speak == expected_speak, "total " + std::to_string(total_speak)});
    }

    // 3. PING discovery from the root: every map learns every node.
    {
        const std::string flood = hive.master("M0").start_ping_flood();
        hive.run_until_idle();
        progress.step("ping flood");
        std::set<std::string> all(names.begin(), names.end());
        for (const auto& n : hive.master_names())
            all.insert(n);
        for (const auto& n : hive.relay_names())
            all.insert(n);
        const auto seen = hive.master("M0").core().hive_map().nodes();
        std::size_t missing = 0;
        for (const auto& n : all)
            missing += seen.count(n) == 0 ? 1 : 0;
        checks.push_back({"PING flood " + flood.substr(0, 8) + ": M0's hive map holds every node",
                          missing == 0,
                          std::to_string(missing) + " missing of " + std::to_string(all.size())});
    }

    // 4. CASCADE from the first satellite: every other satellite on the same master answers.
    if (names.size() > 1) {
        const std::string& asker = names.front();
        std::size_t peers = 0;
        for (const auto& name : names)
            if (name != asker && upstream_of[name].name == upstream_of[asker].name)
                ++peers;
        const std::size_t before = count_bus(hive.satellite(asker).bus(), "cascade.answer");
        hive.satellite(asker).cascade(BusMessage("cascade.ask"));
        hive.run_until_idle();
        progress.step("cascade");
        const std::size_t answers =
            count_bus(hive.satellite(asker).bus(), "cascade.answer") - before;
        checks.push_back(
            {asker + ": CASCADE answered by every sibling (" + std::to_string(peers) + ")",
             answers >= peers, "answers " + std::to_string(answers)});
    }

    // 5. A QUERY nobody answers ends in hive.query.timeout after the master's 5 s (virtual).
    {
        const std::string& asker = names.front();
        const std::size_t before = count_bus(hive.satellite(asker).bus(), "hive.query.timeout");
        hive.satellite(asker).query(BusMessage("question.unanswerable"));
        hive.run_until_idle();
        progress.step("query timeout");
        const std::size_t timeouts =
            count_bus(hive.satellite(asker).bus(), "hive.query.timeout") - before;
        checks.push_back({asker + ": an unanswered QUERY times out with hive.query.timeout",
                          timeouts == 1, "timeouts " + std::to_string(timeouts)});
    }

    // 6. An illegal BROADCAST from a non-admin disconnects it with 1008 (B.4).
    {
        const std::string& culprit = names.back();
        hive.satellite(culprit).role().broadcast(BusMessage("broadcast.note"));
        hive.run_until_idle();
        progress.step("illegal broadcast");
        const auto& closed = hive.satellite(culprit).role().closed_by();
        checks.push_back(
            {culprit + ": non-admin BROADCAST closes the link 1008 illegal broadcast",
             closed && closed->code == 1008 && closed->reason == "illegal broadcast",
             closed ? std::to_string(closed->code) + " " + closed->reason : "still open"});
    }

    // Per-type totals from every recorder.
    struct Tally {
        std::size_t sent = 0, received = 0, injected = 0, denied = 0, dropped = 0, closed = 0;
    };
    std::map<std::string, Tally> tally;
    std::size_t records = 0;
    for (const record::Record* entry : hive.merged_trace()) {
        ++records;
        if (!entry->message)
            continue;
        Tally& t = tally[std::string(wire_name(entry->message->type()))];
        switch (entry->kind) {
        case record::Kind::out:
            ++t.sent;
            break;
        case record::Kind::in:
            ++t.received;
            break;
        case record::Kind::inject:
            ++t.injected;
            break;
        case record::Kind::verdict:
            if (entry->outcome == record::Outcome::denied)
                ++t.denied;
            if (entry->outcome == record::Outcome::dropped)
                ++t.dropped;
            if (entry->outcome == record::Outcome::closed)
                ++t.closed;
            break;
        default:
            break;
        }
    }

    const double wall =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
    const std::uint64_t frames = hive.network().frames_delivered();

    char line[256];
    out << "hivescope run: preset " << options.preset << ", seed " << options.seed << ", "
        << hive.master_names().size() << " master(s), " << hive.relay_names().size()
        << " relay(s), " << names.size() << " satellite(s)\n\n";
    std::snprintf(line, sizeof line, "%-12s %8s %9s %9s %7s %8s %7s\n", "type", "sent", "received",
                  "injected", "denied", "dropped", "closed");
    out << line;
    for (const auto& [type, t] : tally) {
        std::snprintf(line, sizeof line, "%-12s %8zu %9zu %9zu %7zu %8zu %7zu\n", type.c_str(),
                      t.sent, t.received, t.injected, t.denied, t.dropped, t.closed);
        out << line;
    }
    int failures = 0;
    out << "\ninvariants\n";
    for (const auto& check : checks) {
        if (!check.held)
            ++failures;
        out << (check.held ? "  ok    " : "  FAIL  ") << check.what;
        if (!check.held)
            out << "  (" << check.detail << ")";
        out << "\n";
    }
    const double virtual_seconds = sim::to_seconds(hive.simulation().now());
    std::snprintf(
        line, sizeof line,
        "\n%zu records, %llu frames delivered, %.3f s virtual time, %.3f s wall "
        "(start-up %.3f s), %.0f hops/s\n",
        records, static_cast<unsigned long long>(frames), virtual_seconds, wall, start_seconds,
        wall > start_seconds ? static_cast<double>(frames) / (wall - start_seconds) : 0.0);
    out << line;
    std::snprintf(line, sizeof line, "trace digest %016llx\n",
                  static_cast<unsigned long long>(hive.trace_digest()));
    out << line;
    out << (failures == 0 ? "all " + std::to_string(checks.size()) + " invariants held\n"
                          : std::to_string(failures) + " invariant(s) FAILED\n");
    return failures;
}

} // namespace hivescope::cli
