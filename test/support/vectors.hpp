#pragma once
// Access to the golden vectors in ../shared/vectors. The directory comes from the environment
// (HIVESCOPE_VECTORS_DIR) or from CMake at build time, never from copied values.

#include "hivescope/protocol/json.hpp"

#include <filesystem>
#include <string>
#include <string_view>

namespace hivescope::test {

/// The vectors directory: $HIVESCOPE_VECTORS_DIR, else the path CMake passed in.
[[nodiscard]] std::filesystem::path vectors_dir();

/// A whole vector file (`{"topic", "reference", "notes", "cases"}`), parsed.
[[nodiscard]] protocol::Json load_vectors(std::string_view file_name);

/// The `cases` array of a loaded vector file.
[[nodiscard]] const protocol::JsonArray& vector_cases(const protocol::Json& file);

/// Reads a whole file; throws std::runtime_error naming the path when it cannot.
[[nodiscard]] std::string read_file(const std::filesystem::path& path);

} // namespace hivescope::test
