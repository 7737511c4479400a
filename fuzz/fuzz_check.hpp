#pragma once
// Shared helpers for the libFuzzer targets: an invariant check that survives NDEBUG builds and
// names the broken property before trapping (so a crash report explains itself), and the
// normalisation round-trip checks need.

#include "hivescope/protocol/hive_message.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string_view>

namespace hivescope::fuzz {

/// Stops the run (a libFuzzer finding) when `ok` is false. Traps rather than throws so that no
/// catch block in the code under test can swallow the violation.
inline void check(bool ok, const char* property) {
    if (!ok) {
        std::fprintf(stderr, "hivescope fuzz invariant violated: %s\n", property);
        __builtin_trap();
    }
}

/// Prints a labelled excerpt of a text or byte string, for the diagnostics before a trap.
inline void show(const char* label, std::string_view text) {
    constexpr std::size_t limit = 2000;
    std::fprintf(stderr, "%s (%zu bytes): %.*s%s\n", label, text.size(),
                 static_cast<int>(text.size() < limit ? text.size() : limit), text.data(),
                 text.size() > limit ? "..." : "");
}

/// The fuzzer input as a string view (the library reads text through std::string_view).
inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

/// `message` as its emitted form reads back: `target_peers` is accepted on input but never
/// emitted (protocol.md A.3), so round-trip checks compare against the message without it, at
/// every nesting level.
inline protocol::HiveMessage without_target_peers(protocol::HiveMessage message) {
    message.set_target_peers({});
    if (message.payload_kind() == protocol::HiveMessage::PayloadKind::nested)
        message.inner() = without_target_peers(message.inner());
    return message;
}

} // namespace hivescope::fuzz
