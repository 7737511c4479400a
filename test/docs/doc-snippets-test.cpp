// Documentation may not drift from the code it shows: every block in docs/*.md introduced by
// `<!-- snippet: examples/<file> -->` must equal that file, every example (docs/examples and its
// subfolders, e.g. examples/catch2/ for the ones that need Catch2) must be quoted, and every
// ```cpp block must be such a quote, so that every code block in the docs is compiled.

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
            const std::size_t fence = markdown.find("```", name_end);
            REQUIRE(fence != std::string::npos);
            const std::size_t body = markdown.find('\n', fence) + 1;
            const std::size_t close = markdown.find("\n```", body);
            REQUIRE(close != std::string::npos);
            const std::string block = markdown.substr(body, close - body + 1);
            CHECK(block == read(docs / name));
            if (name.rfind("examples/", 0) == 0)
                quoted.insert(name);
            pos = close;
        }
    }

    std::size_t examples = 0;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(docs / "examples")) {
        if (!entry.is_regular_file())
            continue;
        const std::string name = entry.path().lexically_relative(docs).generic_string();
        INFO("example " << name << " is not shown in any doc");
        CHECK(quoted.count(name) == 1);
        ++examples;
    }
    CHECK(examples == quoted.size());
    CHECK_FALSE(quoted.empty());
}

TEST_CASE("every C++ and CMake block in the docs is a quoted, compiled file", "[docs]") {
    const std::filesystem::path docs = std::filesystem::path(HIVESCOPE_SOURCE_DIR) / "docs";
    std::size_t blocks = 0;
    for (const auto& entry : std::filesystem::directory_iterator(docs)) {
        if (entry.path().extension() != ".md")
            continue;
        const std::string markdown = read(entry.path());
        for (const std::string fence : {"\n```cpp\n", "\n```cmake\n"}) {
            std::size_t pos = 0;
            while ((pos = markdown.find(fence, pos)) != std::string::npos) {
                // The line before the fence must be a snippet marker.
                const std::size_t start = markdown.rfind('\n', pos - 1);
                const std::string previous =
                    markdown.substr(start == std::string::npos ? 0 : start + 1,
                                    pos - (start == std::string::npos ? 0 : start + 1));
                INFO(entry.path().filename().string()
                     << " has a " << fence.substr(1, fence.size() - 2) << " block after \""
                     << previous << "\"");
                CHECK(previous.rfind("<!-- snippet: ", 0) == 0);
                ++blocks;
                pos += fence.size();
            }
        }
    }
    CHECK(blocks > 0);
}
