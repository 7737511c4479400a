// The client database (protocol.md B.4): record defaults, id allocation that never reuses an id,
// revocation, and the JSON file in the hivemind-core layout, loaded from hand-written files in
// the reference shapes and written back after every change.

#include "catch.hpp"

#include "hivescope/node/client_database.hpp"

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

using namespace hivescope;
using namespace hivescope::node;
using protocol::ErrorCode;
using protocol::Json;
using protocol::ProtocolError;

namespace {

// A file path under the temp directory that is removed when the test ends.
class TempFile {
  public:
    TempFile() {
        static std::atomic<int> counter{0};
        path_ =
            std::filesystem::temp_directory_path() /
            ("hivescope-clients-" + std::to_string(::getpid()) + "-" + std::to_string(counter++)) /
            "clients.json";
    }
    ~TempFile() {
        std::error_code ignored;
        std::filesystem::remove_all(path_.parent_path(), ignored);
    }
    TempFile(const TempFile&) = delete;
    TempFile& operator=(const TempFile&) = delete;

    [[nodiscard]] const std::filesystem::path& path() const { return path_; }
    void write(const std::string& text) const {
        std::filesystem::create_directories(path_.parent_path());
        std::ofstream(path_, std::ios::binary) << text;
    }
    [[nodiscard]] std::string read() const {
        std::ifstream in(path_, std::ios::binary);
        std::ostringstream buffer;
        buffer << in.rdbuf();
        return buffer.str();
    }

  private:
    std::filesystem::path path_;
};

ClientRecord record(std::string key, std::string name = "sat") {
    ClientRecord r;
    r.api_key = std::move(key);
    r.name = std::move(name);
    return r;
}

// A file as hivemind-core 4.0.x writes it (json.dumps(indent=4, ensure_ascii=False) of a dict
// keyed by str(client_id)), with a deleted client (the reference tombstone) in the middle.
constexpr const char* reference_file = R"({
    "1": {
        "client_id": 1,
        "api_key": "5bfa5ad5cb9b4e4a0f6d02b1c0a4e6b7",
        "name": "kitchen-sat",
        "description": "küche",
        "is_admin": false,
        "last_seen": 1711190000.123,
        "intent_blacklist": ["weather.intent"],
        "skill_blacklist": [],
        "message_blacklist": ["speak"],
        "allowed_types": [
            "recognizer_loop:utterance",
            "recognizer_loop:record_begin"
        ],
        "crypto_key": "6e9941b0ef4a9ef0",
        "password": "test-password-123",
        "can_broadcast": true,
        "can_escalate": false,
        "can_propagate": true
    },
    "2": {
        "client_id": 2,
        "api_key": "revoked",
        "name": "",
        "description": "",
        "is_admin": false,
        "last_seen": -1,
        "intent_blacklist": [],
        "skill_blacklist": [],
        "message_blacklist": [],
        "allowed_types": ["recognizer_loop:utterance"],
        "crypto_key": null,
        "password": null,
        "can_broadcast": true,
        "can_escalate": true,
        "can_propagate": true,
        "metadata": {}
    },
    "3": {
        "client_id": 3,
        "api_key": "admin-key",
        "name": "admin",
        "description": "",
        "is_admin": true,
        "last_seen": -1,
        "intent_blacklist": [],
        "skill_blacklist": [],
        "message_blacklist": [],
        "allowed_types": [],
        "crypto_key": null,
        "password": null,
        "can_broadcast": false,
        "can_escalate": true,
        "can_propagate": true,
        "metadata": {"note": "x"}
    }
}
)";

} // namespace

TEST_CASE("a new record has the B.4 defaults and gets the next id", "[node][database]") {
    InMemoryClientDatabase db;
    const ClientRecord first = db.add(record("key-1"));
    CHECK(first.client_id == 1);
    CHECK_FALSE(first.is_admin);
    CHECK(first.allowed_types.empty());
    CHECK(first.message_blacklist.empty());
    CHECK(first.skill_blacklist.empty());
    CHECK(first.intent_blacklist.empty());
    CHECK(first.can_broadcast);
    CHECK(first.can_propagate);
    CHECK(first.can_escalate);
    CHECK_FALSE(first.password.has_value());
    CHECK_FALSE(first.crypto_key.has_value());
    CHECK(first.metadata == Json::object());
    CHECK(first.last_seen == -1);
    CHECK_FALSE(first.revoked);

    ClientRecord ignored_id = record("key-2");
    ignored_id.client_id = 77; // the database assigns ids
    CHECK(db.add(ignored_id).client_id == 2);
    REQUIRE(db.find_by_key("key-2").has_value());
    CHECK(db.find_by_key("key-2")->client_id == 2);
    CHECK(db.find_by_id(1)->api_key == "key-1");
    CHECK_FALSE(db.find_by_key("nobody").has_value());
    CHECK(db.all().size() == 2);
}

