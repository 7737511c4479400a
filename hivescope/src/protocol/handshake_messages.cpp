#include "hivescope/protocol/handshake_messages.hpp"

#include "hivescope/protocol/error.hpp"
#include "protocol/detail/json_strings.hpp"
#include "protocol/detail/trim.hpp"

#include <openssl/evp.h>
#include <simdjson.h>

#include <algorithm>
#include <climits>
#include <limits>

namespace hivescope::protocol {

namespace {

/// Longest authorization value we decode; real ones are well under 200 characters.
constexpr std::size_t max_authorization_chars = 4096;
/// AES-128 key length of a pre-shared key.
constexpr std::size_t preshared_key_size = 16;

/// Reads the fields of one payload, naming it in every error.
class FieldReader {
  public:
    FieldReader(const Json& payload, std::string_view what) : what_(what) {
        if (!payload.is_object())
            throw ProtocolError(ErrorCode::invalid_field,
                                std::string(what_) + " payload must be an object, got " +
                                    std::string(to_string(payload.kind())));
        object_ = &payload.as_object();
    }

    /// The value under `key`, or nullptr when absent or null.
    [[nodiscard]] const Json* get(std::string_view key) const {
        const Json* value = object_->find(key);
        return value == nullptr || value->is_null() ? nullptr : value;
    }

    [[nodiscard]] bool has(std::string_view key) const { return get(key) != nullptr; }

    void read(std::string_view key, bool& out) const {
        if (const Json* value = get(key)) {
            if (!value->is_bool())
                wrong_type(key, "a boolean", *value);
            out = value->as_bool();
        }
    }

    void read(std::string_view key, int& out) const {
        if (const Json* value = get(key)) {
            if (!value->is_integer())
                wrong_type(key, "an integer", *value);
            if (value->kind() == Json::Kind::unsigned_integer ||
                value->as_int() < std::numeric_limits<int>::min() ||
                value->as_int() > std::numeric_limits<int>::max())
                throw ProtocolError(ErrorCode::invalid_field, std::string(what_) + " field '" +
                                                                  std::string(key) +
                                                                  "' is out of range");
            out = static_cast<int>(value->as_int());
        }
    }

    void read(std::string_view key, std::optional<std::string>& out) const {
        if (const Json* value = get(key)) {
            if (!value->is_string())
                wrong_type(key, "a string", *value);
            out = value->as_string();
        }
    }

    void read(std::string_view key, std::string& out) const {
        std::optional<std::string> value;
        read(key, value);
        if (value)
            out = std::move(*value);
    }

    void read(std::string_view key, std::vector<std::string>& out) const {
        if (const Json* value = get(key)) {
            if (!value->is_array())
                wrong_type(key, "a list of strings", *value);
            std::vector<std::string> items;
            items.reserve(value->as_array().size());
            for (const Json& item : value->as_array()) {
                if (!item.is_string())
                    wrong_type(key, "a list of strings", item);
                items.push_back(item.as_string());
            }
            out = std::move(items);
        }
    }

    [[noreturn]] void wrong_type(std::string_view key, std::string_view expected,
                                 const Json& value) const {
        throw ProtocolError(ErrorCode::invalid_field, std::string(what_) + " field '" +
                                                          std::string(key) + "' must be " +
                                                          std::string(expected) + ", got " +
                                                          std::string(to_string(value.kind())));
    }

  private:
    std::string_view what_;
    const JsonObject* object_ = nullptr;
};

[[noreturn]] void invalid_authorization(const std::string& why) {
    throw ProtocolError(ErrorCode::auth_failed,
                        std::string(reason_invalid_authorization) + ": " + why);
}

int base64_value(char c) noexcept {
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

/// Strict RFC 4648 §4 base64: whole quanta, `=` only as the final one or two characters.
std::optional<Bytes> base64_decode_strict(std::string_view text) {
    if (text.size() % 4 != 0)
        return std::nullopt;
    std::size_t padding = 0;
    while (padding < 2 && padding < text.size() && text[text.size() - 1 - padding] == '=')
        ++padding;
    Bytes out;
    out.reserve(text.size() / 4 * 3);
    std::uint32_t buffer = 0;
    int bits = 0;
    for (std::size_t i = 0; i < text.size() - padding; ++i) {
        const int value = base64_value(text[i]);
        if (value < 0)
            return std::nullopt;
        buffer = (buffer << 6) | static_cast<std::uint32_t>(value);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<std::uint8_t>(buffer >> bits));
        }
    }
    return out;
}

std::string base64_encode(ByteView data) {
    std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
    const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data.data(),
                                        static_cast<int>(data.size()));
    out.resize(static_cast<std::size_t>(written));
    return out;
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               const auto lower = [](char c) {
                   return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
               };
               return lower(x) == lower(y);
           });
}

} // namespace

