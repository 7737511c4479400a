// The JSON value: Python-identical output in the three dialects, and a parser that refuses bad
// text with a typed error.

#include "catch.hpp"
#include "message_generator.hpp"

#include "hivescope/protocol/error.hpp"
#include "hivescope/protocol/json.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <utility>
#include <vector>

using namespace hivescope::protocol;

namespace {
ErrorCode parse_error(std::string_view text, const JsonParseLimits& limits = {}) {
    try {
        (void)Json::parse(text, limits);
    } catch (const ProtocolError& error) {
        return error.code();
    }
    FAIL("expected Json::parse to throw for: " << text.substr(0, 80));
    return ErrorCode::invalid_argument;
}
} // namespace

TEST_CASE("floats print as Python repr", "[json]") {
    // protocol.md A.3 names these; the rest follow CPython's 'r' format rules.
    CHECK(python_float_repr(16000.0) == "16000.0");
    CHECK(python_float_repr(1711190000.123) == "1711190000.123");
    CHECK(python_float_repr(1e-05) == "1e-05");
    CHECK(python_float_repr(0.0001) == "0.0001");
    CHECK(python_float_repr(1e16) == "1e+16");
    CHECK(python_float_repr(1e15) == "1000000000000000.0");
    CHECK(python_float_repr(-0.0) == "-0.0");
    CHECK(python_float_repr(0.1) == "0.1");
    CHECK(python_float_repr(1.5e300) == "1.5e+300");
    CHECK(python_float_repr(-2.5e-300) == "-2.5e-300");
    CHECK(python_float_repr(123456789012345678.0) == "1.2345678901234568e+17");
    CHECK_THROWS_AS(python_float_repr(std::nan("")), ProtocolError);
    CHECK_THROWS_AS(Json(HUGE_VAL).dump(), ProtocolError);
}

TEST_CASE("float repr round-trips with the fewest digits", "[json][property]") {
    std::mt19937_64 rng(20261125);
    for (int i = 0; i < 20000; ++i) {
        double value;
        const std::uint64_t bits = rng();
        std::memcpy(&value, &bits, sizeof value);
        if (!std::isfinite(value))
            continue;
        const std::string repr = python_float_repr(value);
        INFO(repr);
        double back = 0;
        auto [ptr, ec] = std::from_chars(repr.data(), repr.data() + repr.size(), back);
        REQUIRE(ec == std::errc{});
        CHECK(ptr == repr.data() + repr.size());
        CHECK(std::memcmp(&back, &value, sizeof value) == 0);
        // Python always shows a float as a float: a '.', or an exponent.
        CHECK(repr.find_first_of(".e") != std::string::npos);
        // Parsing and printing again is the identity.
        CHECK(Json::parse(repr).dump() == repr);
    }
}

TEST_CASE("strings escape as json.dumps does", "[json]") {
    const std::string text = "q\"b\\n\nr\rt\tb\bf\f\x01\x1f\x7f é 中 \xe2\x80\xa8 😀";
    CHECK(Json(text).dump(JsonStyle::python) ==
          "\"q\\\"b\\\\n\\nr\\rt\\tb\\bf\\f\\u0001\\u001f\x7f é 中 \xe2\x80\xa8 😀\"");
    CHECK(Json(text).dump(JsonStyle::python_ascii) ==
          "\"q\\\"b\\\\n\\nr\\rt\\tb\\bf\\f\\u0001\\u001f\\u007f \\u00e9 \\u4e2d \\u2028 "
          "\\ud83d\\ude00\"");
    CHECK(Json(text).dump(JsonStyle::compact) == Json(text).dump(JsonStyle::python));
    CHECK_THROWS_AS(Json(std::string("\xff")).dump(JsonStyle::python_ascii), ProtocolError);
}

