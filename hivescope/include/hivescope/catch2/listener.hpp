#pragma once
// Failure context, only when a path fails. Catch2 runs a SCENARIO once per leaf GIVEN/WHEN/THEN
// path; when one of those runs fails, the TraceListener prints the seed to re-run it with, a
// bounded trace of every hive that lived in the run, and writes a Mermaid sequence diagram of
// that run to a file. Passing runs cost nothing beyond a pointer per hive.
//
// How the listener finds the hives: the core library calls the thread's topology::HiveRegistry
// when a Hive is created, moved or destroyed (see hive_registry.hpp for why that hook is a
// thread_local pointer). The listener owns a TestHiveRegistry and installs it for the duration
// of each test case; nothing is global and nothing outlives the test. Hives are usually destroyed
// by the time Catch2 reports the end of a run (the failing REQUIRE unwinds the scenario), so the
// registry captures a hive's trace as the hive is destroyed, but only once the run has failed.
//
// Register it by linking hivescope::catch2_main (our main). With your own main, put
// `using TraceListener = hivescope::catch2::TraceListener;` and
// `HIVESCOPE_REGISTER_LISTENER(TraceListener)` in the file that holds main (Catch2 v2 needs an
// unqualified name).

// Catch2 v2 declares its reporter bases only under this macro (v3 ignores it).
#ifndef CATCH_CONFIG_EXTERNAL_INTERFACES
#define CATCH_CONFIG_EXTERNAL_INTERFACES
#endif
#include "hivescope/catch2/compat.hpp"
#include "hivescope/topology/hive.hpp"
#include "hivescope/topology/hive_registry.hpp"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace hivescope::catch2 {

/// Bounds of what a failing run prints and draws.
struct TraceLimits {
    std::size_t trace_lines = 40;       ///< merged-trace lines printed, over all hives
    std::size_t diagram_messages = 200; ///< arrows and notes drawn in the diagram, per hive
};

/// One arrow or note of a sequence diagram.
struct DiagramEvent {
    enum class Kind : std::uint8_t {
        message, ///< `from` sent a frame to `to`
        note,    ///< something happened at `from` (a denial, a drop, an injection, a close)
    };
    Kind kind = Kind::message;
    std::string from; ///< node name
    std::string to;   ///< node name (or the peer as recorded, when no node matches it)
    std::string text; ///< `bus speak`, `denied acl_disallowed_type`, …
};

/// A hive's trace, captured for a failure report.
struct HiveTrace {
    std::size_t index = 0;            ///< 1-based, in creation order within the run
    std::uint64_t seed = 0;           ///< the hive's simulation seed
    std::vector<std::string> nodes;   ///< masters, relays, then satellites
    std::size_t records = 0;          ///< records in the merged trace
    std::vector<std::string> lines;   ///< the last lines of the merged trace
    std::vector<DiagramEvent> events; ///< the last diagram events
    std::size_t events_omitted = 0;   ///< diagram events left out before `events`
};

/// Captures `hive`'s trace now: its last `limits.trace_lines` records as lines and its last
/// `limits.diagram_messages` diagram events.
[[nodiscard]] HiveTrace capture_trace(topology::Hive& hive, std::size_t index,
                                      const TraceLimits& limits = {});

/// A Mermaid `sequenceDiagram` of `traces`: participants in hive order (only those that appear),
/// one arrow per frame sent, one note per denial, drop, close, refusal, decode error or
/// injection. With several hives, participants are prefixed `H<index>_`. `title` becomes a
/// `%%` comment.
[[nodiscard]] std::string render_mermaid(const std::vector<HiveTrace>& traces,
                                         const std::string& title);

/// The failure report's text: the path, the seed line, then each hive's trace lines.
[[nodiscard]] std::string render_report(const std::string& path, unsigned seed,
                                        const std::vector<HiveTrace>& traces);

