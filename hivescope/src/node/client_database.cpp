#include "hivescope/node/client_database.hpp"

#include "protocol/detail/json_strings.hpp"

#include <cstdio>
#include <fstream>
#include <limits>
#include <sstream>
#include <system_error>

namespace hivescope::node {

using protocol::ErrorCode;
using protocol::Json;
using protocol::JsonObject;
using protocol::ProtocolError;
using protocol::detail::nullable_string;
using protocol::detail::string_array;

namespace {

// Characters as Python counts them (code points), so a 16-character key with non-ASCII letters
// is judged as the reference judges it.
std::size_t utf8_length(std::string_view text) {
    std::size_t count = 0;
    for (const char c : text)
        if ((static_cast<unsigned char>(c) & 0xC0U) != 0x80U)
            ++count;
    return count;
}

constexpr std::string_view revoked_key_field = "revoked_api_key";

} // namespace

ClientDatabaseError::ClientDatabaseError(ErrorCode code, std::filesystem::path path,
                                         const std::string& detail)
    : ProtocolError(code, "client database " + path.string() + ": " + detail),
      path_(std::move(path)) {}

// ---- InMemoryClientDatabase ---------------------------------------------------------------------

void InMemoryClientDatabase::validate(const ClientRecord& record, int ignore_id) const {
    if (record.api_key.empty())
        throw ProtocolError(ErrorCode::invalid_argument, "a client record needs an access key");
    if (record.api_key == revoked_api_key)
        throw ProtocolError(ErrorCode::invalid_argument,
                            "the access key \"revoked\" is reserved: it never authenticates");
    if (record.crypto_key && utf8_length(*record.crypto_key) != crypto_key_length)
        throw ProtocolError(ErrorCode::invalid_argument,
                            "crypto_key must be exactly 16 characters, got " +
                                std::to_string(utf8_length(*record.crypto_key)));
    if (!record.metadata.is_object())
        throw ProtocolError(ErrorCode::invalid_argument, "client metadata must be a JSON object");
    const auto other = by_key_.find(record.api_key);
    if (other != by_key_.end() && other->second != ignore_id)
        throw ProtocolError(ErrorCode::invalid_argument, "client " + std::to_string(other->second) +
                                                             " already uses this access key");
}

ClientRecord InMemoryClientDatabase::add(ClientRecord record) {
    validate(record, 0);
    record.client_id = ++last_id_;
    if (!record.revoked)
        by_key_.emplace(record.api_key, record.client_id);
    records_.emplace(record.client_id, record);
    ++revision_;
    changed();
    return record;
}

void InMemoryClientDatabase::update(const ClientRecord& record) {
    const auto it = records_.find(record.client_id);
    if (it == records_.end())
        throw ProtocolError(ErrorCode::invalid_argument,
                            "no client record with id " + std::to_string(record.client_id));
    validate(record, record.client_id);
    if (!it->second.revoked)
        by_key_.erase(it->second.api_key);
    it->second = record;
    if (!record.revoked)
        by_key_.emplace(record.api_key, record.client_id);
    ++revision_;
    changed();
}

bool ClientDatabase::touch(int client_id, double seconds) {
    auto record = find_by_id(client_id);
    if (!record)
        return false;
    record->last_seen = seconds;
    update(*record);
    return true;
}

bool InMemoryClientDatabase::touch(int client_id, double seconds) {
    const auto it = records_.find(client_id);
    if (it == records_.end())
        return false;
    it->second.last_seen = seconds;
    changed();
    return true;
}

bool InMemoryClientDatabase::remove(int client_id) {
    const auto it = records_.find(client_id);
    if (it == records_.end())
        return false;
    if (!it->second.revoked)
        by_key_.erase(it->second.api_key);
    records_.erase(it);
    deleted_.insert(client_id);
    ++revision_;
    changed();
    return true;
}

bool InMemoryClientDatabase::revoke(int client_id) {
    const auto it = records_.find(client_id);
    if (it == records_.end())
        return false;
    if (!it->second.revoked) {
        by_key_.erase(it->second.api_key);
        it->second.revoked = true;
        ++revision_;
        changed();
    }
    return true;
}

std::optional<ClientRecord> InMemoryClientDatabase::find_by_key(std::string_view api_key) const {
    if (api_key == revoked_api_key)
        return std::nullopt;
    const auto it = by_key_.find(api_key);
    if (it == by_key_.end())
        return std::nullopt;
    return records_.at(it->second);
}

std::optional<ClientRecord> InMemoryClientDatabase::find_by_id(int client_id) const {
    const auto it = records_.find(client_id);
    if (it == records_.end())
        return std::nullopt;
    return it->second;
}

std::vector<ClientRecord> InMemoryClientDatabase::all() const {
    std::vector<ClientRecord> out;
    out.reserve(records_.size());
    for (const auto& [id, record] : records_)
        out.push_back(record);
    return out;
}

void InMemoryClientDatabase::restore(ClientRecord record) {
    if (record.client_id > last_id_)
        last_id_ = record.client_id;
    // Python's search returns the first match in file order; keep the first holder of a key.
    if (!record.revoked && record.api_key != revoked_api_key)
        by_key_.emplace(record.api_key, record.client_id);
    records_[record.client_id] = std::move(record);
    ++revision_;
}

void InMemoryClientDatabase::reserve_ids_through(int id) noexcept {
    if (id > last_id_)
        last_id_ = id;
}

void InMemoryClientDatabase::restore_deleted(int client_id) {
    if (client_id > last_id_)
        last_id_ = client_id;
    deleted_.insert(client_id);
    ++revision_;
}

// ---- JSON file ----------------------------------------------------------------------------------

namespace {

// Python's json.dumps(indent=4, ensure_ascii=False): "," + newline between items, ": " after
// keys, empty containers as [] / {}.
void dump_indented(std::string& out, const Json& value, int depth) {
    const auto newline = [&out](int level) {
        out += '\n';
        out.append(static_cast<std::size_t>(level) * 4, ' ');
    };
    if (value.is_object()) {
        const auto& object = value.as_object();
        if (object.empty()) {
            out += "{}";
            return;
        }
        out += '{';
        bool first = true;
        for (const auto& [key, member] : object) {
            if (!first)
                out += ',';
            first = false;
            newline(depth + 1);
            protocol::append_json_string(out, key, protocol::JsonStyle::python);
            out += ": ";
            dump_indented(out, member, depth + 1);
        }
        newline(depth);
        out += '}';
        return;
    }
    if (value.is_array()) {
        const auto& array = value.as_array();
        if (array.empty()) {
            out += "[]";
            return;
        }
        out += '[';
        bool first = true;
        for (const auto& item : array) {
            if (!first)
                out += ',';
            first = false;
            newline(depth + 1);
            dump_indented(out, item, depth + 1);
        }
        newline(depth);
        out += ']';
        return;
    }
    value.dump_to(out, protocol::JsonStyle::python);
}

// The reference Client fields in dataclass order (what `client.__dict__` holds).
Json record_to_json(const ClientRecord& record) {
    JsonObject object;
    object.set("client_id", record.client_id);
    Json metadata = record.metadata.is_object() ? record.metadata : Json::object();
    if (record.revoked) {
        object.set("api_key", std::string(revoked_api_key));
        metadata.as_object().set(std::string(revoked_key_field), record.api_key);
    } else {
        object.set("api_key", record.api_key);
    }
    object.set("name", record.name);
    object.set("description", record.description);
    object.set("is_admin", record.is_admin);
    // The reference default is the int -1; real timestamps are floats.
    if (record.last_seen == -1)
        object.set("last_seen", -1);
    else
        object.set("last_seen", record.last_seen);
    object.set("intent_blacklist", string_array(record.intent_blacklist));
    object.set("skill_blacklist", string_array(record.skill_blacklist));
    object.set("message_blacklist", string_array(record.message_blacklist));
    object.set("allowed_types", string_array(record.allowed_types));
    object.set("crypto_key", nullable_string(record.crypto_key));
    object.set("password", nullable_string(record.password));
    object.set("can_broadcast", record.can_broadcast);
    object.set("can_escalate", record.can_escalate);
    object.set("can_propagate", record.can_propagate);
    object.set("metadata", std::move(metadata));
    return Json(std::move(object));
}

// The reference's tombstone: `Client(client_id=..., api_key="revoked")` with defaults.
Json tombstone_to_json(int client_id) {
    ClientRecord tombstone;
    tombstone.client_id = client_id;
    tombstone.api_key = std::string(revoked_api_key);
    return record_to_json(tombstone);
}

// Reads one record, naming the record and field in every error.
class RecordReader {
  public:
    RecordReader(const std::filesystem::path& path, std::string label, const Json& value)
        : path_(path), label_(std::move(label)), value_(value) {
        if (!value.is_object())
            fail("must be a JSON object, got " + std::string(to_string(value.kind())));
    }

