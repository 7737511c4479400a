#pragma once
// Finding the end of a run of characters a JSON string carries as they are. The serialiser copies
// such runs in one go, and the encrypted-envelope scanner accepts a field only when its whole
// value is one such run.

#include <cstddef>
#include <string_view>

namespace hivescope::protocol::detail {

/// The position of the first byte at or after `from` that a JSON string cannot carry verbatim,
/// or text.size(): a control character, '"' or '\\', and with `ascii_only` (json.dumps with
/// ensure_ascii) also DEL and every byte of a non-ASCII character.
[[nodiscard]] std::size_t verbatim_run(std::string_view text, std::size_t from,
                                       bool ascii_only) noexcept;

} // namespace hivescope::protocol::detail
