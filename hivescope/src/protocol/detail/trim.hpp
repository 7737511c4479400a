#pragma once
// Whitespace trimming as the reference strips peer ids and header values: Python's
// `str.strip()` restricted to space, tab, CR and LF.

#include <string>
#include <string_view>
#include <vector>

namespace hivescope::protocol::detail {

/// `text` without leading and trailing spaces, tabs, CRs and LFs.
[[nodiscard]] constexpr std::string_view trim(std::string_view text) noexcept {
    constexpr std::string_view blanks = " \t\r\n";
    const auto first = text.find_first_not_of(blanks);
    if (first == std::string_view::npos)
        return {};
    return text.substr(first, text.find_last_not_of(blanks) - first + 1);
}

/// Each of `items` trimmed, in order.
[[nodiscard]] inline std::vector<std::string> trimmed(const std::vector<std::string>& items) {
    std::vector<std::string> out;
    out.reserve(items.size());
    for (const auto& item : items)
        out.emplace_back(trim(item));
    return out;
}

} // namespace hivescope::protocol::detail