    [[noreturn]] void fail(const std::string& problem) const {
        throw ClientDatabaseError(ErrorCode::invalid_field, path_,
                                  "record " + label_ + ": " + problem);
    }

    const Json* field(std::string_view key) const {
        const Json* found = value_.find(key);
        return found == nullptr || found->is_null() ? nullptr : found;
    }

    std::string string(std::string_view key, std::string fallback) const {
        const Json* found = field(key);
        if (found == nullptr)
            return fallback;
        if (!found->is_string())
            fail("\"" + std::string(key) + "\" must be a string");
        return found->as_string();
    }

    std::optional<std::string> optional(std::string_view key) const {
        const Json* found = field(key);
        if (found == nullptr)
            return std::nullopt;
        if (!found->is_string())
            fail("\"" + std::string(key) + "\" must be a string or null");
        return found->as_string();
    }

    bool boolean(std::string_view key, bool fallback) const {
        const Json* found = field(key);
        if (found == nullptr)
            return fallback;
        if (!found->is_bool())
            fail("\"" + std::string(key) + "\" must be true or false");
        return found->as_bool();
    }

    std::vector<std::string> list(const Json& value, const std::string& name) const {
        if (!value.is_array())
            fail("\"" + name + "\" must be an array of strings");
        std::vector<std::string> out;
        for (const auto& item : value.as_array()) {
            if (!item.is_string())
                fail("\"" + name + "\" must be an array of strings");
            out.push_back(item.as_string());
        }
        return out;
    }

