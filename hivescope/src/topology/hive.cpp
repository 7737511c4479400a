#include "hivescope/topology/hive.hpp"

#include "hivescope/topology/hive_registry.hpp"

#include <algorithm>
#include <tuple>

namespace hivescope::topology {

Hive::Hive() {
    if (HiveRegistry* registry = current_hive_registry())
        registry->hive_created(*this);
}
Hive::Hive(Hive&& other) noexcept
    : simulation_(std::move(other.simulation_)), network_(std::move(other.network_)),
      kdf_cache_(std::move(other.kdf_cache_)), key_cache_(std::move(other.key_cache_)),
      masters_(std::move(other.masters_)), relays_(std::move(other.relays_)),
      satellites_(std::move(other.satellites_)), hosts_(std::move(other.hosts_)),
      host_options_(std::move(other.host_options_)), master_names_(std::move(other.master_names_)),
      satellite_names_(std::move(other.satellite_names_)),
      relay_names_(std::move(other.relay_names_)),
      relay_start_order_(std::move(other.relay_start_order_)),
      running_(std::exchange(other.running_, false)), start_timeout_(other.start_timeout_) {
    if (HiveRegistry* registry = current_hive_registry())
        registry->hive_moved(other, *this);
}

Hive& Hive::operator=(Hive&& other) noexcept {
    if (this != &other) {
        if (HiveRegistry* registry = current_hive_registry(); registry && simulation_)
            registry->hive_destroyed(*this);
        stop();
        hosts_.clear();
        masters_.clear();
        relays_.clear();
        satellites_.clear();
        network_.reset();
        simulation_.reset();
        simulation_ = std::move(other.simulation_);
        network_ = std::move(other.network_);
        kdf_cache_ = std::move(other.kdf_cache_);
        key_cache_ = std::move(other.key_cache_);
        masters_ = std::move(other.masters_);
        relays_ = std::move(other.relays_);
        satellites_ = std::move(other.satellites_);
        hosts_ = std::move(other.hosts_);
        host_options_ = std::move(other.host_options_);
        master_names_ = std::move(other.master_names_);
        satellite_names_ = std::move(other.satellite_names_);
        relay_names_ = std::move(other.relay_names_);
        relay_start_order_ = std::move(other.relay_start_order_);
        running_ = std::exchange(other.running_, false);
        start_timeout_ = other.start_timeout_;
        if (HiveRegistry* registry = current_hive_registry())
            registry->hive_moved(other, *this);
    }
    return *this;
}

Hive::~Hive() {
    // A moved-from hive is empty and no longer known to any registry.
    if (HiveRegistry* registry = current_hive_registry(); registry && simulation_)
        registry->hive_destroyed(*this);
    stop();
    hosts_.clear(); // ports closed before the masters they serve go
    // Nodes detach from the network in their destructors; destroy them before it.
    satellites_.clear();
    relays_.clear();
    masters_.clear();
    if (network_)
        network_->shutdown_loopback(); // joins the socket thread while the simulation lives
}

namespace {
template <class Map> std::string list_names(const Map& nodes) {
    std::string out;
    for (const auto& [name, node] : nodes)
        out += (out.empty() ? "" : ", ") + name;
    return out.empty() ? "none" : out;
}

template <class Map> auto& lookup(Map& nodes, const std::string& name, const char* kind) {
    const auto it = nodes.find(name);
    if (it == nodes.end())
        throw TopologyError(std::string("no ") + kind + " named \"" + name + "\" (" + kind +
                            "s: " + list_names(nodes) + ")");
    return *it->second;
}
} // namespace

node::MasterNode& Hive::master(const std::string& name) {
    return lookup(masters_, name, "master");
}
node::SatelliteNode& Hive::satellite(const std::string& name) {
    return lookup(satellites_, name, "satellite");
}
node::RelayNode& Hive::relay(const std::string& name) {
    return lookup(relays_, name, "relay");
}

sim::WebSocketHost& Hive::loopback_host(const std::string& master) {
    const auto it = hosts_.find(master);
    if (it == hosts_.end())
        throw TopologyError("no loopback master named \"" + master +
                            "\" (loopback masters: " + list_names(hosts_) + ")");
    return *it->second;
}

record::Recorder& Hive::recorder(const std::string& name) {
    if (auto it = masters_.find(name); it != masters_.end())
        return it->second->recorder();
    if (auto it = relays_.find(name); it != relays_.end())
        return it->second->recorder();
    if (auto it = satellites_.find(name); it != satellites_.end())
        return it->second->recorder();
    throw TopologyError("no node named \"" + name + "\" (masters: " + list_names(masters_) +
                        "; relays: " + list_names(relays_) +
                        "; satellites: " + list_names(satellites_) + ")");
}

bool Hive::run_until_idle() {
    return simulation_->run_until_idle();
}
void Hive::run_for(sim::Duration duration) {
    simulation_->run_for(duration);
}
bool Hive::run_until(const std::function<bool()>& predicate, sim::Duration timeout) {
    return simulation_->run_until(predicate, timeout);
}

HiveMark Hive::mark() const {
    HiveMark mark;
    mark.time = simulation_->now();
    for (const auto& [name, node] : masters_)
        mark.positions[name] = node->recorder().mark();
    for (const auto& [name, node] : relays_)
        mark.positions[name] = node->recorder().mark();
    for (const auto& [name, node] : satellites_)
        mark.positions[name] = node->recorder().mark();
    return mark;
}

std::uint64_t Hive::trace_digest() const {
    std::uint64_t hash = 14695981039346656037ull;
    const auto mix = [&hash](const std::string& name, std::uint64_t digest) {
        for (const char c : name) {
            hash ^= static_cast<unsigned char>(c);
            hash *= 1099511628211ull;
        }
        for (int i = 0; i < 8; ++i) {
            hash ^= (digest >> (8 * i)) & 0xff;
            hash *= 1099511628211ull;
        }
    };
    for (const auto& [name, node] : masters_)
        mix(name, node->recorder().digest());
    for (const auto& [name, node] : relays_)
        mix(name, node->recorder().digest());
    for (const auto& [name, node] : satellites_)
        mix(name, node->recorder().digest());
    return hash;
}

std::vector<const record::Record*> Hive::merged_trace() const {
    std::vector<const record::Record*> out;
    const auto collect = [&out](const record::Recorder& recorder) {
        for (const auto& entry : recorder)
            out.push_back(&entry);
    };
    for (const auto& [name, node] : masters_)
        collect(node->recorder());
    for (const auto& [name, node] : relays_)
        collect(node->recorder());
    for (const auto& [name, node] : satellites_)
        collect(node->recorder());
    std::stable_sort(out.begin(), out.end(), [](const record::Record* a, const record::Record* b) {
        return std::tie(a->time, a->node, a->sequence) < std::tie(b->time, b->node, b->sequence);
    });
    return out;
}

void Hive::stop() noexcept {
    if (!running_)
        return;
    running_ = false;
    try {
        for (const auto& name : satellite_names_)
            satellites_.at(name)->disconnect();
        for (auto it = relay_start_order_.rbegin(); it != relay_start_order_.rend(); ++it)
            relays_.at(*it)->stop();
        for (const auto& name : master_names_)
            masters_.at(name)->stop();
        simulation_->run_until_idle();
        for (auto& [name, host] : hosts_)
            host->stop();
    } catch (...) {
        // Stopping must not throw (it runs in destructors); whatever failed is in the records.
    }
}

void Hive::start() {
    if (running_)
        return;
    for (const auto& name : master_names_)
        masters_.at(name)->start();
    for (auto& [name, host] : hosts_) {
        if (host->listening())
            continue;
        auto options = host_options_.at(name);
        options.port = host->port(); // same port, so satellites keep their URL
        host.reset();
        host = std::make_unique<sim::WebSocketHost>(*network_, masters_.at(name)->role(), options);
    }
    for (const auto& name : relay_start_order_)
        relays_.at(name)->start();
    connect_all();
}

void Hive::connect_all() {
    running_ = true;
    for (const auto& name : relay_start_order_)
        relays_.at(name)->connect();
    for (const auto& name : satellite_names_)
        satellites_.at(name)->connect();

    // Ready means the client finished its handshake AND its master registered the HELLO, so a
    // test can address the client by peer id as soon as start() returns.
    const auto registered = [this](const node::SatelliteRole& role) {
        const std::string& upstream = role.options().master_address;
        const node::MasterRole* master = nullptr;
        if (const auto it = masters_.find(upstream); it != masters_.end())
            master = &it->second->role();
        else if (const auto it = relays_.find(upstream); it != relays_.end())
            master = &it->second->master();
        if (master == nullptr)
            return true; // an external master: its registration is not ours to see
        const auto client = master->find_client(role.peer_id());
        return client && client->registered;
    };
    const auto all_ready = [this, &registered] {
        for (const auto& [name, relay] : relays_)
            if (!relay->satellite().handshake_complete() || !registered(relay->satellite()))
                return false;
        for (const auto& [name, satellite] : satellites_)
            if (!satellite->handshake_complete() || !registered(satellite->role()))
                return false;
        return true;
    };
    if (simulation_->run_until(all_ready, start_timeout_))
        return;
    std::string failed;
    const auto describe = [&failed](const std::string& name, const node::SatelliteRole& role) {
        if (role.handshake_complete())
            return;
        failed += (failed.empty() ? "" : "; ") + name;
        if (const auto& close = role.closed_by())
            failed += " (closed " + std::to_string(close->code) + " " + close->reason + ")";
        else
            failed += " (no handshake within the start timeout)";
    };
    for (auto& [name, relay] : relays_)
        describe(name, relay->satellite());
    for (auto& [name, satellite] : satellites_)
        describe(name, satellite->role());
    throw TopologyError("the hive did not start: " + failed);
}

} // namespace hivescope::topology
