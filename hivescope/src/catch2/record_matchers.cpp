#include "hivescope/catch2/record_matchers.hpp"

#include "hivescope/protocol/message_summary.hpp"
#include "hivescope/sim/clock.hpp"

#include <algorithm>
#include <stdexcept>
#include <utility>

namespace hivescope::matchers {

using record::Kind;
using record::Outcome;
using record::Record;

namespace {

// Bounds on what a description quotes, so a failure on a busy node stays a few lines long.
constexpr std::size_t max_labels = 8;
constexpr std::size_t max_label_length = 40;
constexpr std::size_t max_quoted_line = 120;
constexpr std::size_t max_summary = 60;
constexpr std::size_t max_quoted_records = 3;
constexpr std::size_t max_listed_positions = 8;

std::string quote(std::string_view text) {
    return "`" + protocol::truncate_utf8(text, max_label_length) + "`";
}

std::string plural(std::size_t n, std::string_view singular, std::string_view plural_form) {
    return std::string(n == 1 ? singular : plural_form);
}

std::string records_phrase(std::size_t n) {
    return std::to_string(n) + plural(n, " record", " records");
}

std::string position(const Record& record) {
    return "#" + std::to_string(record.sequence) + " t=" + sim::format_time(record.time);
}

// `#9 t=5.000ms ← S0 bus speak {…} [denied acl_disallowed_type]`: a record short enough to
// quote inside a description; the full line is in the printed transcript.
std::string quoted_line(const Record& record) {
    std::string out = position(record);
    if (!record.peer.empty()) {
        const std::string_view name = peer_name(record.peer);
        out += (record.kind == Kind::out ? " → " : " ← ") +
               std::string(name.empty() ? std::string_view(record.peer) : name);
    }
    if (record.message)
        out += " " + protocol::summarize(*record.message, {max_summary});
    if (record.outcome != Outcome::none) {
        out += " [" + std::string(record::to_string(record.outcome));
        if (!record.code.empty())
            out += " " + record.code;
        out += "]";
    }
    if (!record.message && !record.detail.empty())
        out += " {" + record.detail + "}";
    return protocol::truncate_utf8(out, max_quoted_line);
}

// The index of the first record at or after the mark's position for the recording node. A
// view's sequences are contiguous, so the index follows from the first record's sequence.
std::size_t start_of(const Records& records, const std::optional<record::Mark>& mark,
                     const std::optional<topology::HiveMark>& hive_mark) {
    if (records.empty() || (!mark && !hive_mark))
        return 0;
    const std::size_t position = mark ? mark->position : hive_mark->of(records[0].node).position;
    const std::size_t first = records[0].sequence;
    return position <= first ? 0 : std::min(position - first, records.size());
}

std::string since_phrase(const std::optional<record::Mark>& mark,
                         const std::optional<topology::HiveMark>& hive_mark) {
    if (hive_mark)
        return "since t=" + sim::format_time(hive_mark->time);
    if (mark)
        return "since #" + std::to_string(mark->position);
    return {};
}

// Labels with counts in order of first appearance: `hello×1, bus×3, +2 more`.
class Histogram {
  public:
    void add(std::string label) {
        for (auto& [name, count] : entries_) {
            if (name == label) {
                ++count;
                return;
            }
        }
        entries_.emplace_back(std::move(label), 1);
    }
    [[nodiscard]] bool empty() const noexcept { return entries_.empty(); }
    [[nodiscard]] std::string str() const {
        std::string out;
        const std::size_t shown = std::min(entries_.size(), max_labels);
        for (std::size_t i = 0; i < shown; ++i) {
            if (i > 0)
                out += ", ";
            out += entries_[i].first + "×" + std::to_string(entries_[i].second);
        }
        if (shown < entries_.size())
            out += ", +" + std::to_string(entries_.size() - shown) + " more";
        return out;
    }

