#include "hivescope/node/pending_table.hpp"

namespace hivescope::node {

bool PendingTable::add(PendingRequest request) {
    const std::string id = request.query_id;
    if (!requests_.emplace(id, std::move(request)).second)
        return false;
    order_.emplace(next_sequence_++, id);
    return true;
}

PendingRequest* PendingTable::find(const std::string& query_id) {
    const auto it = requests_.find(query_id);
    return it == requests_.end() ? nullptr : &it->second;
}

std::optional<PendingRequest> PendingTable::take(const std::string& query_id) {
    const auto it = requests_.find(query_id);
    if (it == requests_.end())
        return std::nullopt;
    PendingRequest request = std::move(it->second);
    requests_.erase(it);
    for (auto o = order_.begin(); o != order_.end(); ++o)
        if (o->second == query_id) {
            order_.erase(o);
            break;
        }
    return request;
}

PendingRequest* PendingTable::oldest_query_from(const Arrival& arrival) {
    for (const auto& [sequence, id] : order_) {
        PendingRequest& request = requests_.at(id);
        if (request.kind == protocol::MessageType::query && request.arrival == arrival)
            return &request;
    }
    return nullptr;
}

std::vector<PendingRequest> PendingTable::take_all_from(const Arrival& arrival) {
    std::vector<std::string> ids;
    for (const auto& [sequence, id] : order_)
        if (requests_.at(id).arrival == arrival)
            ids.push_back(id);
    std::vector<PendingRequest> out;
    for (const auto& id : ids)
        out.push_back(*take(id));
    return out;
}

std::vector<const PendingRequest*> PendingTable::all() const {
    std::vector<const PendingRequest*> out;
    for (const auto& [sequence, id] : order_)
        out.push_back(&requests_.at(id));
    return out;
}

} // namespace hivescope::node
