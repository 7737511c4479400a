// libFuzzer target: handshake payloads (protocol.md A.12.1-A.12.2), the password proof
// (A.12.4), the authorization string (A.11) and cipher / encoding negotiation (A.10.1).
//
// The input is parsed as JSON and fed to every payload struct's `from_json`; whatever is
// accepted must be stable through `to_json` (from_json(to_json(x)) == x, and the same JSON
// again). The input, and any `envelope` string in it, is also checked as a password envelope,
// and the raw input as an authorization value / header and a pre-shared key. Rejections must be
// ProtocolError; anything else escaping, a crash or a sanitizer report is a finding.
//
// The password is the transcripts' client password, so the transcript envelopes in the seed
// corpus verify and the fuzzer starts on the success path.

#include "fuzz_check.hpp"

#include "hivescope/protocol/error.hpp"
#include "hivescope/protocol/handshake_messages.hpp"
#include "hivescope/protocol/json.hpp"
#include "hivescope/protocol/negotiation.hpp"
#include "hivescope/protocol/password_handshake.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

namespace {

using namespace hivescope::protocol;
using hivescope::fuzz::check;

constexpr std::string_view fuzz_password = "ref-password-0001";

bool is_lower_hex(std::string_view text) {
    for (const char c : text)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;
    return true;
}

void fuzz_envelope(std::string_view envelope) {
    const bool verified = verify_envelope(fuzz_password, envelope);
    check(verified == match_hsub(envelope, fuzz_password),
          "verify_envelope is match_hsub with the password");
    const auto iv = iv_from_hsub(envelope);
    if (!verified)
        return;
    check(envelope.size() >= password_envelope_min_chars &&
              envelope.size() <= password_envelope_max_chars,
          "a verified envelope has 48-80 characters");
    check(is_lower_hex(envelope), "a verified envelope is lower-case hex");
    check(iv.has_value() && iv->size() == password_iv_size, "a verified envelope carries an IV");
    check(create_hsub(fuzz_password, *iv, envelope.size()) == envelope,
          "a verified envelope is what create_hsub makes from its IV");
    if (envelope.size() == password_envelope_chars)
        check(create_envelope(fuzz_password, *iv) == envelope,
              "a verified 48-character envelope is create_envelope's output");
}

// from_json(to_json(x)) == x and the JSON is a fixed point, for any payload struct.
template <typename Payload> std::optional<Payload> fuzz_payload(const Json& json) {
    std::optional<Payload> parsed;
    try {
        parsed = Payload::from_json(json);
    } catch (const ProtocolError&) {
        return std::nullopt;
    }
    const Json emitted = parsed->to_json();
    const Payload again = [&] {
        try {
            return Payload::from_json(emitted);
        } catch (const ProtocolError& error) {
            hivescope::fuzz::show("emitted", emitted.dump());
            std::fprintf(stderr, "from_json(to_json(x)) threw: %s\n", error.what());
            check(false, "a payload's own to_json is accepted by its from_json");
            throw;
        }
    }();
    if (!(again == *parsed))
        hivescope::fuzz::show("emitted", emitted.dump());
    check(again == *parsed, "from_json(to_json(x)) == x");
    check(again.to_json() == emitted, "to_json(from_json(to_json(x))) == to_json(x)");
    (void)emitted.dump(JsonStyle::python);
    return parsed;
}

void fuzz_json(const Json& json) {
    (void)is_handshake_response(json);
    (void)fuzz_payload<ServerHello>(json);
    (void)fuzz_payload<HandshakeRequest>(json);
    (void)fuzz_payload<HandshakeResponse>(json);
    if (const auto hello = fuzz_payload<ClientHello>(json))
        (void)hello->session_id();
    if (const auto shake = fuzz_payload<ClientHandshake>(json)) {
        check(!(shake->is_rsa() && shake->is_password()), "one handshake branch at most");
        const auto encodings = shake->effective_encodings();
        const auto ciphers = shake->effective_ciphers();
        check(!encodings.empty() && !ciphers.empty(), "effective proposals are never empty");
        if (const auto encoding = select_encoding(encodings, master_default_encodings))
            check(is_negotiable(*encoding), "JSON-Z85P is never selected");
        (void)select_cipher(ciphers, master_default_ciphers);
        if (shake->envelope)
            fuzz_envelope(*shake->envelope);
    }
    if (json.is_string())
        fuzz_envelope(json.as_string());
    if (const Json* envelope = json.find("envelope"); envelope && envelope->is_string())
        fuzz_envelope(envelope->as_string());
}

void fuzz_authorization(std::string_view text) {
    for (const bool header : {false, true}) {
        std::optional<Authorization> auth;
        try {
            auth = header ? parse_authorization_header(text) : parse_authorization(text);
        } catch (const ProtocolError& error) {
            check(error.code() == ErrorCode::auth_failed, "a refused authorization is auth_failed");
            continue;
        }
        check(!auth->useragent.empty(), "an accepted useragent is not empty");
        const std::string made = make_authorization(auth->useragent, auth->access_key);
        check(parse_authorization(made) == *auth, "parse(make(a)) == a");
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text = hivescope::fuzz::as_text(data, size);
    fuzz_envelope(text);
    fuzz_authorization(text);
    std::optional<Bytes> psk;
    try {
        psk = preshared_key_bytes(text);
    } catch (const ProtocolError&) {
    }
    check(!psk || psk->size() == 16, "a pre-shared key is 16 bytes");
    std::optional<Json> json;
    try {
        json = Json::parse(text);
    } catch (const ProtocolError&) {
        return 0;
    }
    fuzz_json(*json); // outside the try: an unexpected ProtocolError here is a finding
    return 0;
}
