#include "hivescope/sim/simulation.hpp"

#include "hivescope/protocol/error.hpp"

#include <algorithm>
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

EventId Simulation::schedule_at(VirtualTime when, detail::EventAction action) {
    if (!action)
        throw protocol::ProtocolError(protocol::ErrorCode::invalid_argument,
                                      "cannot schedule an empty action");
    const EventId id = next_id_++;
    finished_.resize(next_id_, false);
    Event event{when < now_ ? now_ : when, id, std::move(action)};
    // Ids grow, so an event due no earlier than the last in order also sorts after it.
    if (in_order_.empty() || in_order_.back().at <= event.at)
        in_order_.push_back(std::move(event));
    else
        queue_.push(std::move(event));
    return id;
}

bool Simulation::cancel(EventId id) {
    if (id == 0 || id >= next_id_ || finished_[id])
        return false;
    finished_[id] = true;
    ++cancelled_in_queue_;
    return true;
}

void Simulation::post(std::function<void()> action) {
    if (!action)
        throw protocol::ProtocolError(protocol::ErrorCode::invalid_argument,
                                      "cannot post an empty action");
    {
        const std::lock_guard lock(inbox_mutex_);
        inbox_.push_back(std::move(action));
        inbox_nonempty_.store(true, std::memory_order_release);
    }
    inbox_ready_.notify_one();
}

bool Simulation::drain_inbox() {
    if (!inbox_nonempty_.load(std::memory_order_acquire))
        return false;
    std::deque<std::function<void()>> batch;
    {
        const std::lock_guard lock(inbox_mutex_);
        batch.swap(inbox_);
        inbox_nonempty_.store(false, std::memory_order_relaxed);
    }
    for (auto& action : batch)
        schedule_at(now_, std::move(action));
    return !batch.empty();
}

bool Simulation::wait_inbox(std::chrono::steady_clock::time_point until) {
    std::unique_lock lock(inbox_mutex_);
    return inbox_ready_.wait_until(lock, until, [this] { return !inbox_.empty(); });
}

VirtualTime Simulation::next_due() const noexcept {
    if (queue_.empty())
        return in_order_.front().at;
    if (in_order_.empty())
        return queue_.top().at;
    return std::min(queue_.top().at, in_order_.front().at);
}

Simulation::Event Simulation::take_next() {
    if (queue_.empty() || (!in_order_.empty() && Later{}(queue_.top(), in_order_.front()))) {
        Event event = std::move(in_order_.front());
        in_order_.pop_front();
        return event;
    }
    Event event = std::move(const_cast<Event&>(queue_.top()));
    queue_.pop();
    return event;
}

bool Simulation::step() {
    drain_inbox();
    while (!queue_empty()) {
        Event event = take_next();
        if (finished_[event.id]) {
            --cancelled_in_queue_;
            continue;
        }
        finished_[event.id] = true;
        now_ = event.at;
        ++events_run_;
        event.action();
        return true;
    }
    return false;
}

bool Simulation::run_until_idle(std::uint64_t max_events) {
    if (wall_clock_mode() || real_pending_ > 0)
        return run_until_idle_real(max_events);
    for (std::uint64_t i = 0; i < max_events; ++i)
        if (!step())
            return true;
    return pending_events() == 0;
}

bool Simulation::run_until_idle_real(std::uint64_t max_events) {
    using Clock = std::chrono::steady_clock;
    const auto give_up = Clock::now() + real_idle_limit;
    std::uint64_t ran = 0;
    while (ran < max_events) {
        drain_inbox();
        if (!queue_empty() && next_due() <= now_) {
            ran += step() ? 1 : 0;
            continue;
        }
        const auto wall = Clock::now();
        if (wall >= give_up)
            return false;
        if (real_pending_ > 0) {
            // Something real will report back; later timers must not fire before it does.
            wait_inbox(std::min(give_up, wall + real_quiet_period));
            continue;
        }
        if (!queue_empty()) {
            ran += step() ? 1 : 0;
            continue;
        }
        if (!wait_inbox(std::min(give_up, wall + real_quiet_period)))
            return queue_empty();
    }
    return pending_events() == 0;
}

bool Simulation::run_until_real(const std::function<bool()>& predicate, Duration timeout) {
    using Clock = std::chrono::steady_clock;
    const auto wall_start = Clock::now();
    const auto wall_deadline = wall_start + timeout;
    const VirtualTime virtual_start = now_;
    while (true) {
        drain_inbox();
        if (predicate())
            return true;
        const auto wall = Clock::now();
        const VirtualTime paced =
            virtual_start + std::chrono::duration_cast<Duration>(wall - wall_start);
        if (!queue_empty() && next_due() <= std::max(paced, now_)) {
            step();
            continue;
        }
        if (paced > now_)
            now_ = paced;
        if (wall >= wall_deadline)
            return predicate();
        auto until = wall_deadline;
        if (!queue_empty()) {
            const auto due = wall_start + (next_due() - virtual_start);
            until = std::min(until, std::chrono::time_point_cast<Clock::duration>(due));
        }
        wait_inbox(until);
    }
}

void Simulation::run_for(Duration duration) {
    if (wall_clock_mode()) {
        run_until_real([] { return false; }, duration);
        return;
    }
    const VirtualTime end = now_ + duration;
    while (!queue_empty() && next_due() <= end)
        step();
    now_ = end;
}

bool Simulation::run_until(const std::function<bool()>& predicate, Duration timeout) {
    if (wall_clock_mode())
        return run_until_real(predicate, timeout);
    const VirtualTime deadline = now_ + timeout;
    if (predicate())
        return true;
    while (!queue_empty() && next_due() <= deadline) {
        step();
        if (predicate())
            return true;
    }
    now_ = deadline;
    return predicate();
}

} // namespace hivescope::sim
