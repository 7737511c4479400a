#include "vectors.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

#ifndef HIVESCOPE_VECTORS_DIR
#define HIVESCOPE_VECTORS_DIR "../shared/vectors"
#endif

namespace hivescope::test {

std::filesystem::path vectors_dir() {
    if (const char* env = std::getenv("HIVESCOPE_VECTORS_DIR"); env != nullptr && *env != '\0')
        return env;
    return HIVESCOPE_VECTORS_DIR;
}

std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw std::runtime_error("cannot open " + path.string());
    std::ostringstream content;
    content << in.rdbuf();
    return content.str();
}

protocol::Json load_vectors(std::string_view file_name) {
    const auto path = vectors_dir() / std::string(file_name);
    return protocol::Json::parse(read_file(path));
}

const protocol::JsonArray& vector_cases(const protocol::Json& file) {
    const protocol::Json* cases = file.find("cases");
    if (cases == nullptr || !cases->is_array())
        throw std::runtime_error("vector file has no `cases` array");
    return cases->as_array();
}

} // namespace hivescope::test
