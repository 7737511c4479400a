#pragma once
// The `conformance` job: scenarios run against an external HiveMind master over a real socket
// (our SatelliteNode on the loopback transport, or a scripted client where a check must
// misbehave). Each check ends PASS, FAIL or N/A with its reason; only FAIL fails the run, and a
// master that does not do something optional gets N/A, so the suite is usable against any
// implementation (our `hivescope serve`, the Python hivemind-core).

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <optional>
#include <string>

namespace hivescope::cli {

/// What `hivescope conformance` was asked for.
struct ConformanceOptions {
    std::string url;                           ///< `ws://host:port[/]` or `wss://…`
    std::string key;                           ///< an access key with a password on the master
    std::string password;                      ///< its password
    std::optional<std::string> admin_key;      ///< an admin record, for the admin checks
    std::optional<std::string> admin_password; ///< its password
    double timeout_seconds = 5;                ///< every wait is bounded by this
    double settle_seconds = 0.3;               ///< how long a link must stay open to count
    /// A BUS type the master's agent may answer with `<type>.response` (OVOS answers this one).
    std::string bus_type = "mycroft.skills.is_alive";
    /// A BUS type the key is expected not to be allowed to inject.
    std::string forbidden_type = "hivescope.conformance.forbidden";
    std::optional<std::uint64_t> seed; ///< IVs, nonces and session ids; random when absent
    /// For a `wss://` master: a PEM file of certificates to trust besides the system store...
    std::optional<std::filesystem::path> tls_ca_file;
    /// ...or no certificate check at all.
    bool tls_insecure = false;
};

/// The tally of a run.
struct ConformanceResult {
    std::size_t passed = 0;
    std::size_t failed = 0;
    std::size_t not_applicable = 0;
};

/// Runs every check against `options.url`, printing `PASS|FAIL|N/A  <name>  <reason>` lines
/// and a summary to `out`. Throws ProtocolError(invalid_argument) for a malformed URL.
ConformanceResult run_conformance(const ConformanceOptions& options, std::ostream& out);

} // namespace hivescope::cli
