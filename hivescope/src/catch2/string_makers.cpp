#include "hivescope/catch2/string_makers.hpp"

#include "hivescope/node/master_node.hpp"
#include "hivescope/node/relay_node.hpp"
#include "hivescope/node/satellite_node.hpp"
#include "hivescope/protocol/message_summary.hpp"

namespace hivescope::matchers {

std::string render_records(const record::RecordView& records, std::size_t lines) {
    if (records.empty())
        return "(no records)";
    const std::string& node = records[0].node;
    const std::size_t shown = std::min(lines, records.size());
    std::string out = node + ": " + std::to_string(records.size()) +
                      (records.size() == 1 ? " record" : " records") + " (#" +
                      std::to_string(records[0].sequence) + "–#" +
                      std::to_string(records[records.size() - 1].sequence) + ")";
    out += shown < records.size() ? ", the last " + std::to_string(shown) + ":\n" : ":\n";
    for (std::size_t i = records.size() - shown; i < records.size(); ++i)
        out += "  " + protocol::truncate_utf8(records[i].to_line(), transcript_line_length) + "\n";
    // Ends with the node name, so the matcher's description completes a sentence about it.
    return out + node;
}

} // namespace hivescope::matchers

namespace Catch {

std::string
StringMaker<hivescope::record::Recorder>::convert(const hivescope::record::Recorder& recorder) {
    return hivescope::matchers::render_records(recorder.snapshot());
}

std::string
StringMaker<hivescope::record::RecordView>::convert(const hivescope::record::RecordView& view) {
    return hivescope::matchers::render_records(view);
}

std::string
StringMaker<hivescope::record::Record>::convert(const hivescope::record::Record& record) {
    return hivescope::protocol::truncate_utf8(record.to_line(),
                                              hivescope::matchers::transcript_line_length);
}

std::string StringMaker<hivescope::protocol::HiveMessage>::convert(
    const hivescope::protocol::HiveMessage& message) {
    return hivescope::protocol::summarize(message, {hivescope::matchers::transcript_line_length});
}

std::string
StringMaker<hivescope::node::SatelliteNode>::convert(const hivescope::node::SatelliteNode& node) {
    return "satellite " + node.node_id();
}

std::string
StringMaker<hivescope::node::MasterNode>::convert(const hivescope::node::MasterNode& node) {
    return "master " + node.node_id();
}

std::string
StringMaker<hivescope::node::RelayNode>::convert(const hivescope::node::RelayNode& node) {
    return "relay " + node.node_id();
}

} // namespace Catch