// --- Payloads -----------------------------------------------------------------------------------

Json ServerHello::to_json() const {
    return Json(JsonObject{
        {"pubkey", detail::nullable_string(pubkey)},
        {"peer", detail::nullable_string(peer)},
        {"node_id", detail::nullable_string(node_id)},
    });
}

ServerHello ServerHello::from_json(const Json& payload) {
    const FieldReader fields(payload, "hello");
    ServerHello hello;
    fields.read("pubkey", hello.pubkey);
    fields.read("peer", hello.peer);
    fields.read("node_id", hello.node_id);
    return hello;
}

Json HandshakeRequest::to_json() const {
    return Json(JsonObject{
        {"handshake", handshake},
        {"min_protocol_version", min_protocol_version},
        {"max_protocol_version", max_protocol_version},
        {"binarize", binarize},
        {"preshared_key", preshared_key},
        {"password", password},
        {"crypto_required", crypto_required},
        {"encodings", detail::string_array(encodings)},
        {"ciphers", detail::string_array(ciphers)},
    });
}

HandshakeRequest HandshakeRequest::from_json(const Json& payload) {
    const FieldReader fields(payload, "shake request");
    HandshakeRequest request;
    fields.read("handshake", request.handshake);
    fields.read("min_protocol_version", request.min_protocol_version);
    fields.read("max_protocol_version", request.max_protocol_version);
    fields.read("binarize", request.binarize);
    fields.read("preshared_key", request.preshared_key);
    fields.read("password", request.password);
    fields.read("crypto_required", request.crypto_required);
    fields.read("encodings", request.encodings);
    fields.read("ciphers", request.ciphers);
    return request;
}

Json ClientHandshake::to_json() const {
    JsonObject object{
        {"binarize", binarize},
        {"encodings", detail::string_array(encodings)},
        {"ciphers", detail::string_array(ciphers)},
    };
    if (envelope)
        object.set("envelope", *envelope);
    if (pubkey)
        object.set("pubkey", *pubkey);
    return Json(std::move(object));
}

ClientHandshake ClientHandshake::from_json(const Json& payload) {
    const FieldReader fields(payload, "client shake");
    ClientHandshake shake;
    fields.read("binarize", shake.binarize);
    fields.read("encodings", shake.encodings);
    fields.read("ciphers", shake.ciphers);
    fields.read("envelope", shake.envelope);
    fields.read("pubkey", shake.pubkey);
    return shake;
}

std::vector<std::string> ClientHandshake::effective_encodings() const {
    return encodings.empty() ? std::vector<std::string>{std::string(default_encoding_name)}
                             : encodings;
}

std::vector<std::string> ClientHandshake::effective_ciphers() const {
    return ciphers.empty() ? std::vector<std::string>{std::string(default_cipher_name)} : ciphers;
}

Json HandshakeResponse::to_json() const {
    return Json(JsonObject{
        {"envelope", envelope},
        {"encoding", encoding},
        {"cipher", cipher},
    });
}

HandshakeResponse HandshakeResponse::from_json(const Json& payload) {
    const FieldReader fields(payload, "shake response");
    HandshakeResponse response;
    fields.read("envelope", response.envelope);
    fields.read("encoding", response.encoding);
    fields.read("cipher", response.cipher);
    // The reference client reads `payload.get(...) or default`, so "" also means the default.
    if (response.encoding.empty())
        response.encoding = std::string(default_encoding_name);
    if (response.cipher.empty())
        response.cipher = std::string(default_cipher_name);
    return response;
}

