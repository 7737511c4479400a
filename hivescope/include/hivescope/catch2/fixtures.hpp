#pragma once
// Fixtures for TEST_CASE_METHOD: the four of the Python hivescope library (`master_node`,
// `satellite_node`, `admin_satellite`, `restricted_satellite`), with the same client ACLs. Each
// holds its running Hive by value, so the hive starts in the fixture's constructor and stops in
// its destructor: Catch2 builds a fresh fixture for every run of a test case, and nothing
// survives a run. Every fixture is seeded from Catch2's `--rng-seed`, so a failing run
// reproduces exactly.
//
//     TEST_CASE_METHOD(hivescope::fixtures::RestrictedSatellite, "…", "[acl]") {
//         restricted.send(hivescope::bus("speak"));
//         hive.run_until_idle();
//         …
//     }
//
// The hives are simulated-only fast: 1000 PBKDF2 iterations instead of 100000, and satellites
// announce no RSA key (no INTERCOM); see prepare_for_tests().

#include "hivescope/node/master_node.hpp"
#include "hivescope/node/satellite_node.hpp"
#include "hivescope/topology/hive.hpp"
#include "hivescope/topology/topology_builder.hpp"

#include <cstdint>

namespace hivescope::fixtures {

/// PBKDF2 iterations of every fixture hive: low on purpose, simulated links only.
inline constexpr unsigned test_kdf_iterations = 1000;

/// Applies the fixtures' simulated-only speed-ups to `builder` (1000 PBKDF2 iterations,
/// satellite RSA keys only when `intercom`) and seeds it from Catch2's `--rng-seed`.
topology::TopologyBuilder& prepare_for_tests(topology::TopologyBuilder& builder,
                                             bool intercom = false);

/// The seed of this Catch2 run (`--rng-seed`), for hives built by hand.
[[nodiscard]] std::uint64_t test_seed();

/// `satellite_node`'s record: the Python defaults (not admin, may broadcast, propagate and
/// escalate, `allowed_types` empty, so every injection is denied: protocol.md B.4).
[[nodiscard]] topology::ClientAcl satellite_acl();
/// `admin_satellite`'s record: admin, may propagate; `allowed_types` empty (admin does not
/// bypass it, B.4).
[[nodiscard]] topology::ClientAcl admin_acl();
/// `restricted_satellite`'s record: not admin, may neither propagate nor escalate, may inject
/// only `recognizer_loop:utterance`.
[[nodiscard]] topology::ClientAcl restricted_acl();

/// `master_node`: M0 alone.
class MasterOnly {
  public:
    MasterOnly();
    /// The topology this fixture starts (seeded, fast); tweak a copy to build a variant.
    [[nodiscard]] static topology::TopologyBuilder builder();

    topology::Hive hive;      ///< the running hive; stops when the fixture is destroyed
    node::MasterNode& master; ///< M0

  protected:
    /// Starts `builder` (which must have a master M0) and lets every HELLO land.
    explicit MasterOnly(const topology::TopologyBuilder& builder);
};

/// `satellite_node`: M0 with S0 (satellite_acl()), handshake complete and registered.
class MasterWithSatellite : public MasterOnly {
  public:
    MasterWithSatellite();
    [[nodiscard]] static topology::TopologyBuilder builder();

    node::SatelliteNode& satellite; ///< S0

  protected:
    explicit MasterWithSatellite(const topology::TopologyBuilder& builder);
};

/// `admin_satellite`: M0 with S_ADMIN (admin_acl()).
class AdminSatellite : public MasterOnly {
  public:
    AdminSatellite();
    [[nodiscard]] static topology::TopologyBuilder builder();

    node::SatelliteNode& admin; ///< S_ADMIN
};

/// `restricted_satellite`: M0 with S_RESTRICTED (restricted_acl()).
class RestrictedSatellite : public MasterOnly {
  public:
    RestrictedSatellite();
    [[nodiscard]] static topology::TopologyBuilder builder();

    node::SatelliteNode& restricted; ///< S_RESTRICTED
};

} // namespace hivescope::fixtures
