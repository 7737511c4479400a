#pragma once
// The decoders' lookup table for an alphabet codec: each byte's position in the alphabet, so
// decoding a character is one load and one sign test.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace hivescope::protocol::detail {

/// Each byte's index in `alphabet` (at most 127 symbols), -1 for bytes outside it.
[[nodiscard]] constexpr std::array<std::int8_t, 256>
symbol_index_table(std::string_view alphabet) noexcept {
    std::array<std::int8_t, 256> table{};
    table.fill(-1);
    for (std::size_t i = 0; i < alphabet.size(); ++i)
        table[static_cast<unsigned char>(alphabet[i])] = static_cast<std::int8_t>(i);
    return table;
}

} // namespace hivescope::protocol::detail
