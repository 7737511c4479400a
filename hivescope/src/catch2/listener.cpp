#include "hivescope/catch2/listener.hpp"

#include "hivescope/protocol/message_type.hpp"
#include "hivescope/record/record.hpp"

#if HIVESCOPE_CATCH2_MAJOR >= 3
// v3 only declares TestCaseInfo in the listener headers; reading its name needs the definition.
#include <catch2/catch_test_case_info.hpp>
#endif

#include <algorithm>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string_view>
#include <system_error>

#ifndef HIVESCOPE_TRACE_DIR_DEFAULT
#define HIVESCOPE_TRACE_DIR_DEFAULT "hivescope-traces"
#endif

namespace hivescope::catch2 {

namespace {

using record::Kind;
using record::Outcome;
using record::Record;

/// Nodes of a hive in a stable order: masters, relays, satellites.
std::vector<std::string> node_names(const topology::Hive& hive) {
    std::vector<std::string> out = hive.master_names();
    out.insert(out.end(), hive.relay_names().begin(), hive.relay_names().end());
    out.insert(out.end(), hive.satellite_names().begin(), hive.satellite_names().end());
    return out;
}

/// The node a record's peer names. Peers are node names (a satellite's master) or peer ids
/// `<useragent>::<client id>::<record name>::<session id>` (Part C), whose useragent and record
/// name are the node's name in builder-made hives.
std::string resolve_peer(const std::string& peer, const std::set<std::string>& nodes) {
    if (nodes.count(peer) != 0)
        return peer;
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (true) {
        const std::size_t at = peer.find("::", start);
        parts.push_back(
            peer.substr(start, at == std::string::npos ? std::string::npos : at - start));
        if (at == std::string::npos)
            break;
        start = at + 2;
    }
    for (const std::size_t i : {std::size_t{2}, std::size_t{0}})
        if (i < parts.size() && nodes.count(parts[i]) != 0)
            return parts[i];
    return peer;
}

/// `bus speak`, `broadcast(bus speak)`, `shake`.
std::string message_label(const Record& r) {
    if (!r.message)
        return "frame";
    const auto type = r.type();
    std::string label = type ? std::string(protocol::wire_name(*type)) : "?";
    const std::string bus_type = r.bus_type();
    if (const auto inner = r.inner_type(); inner && type && protocol::is_transport_type(*type)) {
        label += "(" + std::string(protocol::wire_name(*inner));
        if (!bus_type.empty())
            label += " " + bus_type;
        label += ")";
    } else if (!bus_type.empty()) {
        label += " " + bus_type;
    }
    return label;
}

/// The diagram event of a record, if it draws one.
std::optional<DiagramEvent> diagram_event(const Record& r, const std::set<std::string>& nodes) {
    DiagramEvent event;
    event.from = r.node;
    switch (r.kind) {
    case Kind::out:
        event.kind = DiagramEvent::Kind::message;
        event.to = resolve_peer(r.peer, nodes);
        event.text = message_label(r);
        return event;
    case Kind::verdict:
        event.kind = DiagramEvent::Kind::note;
        if (r.outcome == Outcome::denied)
            event.text = "denied " + r.code + " (" + message_label(r) + ")";
        else if (r.outcome == Outcome::dropped)
            event.text = "dropped " + message_label(r) + ": " + r.reason;
        else if (r.outcome == Outcome::closed)
            event.text = "closed " + r.code + " " + r.reason;
        else
            return std::nullopt; // allowed / registered: the arrows already say it
        return event;
    case Kind::inject:
        event.kind = DiagramEvent::Kind::note;
        event.text = "inject " + (r.bus_type().empty() ? message_label(r) : r.bus_type());
        return event;
    case Kind::refusal:
        event.kind = DiagramEvent::Kind::note;
        event.text = "refused " + r.code + " " + r.reason;
        return event;
    case Kind::decode_error:
        event.kind = DiagramEvent::Kind::note;
        event.text = "decode error " + r.code + " " + r.reason;
        return event;
    case Kind::in:
    case Kind::dispatch:
        return std::nullopt;
    }
    return std::nullopt;
}

/// Mermaid text must not end a statement early or start an entity: keep it to one line, and
/// short unless it is a comment.
std::string mermaid_text(std::string_view text, std::size_t max_length = 100) {
    std::string out;
    for (const char c : text) {
        switch (c) {
        case ';':
            out += ',';
            break;
        case '#':
            out += "no.";
            break;
        case '<':
            out += '(';
            break;
        case '>':
            out += ')';
            break;
        case '\n':
        case '\r':
        case '\t':
            out += ' ';
            break;
        default:
            out += c;
        }
    }
    if (out.size() > max_length)
        out = out.substr(0, max_length - 3) + "...";
    while (!out.empty() && out.back() == ' ')
        out.pop_back();
    return out;
}

bool plain_identifier(std::string_view name) {
    return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_';
    });
}

