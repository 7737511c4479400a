#pragma once
// One-line, bounded descriptions of HiveMessages for traces, reports and test failure output:
// `bus recognizer_loop:utterance {"utterances": ["hi"]} session=s1`. Never a dump of everything.

#include "hivescope/protocol/hive_message.hpp"

#include <cstddef>
#include <string>

namespace hivescope::protocol {

/// Limits for summaries.
struct SummaryOptions {
    std::size_t max_length = 160; ///< longer summaries are cut with `…`
};

/// A compact description: type, the most telling payload fields, nested types as `a>b>c`.
[[nodiscard]] std::string summarize(const HiveMessage& message, const SummaryOptions& options = {});

/// `text` cut to `max_length` characters (UTF-8 aware), ending in `…` when cut.
[[nodiscard]] std::string truncate_utf8(std::string_view text, std::size_t max_length);

} // namespace hivescope::protocol
