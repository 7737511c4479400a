#pragma once
// The payloads of the handshake frames (protocol.md A.12.1–A.12.2) as typed structs, the
// connection authorization string (A.11) and the pre-shared key (A.12.6).
//
// `to_json()` emits the fields in the reference's order, because Python peers and the golden
// transcripts compare text. `from_json()` is tolerant as the reference is: every field may be
// absent (a JSON null counts as absent), and only a value of the wrong type is refused, with
// ProtocolError(invalid_field) naming the field.

#include "hivescope/protocol/bytes.hpp"
#include "hivescope/protocol/json.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hivescope::protocol {

/// B.14 close reason for a missing, undecodable or malformed authorization.
inline constexpr std::string_view reason_invalid_authorization = "invalid authorization";
/// B.14 close reason for a failed handshake (wrong proof, bad envelope, no usable branch).
inline constexpr std::string_view reason_handshake_failed = "handshake failed";

/// The protocol's default encoding, used when none was negotiated (A.10.1).
inline constexpr std::string_view default_encoding_name = "JSON-HEX";
/// The protocol's default cipher, used when none was negotiated (A.10.1).
inline constexpr std::string_view default_cipher_name = "AES-GCM";

/// Frame 1, master → satellite: `hello` with `pubkey`, `peer`, `node_id`.
struct ServerHello {
    std::optional<std::string> pubkey;  ///< the master's RSA key, SubjectPublicKeyInfo PEM
    std::optional<std::string> peer;    ///< the satellite's peer id as the master sees it
    std::optional<std::string> node_id; ///< the master's node id

    /// `{"pubkey", "peer", "node_id"}`; an absent value is written as null.
    [[nodiscard]] Json to_json() const;
    /// Reads a HELLO payload; throws ProtocolError(invalid_field) for a non-object payload or a
    /// non-string field.
    [[nodiscard]] static ServerHello from_json(const Json& payload);

    friend bool operator==(const ServerHello&, const ServerHello&) = default;
};

/// Frame 2, master → satellite: the `shake` request (no `envelope`).
struct HandshakeRequest {
    bool handshake = false;             ///< record has no pre-shared key and handshakes are on
    int min_protocol_version = 0;       ///< advertised minimum (B.3)
    int max_protocol_version = 2;       ///< advertised maximum (B.3)
    bool binarize = false;              ///< the master's binarize setting
    bool preshared_key = false;         ///< the record has a pre-shared key
    bool password = false;              ///< the record has a password
    bool crypto_required = true;        ///< `require_crypto`
    std::vector<std::string> encodings; ///< allowed encodings, wire names, master's order
    std::vector<std::string> ciphers;   ///< allowed ciphers, wire names, master's order

    /// The nine fields in A.12.1 order.
    [[nodiscard]] Json to_json() const;
    /// Reads a request payload; absent fields keep the defaults above. Throws
    /// ProtocolError(invalid_field) for a wrong type or a version outside the int range.
    [[nodiscard]] static HandshakeRequest from_json(const Json& payload);

    friend bool operator==(const HandshakeRequest&, const HandshakeRequest&) = default;
};

/// Frame 3, satellite → master: the client `shake`.
struct ClientHandshake {
    bool binarize = false;               ///< echoes the master's flag
    std::vector<std::string> encodings;  ///< proposed encodings, preference order
    std::vector<std::string> ciphers;    ///< proposed ciphers, preference order
    std::optional<std::string> envelope; ///< password branch: the client's hsub
    std::optional<std::string> pubkey;   ///< RSA branch: the client's SubjectPublicKeyInfo PEM

    /// `binarize`, `encodings`, `ciphers`, then `envelope` and/or `pubkey` when present (the
    /// reference client's order).
    [[nodiscard]] Json to_json() const;
    /// Reads a client shake; throws ProtocolError(invalid_field) for a wrong type.
    [[nodiscard]] static ClientHandshake from_json(const Json& payload);

    /// The RSA branch is taken whenever `pubkey` is present, even next to an `envelope`.
    [[nodiscard]] bool is_rsa() const noexcept { return pubkey.has_value(); }
    /// The password branch: an `envelope` and no `pubkey`.
    [[nodiscard]] bool is_password() const noexcept { return envelope && !pubkey; }
    /// The proposed encodings, or `["JSON-HEX"]` when none were sent (A.10.1).
    [[nodiscard]] std::vector<std::string> effective_encodings() const;
    /// The proposed ciphers, or `["AES-GCM"]` when none were sent (A.10.1).
    [[nodiscard]] std::vector<std::string> effective_ciphers() const;