TEST_CASE("a character that needs escaping is found at any offset of a long string", "[json]") {
    // Long runs are scanned 32 or 16 bytes at a time; the escaped form of the character alone
    // (a short string, checked against a byte-at-a-time oracle below) is the oracle here.
    const auto inner = [](const std::string& quoted) {
        return quoted.substr(1, quoted.size() - 2);
    };
    for (const auto style : {JsonStyle::python, JsonStyle::python_ascii, JsonStyle::compact}) {
        for (const std::string special :
             {"\"", "\\", "\n", "\x01", "\x1f", "\x7f", "é", " ", "~"}) {
            for (std::size_t at = 0; at <= 100; ++at) {
                const std::string before(at, 'a');
                const std::string after(100 - at, 'z');
                CAPTURE(static_cast<int>(style), special, at);
                CHECK(Json(before + special + after).dump(style) ==
                      "\"" + before + inner(Json(special).dump(style)) + after + "\"");
            }
        }
    }
}

namespace {
// json.dumps of an ASCII string, a byte at a time: the oracle for the serialiser's SIMD paths.
std::string dumps_ascii_text(std::string_view text, bool ensure_ascii) {
    std::string out = "\"";
    for (const char c : text) {
        switch (c) {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\r':
            out += "\\r";
            break;
        case '\t':
            out += "\\t";
            break;
        case '\b':
            out += "\\b";
            break;
        case '\f':
            out += "\\f";
            break;
        default:
            if (static_cast<unsigned char>(c) < 0x20 || (ensure_ascii && c == 0x7f)) {
                char escaped[8];
                std::snprintf(escaped, sizeof escaped, "\\u%04x", static_cast<unsigned>(c));
                out += escaped;
            } else {
                out.push_back(c);
            }
        }
    }
    return out + "\"";
}
} // namespace

TEST_CASE("short strings escape exactly their own characters, whatever follows them", "[json]") {
    // A string shorter than 16 bytes is checked with one 16-byte load that reads past its end
    // (inside the page); the bytes after it must not count, and one that would cross a page takes
    // the byte loop. So: every length, every position of one special character, followed by
    // bytes that would need escaping, placed both mid-page and against the end of a page.
    constexpr std::size_t page = 4096;
    std::vector<char> buffer(3 * page);
    char* const page_end = reinterpret_cast<char*>(
        (reinterpret_cast<std::uintptr_t>(buffer.data()) + 2 * page) & ~std::uintptr_t{page - 1});
    for (const bool ascii : {false, true}) {
        const JsonStyle style = ascii ? JsonStyle::python_ascii : JsonStyle::python;
        for (const char special : {'"', '\\', '\n', '\x01', '\x1f', '\x7f', '~'}) {
            for (std::size_t length = 0; length <= 17; ++length) {
                for (std::size_t at = 0; at <= length; ++at) {
                    std::string text(length, 'a');
                    if (at < length)
                        text[at] = special;
                    for (char* start : {page_end - page / 2, page_end - length}) {
                        std::memcpy(start, text.data(), length);
                        std::memset(start + length, '"', 16);
                        std::string out;
                        append_json_string(out, std::string_view(start, length), style);
                        CAPTURE(ascii, static_cast<int>(special), length, at,
                                start == page_end - length);
                        CHECK(out == dumps_ascii_text(text, ascii));
                    }
                }
            }
        }
    }
}

TEST_CASE("separators differ by dialect", "[json]") {
    const Json value =
        JsonObject{{"b", 1}, {"a", JsonArray{Json(1.0), Json(nullptr), Json(true)}}, {"c", "x"}};
    CHECK(value.dump(JsonStyle::python) == R"({"b": 1, "a": [1.0, null, true], "c": "x"})");
    CHECK(value.dump(JsonStyle::python_ascii) == R"({"b": 1, "a": [1.0, null, true], "c": "x"})");
    CHECK(value.dump(JsonStyle::compact) == R"({"b":1,"a":[1.0,null,true],"c":"x"})");
}

TEST_CASE("objects keep insertion order; duplicate keys keep the first position", "[json]") {
    const Json parsed = Json::parse(R"({"z": 1, "a": 2, "z": 3})");
    CHECK(parsed.dump() == R"({"z": 3, "a": 2})");
    // A repeated key whose earlier value was a container: the last value replaces it whole.
    const Json nested = Json::parse(
        R"({"a": {"x": [1, 2]}, "b": "a string longer than sixteen", "a": {"y": [3]}, "a": [4]})");
    CHECK(nested.dump() == R"({"a": [4], "b": "a string longer than sixteen"})");
    CHECK(nested.as_object().size() == 2);
    Json built = Json::object();
    built["b"] = 1;
    built["a"] = 2;
    built["b"] = 3;
    CHECK(built.dump() == R"({"b": 3, "a": 2})");
    CHECK(built.as_object().erase("b"));
    CHECK_FALSE(built.as_object().erase("b"));
    CHECK(built.dump() == R"({"a": 2})");
}

