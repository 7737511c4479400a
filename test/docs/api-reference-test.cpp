// docs/index.md is the full public API reference: every public header has a section, and every
// type a header declares at namespace scope (outside `detail`) is named in it.

#include "catch.hpp"

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

namespace {

std::string read(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    REQUIRE(in);
    std::ostringstream content;
    content << in.rdbuf();
    return content.str();
}

// The header's text without its `namespace detail { … }` blocks.
std::string without_detail(std::string text) {
    const std::string open = "namespace detail {";
    for (std::size_t at = text.find(open); at != std::string::npos; at = text.find(open, at)) {
        const std::size_t close = text.find("} // namespace detail", at);
        if (close == std::string::npos)
            break;
        text.erase(at, close - at);
    }
    return text;
}

} // namespace

TEST_CASE("docs/index.md covers every public header and type", "[docs]") {
    const std::filesystem::path root(HIVESCOPE_SOURCE_DIR);
    const std::string index = read(root / "docs/index.md");
    const std::regex type(
        R"(^(?:class|struct|enum class)\s+(?:\[\[\w+\]\]\s+)?(\w+)(?:\s+final)?\s*[:{])",
        std::regex::multiline);
    std::size_t headers = 0;
    std::size_t types = 0;
    for (const auto& base : {root / "hivescope/include", root / "scenarios/include"}) {
        for (const auto& entry : std::filesystem::recursive_directory_iterator(base)) {
            if (entry.path().extension() != ".hpp")
                continue;
            const std::string header = entry.path().lexically_relative(base).generic_string();
            INFO(header);
            CHECK(index.find("### `" + header + "`") != std::string::npos);
            ++headers;
            const std::string text = without_detail(read(entry.path()));
            for (auto it = std::sregex_iterator(text.begin(), text.end(), type);
                 it != std::sregex_iterator(); ++it) {
                const std::string name = (*it)[1];
                INFO("type " << name);
                CHECK(index.find("`" + name + "`") != std::string::npos);
                ++types;
            }
        }
    }
    CHECK(headers > 50);
    CHECK(types > 80);
}
