#include "hivescope/node/hive_map.hpp"

namespace hivescope::node {

bool HiveMap::observe(HiveMapEntry entry) {
    auto key = std::make_pair(entry.flood_id, entry.peer);
    return entries_.emplace(std::move(key), std::move(entry)).second;
}

void HiveMap::add_path(const std::vector<std::string>& path) {
    for (std::size_t i = 1; i < path.size(); ++i)
        if (path[i] != path[i - 1])
            edges_.emplace(path[i - 1], path[i]);
}

std::set<std::string> HiveMap::nodes() const {
    std::set<std::string> out;
    for (const auto& [key, entry] : entries_)
        out.insert(entry.peer);
    for (const auto& [from, to] : edges_) {
        out.insert(from);
        out.insert(to);
    }
    return out;
}

const HiveMapEntry* HiveMap::find(const std::string& peer) const {
    const HiveMapEntry* latest = nullptr;
    for (const auto& [key, entry] : entries_)
        if (entry.peer == peer && (latest == nullptr || entry.received_at >= latest->received_at))
            latest = &entry;
    return latest;
}

} // namespace hivescope::node