TEST_CASE("an object with many keys keeps each once, in first-seen order", "[json]") {
    // More keys than the parser's 64 duplicate-check signatures: every key shares its signature
    // with others, so repeats must still be told apart from look-alikes.
    std::string text = "{";
    Json expected = Json::object();
    for (int i = 0; i < 300; ++i) {
        const std::string key = "k" + std::to_string(i % 200) + (i % 3 == 0 ? "" : "x");
        text += (i == 0 ? "\"" : ", \"") + key + "\": " + std::to_string(i);
        expected[key] = i;
    }
    text += "}";
    const Json parsed = Json::parse(text);
    CHECK(parsed == expected);
    CHECK(parsed.dump() == expected.dump());
    CHECK(parsed.as_object().size() < 300);
}

TEST_CASE("integers and doubles stay distinct", "[json]") {
    const Json parsed =
        Json::parse(R"([1, 1.0, -0, 18446744073709551615, -9223372036854775808, 1e5])");
    const auto& items = parsed.as_array();
    CHECK(items[0].kind() == Json::Kind::integer);
    CHECK(items[1].kind() == Json::Kind::floating);
    CHECK(items[3].kind() == Json::Kind::unsigned_integer);
    CHECK(items[3].as_uint() == 18446744073709551615ull);
    CHECK(items[4].as_int() == std::numeric_limits<std::int64_t>::min());
    CHECK(items[5].is_double());
    CHECK(parsed.dump() == "[1, 1.0, 0, 18446744073709551615, -9223372036854775808, 100000.0]");
    CHECK_FALSE(Json(1) == Json(1.0));
}

TEST_CASE("assignment replaces any kind with any other, also from inside the value itself",
          "[json]") {
    // Every kind over every kind, by copy and by move: the result equals the source, and the
    // source of a copy is unchanged.
    const std::vector<Json> kinds = {Json(),
                                     Json(true),
                                     Json(-7),
                                     Json(18446744073709551615ull),
                                     Json(2.5),
                                     Json("a string longer than the small-string buffer"),
                                     Json(JsonArray{1, "two", JsonArray{3}}),
                                     Json(JsonObject{{"k", JsonObject{{"n", 1}}}})};
    for (const Json& from : kinds) {
        for (const Json& to : kinds) {
            Json copied = to;
            copied = from;
            CHECK(copied == from);
            Json moved = to;
            Json source = from;
            moved = std::move(source);
            CHECK(moved == from);
            CHECK(moved.kind() == from.kind());
        }
    }
    // A value assigned a part of itself: the part is taken out before the rest goes.
    Json nested = Json::parse(R"({"inner": {"deeper": ["kept", 2]}})");
    nested = std::move(nested["inner"]);
    CHECK(nested.dump() == R"({"deeper": ["kept", 2]})");
    nested = std::move(nested["deeper"]);
    CHECK(nested.dump() == R"(["kept", 2])");
    Json array = Json::parse(R"([{"a": "a string longer than the small-string buffer"}])");
    array = std::move(array.as_array()[0]);
    CHECK(array.dump() == R"({"a": "a string longer than the small-string buffer"})");
    array = array.find("a") != nullptr ? Json(*array.find("a")) : Json();
    CHECK(array.as_string() == "a string longer than the small-string buffer");
    JsonObject object = Json::parse(R"({"inner": {"n": [1]}})").as_object();
    object = std::move(object["inner"].as_object());
    CHECK(Json(object).dump() == R"({"n": [1]})");
    Json self = Json(JsonArray{1, 2});
    const Json& alias = self;
    self = alias;
    CHECK(self.dump() == "[1, 2]");
    // A bool keeps exactly its value through copies (it shares its bytes with the integers).
    const Json yes(true);
    const Json copy = yes; // NOLINT(performance-unnecessary-copy-initialization)
    CHECK(copy.as_bool());
    CHECK(copy == Json(true));
    CHECK_FALSE(copy == Json(1));
}

