#pragma once
// The PING flood-id cache (protocol.md B.8): FIFO with a fixed capacity, so eviction order is
// deterministic (the baseline's set.pop() is not).

#include <cstddef>
#include <deque>
#include <set>
#include <string>

namespace hivescope::node {

/// Flood ids a node has already answered.
class FloodCache {
  public:
    explicit FloodCache(std::size_t capacity = 1000) : capacity_(capacity) {}

    /// Adds `flood_id`; returns false if it was already present. An empty id counts as seen.
    bool insert(const std::string& flood_id);
    [[nodiscard]] bool contains(const std::string& flood_id) const;
    [[nodiscard]] std::size_t size() const noexcept { return order_.size(); }

  private:
    std::size_t capacity_;
    std::deque<std::string> order_;
    std::set<std::string> members_;
};

} // namespace hivescope::node
