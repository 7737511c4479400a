#pragma once
// A master under test with scripted clients around it: one simulation, one network, one
// MasterNode (with a pooled RSA identity so tests do not pay for key generation), and helpers to
// add a record, connect a client for it and read what the master recorded.

#include "node/support/scripted_client.hpp"

#include "hivescope/node/master_node.hpp"
#include "hivescope/protocol/rsa_handshake.hpp"

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace hivescope::test {

/// An RSA key per name, generated once per test run from a fixed seed.
inline std::shared_ptr<const protocol::RsaKeyPair> pooled_key(const std::string& name) {
    static std::map<std::string, std::shared_ptr<const protocol::RsaKeyPair>> keys;
    auto& key = keys[name];
    if (!key) {
        protocol::SeededRandom random(20240611, "test-key/" + name);
        key = std::make_shared<const protocol::RsaKeyPair>(protocol::RsaKeyPair::generate(random));
    }
    return key;
}

/// One master and its clients.
struct MasterHive {
    /// Test defaults: node M0 at site `hive-site`, 1000 PBKDF2 iterations (simulated only).
    static node::MasterOptions defaults() {
        node::MasterOptions options;
        options.node_id = "M0";
        options.site_id = "hive-site";
        options.kdf_iterations = 1000;
        return options;
    }

    explicit MasterHive(node::MasterOptions options = defaults(), std::uint64_t seed = 7)
        : simulation(seed), network(simulation) {
        master = std::make_unique<node::MasterNode>(network, std::move(options));
        master->core().set_identity(pooled_key("M0"));
    }

    /// Adds a record for `name` (key `<name>-key`, password `<name>-pw`, allowed types
    /// utterance and speak), lets `acl` adjust it, and returns the stored record.
    node::ClientRecord add_record(const std::string& name,
                                  const std::function<void(node::ClientRecord&)>& acl = {}) {
        node::ClientRecord record;
        record.api_key = name + "-key";
        record.name = name;
        record.password = name + "-pw";
        record.allowed_types = {"recognizer_loop:utterance", "speak"};
        if (acl)
            acl(record);
        return master->database().add(record);
    }

    /// A client for the record of `name` (added first when `add` is set), connected and run to
    /// idle (handshake and HELLO done unless `tweak` changes that).
    ScriptedClient& join(const std::string& name,
                         const std::function<void(node::ClientRecord&)>& acl = {},
                         const std::function<void(ScriptedClientOptions&)>& tweak = {},
                         bool add = true) {
        std::optional<node::ClientRecord> record;
        if (add)
            record = add_record(name, acl);
        ScriptedClientOptions options;
        options.name = name;
        options.access_key = name + "-key";
        options.password = record && record->password ? record->password
                                                      : std::optional<std::string>(name + "-pw");
        if (tweak)
            tweak(options);
        clients.push_back(std::make_unique<ScriptedClient>(network, std::move(options)));
        clients.back()->connect("M0");
        run();
        return *clients.back();
    }

    void run() { simulation.run_until_idle(); }
    void run_for(sim::Duration duration) { simulation.run_for(duration); }

    node::Bus& agent() { return master->agent(); }
    record::Recorder& recorder() { return master->recorder(); }

    /// Records of `kind` (and `outcome`, unless `any`) since `mark`.
    std::vector<record::Record> records(record::Kind kind,
                                        std::optional<record::Outcome> outcome = std::nullopt,
                                        record::Mark mark = {}) const {
        std::vector<record::Record> out;
        for (const auto& entry : master->recorder().since(mark))
            if (entry.kind == kind && (!outcome || entry.outcome == *outcome))
                out.push_back(entry);
        return out;
    }

    /// The verdict records with `reason`.
    std::vector<record::Record> verdicts(const std::string& reason, record::Mark mark = {}) const {
        std::vector<record::Record> out;
        for (const auto& entry : master->recorder().since(mark))
            if (entry.kind == record::Kind::verdict && entry.reason == reason)
                out.push_back(entry);
        return out;
    }

    sim::Simulation simulation;
    sim::Network network;
    std::unique_ptr<node::MasterNode> master;
    std::vector<std::unique_ptr<ScriptedClient>> clients;
};

/// A denial a client received: `hive.policy.denied` data fields.
struct Denial {
    std::string denied_type;
    std::string code;
    std::string reason;
};

inline std::vector<Denial> denials(const ScriptedClient& client) {
    std::vector<Denial> out;
    for (const auto& bus : client.bus_received("hive.policy.denied"))
        out.push_back({bus.data().get_string("denied_type"), bus.data().get_string("code"),
                       bus.data().get_string("reason")});
    return out;
}

} // namespace hivescope::test