TEST_CASE("typed access names the kinds on mismatch", "[json]") {
    const Json value = Json::parse(R"({"a": "x"})");
    try {
        (void)value.find("a")->as_int();
        FAIL("expected an error");
    } catch (const ProtocolError& error) {
        CHECK(error.code() == ErrorCode::invalid_field);
        CHECK(std::string(error.what()).find("expected a JSON integer, got string") !=
              std::string::npos);
    }
    CHECK_THROWS_AS(value.at(0), ProtocolError);
    CHECK(value.get_string("a") == "x");
    CHECK(value.get_string("missing", "fallback") == "fallback");
}

TEST_CASE("bad JSON text gets a typed error", "[json][bad-input]") {
    CHECK(parse_error("") == ErrorCode::malformed_json);
    CHECK(parse_error("{") == ErrorCode::malformed_json);
    CHECK(parse_error(R"({"a": })") == ErrorCode::malformed_json);
    CHECK(parse_error(R"({"a": 1,})") == ErrorCode::malformed_json);
    CHECK(parse_error("[1, 2") == ErrorCode::malformed_json);
    CHECK(parse_error("NaN") == ErrorCode::malformed_json);
    CHECK(parse_error("123456789012345678901234567890") == ErrorCode::malformed_json);
    CHECK(parse_error("\"\xff\xfe\"") == ErrorCode::invalid_utf8);
    CHECK(parse_error("\"\xc3\"") == ErrorCode::invalid_utf8);
    CHECK(parse_error(std::string(5000, '[') + std::string(5000, ']')) ==
          ErrorCode::nesting_too_deep);
    JsonParseLimits shallow;
    shallow.max_depth = 2;
    CHECK(parse_error("[[[1]]]", shallow) == ErrorCode::nesting_too_deep);
    JsonParseLimits tiny;
    tiny.max_bytes = 4;
    CHECK(parse_error("[1, 2, 3]", tiny) == ErrorCode::malformed_json);
}

TEST_CASE("every truncation of a JSON document is refused", "[json][bad-input]") {
    const std::string document =
        R"({"msg_type": "bus", "payload": {"type": "speak", "data": {"n": [1, 2.5, "é"]}}})";
    for (std::size_t length = 0; length < document.size(); ++length) {
        INFO("length " << length);
        CHECK_THROWS_AS(Json::parse(document.substr(0, length)), ProtocolError);
    }
}

TEST_CASE("random JSON values survive dump and parse in every dialect", "[json][property]") {
    hivescope::test::MessageGenerator generator(7);
    for (int i = 0; i < 3000; ++i) {
        const Json value = generator.value(4);
        for (auto style : {JsonStyle::python, JsonStyle::python_ascii, JsonStyle::compact}) {
            const std::string text = value.dump(style);
            INFO(text);
            REQUIRE(Json::parse(text) == value);
        }
    }
}

TEST_CASE("literal JSON from initializer lists", "[json]") {
    const Json utterance{{"utterances", {"hello"}}, {"lang", "en-us"}, {"n", 2}};
    CHECK(utterance.dump() == R"({"utterances": ["hello"], "lang": "en-us", "n": 2})");
    const Json list{1, "two", nullptr, 3.5};
    CHECK(list.dump() == R"([1, "two", null, 3.5])");
    // Not every element a string-keyed pair: an array of arrays.
    const Json pairs{{"a", 1}, {2, "b"}};
    CHECK(pairs.dump() == R"([["a", 1], [2, "b"]])");
    CHECK(Json{}.is_null());
    CHECK(Json{{"nested", {{"deep", true}}}}.dump() == R"({"nested": {"deep": true}})");
}

