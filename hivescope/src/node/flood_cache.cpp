#include "hivescope/node/flood_cache.hpp"

namespace hivescope::node {

bool FloodCache::insert(const std::string& flood_id) {
    if (flood_id.empty() || members_.count(flood_id) != 0)
        return false;
    members_.insert(flood_id);
    order_.push_back(flood_id);
    if (order_.size() > capacity_) {
        members_.erase(order_.front());
        order_.pop_front();
    }
    return true;
}

bool FloodCache::contains(const std::string& flood_id) const {
    return flood_id.empty() || members_.count(flood_id) != 0;
}

} // namespace hivescope::node