TEST_CASE("ids are never reused after a delete", "[node][database]") {
    InMemoryClientDatabase db;
    db.add(record("a"));
    const int second = db.add(record("b")).client_id;
    CHECK(db.remove(second));
    CHECK_FALSE(db.remove(second));
    CHECK_FALSE(db.find_by_id(second).has_value());
    CHECK_FALSE(db.find_by_key("b").has_value());
    // The deleted record was the newest; its id still is not handed out again.
    CHECK(db.add(record("c")).client_id == 3);
    // Nor can its key come back to life by accident.
    CHECK(db.add(record("b")).client_id == 4);
    CHECK(db.deleted_ids() == std::set<int>{2});
    std::vector<int> ids;
    for (const auto& r : db.all())
        ids.push_back(r.client_id);
    CHECK(ids == std::vector<int>{1, 3, 4});
}

TEST_CASE("a revoked record is kept and listed but never found by key", "[node][database]") {
    InMemoryClientDatabase db;
    const int id = db.add(record("secret")).client_id;
    const auto before = db.revision();
    CHECK(db.revoke(id));
    CHECK(db.revision() > before);
    CHECK_FALSE(db.find_by_key("secret").has_value());
    REQUIRE(db.find_by_id(id).has_value());
    CHECK(db.find_by_id(id)->revoked);
    CHECK(db.all().size() == 1);
    CHECK_FALSE(db.revoke(99));
    // update() replaces every field, so it may also lift a revocation deliberately.
    ClientRecord restored = *db.find_by_id(id);
    restored.revoked = false;
    db.update(restored);
    CHECK(db.find_by_key("secret").has_value());
}

TEST_CASE("the literal key `revoked` never authenticates", "[node][database]") {
    InMemoryClientDatabase db;
    CHECK_THROWS_AS(db.add(record("revoked")), ProtocolError);
    CHECK_FALSE(db.find_by_key("revoked").has_value());

    TempFile file;
    file.write(reference_file);
    const JsonFileClientDatabase from_file(file.path());
    // Row 2 is a reference tombstone whose stored key is literally "revoked".
    CHECK_FALSE(from_file.find_by_key("revoked").has_value());
    CHECK_FALSE(from_file.find_by_id(2).has_value());
}

TEST_CASE("add and update validate keys and the pre-shared key length", "[node][database]") {
    InMemoryClientDatabase db;
    CHECK_THROWS_AS(db.add(record("")), ProtocolError);
    ClientRecord short_key = record("k1");
    short_key.crypto_key = "tooshort";
    CHECK_THROWS_AS(db.add(short_key), ProtocolError);
    ClientRecord good = record("k1");
    good.crypto_key = "0123456789abcdef";
    const ClientRecord stored = db.add(good);
    // 16 characters, not 16 bytes: Python counts code points.
    ClientRecord unicode = record("k2");
    unicode.crypto_key = "ääääääääääääääää";
    CHECK_NOTHROW(db.add(unicode));
    CHECK_THROWS_AS(db.add(record("k1")), ProtocolError); // key already in use

    ClientRecord renamed = stored;
    renamed.name = "renamed";
    renamed.allowed_types = {"speak"};
    db.update(renamed);
    CHECK(db.find_by_key("k1")->name == "renamed");
    CHECK(db.find_by_key("k1")->allowed_types == std::vector<std::string>{"speak"});
    ClientRecord unknown = record("k9");
    unknown.client_id = 42;
    CHECK_THROWS_AS(db.update(unknown), ProtocolError);
    ClientRecord steal = *db.find_by_key("k2");
    steal.api_key = "k1";
    CHECK_THROWS_AS(db.update(steal), ProtocolError);
}

TEST_CASE("a hivemind-core client file loads with every field", "[node][database][json]") {
    TempFile file;
    file.write(reference_file);
    const JsonFileClientDatabase db(file.path());

    const auto sat = db.find_by_key("5bfa5ad5cb9b4e4a0f6d02b1c0a4e6b7");
    REQUIRE(sat.has_value());
    CHECK(sat->client_id == 1);
    CHECK(sat->name == "kitchen-sat");
    CHECK(sat->description == "küche");
    CHECK(sat->last_seen == 1711190000.123);
    CHECK(sat->intent_blacklist == std::vector<std::string>{"weather.intent"});
    CHECK(sat->message_blacklist == std::vector<std::string>{"speak"});
    CHECK(sat->allowed_types ==
          std::vector<std::string>{"recognizer_loop:utterance", "recognizer_loop:record_begin"});
    CHECK(sat->crypto_key == "6e9941b0ef4a9ef0");
    CHECK(sat->password == "test-password-123");
    CHECK_FALSE(sat->can_escalate);
    CHECK(sat->metadata == Json::object()); // 4.0.x rows have no metadata key

    const auto admin = db.find_by_key("admin-key");
    REQUIRE(admin.has_value());
    CHECK(admin->is_admin);
    CHECK_FALSE(admin->can_broadcast);
    CHECK(admin->allowed_types.empty());
    CHECK(admin->metadata == Json::parse(R"({"note": "x"})"));

    CHECK(db.all().size() == 2);
    CHECK(db.deleted_ids() == std::set<int>{2});
}

