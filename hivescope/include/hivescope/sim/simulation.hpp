#pragma once
// The single-threaded discrete-event core: one queue ordered by (deliver_at, sequence), a virtual
// clock, and one seed from which every random stream is derived. Same seed, same events, same
// order.

#include "hivescope/protocol/random.hpp"
#include "hivescope/sim/clock.hpp"

#include <cstdint>
#include <functional>
#include <queue>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace hivescope::sim {

/// Identifies a scheduled event so it can be cancelled.
using EventId = std::uint64_t;

/// The event loop and its clock.
class Simulation {
  public:
    /// Every random choice in the simulation derives from `seed`.
    explicit Simulation(std::uint64_t seed = 0);
    Simulation(const Simulation&) = delete;
    Simulation& operator=(const Simulation&) = delete;

    [[nodiscard]] VirtualTime now() const noexcept { return now_; }
    [[nodiscard]] std::uint64_t seed() const noexcept { return seed_; }

    /// An independent random stream named `name` (e.g. a node name): adding a stream never
    /// perturbs another.
    [[nodiscard]] protocol::SeededRandom random_stream(std::string_view name) const;

    /// Runs `action` at `when` (not before now). Actions may schedule further events; they never
    /// run re-entrantly.
    EventId schedule_at(VirtualTime when, std::function<void()> action);
    /// Runs `action` after `delay`.
    EventId schedule_after(Duration delay, std::function<void()> action) {
        return schedule_at(now_ + delay, std::move(action));
    }
    /// Cancels a pending event; returns false if it already ran or was cancelled.
    bool cancel(EventId id);

    /// Runs the next event, if any; returns whether one ran.
    bool step();
    /// Runs until no events remain or `max_events` ran; returns true when the queue emptied.
    bool run_until_idle(std::uint64_t max_events = 50'000'000);
    /// Runs every event due within `duration`, then sets the clock to now + duration.
    void run_for(Duration duration);
    /// Runs until `predicate` holds (checked before each event and after it) or `timeout` of
    /// virtual time passes. Returns whether the predicate held.
    bool run_until(const std::function<bool()>& predicate, Duration timeout);

    [[nodiscard]] std::size_t pending_events() const noexcept { return pending_.size(); }
    [[nodiscard]] std::uint64_t events_run() const noexcept { return events_run_; }

  private:
    struct Event {
        VirtualTime at;
        EventId id; // doubles as the FIFO tie-break: ids grow monotonically
        std::function<void()> action;
    };
    struct Later {
        bool operator()(const Event& a, const Event& b) const noexcept {
            return a.at != b.at ? a.at > b.at : a.id > b.id;
        }
    };

    std::uint64_t seed_;
    VirtualTime now_{0};
    EventId next_id_ = 1;
    std::uint64_t events_run_ = 0;
    std::priority_queue<Event, std::vector<Event>, Later> queue_;
    // Membership tests only, never iterated, so unordered is safe for determinism.
    std::unordered_set<EventId> pending_;
    std::unordered_set<EventId> cancelled_;
};

} // namespace hivescope::sim
