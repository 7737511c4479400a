#pragma once
// The client database of a master (protocol.md B.4): one record per access key, with the ACL a
// master reads on every decision. Two backends: in memory (the default for simulated hives) and
// a JSON file in the layout of the Python JSON database plugin (hivemind-core
// `$XDG_DATA_HOME/hivemind-core/clients.json`), so a real hivemind-core client file loads and a
// file we write loads in hivemind-core.
//
// Ids are monotonic and never reused: a deleted record leaves a tombstone behind, as the
// reference's `delete_item` does (it overwrites the record with `api_key: "revoked"`).

#include "hivescope/protocol/error.hpp"
#include "hivescope/protocol/json.hpp"

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace hivescope::node {

/// The access key that marks deleted rows in the reference database; it never authenticates.
inline constexpr std::string_view revoked_api_key = "revoked";
/// Length, in characters, of a pre-shared `crypto_key` (A.12.6).
inline constexpr std::size_t crypto_key_length = 16;

/// One client record (protocol.md B.4), with the reference's field names and defaults.
struct ClientRecord {
    int client_id = 0; ///< assigned by the database: monotonic, never reused
    std::string api_key;
    std::string name;
    std::string description;
    bool is_admin = false;
    /// OVOS types that may be injected on the client's behalf; empty denies everything (B.4).
    std::vector<std::string> allowed_types;
    std::vector<std::string> message_blacklist; ///< OVOS types never sent to the client
    std::vector<std::string> skill_blacklist;   ///< merged into injected sessions
    std::vector<std::string> intent_blacklist;  ///< merged into injected sessions
    bool can_broadcast = true;                  ///< only narrows an admin (B.4)
    bool can_propagate = true;
    bool can_escalate = true;
    std::optional<std::string> password;   ///< enables the password handshake
    std::optional<std::string> crypto_key; ///< pre-shared key: exactly 16 characters
    protocol::Json metadata = protocol::Json::object();
    double last_seen = -1; ///< seconds (virtual time in a simulation); -1 = never
    bool revoked = false;  ///< kept, listed, but never authenticates

    friend bool operator==(const ClientRecord&, const ClientRecord&) = default;
};

/// A database file that cannot be read, parsed or written; the message names the file and the
/// problem (e.g. `record "3": "allowed_types" must be an array of strings`).
class ClientDatabaseError : public protocol::ProtocolError {
  public:
    ClientDatabaseError(protocol::ErrorCode code, std::filesystem::path path,
                        const std::string& detail);
    /// The file concerned.
    [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }

  private:
    std::filesystem::path path_;
};

/// What a master needs from a client store.
class ClientDatabase {
  public:
    virtual ~ClientDatabase() = default;

    /// Stores `record` under a fresh id (its `client_id` is ignored) and returns it with the id.
    /// Throws ProtocolError(invalid_argument) for an empty or reserved (`revoked`) key, a key
    /// that a live record already uses, or a `crypto_key` that is not exactly 16 characters.
    virtual ClientRecord add(ClientRecord record) = 0;
    /// Replaces every field of the live record with `record.client_id`. Throws
    /// ProtocolError(invalid_argument) for an unknown or deleted id, or as `add` validates.
    virtual void update(const ClientRecord& record) = 0;
    /// Deletes a record, leaving a tombstone so the id is never reused; false if unknown.
    virtual bool remove(int client_id) = 0;
    /// Marks a record revoked (kept and listed, never authenticates); false if unknown.
    virtual bool revoke(int client_id) = 0;
    /// Sets `last_seen` of a record to `seconds`, as a master does after every message it
    /// handles (hivemind-core's `update_last_seen`); false if the id is unknown or deleted.
    /// The default goes through `update`; backends override it to skip the ACL bookkeeping,
    /// since the time a client was last seen changes no decision.
    virtual bool touch(int client_id, double seconds);

    /// The live, unrevoked record with this access key. The literal key `revoked` never
    /// matches anything.
    [[nodiscard]] virtual std::optional<ClientRecord>
    find_by_key(std::string_view api_key) const = 0;
    /// The record with this id, revoked or not; nullopt when unknown or deleted.
    [[nodiscard]] virtual std::optional<ClientRecord> find_by_id(int client_id) const = 0;
    /// Every record that is not deleted, in id order.
    [[nodiscard]] virtual std::vector<ClientRecord> all() const = 0;
    /// Bumped by every change, so a master can cache a record and re-read it only when needed.
    [[nodiscard]] virtual std::uint64_t revision() const noexcept = 0;
};

/// The default store: everything in memory.
class InMemoryClientDatabase : public ClientDatabase {
  public:
    ClientRecord add(ClientRecord record) override;
    void update(const ClientRecord& record) override;
    bool remove(int client_id) override;
    bool revoke(int client_id) override;
    /// Leaves `revision()` as it is: masters keep their cached ACL (the file is still rewritten).
    bool touch(int client_id, double seconds) override;
    [[nodiscard]] std::optional<ClientRecord> find_by_key(std::string_view api_key) const override;
    [[nodiscard]] std::optional<ClientRecord> find_by_id(int client_id) const override;
    [[nodiscard]] std::vector<ClientRecord> all() const override;
    [[nodiscard]] std::uint64_t revision() const noexcept override { return revision_; }

    /// Ids of deleted records (tombstones), in order.
    [[nodiscard]] const std::set<int>& deleted_ids() const noexcept { return deleted_; }

  protected:
    /// Runs after every successful change (the file backend writes here).
    virtual void changed() {}
    /// Loads a record as stored (id kept), for backends that restore state.
    void restore(ClientRecord record);
    /// Loads a tombstone for `client_id`.
    void restore_deleted(int client_id);
    /// Makes sure the next id handed out is above `id`.
    void reserve_ids_through(int id) noexcept;

  private:
    void validate(const ClientRecord& record, int ignore_id) const;

    std::map<int, ClientRecord> records_;
    std::map<std::string, int, std::less<>> by_key_; // live, unrevoked records only
    std::set<int> deleted_;
    int last_id_ = 0;
    std::uint64_t revision_ = 0;
};

/// A store backed by a JSON file in the hivemind-core layout: an object keyed by the decimal
/// client id, each value the reference `Client` fields in dataclass order (`client_id`,
/// `api_key`, `name`, `description`, `is_admin`, `last_seen`, `intent_blacklist`,
/// `skill_blacklist`, `message_blacklist`, `allowed_types`, `crypto_key`, `password`,
/// `can_broadcast`, `can_escalate`, `can_propagate`, `metadata`), written with Python's
/// `json.dumps(indent=4, ensure_ascii=False)` layout. The file is rewritten (atomically, via a
/// temporary file) after every change.
///
/// On load it also accepts the older layouts the reference wrote: the legacy `blacklist`
/// object (`messages` / `skills` / `intents`), blacklists folded into `metadata` (plugin schema
/// v2), unknown record keys (folded into `metadata`, as `Client.deserialize` does) and the
/// pre-4.0 `{"clients": [...]}` list. A deleted record is the reference tombstone
/// (`api_key: "revoked"`); a revoked one is written the same way so Python masters refuse it
/// too, with the original key kept in `metadata.revoked_api_key` so we can tell them apart.
class JsonFileClientDatabase final : public InMemoryClientDatabase {
  public:
    /// Opens `path`; a missing file is an empty database (created on the first change). Throws
    /// ClientDatabaseError for an unreadable or malformed file.
    explicit JsonFileClientDatabase(std::filesystem::path path);

    [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }

    /// The file text for the current state (what `changed()` writes).
    [[nodiscard]] std::string to_file_text() const;

  protected:
    void changed() override;

  private:
    void load();

    std::filesystem::path path_;
};

} // namespace hivescope::node