TEST_CASE("the file is rewritten on every change in the reference layout",
          "[node][database][json]") {
    TempFile file;
    {
        JsonFileClientDatabase db(file.path());
        CHECK_FALSE(std::filesystem::exists(file.path())); // nothing written before a change
        ClientRecord r = record("k", "näme");
        r.allowed_types = {"speak", "recognizer_loop:utterance"};
        db.add(r);
        CHECK(file.read() == R"({
    "1": {
        "client_id": 1,
        "api_key": "k",
        "name": "näme",
        "description": "",
        "is_admin": false,
        "last_seen": -1,
        "intent_blacklist": [],
        "skill_blacklist": [],
        "message_blacklist": [],
        "allowed_types": [
            "speak",
            "recognizer_loop:utterance"
        ],
        "crypto_key": null,
        "password": null,
        "can_broadcast": true,
        "can_escalate": true,
        "can_propagate": true,
        "metadata": {}
    }
})");
        db.add(record("k2"));
        db.remove(1);
        db.add(record("k3"));
        db.revoke(3);
    }
    const std::string text = file.read();
    // The deleted row is the reference tombstone; the revoked one keeps its key aside.
    const Json parsed = Json::parse(text);
    CHECK(parsed.find("1")->get_string("api_key") == "revoked");
    CHECK(parsed.find("3")->get_string("api_key") == "revoked");
    CHECK(parsed.find("3")->find("metadata")->get_string("revoked_api_key") == "k3");

    const JsonFileClientDatabase reloaded(file.path());
    CHECK_FALSE(reloaded.find_by_id(1).has_value());
    CHECK(reloaded.find_by_key("k2")->client_id == 2);
    REQUIRE(reloaded.find_by_id(3).has_value());
    CHECK(reloaded.find_by_id(3)->revoked);
    CHECK(reloaded.find_by_id(3)->api_key == "k3");
    CHECK(reloaded.find_by_id(3)->metadata == Json::object());
    CHECK_FALSE(reloaded.find_by_key("k3").has_value());
    CHECK(reloaded.to_file_text() == text);
}

TEST_CASE("touch sets last_seen without an ACL revision, and the file follows",
          "[node][database][json]") {
    TempFile file;
    JsonFileClientDatabase db(file.path());
    const int id = db.add(record("k")).client_id;
    const auto revision = db.revision();
    CHECK(db.touch(id, 12.5));
    CHECK(db.find_by_id(id)->last_seen == 12.5);
    CHECK(db.revision() == revision);
    CHECK(Json::parse(file.read()).find("1")->find("last_seen")->as_double() == 12.5);
    CHECK_FALSE(db.touch(id + 1, 1.0));
    db.remove(id);
    CHECK_FALSE(db.touch(id, 13.0));
}

namespace {
// A store of the user's own, with no touch of its own: the default goes through update().
class DelegatingDatabase final : public hivescope::node::ClientDatabase {
  public:
    ClientRecord add(ClientRecord r) override { return inner.add(std::move(r)); }
    void update(const ClientRecord& r) override {
        ++updates;
        inner.update(r);
    }
    bool remove(int id) override { return inner.remove(id); }
    bool revoke(int id) override { return inner.revoke(id); }
    std::optional<ClientRecord> find_by_key(std::string_view key) const override {
        return inner.find_by_key(key);
    }
    std::optional<ClientRecord> find_by_id(int id) const override { return inner.find_by_id(id); }
    std::vector<ClientRecord> all() const override { return inner.all(); }
    std::uint64_t revision() const noexcept override { return inner.revision(); }

    InMemoryClientDatabase inner;
    int updates = 0;
};
} // namespace

TEST_CASE("touch on a store without its own goes through update", "[node][database]") {
    DelegatingDatabase db;
    const int id = db.add(record("k")).client_id;
    CHECK(db.touch(id, 3.25));
    CHECK(db.updates == 1);
    CHECK(db.find_by_id(id)->last_seen == 3.25);
    CHECK_FALSE(db.touch(id + 7, 1.0));
    CHECK(db.updates == 1);
}

TEST_CASE("ids stay unique across reloads of a file with tombstones", "[node][database][json]") {
    TempFile file;
    file.write(reference_file);
    JsonFileClientDatabase db(file.path());
    CHECK(db.add(record("new")).client_id == 4);
    db.remove(4);
    const JsonFileClientDatabase again(file.path());
    JsonFileClientDatabase third(file.path());
    CHECK(third.add(record("newer")).client_id == 5);
    CHECK(again.deleted_ids() == std::set<int>{2, 4});
}

