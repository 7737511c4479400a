#include "pem_file.hpp"

#include "hivescope/protocol/error.hpp"

#include <fstream>
#include <sstream>

namespace hivescope::cli {

std::string read_pem_file(const std::filesystem::path& path, const char* what) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    if (!in || !text)
        throw protocol::ProtocolError(protocol::ErrorCode::invalid_argument,
                                      std::string("cannot read the ") + what + " file " +
                                          path.string());
    return text.str();
}

} // namespace hivescope::cli
