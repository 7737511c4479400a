#include "hivescope/catch2/fixtures.hpp"

#ifndef CATCH_CONFIG_EXTERNAL_INTERFACES
#define CATCH_CONFIG_EXTERNAL_INTERFACES
#endif
#include "hivescope/catch2/compat.hpp"

namespace hivescope::fixtures {

namespace {

topology::SatelliteSpec satellite_with(topology::ClientAcl acl) {
    topology::SatelliteSpec spec;
    spec.acl = std::move(acl);
    return spec;
}

topology::TopologyBuilder master_with(const std::string& name, topology::ClientAcl acl) {
    auto builder = MasterOnly::builder();
    builder.add_satellite(name, "M0", satellite_with(std::move(acl)));
    return builder;
}

} // namespace

std::uint64_t test_seed() {
    return catch2::seed();
}

topology::TopologyBuilder& prepare_for_tests(topology::TopologyBuilder& builder, bool intercom) {
    builder.options().kdf_iterations = test_kdf_iterations;
    builder.options().satellite_pubkeys = intercom;
    builder.seed(test_seed());
    return builder;
}

topology::ClientAcl satellite_acl() {
    return topology::ClientAcl{};
}

topology::ClientAcl admin_acl() {
    topology::ClientAcl acl;
    acl.is_admin = true;
    acl.can_propagate = true;
    return acl;
}

topology::ClientAcl restricted_acl() {
    topology::ClientAcl acl;
    acl.is_admin = false;
    acl.can_propagate = false;
    acl.can_escalate = false;
    acl.allowed_types = {"recognizer_loop:utterance"};
    return acl;
}

MasterOnly::MasterOnly() : MasterOnly(builder()) {}

MasterOnly::MasterOnly(const topology::TopologyBuilder& builder)
    : hive(builder.start()), master(hive.master("M0")) {
    // Let whatever start() left queued (agent events of the last registrations) land.
    hive.run_until_idle();
}

topology::TopologyBuilder MasterOnly::builder() {
    topology::TopologyBuilder builder;
    builder.add_master("M0");
    prepare_for_tests(builder);
    return builder;
}

MasterWithSatellite::MasterWithSatellite() : MasterWithSatellite(builder()) {}

MasterWithSatellite::MasterWithSatellite(const topology::TopologyBuilder& builder)
    : MasterOnly(builder), satellite(hive.satellite("S0")) {}

topology::TopologyBuilder MasterWithSatellite::builder() {
    return master_with("S0", satellite_acl());
}

AdminSatellite::AdminSatellite() : MasterOnly(builder()), admin(hive.satellite("S_ADMIN")) {}

topology::TopologyBuilder AdminSatellite::builder() {
    return master_with("S_ADMIN", admin_acl());
}

RestrictedSatellite::RestrictedSatellite()
    : MasterOnly(builder()), restricted(hive.satellite("S_RESTRICTED")) {}

topology::TopologyBuilder RestrictedSatellite::builder() {
    return master_with("S_RESTRICTED", restricted_acl());
}

} // namespace hivescope::fixtures