TEST_CASE("older reference layouts load", "[node][database][json]") {
    SECTION("the legacy blacklist object and unknown keys") {
        TempFile file;
        file.write(R"({"1": {"client_id": 1, "api_key": "k", "name": "n",
            "blacklist": {"messages": ["speak"], "skills": ["s1"], "intents": ["i1"]},
            "node_type": "satellite"}})");
        const JsonFileClientDatabase db(file.path());
        const auto r = db.find_by_key("k");
        REQUIRE(r.has_value());
        CHECK(r->message_blacklist == std::vector<std::string>{"speak"});
        CHECK(r->skill_blacklist == std::vector<std::string>{"s1"});
        CHECK(r->intent_blacklist == std::vector<std::string>{"i1"});
        CHECK(r->metadata == Json::parse(R"({"node_type": "satellite"})"));
    }
    SECTION("schema v2 blacklists folded into metadata") {
        TempFile file;
        file.write(R"({"1": {"client_id": 1, "api_key": "k",
            "metadata": {"skill_blacklist": ["s1"], "intent_blacklist": ["i1"]}}})");
        const JsonFileClientDatabase db(file.path());
        CHECK(db.find_by_key("k")->skill_blacklist == std::vector<std::string>{"s1"});
        CHECK(db.find_by_key("k")->intent_blacklist == std::vector<std::string>{"i1"});
    }
    SECTION("the pre-4.0 list of clients, with a client_id -1 delete") {
        TempFile file;
        file.write(R"({"clients": [
            {"client_id": 1, "api_key": "a", "name": "one"},
            {"client_id": -1, "api_key": "revoked"},
            {"client_id": 3, "api_key": "c", "is_admin": true}]})");
        JsonFileClientDatabase db(file.path());
        CHECK(db.find_by_key("a")->name == "one");
        CHECK(db.find_by_key("c")->is_admin);
        CHECK(db.all().size() == 2);
        CHECK(db.add(record("d")).client_id == 4);
    }
    SECTION("an empty file") {
        TempFile file;
        file.write("\n");
        const JsonFileClientDatabase db(file.path());
        CHECK(db.all().empty());
    }
}

TEST_CASE("a malformed client file is a typed error naming the problem", "[node][database][json]") {
    const auto check = [](const std::string& text, ErrorCode code, const std::string& needle) {
        TempFile file;
        file.write(text);
        INFO(text);
        try {
            JsonFileClientDatabase db(file.path());
            FAIL("no error");
        } catch (const ClientDatabaseError& error) {
            CHECK(error.code() == code);
            CHECK(error.path() == file.path());
            CHECK_THAT(error.what(), Catch::Matchers::Contains(needle));
        }
    };
    check("{not json", ErrorCode::malformed_json, "is not JSON");
    check("[1, 2]", ErrorCode::malformed_json, "keyed by client id");
    check(R"({"1": 5})", ErrorCode::invalid_field, "record \"1\": must be a JSON object");
    check(R"({"1": {"api_key": "k"}})", ErrorCode::invalid_field,
          "\"client_id\" must be an integer");
    check(R"({"1": {"client_id": 1}})", ErrorCode::invalid_field, "\"api_key\" must be a string");
    check(R"({"2": {"client_id": 1, "api_key": "k"}})", ErrorCode::invalid_field,
          "key does not match its client_id 1");
    check(R"({"1": {"client_id": 1, "api_key": "k", "allowed_types": "speak"}})",
          ErrorCode::invalid_field, "\"allowed_types\" must be an array of strings");
    check(R"({"1": {"client_id": 1, "api_key": "k", "allowed_types": [1]}})",
          ErrorCode::invalid_field, "\"allowed_types\" must be an array of strings");
    check(R"({"1": {"client_id": 1, "api_key": "k", "is_admin": "yes"}})", ErrorCode::invalid_field,
          "\"is_admin\" must be true or false");
    check(R"({"1": {"client_id": 1, "api_key": "k", "crypto_key": "short"}})",
          ErrorCode::invalid_field, "\"crypto_key\" must be exactly 16 characters, got 5");
    check(R"({"1": {"client_id": 1, "api_key": "k", "metadata": []}})", ErrorCode::invalid_field,
          "\"metadata\" must be an object");
    check(R"({"0": {"client_id": 0, "api_key": "k"}})", ErrorCode::invalid_field,
          "\"client_id\" must be positive");
    check(R"({"1": {"client_id": 1, "api_key": "k", "last_seen": "now"}})",
          ErrorCode::invalid_field, "\"last_seen\" must be a number");
}