ClientHello ClientHello::make(std::optional<std::string> pubkey, std::string session_id,
                              std::string site_id) {
    ClientHello hello;
    hello.pubkey = std::move(pubkey);
    hello.session = Json(JsonObject{{"session_id", session_id}, {"site_id", site_id}});
    hello.site_id = std::move(site_id);
    return hello;
}

Json ClientHello::to_json() const {
    return Json(JsonObject{
        {"pubkey", detail::nullable_string(pubkey)},
        {"session", session},
        {"site_id", detail::nullable_string(site_id)},
    });
}

ClientHello ClientHello::from_json(const Json& payload) {
    const FieldReader fields(payload, "client hello");
    ClientHello hello;
    fields.read("pubkey", hello.pubkey);
    fields.read("site_id", hello.site_id);
    if (const Json* session = fields.get("session")) {
        if (!session->is_object())
            fields.wrong_type("session", "an object", *session);
        const FieldReader session_fields(*session, "client hello session");
        std::optional<std::string> ignored;
        session_fields.read("session_id", ignored);
        session_fields.read("site_id", ignored);
        hello.session = *session;
    }
    return hello;
}

std::string ClientHello::session_id() const {
    if (const Json* id = session.find("session_id"); id != nullptr && id->is_string())
        return id->as_string();
    return "default";
}

bool is_handshake_response(const Json& payload) noexcept {
    return payload.find("envelope") != nullptr;
}

// --- Authorization ------------------------------------------------------------------------------

std::string make_authorization(std::string_view useragent, std::string_view access_key) {
    if (useragent.empty())
        throw ProtocolError(ErrorCode::invalid_argument, "authorization needs a useragent");
    if (useragent.find(':') != std::string_view::npos ||
        access_key.find(':') != std::string_view::npos)
        throw ProtocolError(ErrorCode::invalid_argument,
                            "useragent and access key must not contain ':'");
    std::string plain(useragent);
    plain.push_back(':');
    plain.append(access_key);
    return base64_encode(as_bytes(plain));
}

Authorization parse_authorization(std::string_view b64) {
    if (b64.empty())
        invalid_authorization("missing");
    if (b64.size() > max_authorization_chars)
        invalid_authorization("longer than " + std::to_string(max_authorization_chars) +
                              " characters");
    const std::optional<Bytes> decoded = base64_decode_strict(b64);
    if (!decoded)
        invalid_authorization("not standard base64 with padding");
    const std::string text = to_string(*decoded);
    if (!simdjson::validate_utf8(text.data(), text.size()))
        invalid_authorization("decoded text is not UTF-8");
    const std::size_t colon = text.find(':');
    if (colon == std::string::npos)
        invalid_authorization("no ':' between useragent and access key");
    Authorization result{text.substr(0, colon), text.substr(colon + 1)};
    if (result.useragent.empty())
        invalid_authorization("empty useragent");
    if (result.access_key.find(':') != std::string::npos)
        invalid_authorization("more than one ':'");
    return result;
}

Authorization parse_authorization_header(std::string_view header) {
    std::string_view value = detail::trim(header);
    constexpr std::string_view name = "authorization:";
    if (value.size() >= name.size() && iequals(value.substr(0, name.size()), name))
        value = detail::trim(value.substr(name.size()));
    constexpr std::string_view scheme = "basic";
    if (value.size() <= scheme.size() || !iequals(value.substr(0, scheme.size()), scheme) ||
        (value[scheme.size()] != ' ' && value[scheme.size()] != '\t'))
        invalid_authorization("header is not 'Basic <base64>'");
    return parse_authorization(detail::trim(value.substr(scheme.size())));
}

// --- Pre-shared key -----------------------------------------------------------------------------

Bytes preshared_key_bytes(std::string_view crypto_key) {
    if (crypto_key.size() != preshared_key_size)
        throw ProtocolError(ErrorCode::bad_key,
                            "pre-shared key must be 16 ASCII characters (an AES-128 key), got " +
                                std::to_string(crypto_key.size()) + " UTF-8 bytes");
    return to_bytes(crypto_key);
}

} // namespace hivescope::protocol