std::uint64_t fnv1a(std::string_view text) {
    std::uint64_t hash = 14695981039346656037ull;
    for (const char c : text) {
        hash ^= static_cast<unsigned char>(c);
        hash *= 1099511628211ull;
    }
    return hash;
}

} // namespace

// ---- capture and rendering ----------------------------------------------------------------

HiveTrace capture_trace(topology::Hive& hive, std::size_t index, const TraceLimits& limits) {
    HiveTrace trace;
    trace.index = index;
    trace.seed = hive.simulation().seed();
    trace.nodes = node_names(hive);
    const std::set<std::string> nodes(trace.nodes.begin(), trace.nodes.end());

    const auto merged = hive.merged_trace();
    trace.records = merged.size();
    const std::size_t first_line =
        merged.size() > limits.trace_lines ? merged.size() - limits.trace_lines : 0;
    for (std::size_t i = first_line; i < merged.size(); ++i)
        trace.lines.push_back(merged[i]->to_line());

    std::vector<DiagramEvent> events;
    for (const Record* r : merged)
        if (auto event = diagram_event(*r, nodes))
            events.push_back(std::move(*event));
    if (events.size() > limits.diagram_messages) {
        trace.events_omitted = events.size() - limits.diagram_messages;
        events.erase(events.begin(),
                     events.begin() + static_cast<std::ptrdiff_t>(trace.events_omitted));
    }
    trace.events = std::move(events);
    return trace;
}

std::string render_mermaid(const std::vector<HiveTrace>& traces, const std::string& title) {
    std::ostringstream out;
    out << "%% " << mermaid_text(title, std::string::npos) << "\n";
    out << "sequenceDiagram\n";
    const bool prefixed = traces.size() > 1;
    // Participant ids must be plain identifiers; anything else gets an alias.
    std::map<std::string, std::string> ids; // "<hive>/<name>" -> id
    std::size_t aliases = 0;
    const auto id_of = [&](const HiveTrace& trace, const std::string& name) {
        const std::string key = std::to_string(trace.index) + "/" + name;
        if (auto it = ids.find(key); it != ids.end())
            return it->second;
        std::string label = prefixed ? "H" + std::to_string(trace.index) + "_" + name : name;
        std::string id = plain_identifier(label) ? label : "P" + std::to_string(++aliases);
        ids.emplace(key, id);
        return id;
    };
    for (const auto& trace : traces) {
        // Declare the participants that appear, in hive order, then any unknown peers.
        std::set<std::string> used;
        for (const auto& event : trace.events) {
            used.insert(event.from);
            if (event.kind == DiagramEvent::Kind::message)
                used.insert(event.to);
        }
        std::vector<std::string> order;
        for (const auto& name : trace.nodes)
            if (used.erase(name) != 0)
                order.push_back(name);
        order.insert(order.end(), used.begin(), used.end());
        for (const auto& name : order) {
            const std::string id = id_of(trace, name);
            const std::string label =
                prefixed ? "H" + std::to_string(trace.index) + "_" + name : name;
            if (id == label)
                out << "    participant " << id << "\n";
            else
                out << "    participant " << id << " as " << mermaid_text(label) << "\n";
        }
    }
    for (const auto& trace : traces) {
        if (prefixed || trace.events_omitted != 0 || trace.events.empty()) {
            out << "    %% hive " << trace.index << " (seed " << trace.seed << "): ";
            if (trace.events.empty())
                out << "nothing to draw\n";
            else
                out << trace.events_omitted << " earlier events omitted\n";
        }
        for (const auto& event : trace.events) {
            const std::string from = id_of(trace, event.from);
            if (event.kind == DiagramEvent::Kind::message)
                out << "    " << from << "->>" << id_of(trace, event.to) << ": "
                    << mermaid_text(event.text) << "\n";
            else
                out << "    Note over " << from << ": " << mermaid_text(event.text) << "\n";
        }
    }
    return out.str();
}

