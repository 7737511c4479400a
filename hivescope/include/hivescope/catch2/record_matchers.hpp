#pragma once
// Matchers over what a node recorded: `REQUIRE_THAT(master.recorder(),
// Injected("speak").from(s0).times(1))`. Each factory returns one value-type matcher; filters
// return a changed copy, so chains never hold references to temporaries. The argument is
// `Records`, which a Recorder and a RecordView both convert to, so one matcher (and Catch2's
// `&&`, `||`, `!` composites of it) works on either. A matcher works out why it failed while it
// matches, because Catch2 only asks `describe()` afterwards.

#include "hivescope/catch2/compat.hpp"
#include "hivescope/catch2/string_makers.hpp"
#include "hivescope/node/master_node.hpp"
#include "hivescope/node/relay_node.hpp"
#include "hivescope/node/satellite_node.hpp"
#include "hivescope/protocol/message_type.hpp"
#include "hivescope/record/recorder.hpp"
#include "hivescope/topology/hive.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hivescope::matchers {

/// So `Received(MessageType::bus)` reads without a namespace after `using namespace matchers`.
using protocol::MessageType;

/// The records a matcher looks at: every record of a Recorder (as of the match), or a view.
class Records : public record::RecordView {
  public:
    /// Everything `recorder` holds now (an O(1) snapshot).
    Records(const record::Recorder& recorder) : RecordView(recorder.snapshot()) {} // NOLINT
    /// Exactly the records of `view`.
    Records(const record::RecordView& view) : RecordView(view) {} // NOLINT
};

/// The base of every matcher over records: derive from it so yours composes with ours.
using RecordMatcher = catch2::MatcherBase<Records>;

/// Who is on the other side of a record. A node matches a record whose `peer` is its node id
/// (how a satellite names its master), its current peer id, or any peer id
/// `<useragent>::<id>::<name>::<session>` whose name is the node's (how a master names a client
/// across sessions). A string matches a peer equal to it, or a peer id with that name.
class Peer {
  public:
    Peer(const node::SatelliteNode& node);  // NOLINT: implicit, so `.from(s0)` reads
    Peer(const node::MasterNode& node);     // NOLINT
    Peer(const node::RelayNode& node);      // NOLINT
    Peer(std::string name_or_peer_id);      // NOLINT
    Peer(const char* name_or_peer_id);      // NOLINT
    Peer(std::string_view name_or_peer_id); // NOLINT

    /// Whether a record's `peer` (or a connected client's peer id) names this side.
    [[nodiscard]] bool matches(std::string_view peer) const;
    /// The node name or string, for descriptions.
    [[nodiscard]] const std::string& label() const noexcept { return name_; }

  private:
    std::string name_;
    std::string peer_id_; ///< the node's peer id when it was named, if it had one
};

/// The name part of a peer id `<useragent>::<id>::<name>::<session>`, or empty.
[[nodiscard]] std::string_view peer_name(std::string_view peer_id) noexcept;

namespace detail {

/// What a record matcher counts (the factory that made it).
enum class Event : std::uint8_t { received, sent, injected, denied, dropped, closed, dispatched };

/// Counts the records of one kind of event that pass every filter, and compares the count.
/// Made by Received, Sent, Injected, Denied, Dropped, Closed and Dispatched.
class EventMatcher final : public RecordMatcher {
  public:
    /// `key` is the message type's wire name, the OVOS type, the code, the reason or the
    /// handler, depending on `event`; empty matches any.
    EventMatcher(Event event, std::string key, std::optional<protocol::MessageType> type = {},
                 std::optional<std::uint16_t> close_code = {});

    /// Only records whose peer is `peer` (the sender of what was received or injected).
    [[nodiscard]] EventMatcher from(const Peer& peer) const;
    /// Only records whose peer is `peer` (the receiver of what was sent).
    [[nodiscard]] EventMatcher to(const Peer& peer) const;
    /// Only BUS messages (or transports around one) whose OVOS type is `ovos_type`.
    [[nodiscard]] EventMatcher with_type(std::string ovos_type) const;
    /// Only transport messages carrying a message of type `type`.
    [[nodiscard]] EventMatcher inner(protocol::MessageType type) const;
    /// Only records `predicate` accepts; `description` completes "… where <description>".
    [[nodiscard]] EventMatcher where(std::function<bool(const record::Record&)> predicate,
                                     std::string description) const;
    /// Only records made at or after `mark` (a position in the recorder matched).
    [[nodiscard]] EventMatcher since(record::Mark mark) const;
    /// Only records made at or after `mark`, taking the position of the node that recorded the
    /// first record matched.
    [[nodiscard]] EventMatcher since(const topology::HiveMark& mark) const;
    /// Exactly `n` matching records.
    [[nodiscard]] EventMatcher times(std::size_t n) const;
    /// At least `n` matching records (the default is at least 1).
    [[nodiscard]] EventMatcher at_least(std::size_t n) const;
    /// No matching record.
    [[nodiscard]] EventMatcher never() const { return times(0); }

    bool match(const Records& records) const override;
    /// The expectation, then (after a match) what was seen.
    std::string describe() const override;

