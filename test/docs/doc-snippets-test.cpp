// Documentation may not drift from the code it shows: every block in docs/*.md introduced by
// `<!-- snippet: examples/<file> -->` must equal that file, and every example must be quoted.

#include "catch.hpp"

#include <filesystem>
#include <fstream>
#include <set>
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

} // namespace

TEST_CASE("docs quote their compiled examples verbatim", "[docs]") {
    const std::filesystem::path docs = std::filesystem::path(HIVESCOPE_SOURCE_DIR) / "docs";
    const std::string marker = "<!-- snippet: ";
    std::set<std::string> quoted;

    for (const auto& entry : std::filesystem::directory_iterator(docs)) {
        if (entry.path().extension() != ".md")
            continue;
        const std::string markdown = read(entry.path());
        std::size_t pos = 0;
        while ((pos = markdown.find(marker, pos)) != std::string::npos) {
            const std::size_t name_start = pos + marker.size();
            const std::size_t name_end = markdown.find(" -->", name_start);
            REQUIRE(name_end != std::string::npos);
            const std::string name = markdown.substr(name_start, name_end - name_start);
            INFO(entry.path().filename().string() << " quotes " << name);
            const std::size_t fence = markdown.find("```cpp\n", name_end);
            REQUIRE(fence != std::string::npos);
            const std::size_t body = fence + 7;
            const std::size_t close = markdown.find("\n```", body);
            REQUIRE(close != std::string::npos);
            const std::string block = markdown.substr(body, close - body + 1);
            CHECK(block == read(docs / name));
            quoted.insert(name);
            pos = close;
        }
    }

    for (const auto& entry : std::filesystem::directory_iterator(docs / "examples")) {
        INFO("example " << entry.path().filename().string() << " is not shown in any doc");
        CHECK(quoted.count("examples/" + entry.path().filename().string()) == 1);
    }
    CHECK_FALSE(quoted.empty());
}
