#pragma once
// The `demo` job until the simulator lands: replays the reference session transcripts from the
// shared vectors through our protocol core and prints what every frame means.

#include <filesystem>
#include <iosfwd>

namespace hivescope::cli {

/// Prints a readable report of every transcript in `vectors_dir/handshake.json` to `out`.
/// Returns the number of frames that failed to decode or did not match the reference.
int report_transcripts(const std::filesystem::path& vectors_dir, std::ostream& out);

} // namespace hivescope::cli
