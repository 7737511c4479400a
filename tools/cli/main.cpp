// hivescope-cli: command-line entry point. `demo` is the job `make run` runs.

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

    CLI11_PARSE(app, argc, argv);

    try {
        if (demo->parsed()) {
            std::cout << "hivescope demo: reference HiveMind sessions decoded by the C++ core\n";
            const int failures = hivescope::cli::report_transcripts(vectors_dir, std::cout);
            return failures == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
        }
    } catch (const std::exception& error) {
        std::cerr << "hivescope-cli: " << error.what() << "\n";
        return 2;
    }
    return EXIT_SUCCESS;
}
