#pragma once
// Helpers for the multi-hop tests (protocol.md B.7–B.10 through relays): a fast builder, record
// filters over one node's recorder, and transcripts for failure output.

#include "hivescope/scenarios/presets.hpp"
#include "hivescope/topology/topology_builder.hpp"

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace hivescope::test::multihop {

using protocol::HiveMessage;
using protocol::MessageType;
using record::Kind;
using record::Outcome;
using record::Record;

/// Simulated-only choices for tests: a low PBKDF2 count (documented in HiveOptions) and no
/// satellite RSA keys unless a test needs INTERCOM.
inline topology::TopologyBuilder fast(topology::TopologyBuilder builder, bool pubkeys = false) {
    builder.options().kdf_iterations = 1000;
    builder.options().satellite_pubkeys = pubkeys;
    return builder;
}

/// Starts the hive and lets the last HELLOs land: start() returns once every satellite side has
/// sent its HELLO, before the masters have registered them.
inline topology::Hive start(const topology::TopologyBuilder& builder) {
    auto hive = builder.start();
    hive.run_until_idle();
    return hive;
}

/// Records of `recorder` (a Recorder, or a RecordView from `since()`) that satisfy `keep`.
template <class Records>
std::vector<Record> records(const Records& recorder,
                            const std::function<bool(const Record&)>& keep) {
    std::vector<Record> out;
    for (const auto& entry : recorder)
        if (keep(entry))
            out.push_back(entry);
    return out;
}

/// Records of one kind whose message has the given outer type.
template <class Records>
std::vector<Record> records_of(const Records& recorder, Kind kind, MessageType type) {
    return records(recorder, [&](const Record& r) {
        return r.kind == kind && r.message && r.message->type() == type;
    });
}

/// Records of one kind whose message has the given outer type and whose innermost BUS is of
/// OVOS type `bus_type`.
inline std::vector<Record> records_of(const record::Recorder& recorder, Kind kind, MessageType type,
                                      const std::string& bus_type) {
    return records(recorder, [&](const Record& r) {
        return r.kind == kind && r.message && r.message->type() == type && r.bus_type() == bus_type;
    });
}

/// Verdicts that dropped something for `reason`.
template <class Records>
std::vector<Record> drops(const Records& recorder, const std::string& reason) {
    return records(recorder, [&](const Record& r) {
        return r.kind == Kind::verdict && r.outcome == Outcome::dropped && r.reason == reason;
    });
}

/// The last `n` records of several nodes, for INFO on failure.
inline std::string transcripts(topology::Hive& hive, const std::vector<std::string>& names,
                               std::size_t n = 30) {
    std::string out;
    for (const auto& name : names)
        out += "---- " + name + " ----\n" + hive.recorder(name).snapshot().transcript(n) + "\n";
    return out;
}

/// Sources of a route, in order.
inline std::vector<std::string> hop_sources(const std::vector<protocol::RouteHop>& route) {
    std::vector<std::string> out;
    for (const auto& hop : route)
        out.push_back(hop.source);
    return out;
}

/// Every node name of a hive.
inline std::vector<std::string> all_names(const topology::Hive& hive) {
    std::vector<std::string> out = hive.master_names();
    out.insert(out.end(), hive.relay_names().begin(), hive.relay_names().end());
    out.insert(out.end(), hive.satellite_names().begin(), hive.satellite_names().end());
    return out;
}

} // namespace hivescope::test::multihop
