#pragma once
// How Catch2 prints hivescope values in assertion output: a recorder is a bounded transcript
// (the last lines plus how many came before, one `Record::to_line()` each), never a dump, so a
// failing REQUIRE_THAT on a busy master stays readable. The last line of a recorder's rendering
// is its node name, so Catch2's `stringify(arg) + " " + describe()` ends in a sentence:
// "M0 injected exactly 1 `speak` …".

#include "hivescope/catch2/compat.hpp"
#include "hivescope/protocol/hive_message.hpp"
#include "hivescope/record/record.hpp"
#include "hivescope/record/recorder.hpp"

#include <cstddef>
#include <string>

namespace hivescope::node {
class MasterNode;
class RelayNode;
class SatelliteNode;
} // namespace hivescope::node

namespace hivescope::matchers {

/// How many transcript lines a printed recorder or view shows.
inline constexpr std::size_t transcript_lines = 10;
/// The longest a printed line gets before it is cut with `…`.
inline constexpr std::size_t transcript_line_length = 160;

/// The bounded transcript Catch2 prints for a view: a header, the last `lines` records, and the
/// node name on the last line.
[[nodiscard]] std::string render_records(const record::RecordView& records,
                                         std::size_t lines = transcript_lines);

} // namespace hivescope::matchers

namespace Catch {

/// A recorder prints as its last records.
template <> struct StringMaker<hivescope::record::Recorder> {
    static std::string convert(const hivescope::record::Recorder& recorder);
};
/// A view prints as its last records.
template <> struct StringMaker<hivescope::record::RecordView> {
    static std::string convert(const hivescope::record::RecordView& view);
};
/// A record prints as its one-line form.
template <> struct StringMaker<hivescope::record::Record> {
    static std::string convert(const hivescope::record::Record& record);
};
/// A message prints as its bounded summary.
template <> struct StringMaker<hivescope::protocol::HiveMessage> {
    static std::string convert(const hivescope::protocol::HiveMessage& message);
};
/// Nodes print as their kind and name (`satellite S0`), so node matchers read as sentences.
template <> struct StringMaker<hivescope::node::SatelliteNode> {
    static std::string convert(const hivescope::node::SatelliteNode& node);
};
template <> struct StringMaker<hivescope::node::MasterNode> {
    static std::string convert(const hivescope::node::MasterNode& node);
};
template <> struct StringMaker<hivescope::node::RelayNode> {
    static std::string convert(const hivescope::node::RelayNode& node);
};

} // namespace Catch
