// hivescope-cli: command-line entry point. `demo` is the job `make run` runs.

#include "simulation_run.hpp"
#include "transcript_report.hpp"

#include <CLI/CLI.hpp>

#include <cstdlib>
#include <filesystem>
#include <iostream>

namespace {

std::filesystem::path default_vectors_dir() {
    if (const char* env = std::getenv("HIVESCOPE_VECTORS_DIR"); env != nullptr && *env != '\0')
        return env;
    return "../shared/vectors";
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"hivescope: end-to-end testing for the HiveMind protocol"};
    app.require_subcommand(1);

    std::filesystem::path vectors_dir = default_vectors_dir();
    auto* demo = app.add_subcommand(
        "demo", "Replay the reference session transcripts through the protocol core and explain "
                "every frame");
    demo->add_option("--vectors", vectors_dir, "Directory holding the shared golden vectors")
        ->check(CLI::ExistingDirectory);

    hivescope::cli::RunOptions run_options;
    auto* run = app.add_subcommand(
        "run", "Simulate a preset hive, drive every message type and ACL outcome, check where "
               "each message went, and report");
    run->add_option("preset", run_options.preset,
                    "single, admin, three, star, relay, chain, acl, hierarchical or tree")
        ->capture_default_str();
    run->add_option("--satellites", run_options.satellites,
                    "Satellites (star), or satellites under the last relay (hierarchical)")
        ->capture_default_str();
    run->add_option("--relays", run_options.relays, "Relays in the chain (chain)")
        ->capture_default_str();
    run->add_option("--levels", run_options.levels, "Levels (hierarchical)")->capture_default_str();
    run->add_option("--depth", run_options.depth, "Depth (tree)")->capture_default_str();
    run->add_option("--branching", run_options.branching, "Children per node (tree)")
        ->capture_default_str();
    run->add_option("--seed", run_options.seed, "Simulation seed")->capture_default_str();
    run->add_option("--kdf-iterations", run_options.kdf_iterations,
                    "PBKDF2 iterations of every handshake (simulated hives only; real peers use "
                    "100000)")
        ->capture_default_str();
    run->add_flag("!--no-progress", run_options.progress, "Hide the progress bar");

    CLI11_PARSE(app, argc, argv);

    try {
        if (run->parsed()) {
            const int failures = hivescope::cli::run_simulation(run_options, std::cout);
            return failures == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
        }
        if (demo->parsed()) {
            std::cout << "hivescope demo: reference HiveMind sessions decoded by the C++ core\n";
            const int failures = hivescope::cli::report_transcripts(vectors_dir, std::cout);
            return failures == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
        }
    } catch (const std::exception& error) {
        std::cerr << "hivescope: " << error.what() << "\n";
        return 2;
    }
    return EXIT_SUCCESS;
}
