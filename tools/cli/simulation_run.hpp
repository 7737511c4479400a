#pragma once
// The `run` job: build a preset hive, drive a traffic mix that exercises every message type and
// ACL outcome, check where each message went, and report.

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <string>

namespace hivescope::cli {

/// What `hivescope-cli run` was asked for.
struct RunOptions {
    std::string preset = "star";
    std::size_t satellites = 10; ///< star; sats_per_relay for hierarchical
    std::size_t relays = 2;      ///< chain
    std::size_t levels = 3;      ///< hierarchical
    std::size_t depth = 2;       ///< tree
    std::size_t branching = 3;   ///< tree
    std::uint64_t seed = 7;
    unsigned kdf_iterations = 1000;
    bool progress = true; ///< a progress bar on stderr for runs longer than a second
};

/// Runs the job, printing the report to `out`. Returns the number of failed invariants.
int run_simulation(const RunOptions& options, std::ostream& out);

} // namespace hivescope::cli
