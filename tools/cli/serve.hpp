#pragma once
// The `serve` job: one MasterNode served on a real WebSocket port (the loopback transport), for
// testing satellites by hand or for `hivescope conformance`. It prints one line per frame it
// receives and per refusal, and runs until SIGINT / SIGTERM or for a fixed time.

#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

namespace hivescope::cli {

/// What `hivescope serve` was asked for.
struct ServeOptions {
    std::string host = "127.0.0.1";
    std::uint16_t port = 5678;               ///< 0: the system picks one (printed)
    std::optional<std::filesystem::path> db; ///< a hivemind-core clients.json
    std::vector<std::string> clients;        ///< `key:password[:admin]`, in-memory records
    std::vector<std::string> allowed_types;  ///< allowed_types of the `--client` records
    std::vector<std::string> answer_types;   ///< the agent answers `<t>` with `<t>.response`
    std::string node_id = "hivescope";       ///< the master's HELLO node id
    bool binarize = false;                   ///< advertise binary framing (B.3)
    std::optional<double> run_seconds;       ///< stop after this long (`--for`)
    std::optional<std::uint64_t> seed;       ///< IVs and nonces; random when absent
    /// Serve `wss://` with this certificate chain and key (PEM files)...
    std::optional<std::filesystem::path> tls_certificate;
    std::optional<std::filesystem::path> tls_key;
    /// ...or with a fresh self-signed certificate for `host`, written to this file (PEM) so
    /// that clients can trust it (`conformance --ca FILE`).
    std::optional<std::filesystem::path> tls_self_signed;
};

/// The OVOS types a `--client` record may inject when `--allow` is not given.
[[nodiscard]] std::vector<std::string> default_serve_allowed_types();
/// The types the agent answers when `--answer` is not given.
[[nodiscard]] std::vector<std::string> default_serve_answer_types();

/// Runs the server until SIGINT / SIGTERM or `run_seconds`, printing to `out`. Throws
/// ProtocolError (invalid_argument) for a malformed `--client`, ClientDatabaseError for a bad
/// `--db` file, and ProtocolError when the port cannot be bound. Returns the exit code (0).
int serve(const ServeOptions& options, std::ostream& out);

} // namespace hivescope::cli