    friend bool operator==(const ClientHandshake&, const ClientHandshake&) = default;
};

/// Frame 4, master → satellite: the `shake` response.
struct HandshakeResponse {
    std::string envelope; ///< password hsub or RSA hex(sig ‖ ct); empty when absent on input
    std::string encoding = std::string(default_encoding_name); ///< selected encoding
    std::string cipher = std::string(default_cipher_name);     ///< selected cipher

    /// `{"envelope", "encoding", "cipher"}`.
    [[nodiscard]] Json to_json() const;
    /// Reads a response; an absent, null or empty `encoding` / `cipher` means JSON-HEX /
    /// AES-GCM, as the reference client's `or` fallback does. Throws
    /// ProtocolError(invalid_field) for a wrong type.
    [[nodiscard]] static HandshakeResponse from_json(const Json& payload);

    friend bool operator==(const HandshakeResponse&, const HandshakeResponse&) = default;
};

/// Frame 5, satellite → master: the client `hello` (encrypted once a key exists).
struct ClientHello {
    std::optional<std::string> pubkey;  ///< the satellite's RSA PEM; null when it has none
    Json session;                       ///< OVOS session object, or null when absent
    std::optional<std::string> site_id; ///< the satellite's site

    /// A HELLO whose session is the minimal `{"session_id", "site_id"}` object.
    [[nodiscard]] static ClientHello make(std::optional<std::string> pubkey, std::string session_id,
                                          std::string site_id);

    /// `{"pubkey", "session", "site_id"}`; absent values are written as null.
    [[nodiscard]] Json to_json() const;
    /// Reads a client HELLO; throws ProtocolError(invalid_field) when `pubkey` or `site_id` is
    /// not a string, `session` is not an object, or its `session_id` / `site_id` is not a
    /// string.
    [[nodiscard]] static ClientHello from_json(const Json& payload);

    /// `session.session_id`, or `"default"` when there is no session or no id (A.12.2).
    [[nodiscard]] std::string session_id() const;

    friend bool operator==(const ClientHello&, const ClientHello&) = default;
};

/// A `shake` payload with an `envelope` is a response; without one, a request (A.12.1).
[[nodiscard]] bool is_handshake_response(const Json& payload) noexcept;

// --- Connection authorization (A.11) -------------------------------------------------------------

/// The two halves of the authorization string.
struct Authorization {
    std::string useragent;  ///< the reference client's name, or our satellite's node id
    std::string access_key; ///< the client record's api key (may be empty: unknown key later)

    friend bool operator==(const Authorization&, const Authorization&) = default;
};

/// Standard base64 with `=` of `useragent:access_key`, the `authorization` query value. Throws
/// ProtocolError(invalid_argument) for an empty useragent or a `:` in either part, which the
/// master could not parse back.
[[nodiscard]] std::string make_authorization(std::string_view useragent,
                                             std::string_view access_key);
/// Decodes an `authorization` value: strict standard base64 with padding, UTF-8, split on the
/// first `:`. Throws ProtocolError(auth_failed) whose detail starts "invalid authorization"
/// (the B.14 reason) when it is empty, longer than 4096 characters, not base64, not UTF-8,
/// has no `:`, an empty useragent, or a second `:`.
[[nodiscard]] Authorization parse_authorization(std::string_view b64);
/// As parse_authorization, from an HTTP header value `Basic <b64>` (scheme case-insensitive),
/// optionally with the `Authorization:` name in front, as JavaScript clients send it.
[[nodiscard]] Authorization parse_authorization_header(std::string_view header);

// --- Pre-shared key (A.12.6) ---------------------------------------------------------------------

/// The AES-128 key of a record's `crypto_key`: its UTF-8 bytes, which must be exactly 16.
/// Throws ProtocolError(bad_key) otherwise (e.g. a 16-character key with non-ASCII characters).
[[nodiscard]] Bytes preshared_key_bytes(std::string_view crypto_key);

} // namespace hivescope::protocol
