#pragma once
// One client connection as the master half sees it: credentials, the cached record, the session
// from its HELLO, and the link's framing and crypto state.

#include "hivescope/node/client_database.hpp"
#include "hivescope/node/link_protocol.hpp"
#include "hivescope/protocol/json.hpp"
#include "hivescope/record/shared_text.hpp"
#include "hivescope/sim/network.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace hivescope::node::detail {

/// The state of one accepted client connection.
struct MasterLink {
    std::shared_ptr<sim::Connection> connection;
    std::uint64_t link_id = 0;
    std::string useragent;
    std::string access_key;
    std::string record_name; ///< the record name at admission (part of the peer id)
    ClientRecord record;     ///< the last record read; refreshed when the database changes
    std::uint64_t record_revision = 0;
    bool has_psk = false; ///< the record's crypto_key keyed the link at accept (A.12.6)

    std::string session_id = "default";
    protocol::Json session = protocol::Json(protocol::JsonObject{{"session_id", "default"}});
    std::string site_id;
    std::optional<std::string> pubkey;

    /// B.5 step 4 merges the record's blacklists into the session of every BUS. A client sends
    /// the same session each time, so the last merge is kept (frozen, shared by the messages it
    /// went into) and reused while its inputs are unchanged.
    struct CompletedSession {
        protocol::Json input;
        std::vector<std::string> skill_blacklist;
        std::vector<std::string> intent_blacklist;
        protocol::Json completed;
    };
    std::optional<CompletedSession> last_completed_session;

    /// B.5 step 4 then rewrites the BUS context; a client sends the same context each time, so
    /// the last rewrite is kept (frozen, shared by the messages it went into) with everything it
    /// was made from, and reused while all of that is unchanged.
    struct RewrittenContext {
        protocol::Json received;  ///< the context as it arrived
        protocol::Json session;   ///< the completed session it got (compared by identity)
        record::SharedText peer;  ///< the peer id it names
        bool speak = false;       ///< a `speak` gets destination ["audio"]
        protocol::Json rewritten; ///< the result
    };
    std::optional<RewrittenContext> last_rewritten_context;

    bool registered = false;
    bool handshake_complete = false;
    bool closing = false;             ///< the master decided to close; ignore what still arrives
    int protocol_version = -1;        ///< classified on the first message (B.3)
    sim::EventId handshake_timer = 0; ///< closes the link unless a HELLO registers it first

    LinkProtocol link;
    /// Shared by every record and injection about this client (copies are reference counts).
    record::SharedText peer_id;

    /// `<useragent>::<client_id>::<record name>::<session_id>` (Part C).
    void refresh_peer_id() {
        peer_id = useragent + "::" + std::to_string(record.client_id) + "::" + record_name +
                  "::" + session_id;
    }
};

} // namespace hivescope::node::detail
