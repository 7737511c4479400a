#pragma once
// PEM files named on the command line (TLS certificates and keys).

#include <filesystem>
#include <string>

namespace hivescope::cli {

/// The whole text of `path`. Throws ProtocolError(invalid_argument) naming `what` and the path
/// when it cannot be read.
[[nodiscard]] std::string read_pem_file(const std::filesystem::path& path, const char* what);

} // namespace hivescope::cli