    /// The expectation alone: "received at least 1 `bus` from S0".
    [[nodiscard]] std::string phrase() const;
    /// What it looks for, without count or `since`: "received `bus` from S0".
    [[nodiscard]] std::string activity() const;
    /// Whether one record is of this event and passes every filter (not `since`, not counts).
    [[nodiscard]] bool accepts(const record::Record& record) const;
    /// The index in `records` where `since` starts looking (0 without `since`).
    [[nodiscard]] std::size_t start_index(const Records& records) const;
    /// How many matching records the count asks for at least, and whether exactly.
    [[nodiscard]] std::size_t wanted() const noexcept { return count_; }
    [[nodiscard]] bool exact() const noexcept { return exact_; }
    /// What `records[first, size)` held: `saw N` and the first match, and when the count is not
    /// met, what was seen instead (the text describe() shows in parentheses).
    [[nodiscard]] std::string explain(const Records& records, std::size_t first) const;

  private:
    struct Filter {
        std::string phrase; ///< completes "… <phrase>" and "N not <phrase>"
        std::function<bool(const record::Record&)> test;
    };

    [[nodiscard]] EventMatcher with_filter(std::string phrase,
                                           std::function<bool(const record::Record&)> test) const;
    [[nodiscard]] bool is_event(const record::Record& record) const;
    [[nodiscard]] bool has_key(const record::Record& record) const;
    [[nodiscard]] std::string label(const record::Record& record) const;
    [[nodiscard]] std::string object(std::size_t n) const;

    Event event_;
    std::string key_;
    std::optional<protocol::MessageType> type_;
    std::optional<std::uint16_t> close_code_;
    std::vector<Filter> filters_;
    std::optional<record::Mark> since_mark_;
    std::optional<topology::HiveMark> since_hive_;
    std::size_t count_ = 1;
    bool exact_ = false;
    mutable std::string observed_; ///< set by match(): what was seen
};

/// Each step matched in sequence, every step after the previous one's last match.
class InOrderMatcher final : public RecordMatcher {
  public:
    /// Steps are held by value. Throws std::invalid_argument for a `never()` step.
    explicit InOrderMatcher(std::vector<EventMatcher> steps);

    bool match(const Records& records) const override;
    std::string describe() const override;

  private:
    std::vector<EventMatcher> steps_;
    mutable std::string observed_;
};

/// No event recorded after a mark, except those the `except` matchers accept. Events are
/// in/out/inject/refusal/decode_error records and denied/dropped/closed verdicts; allowed and
/// registered verdicts and dispatch records only annotate an event and are not counted.
class NothingElseMatcher final : public RecordMatcher {
  public:
    explicit NothingElseMatcher(record::Mark mark);
    explicit NothingElseMatcher(topology::HiveMark mark);

    /// Also tolerate records `allowed` accepts (its counts and `since` are ignored).
    [[nodiscard]] NothingElseMatcher except(const EventMatcher& allowed) const;

    bool match(const Records& records) const override;
    std::string describe() const override;

  private:
    std::optional<record::Mark> mark_;
    std::optional<topology::HiveMark> hive_mark_;
    std::vector<EventMatcher> allowed_;
    mutable std::string observed_;
};

} // namespace detail

/// `in` records of messages of `type` (after decryption, before policy).
[[nodiscard]] detail::EventMatcher Received(protocol::MessageType type);
/// `out` records of messages of `type`.
[[nodiscard]] detail::EventMatcher Sent(protocol::MessageType type);
/// `inject` records of BUS messages whose OVOS type is `ovos_type` (empty: any).
[[nodiscard]] detail::EventMatcher Injected(std::string ovos_type = {});
/// Verdicts that denied a message with `code` (empty: any code).
[[nodiscard]] detail::EventMatcher Denied(std::string code = {});
/// Verdicts that dropped a message, whose reason or code is `reason` (empty: any).
[[nodiscard]] detail::EventMatcher Dropped(std::string reason = {});
/// Closed connections (verdicts, refusals, decode errors) with close `code` (0: any) and
/// `reason` (empty: any).
[[nodiscard]] detail::EventMatcher Closed(std::uint16_t code = 0, std::string reason = {});
/// `dispatch` records of `handler` (a handler, hook or delivery name; empty: any).
[[nodiscard]] detail::EventMatcher Dispatched(std::string handler = {});

/// The steps matched one after another, in this order.
template <typename... Steps> [[nodiscard]] detail::InOrderMatcher InOrder(Steps... steps) {
    return detail::InOrderMatcher(std::vector<detail::EventMatcher>{std::move(steps)...});
}

/// Nothing recorded after `mark` (use `.except(matcher)` to tolerate expected records).
[[nodiscard]] detail::NothingElseMatcher NothingElseSince(record::Mark mark);
/// Nothing recorded after the recording node's position in `mark`.
[[nodiscard]] detail::NothingElseMatcher NothingElseSince(topology::HiveMark mark);

} // namespace hivescope::matchers

namespace Catch {
/// Records print like the view they are.
template <>
struct StringMaker<hivescope::matchers::Records> : StringMaker<hivescope::record::RecordView> {};
} // namespace Catch
