// hivescope-cli: command-line entry point. `demo` is the job `make run` runs.

#include "conformance.hpp"
#include "serve.hpp"
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

    hivescope::cli::ServeOptions serve_options;
    auto* serve = app.add_subcommand(
        "serve", "Serve a HiveMind master on a real WebSocket port and print every frame it "
                 "receives");
    serve->add_option("--host", serve_options.host, "Listen address")->capture_default_str();
    serve->add_option("--port", serve_options.port, "Listen port (0: any free port, printed)")
        ->capture_default_str();
    auto* serve_db = serve->add_option("--db", serve_options.db,
                                       "Client database in the hivemind-core clients.json layout");
    serve
        ->add_option("--client", serve_options.clients,
                     "An in-memory client record key:password[:admin] (repeatable)")
        ->excludes(serve_db);
    serve->add_option("--allow", serve_options.allowed_types,
                      "allowed_types of the --client records (repeatable; default: "
                      "recognizer_loop:utterance, speak, mycroft.skills.is_alive, "
                      "mycroft.skills.is_ready)");
    serve->add_option("--answer", serve_options.answer_types,
                      "BUS types the agent answers with <type>.response {\"status\": true} "
                      "(repeatable; default: mycroft.skills.is_alive, mycroft.skills.is_ready)");
    serve->add_option("--node-id", serve_options.node_id, "The master's node id")
        ->capture_default_str();
    serve->add_flag("--binarize", serve_options.binarize, "Offer binary framing (protocol v2)");
    serve->add_option("--for", serve_options.run_seconds, "Stop after this many seconds");
    serve->add_option("--seed", serve_options.seed, "Seed for IVs and nonces (default: random)");
    auto* tls_cert = serve
                         ->add_option("--tls-cert", serve_options.tls_certificate,
                                      "Serve wss:// with this certificate chain (PEM file)")
                         ->check(CLI::ExistingFile);
    auto* tls_key =
        serve->add_option("--tls-key", serve_options.tls_key, "The certificate's key (PEM file)")
            ->check(CLI::ExistingFile);
    tls_cert->needs(tls_key);
    tls_key->needs(tls_cert);
    serve
        ->add_option("--tls-self-signed", serve_options.tls_self_signed,
                     "Serve wss:// with a fresh self-signed certificate for --host, written to "
                     "this PEM file for clients to trust")
        ->excludes(tls_cert)
        ->excludes(tls_key);

    hivescope::cli::ConformanceOptions conformance_options;
    auto* conformance = app.add_subcommand(
        "conformance", "Run the conformance checks against an external HiveMind master");
    conformance->add_option("url", conformance_options.url, "The master, ws://host:port")
        ->required();
    conformance->add_option("--key", conformance_options.key, "An access key with a password")
        ->required();
    conformance->add_option("--password", conformance_options.password, "Its password")->required();
    auto* admin_key = conformance->add_option("--admin-key", conformance_options.admin_key,
                                              "An admin access key, for the admin checks");
    auto* admin_password = conformance->add_option(
        "--admin-password", conformance_options.admin_password, "The admin key's password");
    admin_key->needs(admin_password);
    admin_password->needs(admin_key);
    conformance
        ->add_option("--timeout", conformance_options.timeout_seconds,
                     "Seconds any single wait may take")
        ->capture_default_str();
    conformance
        ->add_option("--settle", conformance_options.settle_seconds,
                     "Seconds a link must stay open to count as accepted")
        ->capture_default_str();
    conformance
        ->add_option("--bus-type", conformance_options.bus_type,
                     "BUS type the master's agent may answer with <type>.response")
        ->capture_default_str();
    conformance
        ->add_option("--forbidden-type", conformance_options.forbidden_type,
                     "BUS type the key is expected not to be allowed to inject")
        ->capture_default_str();
    conformance->add_option("--seed", conformance_options.seed,
                            "Seed for IVs, nonces and session ids (default: random)");
    auto* ca = conformance
                   ->add_option("--ca", conformance_options.tls_ca_file,
                                "For wss://: trust these PEM certificates besides the system's")
                   ->check(CLI::ExistingFile);
    conformance
        ->add_flag("--insecure", conformance_options.tls_insecure,
                   "For wss://: accept any certificate, unchecked")
        ->excludes(ca);

    CLI11_PARSE(app, argc, argv);

    try {
        if (run->parsed()) {
            const int failures = hivescope::cli::run_simulation(run_options, std::cout);
            return failures == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
        }
        if (conformance->parsed()) {
            const auto result = hivescope::cli::run_conformance(conformance_options, std::cout);
            return result.failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
        }
        if (serve->parsed()) {
            if (!serve_options.db && serve_options.clients.empty()) {
                std::cerr << "hivescope serve: give --db FILE or at least one --client "
                             "key:password[:admin]\n";
                return 2;
            }
            return hivescope::cli::serve(serve_options, std::cout);
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