/// Where diagrams are written: `$HIVESCOPE_TRACE_DIR` when set, else the directory compiled in
/// (hivescope's build tree, `hivescope-traces`), else `hivescope-traces` under the working dir.
[[nodiscard]] std::filesystem::path trace_directory();

/// A file name for a run: a readable slug of `path` plus a short hash, ending in `.mmd`.
[[nodiscard]] std::string diagram_file_name(const std::string& path);

/// The hives of the running test path, as the core library reports them.
class TestHiveRegistry final : public topology::HiveRegistry {
  public:
    explicit TestHiveRegistry(TraceLimits limits = {}) : limits_(limits) {}

    /// Forgets every hive and failure: a new run of the test case starts.
    void begin_run() noexcept;
    /// The run has failed: from now on, hives are captured as they are destroyed.
    void mark_failed() noexcept { failed_ = true; }
    /// Whether the run failed so far, or an exception is unwinding through it.
    [[nodiscard]] bool failing() const noexcept;
    /// Hives created in this run and not yet destroyed.
    [[nodiscard]] std::size_t alive() const noexcept;
    /// Hives created in this run.
    [[nodiscard]] std::size_t created() const noexcept { return entries_.size(); }
    /// The traces of every hive of this run, in creation order: captured at destruction, or
    /// now for those still alive.
    [[nodiscard]] std::vector<HiveTrace> collect() const;

    void hive_created(topology::Hive& hive) noexcept override;
    void hive_moved(topology::Hive& from, topology::Hive& to) noexcept override;
    void hive_destroyed(topology::Hive& hive) noexcept override;
    /// The seed hives of this test use when their options leave it unset.
    [[nodiscard]] std::optional<std::uint64_t> default_seed() const noexcept override {
        return default_seed_;
    }
    /// Sets that seed (the listener: Catch2's `--rng-seed`).
    void set_default_seed(std::optional<std::uint64_t> seed) noexcept { default_seed_ = seed; }
    /// One RSA key cache for every hive of every test this registry sees: sections re-run a
    /// topology from the top, and each node key is generated once for the whole run.
    [[nodiscard]] std::shared_ptr<protocol::RsaKeyCache> key_cache() const noexcept override {
        return key_cache_;
    }

  private:
    struct Entry {
        topology::Hive* hive = nullptr; ///< null once destroyed
        std::optional<HiveTrace> captured;
    };
    TraceLimits limits_;
    std::vector<Entry> entries_;
    bool failed_ = false;
    std::optional<std::uint64_t> default_seed_;
    std::shared_ptr<protocol::RsaKeyCache> key_cache_ = std::make_shared<protocol::RsaKeyCache>();
};

/// The registry of the test running on this thread, or null outside a test with the listener.
[[nodiscard]] TestHiveRegistry* current_test_registry() noexcept;

/// Hives alive in the running test (0 without the listener): a cheap leak probe.
[[nodiscard]] std::size_t hives_alive() noexcept;

/// The Catch2 event listener: seed, bounded trace and Mermaid file for each failing run.
class TraceListener : public EventListenerBase {
  public:
    using EventListenerBase::EventListenerBase;

    void testCaseStarting(const Catch::TestCaseInfo& info) override;
    void sectionStarting(const Catch::SectionInfo& info) override;
#if HIVESCOPE_CATCH2_MAJOR >= 3
    void assertionEnded(const Catch::AssertionStats& stats) override;
#else
    bool assertionEnded(const Catch::AssertionStats& stats) override;
#endif
    void sectionEnded(const Catch::SectionStats& stats) override;
    void testCaseEnded(const Catch::TestCaseStats& stats) override;

  private:
    void report();

    TestHiveRegistry registry_;
    topology::HiveRegistry* previous_ = nullptr;
    std::string test_name_;
    std::vector<std::string> sections_; ///< the sections entered in this run, outermost first
    std::size_t depth_ = 0;
};

} // namespace hivescope::catch2
