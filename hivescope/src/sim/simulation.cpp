#include "hivescope/sim/simulation.hpp"

#include "hivescope/protocol/error.hpp"

#include <cstdio>

namespace hivescope::sim {

std::string format_time(VirtualTime t) {
    const double ms = std::chrono::duration<double, std::milli>(t).count();
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.3fms", ms);
    return buffer;
}

Simulation::Simulation(std::uint64_t seed) : seed_(seed) {}

protocol::SeededRandom Simulation::random_stream(std::string_view name) const {
    return protocol::SeededRandom(seed_, name);
}

EventId Simulation::schedule_at(VirtualTime when, std::function<void()> action) {
    if (!action)
        throw protocol::ProtocolError(protocol::ErrorCode::invalid_argument,
                                      "cannot schedule an empty action");
    const EventId id = next_id_++;
    pending_.insert(id);
    queue_.push(Event{when < now_ ? now_ : when, id, std::move(action)});
    return id;
}

bool Simulation::cancel(EventId id) {
    if (pending_.erase(id) == 0)
        return false;
    cancelled_.insert(id);
    return true;
}

bool Simulation::step() {
    while (!queue_.empty()) {
        Event event = std::move(const_cast<Event&>(queue_.top()));
        queue_.pop();
        if (cancelled_.erase(event.id) != 0)
            continue;
        pending_.erase(event.id);
        now_ = event.at;
        ++events_run_;
        event.action();
        return true;
    }
    return false;
}

bool Simulation::run_until_idle(std::uint64_t max_events) {
    for (std::uint64_t i = 0; i < max_events; ++i)
        if (!step())
            return true;
    return pending_events() == 0;
}

void Simulation::run_for(Duration duration) {
    const VirtualTime end = now_ + duration;
    while (!queue_.empty() && queue_.top().at <= end)
        step();
    now_ = end;
}

bool Simulation::run_until(const std::function<bool()>& predicate, Duration timeout) {
    const VirtualTime deadline = now_ + timeout;
    if (predicate())
        return true;
    while (!queue_.empty() && queue_.top().at <= deadline) {
        step();
        if (predicate())
            return true;
    }
    now_ = deadline;
    return predicate();
}

} // namespace hivescope::sim
