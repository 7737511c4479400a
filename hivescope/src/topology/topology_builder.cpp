#include "hivescope/topology/topology_builder.hpp"

#include "hivescope/node/client_database.hpp"
#include "hivescope/protocol/bytes.hpp"
#include "hivescope/topology/hive_registry.hpp"

#include <algorithm>
#include <atomic>
#include <exception>
#include <map>
#include <set>
#include <thread>

namespace hivescope::topology {

TopologyBuilder::Entry& TopologyBuilder::add(Kind kind, std::string name, std::string upstream) {
    if (name.empty())
        throw TopologyError("a node needs a name");
    for (const auto& entry : entries_)
        if (entry.name == name)
            throw TopologyError("a node named \"" + name +
                                "\" already exists: node ids must be unique in a hive (B.7.4)");
    entries_.push_back(Entry{kind, std::move(name), std::move(upstream), {}, {}, {}});
    return entries_.back();
}

TopologyBuilder& TopologyBuilder::add_master(std::string name, MasterSpec spec) {
    add(Kind::master, std::move(name), {}).master = std::move(spec);
    return *this;
}

TopologyBuilder& TopologyBuilder::add_satellite(std::string name, std::string upstream,
                                                SatelliteSpec spec) {
    add(Kind::satellite, std::move(name), std::move(upstream)).satellite = std::move(spec);
    return *this;
}

TopologyBuilder& TopologyBuilder::add_relay(std::string name, std::string upstream,
                                            RelaySpec spec) {
    add(Kind::relay, std::move(name), std::move(upstream)).relay = std::move(spec);
    return *this;
}

std::string TopologyBuilder::names() const {
    std::string out;
    for (const auto& entry : entries_)
        out += (out.empty() ? "" : ", ") + entry.name;
    return out.empty() ? "none" : out;
}

TopologyBuilder::Entry& TopologyBuilder::find(const std::string& name, Kind kind) {
    static constexpr const char* kinds[] = {"master", "satellite", "relay"};
    for (auto& entry : entries_)
        if (entry.name == name && entry.kind == kind)
            return entry;
    throw TopologyError(std::string("no ") + kinds[static_cast<int>(kind)] + " named \"" + name +
                        "\" (nodes: " + names() + ")");
}

MasterSpec& TopologyBuilder::get_master(const std::string& name) {
    return find(name, Kind::master).master;
}
SatelliteSpec& TopologyBuilder::get_satellite(const std::string& name) {
    return find(name, Kind::satellite).satellite;
}
RelaySpec& TopologyBuilder::get_relay(const std::string& name) {
    return find(name, Kind::relay).relay;
}

std::size_t TopologyBuilder::masters() const noexcept {
    return static_cast<std::size_t>(std::count_if(
        entries_.begin(), entries_.end(), [](const Entry& e) { return e.kind == Kind::master; }));
}
std::size_t TopologyBuilder::satellites() const noexcept {
    return static_cast<std::size_t>(
        std::count_if(entries_.begin(), entries_.end(),
                      [](const Entry& e) { return e.kind == Kind::satellite; }));
}
std::size_t TopologyBuilder::relays() const noexcept {
    return static_cast<std::size_t>(std::count_if(
        entries_.begin(), entries_.end(), [](const Entry& e) { return e.kind == Kind::relay; }));
}

std::vector<const TopologyBuilder::Entry*> TopologyBuilder::dependency_order() const {
    std::map<std::string, const Entry*> by_name;
    for (const auto& entry : entries_)
        by_name[entry.name] = &entry;
    const auto external = [](const Entry& entry) {
        return entry.kind == Kind::master || sim::is_websocket_url(entry.upstream);
    };
    for (const auto& entry : entries_) {
        if (external(entry))
            continue;
        const auto upstream = by_name.find(entry.upstream);
        if (upstream == by_name.end())
            throw TopologyError("\"" + entry.name + "\" names the upstream \"" + entry.upstream +
                                "\", which does not exist (nodes: " + names() + ")");
        if (upstream->second->kind == Kind::satellite)
            throw TopologyError("\"" + entry.name + "\" names the satellite \"" + entry.upstream +
                                "\" as its upstream; only masters and relays accept clients");
    }
    // Parents before children, otherwise insertion order: deterministic and cycle-checked.
    std::vector<const Entry*> order;
    std::set<std::string> placed;
    while (order.size() < entries_.size()) {
        const std::size_t before = order.size();
        for (const auto& entry : entries_) {
            if (placed.count(entry.name) != 0)
                continue;
            if (external(entry) || placed.count(entry.upstream) != 0) {
                order.push_back(&entry);
                placed.insert(entry.name);
            }
        }
        if (order.size() == before)
            throw TopologyError("the topology has a cycle of relays");
    }
    return order;
}

namespace {

std::uint64_t resolved_seed(const HiveOptions& options) {
    if (options.seed)
        return *options.seed;
    if (const HiveRegistry* registry = current_hive_registry())
        if (const auto seed = registry->default_seed())
            return *seed;
    return 0;
}

std::string random_token(protocol::RandomSource& random, std::size_t bytes) {
    return protocol::hex_encode(random.bytes(bytes));
}

node::ClientRecord client_record(const std::string& name, const ClientAcl& acl) {
    node::ClientRecord record;
    record.name = name;
    record.is_admin = acl.is_admin;
    record.can_broadcast = acl.can_broadcast;
    record.can_propagate = acl.can_propagate;
    record.can_escalate = acl.can_escalate;
    record.allowed_types = acl.allowed_types;
    record.message_blacklist = acl.message_blacklist;
    record.skill_blacklist = acl.skill_blacklist;
    record.intent_blacklist = acl.intent_blacklist;
    return record;
}

// Credentials come from a stream named after the node, so adding a node never changes another
// node's key or password.
void issue_credentials(sim::Simulation& simulation, const std::string& name, const ClientAcl& acl,
                       bool with_password, bool with_preshared_key, node::ClientDatabase& database,
                       node::SatelliteOptions& options) {
    auto random = simulation.random_stream("credentials/" + name);
    node::ClientRecord record = client_record(name, acl);
    record.api_key = random_token(random, 16);
    if (with_password)
        record.password = random_token(random, 12);
    if (with_preshared_key)
        record.crypto_key = random_token(random, 8); // 16 hex characters
    database.add(record);
    options.access_key = record.api_key;
    options.password = record.password;
    options.crypto_key = record.crypto_key;
}

// RSA keys cost 0.1–0.3 s each and do not depend on one another (each is a pure function of the
// seed and its node id), so the ones a start is sure to need are made on every hardware thread
// at once, before any event runs. The simulation itself stays single-threaded: the workers touch
// nothing but their own node's identity and the (thread-safe) key cache.
void generate_identities(std::vector<node::NodeCore*> cores) {
    std::erase_if(cores, [](const node::NodeCore* core) { return core->has_identity(); });
    const std::size_t workers =
        std::min<std::size_t>(cores.size(), std::max(1u, std::thread::hardware_concurrency()));
    if (workers < 2)
        return; // nothing to overlap: each node makes its key when it first needs it
    std::atomic<std::size_t> next{0};
    std::vector<std::exception_ptr> errors(workers);
    {
        std::vector<std::jthread> threads;
        threads.reserve(workers);
        for (std::size_t worker = 0; worker < workers; ++worker)
            threads.emplace_back([&cores, &next, &errors, worker] {
                try {
                    for (std::size_t i = next++; i < cores.size(); i = next++)
                        (void)cores[i]->identity();
                } catch (...) {
                    errors[worker] = std::current_exception();
                }
            });
    }
    for (const auto& error : errors)
        if (error)
            std::rethrow_exception(error);
}

} // namespace

Hive TopologyBuilder::start() const {
    const auto order = dependency_order();
    Hive hive;
    hive.simulation_ = std::make_unique<sim::Simulation>(resolved_seed(options_));
    hive.network_ = std::make_unique<sim::Network>(*hive.simulation_);
    hive.network_->default_link_options = options_.link;
    sim::Network& network = *hive.network_;

    const auto database_of = [&hive](const std::string& name) -> node::ClientDatabase& {
        if (auto it = hive.masters_.find(name); it != hive.masters_.end())
            return it->second->database();
        return hive.relays_.at(name)->database();
    };

    for (const Entry* entry : order) {
        switch (entry->kind) {
        case Kind::master: {
            node::MasterOptions options = entry->master.options;
            options.node_id = entry->name;
            options.site_id = entry->master.site_id;
            if (!entry->master.use_loopback)
                options.kdf_iterations = options_.kdf_iterations;
            auto& master =
                *hive.masters_
                     .emplace(entry->name,
                              std::make_unique<node::MasterNode>(network, std::move(options)))
                     .first->second;
            hive.master_names_.push_back(entry->name);
            if (entry->master.use_loopback) {
                sim::WebSocketServerOptions server;
                server.port = entry->master.loopback_port;
                server.name = entry->name;
                server.max_frame_bytes = entry->master.loopback_max_frame_bytes;
                server.handshake_timeout = entry->master.loopback_handshake_timeout;
                server.max_write_queue_bytes = entry->master.loopback_max_write_queue_bytes;
                server.tls = entry->master.loopback_tls;
                if (server.tls) // the hive's own satellites trust their master's certificate
                    network.loopback().tls.ca_pem += server.tls->certificate_chain_pem;
                hive.hosts_[entry->name] =
                    std::make_unique<sim::WebSocketHost>(network, master.role(), server);
                hive.host_options_[entry->name] = server;
            }
            break;
        }
        case Kind::relay: {
            node::RelayOptions options;
            options.node_id = entry->name;
            options.site_id = entry->relay.site_id;
            options.master = entry->relay.master;
            options.master.kdf_iterations = options_.kdf_iterations;
            options.upstream = entry->relay.upstream;
            options.upstream.master_address = entry->upstream;
            options.upstream.kdf_iterations = options_.kdf_iterations;
            if (sim::is_websocket_url(entry->upstream))
                throw TopologyError(
                    "relay \"" + entry->name +
                    "\": an external (ws:// or wss://) upstream is for satellites only");
            if (const auto host = hive.hosts_.find(entry->upstream); host != hive.hosts_.end()) {
                options.upstream.master_address = host->second->url();
                options.upstream.kdf_iterations =
                    hive.masters_.at(entry->upstream)->role().options().kdf_iterations;
            }
            issue_credentials(*hive.simulation_, entry->name, entry->relay.acl, true, false,
                              database_of(entry->upstream), options.upstream);
            hive.relays_.emplace(entry->name,
                                 std::make_unique<node::RelayNode>(network, std::move(options)));
            hive.relay_names_.push_back(entry->name);
            hive.relay_start_order_.push_back(entry->name);
            break;
        }
        case Kind::satellite: {
            node::SatelliteOptions options = entry->satellite.options;
            options.node_id = entry->name;
            options.site_id = entry->satellite.site_id;
            options.master_address = entry->upstream;
            if (!options_.satellite_pubkeys)
                options.announce_pubkey = false;
            const bool external = sim::is_websocket_url(entry->upstream);
            if (!external) {
                options.kdf_iterations = options_.kdf_iterations;
                if (const auto host = hive.hosts_.find(entry->upstream);
                    host != hive.hosts_.end()) {
                    // A real socket: the master's own count, and the address of its port.
                    options.master_address = host->second->url();
                    options.kdf_iterations =
                        hive.masters_.at(entry->upstream)->role().options().kdf_iterations;
                }
                issue_credentials(*hive.simulation_, entry->name, entry->satellite.acl,
                                  entry->satellite.password, entry->satellite.preshared_key,
                                  database_of(entry->upstream), options);
            }
            hive.satellites_.emplace(
                entry->name, std::make_unique<node::SatelliteNode>(network, std::move(options)));
            hive.satellite_names_.push_back(entry->name);
            break;
        }
        }
    }

    if (options_.share_key_derivations) {
        hive.kdf_cache_ = std::make_unique<protocol::KeyDerivationCache>();
        // Real sockets derive their keys for real: no memo for loopback masters and for
        // satellites that connect over a socket.
        for (auto& [name, node] : hive.masters_)
            if (hive.hosts_.count(name) == 0)
                node->core().kdf_cache = hive.kdf_cache_.get();
        for (auto& [name, node] : hive.relays_)
            node->core().kdf_cache = hive.kdf_cache_.get();
        for (auto& [name, node] : hive.satellites_)
            if (!sim::is_websocket_url(node->role().options().master_address))
                node->core().kdf_cache = hive.kdf_cache_.get();
    }

    // Before any node needs its identity (preloading below, or a handshake).
    hive.key_cache_ = options_.key_cache;
    if (!hive.key_cache_)
        if (const HiveRegistry* registry = current_hive_registry())
            hive.key_cache_ = registry->key_cache();
    if (hive.key_cache_) {
        for (auto& [name, node] : hive.masters_)
            node->core().key_cache = hive.key_cache_.get();
        for (auto& [name, node] : hive.relays_)
            node->core().key_cache = hive.key_cache_.get();
        for (auto& [name, node] : hive.satellites_)
            node->core().key_cache = hive.key_cache_.get();
    }

    if (options_.parallel_key_generation) {
        // The keys the start will ask for: a master's with someone below it (its HANDSHAKE
        // carries the public half), a relay's (both halves use it), a satellite's that announces
        // one; every node's when they are preloaded as trusted signers.
        std::set<std::string> upstreams;
        for (const auto& entry : entries_)
            if (entry.kind != Kind::master)
                upstreams.insert(entry.upstream);
        const bool all = options_.preload_trusted_keys;
        std::vector<node::NodeCore*> keyed;
        for (auto& [name, node] : hive.masters_)
            if (all || upstreams.count(name) != 0)
                keyed.push_back(&node->core());
        for (auto& [name, node] : hive.relays_)
            keyed.push_back(&node->core());
        for (auto& [name, node] : hive.satellites_)
            if (all || node->role().options().announce_pubkey)
                keyed.push_back(&node->core());
        generate_identities(std::move(keyed));
    }

    if (options_.preload_trusted_keys) {
        std::vector<std::string> pems;
        for (auto& [name, node] : hive.masters_)
            pems.push_back(node->core().identity().public_pem());
        for (auto& [name, node] : hive.relays_)
            pems.push_back(node->core().identity().public_pem());
        for (auto& [name, node] : hive.satellites_)
            pems.push_back(node->core().identity().public_pem());
        for (auto& [name, node] : hive.masters_)
            node->core().trusted_keys() = pems;
        for (auto& [name, node] : hive.relays_)
            node->core().trusted_keys() = pems;
        for (auto& [name, node] : hive.satellites_)
            node->core().trusted_keys() = pems;
    }

    hive.start_timeout_ = options_.start_timeout;
    hive.connect_all();
    return hive;
}

} // namespace hivescope::topology