std::string render_report(const std::string& path, unsigned seed,
                          const std::vector<HiveTrace>& traces) {
    std::ostringstream out;
    out << "hivescope: failing run: " << path << "\n";
    out << "hivescope: re-run with --rng-seed " << seed << "\n";
    if (traces.empty()) {
        out << "hivescope: no hive trace kept (a hive is traced when it is alive at the failure "
               "or destroyed after it)\n";
        return out.str();
    }
    for (const auto& trace : traces) {
        out << "hivescope: hive " << trace.index << " (seed " << trace.seed << "; ";
        for (std::size_t i = 0; i < trace.nodes.size(); ++i) {
            if (i == 8) {
                out << ", … " << trace.nodes.size() - i << " more";
                break;
            }
            out << (i == 0 ? "" : ", ") << trace.nodes[i];
        }
        out << "): last " << trace.lines.size() << " of " << trace.records << " records\n";
        for (const auto& line : trace.lines)
            out << "  " << line << "\n";
    }
    return out.str();
}

std::filesystem::path trace_directory() {
    if (const char* dir = std::getenv("HIVESCOPE_TRACE_DIR"); dir != nullptr && *dir != '\0')
        return dir;
    return HIVESCOPE_TRACE_DIR_DEFAULT;
}

std::string diagram_file_name(const std::string& path) {
    std::string slug;
    for (const char c : path) {
        const bool keep = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (keep)
            slug += c;
        else if (c >= 'A' && c <= 'Z')
            slug += static_cast<char>(c - 'A' + 'a');
        else if (!slug.empty() && slug.back() != '-')
            slug += '-';
    }
    constexpr std::size_t max_slug = 80;
    if (slug.size() > max_slug)
        slug.resize(max_slug);
    while (!slug.empty() && slug.back() == '-')
        slug.pop_back();
    char hash[9];
    std::snprintf(hash, sizeof hash, "%08x", static_cast<unsigned>(fnv1a(path) & 0xffffffffu));
    return (slug.empty() ? "run" : slug) + "-" + hash + ".mmd";
}

// ---- registry -----------------------------------------------------------------------------

void TestHiveRegistry::begin_run() noexcept {
    entries_.clear();
    failed_ = false;
}

bool TestHiveRegistry::failing() const noexcept {
    return failed_ || std::uncaught_exceptions() > 0;
}

std::size_t TestHiveRegistry::alive() const noexcept {
    return static_cast<std::size_t>(std::count_if(
        entries_.begin(), entries_.end(), [](const Entry& e) { return e.hive != nullptr; }));
}

std::vector<HiveTrace> TestHiveRegistry::collect() const {
    std::vector<HiveTrace> out;
    std::size_t index = 0;
    for (const auto& entry : entries_) {
        ++index;
        if (entry.captured)
            out.push_back(*entry.captured);
        else if (entry.hive != nullptr)
            out.push_back(capture_trace(*entry.hive, index, limits_));
    }
    // Share the line budget between the hives, newest lines first.
    if (out.size() > 1) {
        const std::size_t share = std::max<std::size_t>(limits_.trace_lines / out.size(), 10);
        for (auto& trace : out)
            if (trace.lines.size() > share)
                trace.lines.erase(trace.lines.begin(),
                                  trace.lines.end() - static_cast<std::ptrdiff_t>(share));
    }
    return out;
}

void TestHiveRegistry::hive_created(topology::Hive& hive) noexcept {
    try {
        entries_.push_back(Entry{&hive, std::nullopt});
    } catch (...) {
        // Out of memory while registering: the hive simply goes unreported.
    }
}

