#pragma once
// The single-threaded discrete-event core: one queue ordered by (deliver_at, sequence), a virtual
// clock, and one seed from which every random stream is derived. Same seed, same events, same
// order.

#include "hivescope/protocol/random.hpp"
#include "hivescope/sim/clock.hpp"
#include "hivescope/sim/event_action.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <queue>
#include <string>
#include <string_view>
#include <vector>

namespace hivescope::sim {

/// Identifies a scheduled event so it can be cancelled.
using EventId = std::uint64_t;

/// The event loop and its clock.
///
/// Real sockets (sim/websocket.hpp) feed it through post(), the one thread-safe entry point.
/// While real sources are registered (open real links, listening hosts), the run functions
/// switch to wall-clock mode: virtual time may not run ahead of the wall clock (a timer due in
/// 5 s of virtual time fires after 5 s of real time), `run_until` / `run_for` take their
/// duration as wall time, and an empty queue means waiting for the inbox instead of returning.
/// With no real source, everything is as fast and deterministic as before.
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

    /// Runs `action` (any `void()` callable) at `when` (not before now). Actions may schedule
    /// further events; they never run re-entrantly.
    EventId schedule_at(VirtualTime when, detail::EventAction action);
    /// Runs `action` after `delay`.
    EventId schedule_after(Duration delay, detail::EventAction action) {
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
    /// virtual time passes. Returns whether the predicate held. In wall-clock mode (real sources
    /// open) this is run_until_real(predicate, timeout).
    bool run_until(const std::function<bool()>& predicate, Duration timeout);
    /// Runs events paced by the wall clock and waits on the inbox until `predicate` holds or
    /// `timeout` of wall time passed; virtual time advances with the wall clock.
    bool run_until_real(const std::function<bool()>& predicate, Duration timeout);

    // ---- real sources (thread-safe inbox) ------------------------------------------------------
    /// Queues `action` to run on the simulation thread at the current virtual time, in post
    /// order. Thread-safe: this is how socket threads hand over frames, accepts and closes.
    void post(std::function<void()> action);
    /// Simulation thread: a real source opened (+1) or ended (-1). Non-zero selects wall-clock
    /// mode.
    void add_real_sources(int delta) noexcept { real_sources_ += delta; }
    /// Simulation thread: a real operation whose completion will be posted began (+1) or ended
    /// (-1); run_until_idle waits for these before calling the hive idle.
    void add_real_pending(int delta) noexcept { real_pending_ += delta; }
    [[nodiscard]] bool wall_clock_mode() const noexcept { return real_sources_ > 0; }
    [[nodiscard]] int real_sources() const noexcept { return real_sources_; }
    [[nodiscard]] int real_pending() const noexcept { return real_pending_; }
    /// In wall-clock mode run_until_idle returns once nothing is queued, nothing real is in
    /// flight and the inbox stayed quiet this long.
    Duration real_quiet_period = std::chrono::milliseconds(20);
    /// In wall-clock mode run_until_idle gives up (returns false) after this much wall time.
    Duration real_idle_limit = std::chrono::seconds(30);

    [[nodiscard]] std::size_t pending_events() const noexcept {
        return queue_.size() + in_order_.size() - cancelled_in_queue_;
    }
    [[nodiscard]] std::uint64_t events_run() const noexcept { return events_run_; }

  private:
    struct Event {
        VirtualTime at;
        EventId id; // doubles as the FIFO tie-break: ids grow monotonically
        detail::EventAction action;
    };
    struct Later {
        bool operator()(const Event& a, const Event& b) const noexcept {
            return a.at != b.at ? a.at > b.at : a.id > b.id;
        }
    };

    /// Moves posted actions into the queue at now(); true if any moved.
    bool drain_inbox();
    /// Waits until the inbox is non-empty or `until` (wall) passed; true if something arrived.
    bool wait_inbox(std::chrono::steady_clock::time_point until);
    bool run_until_idle_real(std::uint64_t max_events);
    [[nodiscard]] bool queue_empty() const noexcept { return queue_.empty() && in_order_.empty(); }
    /// When the next queued event is due; the queue must not be empty.
    [[nodiscard]] VirtualTime next_due() const noexcept;
    /// Takes the next queued event out; the queue must not be empty.
    Event take_next();

    std::uint64_t seed_;
    VirtualTime now_{0};
    EventId next_id_ = 1;
    std::uint64_t events_run_ = 0;
    // Events are kept in two places, together in (at, id) order: `in_order_` holds the ones
    // scheduled no earlier than its last (the common case: every link has one latency, so its
    // frames arrive in the order they were sent), appended and taken in O(1); the heap holds the
    // rest. The next event is the earlier of the two fronts.
    std::priority_queue<Event, std::vector<Event>, Later> queue_;
    std::deque<Event> in_order_;
    // One bit per event id: set once it ran or was cancelled. A set of pending ids cost an
    // allocation per event; a frame delivered is an event.
    std::vector<bool> finished_;
    std::size_t cancelled_in_queue_ = 0; ///< cancelled events not yet popped

    int real_sources_ = 0;
    int real_pending_ = 0;
    std::mutex inbox_mutex_;
    std::condition_variable inbox_ready_;
    std::deque<std::function<void()>> inbox_; // guarded by inbox_mutex_
    std::atomic<bool> inbox_nonempty_{false}; // a lock-free hint; the deque is the truth
};

} // namespace hivescope::sim