  private:
    std::vector<std::pair<std::string, std::size_t>> entries_;
};

} // namespace

// ---- Peer -----------------------------------------------------------------------------------

std::string_view peer_name(std::string_view peer_id) noexcept {
    // `<useragent>::<id>::<name>::<session>`, read from the right: the session is hex and the
    // useragent is the part most likely to contain anything.
    const std::size_t last = peer_id.rfind("::");
    if (last == std::string_view::npos || last < 2)
        return {};
    const std::size_t before = peer_id.rfind("::", last - 1);
    if (before == std::string_view::npos || before < 2)
        return {};
    if (peer_id.rfind("::", before - 1) == std::string_view::npos)
        return {};
    return peer_id.substr(before + 2, last - before - 2);
}

Peer::Peer(const node::SatelliteNode& node)
    : name_(node.node_id()), peer_id_(node.role().peer_id()) {}

Peer::Peer(const node::MasterNode& node) : name_(node.node_id()) {}

Peer::Peer(const node::RelayNode& node)
    // RelayNode offers its halves only non-const; reading the peer id changes nothing.
    : name_(node.node_id()), peer_id_(const_cast<node::RelayNode&>(node).satellite().peer_id()) {}

Peer::Peer(std::string name_or_peer_id) : name_(std::move(name_or_peer_id)) {}

Peer::Peer(const char* name_or_peer_id) : name_(name_or_peer_id) {}

Peer::Peer(std::string_view name_or_peer_id) : name_(name_or_peer_id) {}

bool Peer::matches(std::string_view peer) const {
    if (peer.empty())
        return false;
    return peer == name_ || (!peer_id_.empty() && peer == peer_id_) || peer_name(peer) == name_;
}

namespace detail {

// ---- EventMatcher ---------------------------------------------------------------------------

EventMatcher::EventMatcher(Event event, std::string key, std::optional<protocol::MessageType> type,
                           std::optional<std::uint16_t> close_code)
    : event_(event), key_(std::move(key)), type_(type), close_code_(close_code) {}

EventMatcher EventMatcher::with_filter(std::string phrase,
                                       std::function<bool(const record::Record&)> test) const {
    EventMatcher copy(*this);
    copy.filters_.push_back({std::move(phrase), std::move(test)});
    return copy;
}

EventMatcher EventMatcher::from(const Peer& peer) const {
    return with_filter("from " + peer.label(),
                       [peer](const Record& record) { return peer.matches(record.peer); });
}

EventMatcher EventMatcher::to(const Peer& peer) const {
    return with_filter("to " + peer.label(),
                       [peer](const Record& record) { return peer.matches(record.peer); });
}

EventMatcher EventMatcher::with_type(std::string ovos_type) const {
    std::string phrase = "with type " + quote(ovos_type);
    return with_filter(std::move(phrase), [type = std::move(ovos_type)](const Record& record) {
        return record.bus_type() == type;
    });
}

EventMatcher EventMatcher::inner(protocol::MessageType type) const {
    return with_filter("carrying " + quote(protocol::wire_name(type)),
                       [type](const Record& record) { return record.inner_type() == type; });
}

EventMatcher EventMatcher::where(std::function<bool(const record::Record&)> predicate,
                                 std::string description) const {
    return with_filter("where " + description, std::move(predicate));
}

EventMatcher EventMatcher::since(record::Mark mark) const {
    EventMatcher copy(*this);
    copy.since_mark_ = mark;
    copy.since_hive_.reset();
    return copy;
}

EventMatcher EventMatcher::since(const topology::HiveMark& mark) const {
    EventMatcher copy(*this);
    copy.since_hive_ = mark;
    copy.since_mark_.reset();
    return copy;
}

EventMatcher EventMatcher::times(std::size_t n) const {
    EventMatcher copy(*this);
    copy.count_ = n;
    copy.exact_ = true;
    return copy;
}

EventMatcher EventMatcher::at_least(std::size_t n) const {
    EventMatcher copy(*this);
    copy.count_ = n;
    copy.exact_ = false;
    return copy;
}

bool EventMatcher::is_event(const Record& record) const {
    switch (event_) {
    case Event::received:
        return record.kind == Kind::in;
    case Event::sent:
        return record.kind == Kind::out;
    case Event::injected:
        return record.kind == Kind::inject;
    case Event::denied:
        return record.kind == Kind::verdict && record.outcome == Outcome::denied;
    case Event::dropped:
        return record.kind == Kind::verdict && record.outcome == Outcome::dropped;
    case Event::closed:
        return record.outcome == Outcome::closed;
    case Event::dispatched:
        return record.kind == Kind::dispatch;
    }
    return false;
}

bool EventMatcher::has_key(const Record& record) const {
    switch (event_) {
    case Event::received:
    case Event::sent:
        return !type_ || record.type() == type_;
    case Event::injected:
        return key_.empty() || record.bus_type() == key_;
    case Event::denied:
        return key_.empty() || record.code == key_;
    case Event::dropped:
        return key_.empty() || record.reason == key_ || record.code == key_;
    case Event::closed:
        return (!close_code_ || record.code == std::to_string(*close_code_)) &&
               (key_.empty() || record.reason == key_);
    case Event::dispatched:
        return key_.empty() || record.detail == key_;
    }
    return false;
}

std::string EventMatcher::label(const Record& record) const {
    std::string text;
    switch (event_) {
    case Event::received:
    case Event::sent:
        text = record.type() ? std::string(protocol::wire_name(*record.type())) : "(no message)";
        break;
    case Event::injected:
        text = record.bus_type();
        if (text.empty())
            text = record.type() ? std::string(protocol::wire_name(*record.type())) : "?";
        break;
    case Event::denied:
        text = record.code.empty() ? "(no code)" : record.code;
        break;
    case Event::dropped:
        text = record.reason.empty() ? record.code : record.reason;
        break;
    case Event::closed:
        text = record.code + (record.reason.empty() ? "" : " " + record.reason);
        break;
    case Event::dispatched:
        text = record.detail.empty() ? "(unnamed)" : record.detail;
        break;
    }
    return protocol::truncate_utf8(text, max_label_length);
}

std::string EventMatcher::object(std::size_t n) const {
    switch (event_) {
    case Event::received:
    case Event::sent:
        return type_ ? quote(protocol::wire_name(*type_)) : plural(n, "message", "messages");
    case Event::injected:
        return key_.empty() ? plural(n, "message", "messages") : quote(key_);
    case Event::denied:
        return plural(n, "message", "messages") + (key_.empty() ? "" : " with code " + quote(key_));
    case Event::dropped:
        return plural(n, "message", "messages") + (key_.empty() ? "" : " for " + quote(key_));
    case Event::closed:
        return plural(n, "connection", "connections") +
               (close_code_ ? " with code " + std::to_string(*close_code_) : "") +
               (key_.empty() ? "" : " for " + quote(key_));
    case Event::dispatched:
        return key_.empty() ? plural(n, "handler", "handlers") : quote(key_);
    }
    return {};
}

namespace {
std::string_view verb(Event event) {
    switch (event) {
    case Event::received:
        return "received";
    case Event::sent:
        return "sent";
    case Event::injected:
        return "injected";
    case Event::denied:
        return "denied";
    case Event::dropped:
        return "dropped";
    case Event::closed:
        return "closed";
    case Event::dispatched:
        return "dispatched";
    }
    return "?";
}
} // namespace

std::string EventMatcher::phrase() const {
    std::string out(verb(event_));
    if (exact_ && count_ == 0)
        out += " no " + object(1);
    else
        out +=
            (exact_ ? " exactly " : " at least ") + std::to_string(count_) + " " + object(count_);
    for (const Filter& filter : filters_)
        out += " " + filter.phrase;
    if (const std::string since = since_phrase(since_mark_, since_hive_); !since.empty())
        out += " " + since;
    return out;
}

std::string EventMatcher::activity() const {
    std::string out = std::string(verb(event_)) + " " + object(2);
    for (const Filter& filter : filters_)
        out += " " + filter.phrase;
    return out;
}

bool EventMatcher::accepts(const Record& record) const {
    if (!is_event(record) || !has_key(record))
        return false;
    return std::all_of(filters_.begin(), filters_.end(),
                       [&record](const Filter& filter) { return filter.test(record); });
}

std::size_t EventMatcher::start_index(const Records& records) const {
    return start_of(records, since_mark_, since_hive_);
}

std::string EventMatcher::explain(const Records& records, std::size_t first) const {
    std::size_t events = 0;
    std::size_t keyed = 0;
    std::size_t found = 0;
    const Record* first_found = nullptr;
    Histogram seen;
    std::vector<std::size_t> rejected(filters_.size(), 0);
    for (std::size_t i = first; i < records.size(); ++i) {
        const Record& record = records[i];
        if (!is_event(record))
            continue;
        ++events;
        seen.add(label(record));
        if (!has_key(record))
            continue;
        ++keyed;
        const auto failed = std::find_if(filters_.begin(), filters_.end(),
                                         [&record](const Filter& f) { return !f.test(record); });
        if (failed != filters_.end()) {
            ++rejected[static_cast<std::size_t>(failed - filters_.begin())];
            continue;
        }
        if (found++ == 0)
            first_found = &record;
    }

    std::string out = "saw " + std::to_string(found);
    if (first_found != nullptr)
        out += ", first: " + quoted_line(*first_found);
    const bool ok = exact_ ? found == count_ : found >= count_;
    if (ok)
        return out;
    if (events == 0)
        return out + "; nothing " + std::string(verb(event_)) + " in " +
               records_phrase(records.size() - first);
    out += "; " + std::string(verb(event_)) + ": " + seen.str();
    if (keyed > found) {
        out += "; of " + std::to_string(keyed) + " " + object(keyed) + ":";
        bool first_reason = true;
        for (std::size_t f = 0; f < filters_.size(); ++f) {
            if (rejected[f] == 0)
                continue;
            out += (first_reason ? " " : ", ") + std::to_string(rejected[f]) + " not " +
                   filters_[f].phrase;
            first_reason = false;
        }
    }
    return out;
}

bool EventMatcher::match(const Records& records) const {
    m_cachedToString.clear(); // a reused matcher must not print an earlier match's findings
    const std::size_t first = start_index(records);
    const auto found = static_cast<std::size_t>(
        std::count_if(records.begin() + static_cast<std::ptrdiff_t>(first), records.end(),
                      [this](const Record& record) { return accepts(record); }));
    observed_ = explain(records, first);
    return exact_ ? found == count_ : found >= count_;
}

std::string EventMatcher::describe() const {
    return observed_.empty() ? phrase() : phrase() + " (" + observed_ + ")";
}

// ---- InOrderMatcher -------------------------------------------------------------------------

InOrderMatcher::InOrderMatcher(std::vector<EventMatcher> steps) : steps_(std::move(steps)) {
    for (const EventMatcher& step : steps_) {
        if (step.exact() && step.wanted() == 0)
            throw std::invalid_argument("InOrder: a step cannot be never() (\"" + step.phrase() +
                                        "\"); assert its absence with a separate matcher");
    }
}

bool InOrderMatcher::match(const Records& records) const {
    m_cachedToString.clear();
    std::size_t next = 0;
    std::vector<const Record*> matched; // the last match of each step
    for (std::size_t s = 0; s < steps_.size(); ++s) {
        const EventMatcher& step = steps_[s];
        const std::size_t start = std::max(next, step.start_index(records));
        std::size_t need = std::max<std::size_t>(step.wanted(), 1);
        std::size_t i = start;
        for (; i < records.size() && need > 0; ++i) {
            if (step.accepts(records[i]) && --need == 0)
                break;
        }
        if (need > 0) {
            std::string out;
            if (!matched.empty()) {
                out = "step" +
                      plural(matched.size(), " 1", "s 1–" + std::to_string(matched.size())) +
                      " matched";
                const std::size_t shown = std::min(matched.size(), max_listed_positions);
                for (std::size_t m = matched.size() - shown; m < matched.size(); ++m)
                    out += (m == matched.size() - shown ? " at " : ", ") + position(*matched[m]);
                out += "; ";
            }
            out += "step " + std::to_string(s + 1) + " found too few";
            if (!matched.empty())
                out += " after #" + std::to_string(matched.back()->sequence);
            out += ": " + step.explain(records, start);
            observed_ = std::move(out);
            return false;
        }
        matched.push_back(&records[i]);
        next = i + 1;
    }
    std::string out = "matched";
    const std::size_t shown = std::min(matched.size(), max_listed_positions);
    for (std::size_t m = 0; m < shown; ++m)
        out += (m == 0 ? " at " : ", ") + position(*matched[m]);
    if (shown < matched.size())
        out += ", …";
    observed_ = std::move(out);
    return true;
}

std::string InOrderMatcher::describe() const {
    std::string out = "did, in order:";
    for (std::size_t s = 0; s < steps_.size(); ++s)
        out += (s == 0 ? " " : ", then ") + steps_[s].phrase();
    return observed_.empty() ? out : out + " (" + observed_ + ")";
}

// ---- NothingElseMatcher ---------------------------------------------------------------------

NothingElseMatcher::NothingElseMatcher(record::Mark mark) : mark_(mark) {}

NothingElseMatcher::NothingElseMatcher(topology::HiveMark mark) : hive_mark_(std::move(mark)) {}

NothingElseMatcher NothingElseMatcher::except(const EventMatcher& allowed) const {
    NothingElseMatcher copy(*this);
    copy.allowed_.push_back(allowed);
    return copy;
}

namespace {
bool is_counted_event(const Record& record) {
    switch (record.kind) {
    case Kind::in:
    case Kind::out:
    case Kind::inject:
    case Kind::refusal:
    case Kind::decode_error:
        return true;
    case Kind::verdict:
        return record.outcome == Outcome::denied || record.outcome == Outcome::dropped ||
               record.outcome == Outcome::closed;
    case Kind::dispatch:
        return false;
    }
    return true;
}
} // namespace

bool NothingElseMatcher::match(const Records& records) const {
    m_cachedToString.clear();
    std::vector<const Record*> others;
    for (std::size_t i = start_of(records, mark_, hive_mark_); i < records.size(); ++i) {
        const Record& record = records[i];
        if (!is_counted_event(record))
            continue;
        if (std::any_of(allowed_.begin(), allowed_.end(),
                        [&record](const EventMatcher& m) { return m.accepts(record); }))
            continue;
        others.push_back(&record);
    }
    std::string out =
        "saw " + std::to_string(others.size()) + plural(others.size(), " other", " others");
    const std::size_t shown = std::min(others.size(), max_quoted_records);
    for (std::size_t i = 0; i < shown; ++i)
        out += (i == 0 ? ": " : "; ") + quoted_line(*others[i]);
    if (shown < others.size())
        out += "; +" + std::to_string(others.size() - shown) + " more";
    observed_ = std::move(out);
    return others.empty();
}

std::string NothingElseMatcher::describe() const {
    std::string out = "recorded nothing " + since_phrase(mark_, hive_mark_);
    for (std::size_t i = 0; i < allowed_.size(); ++i)
        out += (i == 0 ? " other than " : " or ") + allowed_[i].activity();
    return observed_.empty() ? out : out + " (" + observed_ + ")";
}

} // namespace detail

// ---- factories ------------------------------------------------------------------------------

detail::EventMatcher Received(protocol::MessageType type) {
    return {detail::Event::received, std::string(protocol::wire_name(type)), type};
}

detail::EventMatcher Sent(protocol::MessageType type) {
    return {detail::Event::sent, std::string(protocol::wire_name(type)), type};
}

detail::EventMatcher Injected(std::string ovos_type) {
    return {detail::Event::injected, std::move(ovos_type)};
}

detail::EventMatcher Denied(std::string code) {
    return {detail::Event::denied, std::move(code)};
}

detail::EventMatcher Dropped(std::string reason) {
    return {detail::Event::dropped, std::move(reason)};
}

detail::EventMatcher Closed(std::uint16_t code, std::string reason) {
    return {detail::Event::closed, std::move(reason), std::nullopt,
            code == 0 ? std::nullopt : std::optional<std::uint16_t>(code)};
}

detail::EventMatcher Dispatched(std::string handler) {
    return {detail::Event::dispatched, std::move(handler)};
}

detail::NothingElseMatcher NothingElseSince(record::Mark mark) {
    return detail::NothingElseMatcher(mark);
}

detail::NothingElseMatcher NothingElseSince(topology::HiveMark mark) {
    return detail::NothingElseMatcher(std::move(mark));
}

} // namespace hivescope::matchers