    std::optional<std::vector<std::string>> list(std::string_view key) const {
        const Json* found = field(key);
        if (found == nullptr)
            return std::nullopt;
        return list(*found, std::string(key));
    }

  private:
    const std::filesystem::path& path_;
    std::string label_;
    const Json& value_;
};

constexpr std::string_view known_fields[] = {
    "client_id",        "api_key",         "name",
    "description",      "is_admin",        "last_seen",
    "intent_blacklist", "skill_blacklist", "message_blacklist",
    "allowed_types",    "crypto_key",      "password",
    "can_broadcast",    "can_escalate",    "can_propagate",
    "metadata",         "blacklist"};

bool is_known_field(std::string_view key) {
    for (const auto known : known_fields)
        if (known == key)
            return true;
    return false;
}

struct LoadedRecord {
    ClientRecord record;
    bool tombstone = false;
};

LoadedRecord read_record(const std::filesystem::path& path, const std::string& label,
                         const Json& value) {
    const RecordReader reader(path, label, value);
    ClientRecord record;

    const Json* id = reader.field("client_id");
    if (id == nullptr || !id->is_integer())
        reader.fail("\"client_id\" must be an integer");
    if (id->kind() != Json::Kind::integer || id->as_int() > std::numeric_limits<int>::max() ||
        id->as_int() < std::numeric_limits<int>::min())
        reader.fail("\"client_id\" is out of range");
    const std::int64_t id_value = id->as_int();
    record.client_id = static_cast<int>(id_value);

    const Json* key = reader.field("api_key");
    if (key == nullptr || !key->is_string())
        reader.fail("\"api_key\" must be a string");
    record.api_key = key->as_string();
    record.name = reader.string("name", "");
    record.description = reader.string("description", "");
    record.is_admin = reader.boolean("is_admin", false);
    if (const Json* seen = reader.field("last_seen")) {
        if (!seen->is_number())
            reader.fail("\"last_seen\" must be a number");
        record.last_seen = seen->as_double();
    }
    record.can_broadcast = reader.boolean("can_broadcast", true);
    record.can_escalate = reader.boolean("can_escalate", true);
    record.can_propagate = reader.boolean("can_propagate", true);
    record.password = reader.optional("password");
    record.crypto_key = reader.optional("crypto_key");
    if (record.crypto_key && utf8_length(*record.crypto_key) != crypto_key_length)
        reader.fail("\"crypto_key\" must be exactly 16 characters, got " +
                    std::to_string(utf8_length(*record.crypto_key)));
    if (auto types = reader.list("allowed_types"))
        record.allowed_types = std::move(*types);

    Json metadata = Json::object();
    if (const Json* found = reader.field("metadata")) {
        if (!found->is_object())
            reader.fail("\"metadata\" must be an object");
        metadata = *found;
    }

    // Blacklists: top-level keys (hivemind-core 4.x), else the legacy `blacklist` object, else
    // the plugin's schema-v2 copies in metadata.
    std::optional<std::vector<std::string>> intents = reader.list("intent_blacklist");
    std::optional<std::vector<std::string>> skills = reader.list("skill_blacklist");
    std::optional<std::vector<std::string>> messages = reader.list("message_blacklist");
    if (const Json* legacy = reader.field("blacklist")) {
        if (!legacy->is_object())
            reader.fail("\"blacklist\" must be an object");
        const auto take = [&](std::optional<std::vector<std::string>>& slot,
                              std::string_view legacy_key) {
            const Json* list = legacy->find(legacy_key);
            if (!slot && list != nullptr && !list->is_null())
                slot = reader.list(*list, "blacklist." + std::string(legacy_key));
        };
        take(messages, "messages");
        take(skills, "skills");
        take(intents, "intents");
    }
    const auto from_metadata = [&](std::optional<std::vector<std::string>>& slot,
                                   std::string_view meta_key) {
        const Json* list = metadata.find(meta_key);
        if (!slot && list != nullptr && list->is_array())
            slot = reader.list(*list, "metadata." + std::string(meta_key));
    };
    from_metadata(intents, "intent_blacklist");
    from_metadata(skills, "skill_blacklist");
    record.intent_blacklist = intents.value_or(std::vector<std::string>{});
    record.skill_blacklist = skills.value_or(std::vector<std::string>{});
    record.message_blacklist = messages.value_or(std::vector<std::string>{});

    // Unknown keys go into metadata without overwriting it, as Client.deserialize does.
    for (const auto& [name, member] : value.as_object())
        if (!is_known_field(name) && !metadata.as_object().contains(name))
            metadata.as_object().set(name, member);

    LoadedRecord loaded;
    if (record.api_key == revoked_api_key) {
        const Json* original = metadata.find(revoked_key_field);
        if (original != nullptr && original->is_string() && !original->as_string().empty()) {
            record.api_key = original->as_string();
            record.revoked = true;
            metadata.as_object().erase(revoked_key_field);
        } else {
            loaded.tombstone = true;
        }
    }
    record.metadata = std::move(metadata);
    loaded.record = std::move(record);
    return loaded;
}

} // namespace

JsonFileClientDatabase::JsonFileClientDatabase(std::filesystem::path path)
    : path_(std::move(path)) {
    load();
}

void JsonFileClientDatabase::load() {
    std::error_code exists_error;
    if (!std::filesystem::exists(path_, exists_error))
        return;
    std::ifstream in(path_, std::ios::binary);
    if (!in)
        throw ClientDatabaseError(ErrorCode::invalid_argument, path_, "cannot be opened");
    std::ostringstream buffer;
    buffer << in.rdbuf();
    const std::string text = buffer.str();
    if (text.find_first_not_of(" \t\r\n") == std::string::npos)
        return; // an empty file is an empty database

    Json root;
    try {
        root = Json::parse(text);
    } catch (const ProtocolError& error) {
        throw ClientDatabaseError(ErrorCode::malformed_json, path_,
                                  "is not JSON: " + error.detail());
    }
    if (!root.is_object())
        throw ClientDatabaseError(ErrorCode::malformed_json, path_,
                                  "must hold a JSON object keyed by client id, got " +
                                      std::string(to_string(root.kind())));

    std::size_t rows = 0;
    const auto keep = [&](LoadedRecord loaded) {
        ++rows;
        if (loaded.tombstone)
            restore_deleted(loaded.record.client_id);
        else
            restore(std::move(loaded.record));
    };

    const auto& object = root.as_object();
    const Json* legacy = object.find("clients");
    if (object.size() == 1 && legacy != nullptr && legacy->is_array()) {
        // json_database's JsonDatabase layout (hivemind-core before 4.0): a list of records.
        std::size_t index = 0;
        for (const auto& item : legacy->as_array()) {
            LoadedRecord loaded =
                read_record(path_, "clients[" + std::to_string(index++) + "]", item);
            // Old deletes wrote `client_id: -1`; such rows still counted towards len(db) + 1.
            if (loaded.record.client_id <= 0) {
                if (!loaded.tombstone)
                    throw ClientDatabaseError(ErrorCode::invalid_field, path_,
                                              "record clients[" + std::to_string(index - 1) +
                                                  "]: \"client_id\" must be positive");
                ++rows;
                continue;
            }
            keep(std::move(loaded));
        }
    } else {
        std::set<int> seen;
        for (const auto& [key, value] : object) {
            const std::string label = "\"" + key + "\"";
            LoadedRecord loaded = read_record(path_, label, value);
            if (key != std::to_string(loaded.record.client_id))
                throw ClientDatabaseError(ErrorCode::invalid_field, path_,
                                          "record " + label +
                                              ": key does not match its client_id " +
                                              std::to_string(loaded.record.client_id));
            if (loaded.record.client_id <= 0)
                throw ClientDatabaseError(ErrorCode::invalid_field, path_,
                                          "record " + label + ": \"client_id\" must be positive");
            if (!seen.insert(loaded.record.client_id).second)
                throw ClientDatabaseError(ErrorCode::invalid_field, path_,
                                          "record " + label + " appears twice");
            keep(std::move(loaded));
        }
    }
    // The reference numbers new clients len(db) + 1, so never hand out an id at or below the
    // number of rows either.
    if (rows > 0 && rows <= static_cast<std::size_t>(std::numeric_limits<int>::max()))
        reserve_ids_through(static_cast<int>(rows));
}

std::string JsonFileClientDatabase::to_file_text() const {
    // Ids in ascending order, tombstones in place, as the reference inserts them.
    std::map<int, Json> rows;
    for (const auto& record : all())
        rows.emplace(record.client_id, record_to_json(record));
    for (const int id : deleted_ids())
        rows.emplace(id, tombstone_to_json(id));
    JsonObject object;
    for (auto& [id, value] : rows)
        object.set(std::to_string(id), std::move(value));
    std::string out;
    dump_indented(out, Json(std::move(object)), 0);
    return out;
}

void JsonFileClientDatabase::changed() {
    const std::string text = to_file_text();
    std::error_code error;
    if (path_.has_parent_path())
        std::filesystem::create_directories(path_.parent_path(), error);
    std::filesystem::path temporary = path_;
    temporary += ".tmp";
    {
        std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
        if (!out)
            throw ClientDatabaseError(ErrorCode::invalid_argument, path_,
                                      "cannot be written (" + temporary.string() + ")");
        out << text;
        out.flush();
        if (!out)
            throw ClientDatabaseError(ErrorCode::invalid_argument, path_, "write failed");
    }
    std::filesystem::rename(temporary, path_, error);
    if (error)
        throw ClientDatabaseError(ErrorCode::invalid_argument, path_,
                                  "cannot replace the file: " + error.message());
}

} // namespace hivescope::node