TEST_CASE("Json::parse returns a frozen tree that still changes as a value", "[json][cow]") {
    const std::string text =
        R"({"type": "speak", "data": {"utterance": "hi"}, "context": {"a": [1, {"b": 2}]}})";
    Json parsed = Json::parse(text);
    // Every object, at every depth and inside arrays, comes back frozen: copies share it.
    CHECK(parsed.as_object().frozen());
    CHECK(parsed.find("data")->as_object().frozen());
    CHECK(parsed.find("context")->find("a")->as_array()[1].as_object().frozen());
    const Json copy = parsed;
    CHECK(shares_storage(copy.as_object(), parsed.as_object()));

    // A reference taken through the only owner thaws the path to it first, so a copy made
    // afterwards does not see a change made through the reference.
    Json alone = Json::parse(text);
    Json& utterance = alone["data"]["utterance"];
    CHECK_FALSE(alone.as_object().frozen());
    const Json snapshot = alone;
    utterance = Json("bye");
    CHECK(snapshot.find("data")->find("utterance")->as_string() == "hi");
    CHECK(alone.find("data")->find("utterance")->as_string() == "bye");
    // Changing a copy leaves the parsed tree as it was.
    Json changed = parsed;
    changed["context"]["a"] = Json(nullptr);
    CHECK(parsed == Json::parse(text));
    CHECK(changed.find("context")->find("a")->is_null());
}

TEST_CASE("copies of a frozen object share it until one of them changes", "[json][cow]") {
    Json original{{"type", "speak"},
                  {"data", {{"utterance", "hi"}}},
                  {"context", {{"a", JsonArray{1, Json{{"b", 2}}}}}}};
    const Json unfrozen_copy = original;
    // Not frozen: copies are deep, as before.
    CHECK_FALSE(shares_storage(unfrozen_copy.as_object(), original.as_object()));
    CHECK_FALSE(original.find("data")->as_object().frozen());

    original.freeze();
    CHECK(original.as_object().frozen());
    CHECK(original.find("data")->as_object().frozen());
    // Objects inside arrays freeze too.
    CHECK(original.find("context")->find("a")->as_array()[1].as_object().frozen());

    Json copy = original;
    CHECK(shares_storage(copy.as_object(), original.as_object()));
    CHECK(copy == original);

    // Changing the copy copies only the path it changes; the original keeps its values.
    copy["data"]["utterance"] = Json("bye");
    CHECK(original.find("data")->find("utterance")->as_string() == "hi");
    CHECK(copy.find("data")->find("utterance")->as_string() == "bye");
    CHECK_FALSE(shares_storage(copy.as_object(), original.as_object()));
    CHECK(shares_storage(copy.find("context")->as_object(), original.find("context")->as_object()));
    // The changed copy is deep-copied again from now on.
    const Json later = copy;
    CHECK_FALSE(shares_storage(later.as_object(), copy.as_object()));

    // Every writer detaches: set, erase, operator[], reserve, mutable find and iteration.
    Json by_erase = original;
    CHECK(by_erase.as_object().erase("type"));
    CHECK(original.find("type") != nullptr);
    Json by_iteration = original;
    for (auto& member : by_iteration.as_object())
        member.second = Json(nullptr);
    CHECK(original.find("type")->as_string() == "speak");
    Json by_find = original;
    *by_find.as_object().find("type") = Json("other");
    CHECK(original.find("type")->as_string() == "speak");
    Json by_reserve = original;
    by_reserve.as_object().reserve(10);
    CHECK_FALSE(shares_storage(by_reserve.as_object(), original.as_object()));
    CHECK(by_reserve == original);

    // The only owner of a frozen object thaws it in place rather than copying.
    Json alone = Json::parse(R"({"k": 1})");
    alone.freeze();
    alone.as_object().set("k", 2);
    CHECK_FALSE(alone.as_object().frozen());
    CHECK(alone.find("k")->as_int() == 2);
}

TEST_CASE("an empty object allocates nothing and compares equal to any empty object",
          "[json][cow]") {
    JsonObject empty;
    CHECK(empty.empty());
    CHECK(empty.begin() == empty.end());
    CHECK(std::as_const(empty).begin() == std::as_const(empty).end());
    CHECK(empty.find("x") == nullptr);
    CHECK_FALSE(empty.erase("x"));
    JsonObject filled{{"x", 1}};
    CHECK(filled.erase("x"));
    CHECK(filled == empty);
    CHECK(Json::object().dump() == "{}");
}