void TestHiveRegistry::hive_moved(topology::Hive& from, topology::Hive& to) noexcept {
    for (auto& entry : entries_)
        if (entry.hive == &from)
            entry.hive = &to;
}

void TestHiveRegistry::hive_destroyed(topology::Hive& hive) noexcept {
    std::size_t index = 0;
    for (auto& entry : entries_) {
        ++index;
        if (entry.hive != &hive)
            continue;
        if (failing()) {
            try {
                entry.captured = capture_trace(hive, index, limits_);
            } catch (...) {
                // A destructor must not throw; the report then lacks this hive's trace.
            }
        }
        entry.hive = nullptr;
        return;
    }
}

TestHiveRegistry* current_test_registry() noexcept {
    return dynamic_cast<TestHiveRegistry*>(topology::current_hive_registry());
}

std::size_t hives_alive() noexcept {
    const TestHiveRegistry* registry = current_test_registry();
    return registry != nullptr ? registry->alive() : 0;
}

// ---- listener -----------------------------------------------------------------------------

void TraceListener::testCaseStarting(const Catch::TestCaseInfo& info) {
    EventListenerBase::testCaseStarting(info);
    test_name_ = info.name;
    sections_.clear();
    depth_ = 0;
    registry_.begin_run();
    registry_.set_default_seed(hivescope::catch2::seed());
    previous_ = topology::set_current_hive_registry(&registry_);
}

void TraceListener::sectionStarting(const Catch::SectionInfo& info) {
    EventListenerBase::sectionStarting(info);
    // Depth 0 is the test case itself: Catch2 opens it once per run (per leaf path).
    if (depth_ == 0) {
        registry_.begin_run();
        sections_.clear();
    } else {
        // Catch2 v2 indents BDD section names ("    Given: …") for its console output.
        const std::size_t first = info.name.find_first_not_of(' ');
        sections_.push_back(first == std::string::npos ? info.name : info.name.substr(first));
    }
    ++depth_;
}

#if HIVESCOPE_CATCH2_MAJOR >= 3
void TraceListener::assertionEnded(const Catch::AssertionStats& stats) {
    EventListenerBase::assertionEnded(stats);
    if (!stats.assertionResult.isOk())
        registry_.mark_failed();
}
#else
bool TraceListener::assertionEnded(const Catch::AssertionStats& stats) {
    if (!stats.assertionResult.isOk())
        registry_.mark_failed();
    return EventListenerBase::assertionEnded(stats);
}
#endif

void TraceListener::sectionEnded(const Catch::SectionStats& stats) {
    EventListenerBase::sectionEnded(stats);
    if (depth_ == 0)
        return;
    --depth_;
    if (depth_ == 0 && stats.assertions.failed > 0)
        report();
}

void TraceListener::testCaseEnded(const Catch::TestCaseStats& stats) {
    EventListenerBase::testCaseEnded(stats);
    registry_.begin_run();
    topology::set_current_hive_registry(previous_);
    previous_ = nullptr;
}

void TraceListener::report() {
    std::string path = test_name_;
    for (const auto& section : sections_)
        path += " / " + section;
    const unsigned run_seed = hivescope::catch2::seed();
    const auto traces = registry_.collect();

    std::string text = render_report(path, run_seed, traces);
    if (!traces.empty()) {
        const std::filesystem::path dir = trace_directory();
        const std::filesystem::path file = dir / diagram_file_name(path);
        std::error_code error;
        std::filesystem::create_directories(dir, error);
        std::ofstream out(file, std::ios::binary | std::ios::trunc);
        if (out) {
            out << "%% re-run with --rng-seed " << run_seed << "\n" << render_mermaid(traces, path);
        }
        if (out.good())
            text += "hivescope: sequence diagram written to " + file.string() + "\n";
        else
            text += "hivescope: could not write the sequence diagram to " + file.string() +
                    (error ? " (" + error.message() + ")" : std::string()) + "\n";
    }
    std::cout << text << std::flush;
}

} // namespace hivescope::catch2
