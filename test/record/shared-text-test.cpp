// SharedText, the record's peer name: one string shared by copies, read like a std::string.

#include "catch.hpp"

#include "hivescope/record/shared_text.hpp"

#include <set>
#include <sstream>
#include <string>
#include <string_view>

using hivescope::record::SharedText;

TEST_CASE("a shared text is shared by its copies and compares as its string", "[record]") {
    const std::string id = "hivescope-satellite::1::S0::0123456789abcdef0123456789abcdef";
    const SharedText text = id;
    const SharedText copy = text; // NOLINT(performance-unnecessary-copy-initialization)
    CHECK(shares_text(text, copy));
    CHECK(copy.data() == text.data());
    const SharedText equal = id;
    CHECK_FALSE(shares_text(text, equal)); // made separately: equal, not shared
    CHECK(text == equal);
    CHECK(text == id);
    CHECK(text == std::string_view(id));
    CHECK(text == id.c_str());
    CHECK(id == text);
    CHECK("other" != text);
    CHECK(text != SharedText("other"));
    CHECK(SharedText("a") < SharedText("b"));

    // Where a std::string is expected.
    const std::string& as_string = text;
    CHECK(&as_string == &text.str());
    const std::string_view as_view = text;
    CHECK(as_view == id);
    std::set<std::string> names;
    names.insert(text);
    CHECK(names.count(id) == 1);
    CHECK("peer " + text == "peer " + id);
    CHECK(text + "!" == id + "!");
    std::string appended = "to ";
    appended += text;
    CHECK(appended == "to " + id);
    std::ostringstream printed;
    printed << text;
    CHECK(printed.str() == id);
    CHECK(std::string(text.begin(), text.end()) == id);
    CHECK(text.size() == id.size());
    CHECK(std::string(text.c_str()) == id);
}

TEST_CASE("an empty shared text holds nothing and reads as an empty string", "[record]") {
    const SharedText none;
    CHECK(none.empty());
    CHECK(none.str().empty());
    CHECK(none == "");
    CHECK(none == SharedText(std::string()));
    CHECK_FALSE(shares_text(none, none)); // nothing to share
    SharedText assigned;
    assigned = "M0";
    CHECK(assigned == "M0");
    CHECK_FALSE(assigned.empty());
}
