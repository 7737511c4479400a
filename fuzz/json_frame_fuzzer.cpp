// libFuzzer target: the JSON (text-frame) envelope codec, protocol.md A.3.
//
// Every input is parsed strictly and in reference_compat mode. Rejections must be
// ProtocolError; anything else escaping (another exception type, a crash, a sanitizer report)
// is a finding. For every accepted frame the emitted form must be canonical: it parses back to
// the same message and re-serialises to the same bytes.

#include "fuzz_check.hpp"

#include "hivescope/protocol/binary_codec.hpp"
#include "hivescope/protocol/error.hpp"
#include "hivescope/protocol/json_codec.hpp"
#include "hivescope/protocol/message_summary.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>

namespace {

using namespace hivescope::protocol;
using hivescope::fuzz::check;
using hivescope::fuzz::show;
using hivescope::fuzz::without_target_peers;

std::optional<HiveMessage> try_parse(std::string_view text, const EnvelopeParseOptions& options,
                                     std::string* why = nullptr) {
    try {
        return parse_json_message(text, options);
    } catch (const ProtocolError& error) {
        if (why != nullptr)
            *why = error.what();
        return std::nullopt;
    }
}

void check_canonical(std::string_view input, const HiveMessage& parsed) {
    const HiveMessage expected = without_target_peers(parsed);
    const std::string text = serialize_json(parsed);

    std::string why;
    const auto reparsed = try_parse(text, EnvelopeParseOptions{}, &why);
    if (!reparsed) {
        show("input", input);
        show("serialized", text);
        std::fprintf(stderr, "re-parse failed: %s\n", why.c_str());
    }
    check(reparsed.has_value(), "serialize_json output parses back (strict)");
    if (!(*reparsed == expected)) {
        show("input", input);
        show("serialized", text);
        show("re-serialized", serialize_json(*reparsed));
    }
    check(*reparsed == expected, "parse(serialize(m)) == m");
    const std::string again = serialize_json(*reparsed);
    if (again != text) {
        show("serialized", text);
        show("re-serialized", again);
    }
    check(again == text, "serialize(parse(serialize(m))) == serialize(m)");

    // The object form and the text form are the same envelope.
    const Json object = to_json(parsed);
    check(object.dump(JsonStyle::python) == text, "to_json(m).dump() == serialize_json(m)");
    check(message_from_json(object) == expected, "message_from_json(to_json(m)) == m");

    (void)summarize(parsed);
}

// What a binary frame keeps of a message (A.7.3): msg_type (INTERCOM travels as code 11, so
// it comes back as 3rdparty), payload, metadata; the outer routing fields are lost.
HiveMessage binary_view(const HiveMessage& message) {
    HiveMessage kept = message.type() == MessageType::intercom
                           ? HiveMessage(MessageType::third_party, message.payload())
                           : without_target_peers(message);
    kept.set_metadata(message.metadata());
    kept.route().clear();
    kept.set_node(std::nullopt);
    kept.set_target_site_id(std::nullopt);
    kept.set_target_pubkey(std::nullopt);
    kept.set_source_peer(std::nullopt);
    kept.set_target_peers({});
    return kept;
}

// The same message through the other codec: a text frame re-sent as a binary frame.
void check_binary_form(const HiveMessage& parsed) {
    Bytes frame;
    try {
        frame = encode_binary(parsed);
    } catch (const ProtocolError& error) {
        check(error.code() == ErrorCode::metadata_too_large,
              "encode_binary refuses a JSON-parsed message only for metadata size");
        return;
    }
    const HiveMessage decoded = [&] {
        try {
            return decode_binary(frame);
        } catch (const ProtocolError& error) {
            std::fprintf(stderr, "decode_binary(encode_binary(m)) threw: %s\n", error.what());
            check(false, "decode_binary reads what encode_binary wrote");
            throw;
        }
    }();
    check(decoded == binary_view(parsed), "decode_binary(encode_binary(m)) keeps what A.7.3 keeps");
}

// parse_json_message reads the usual envelope straight from the parsed document and leaves
// everything else to message_from_json over the whole tree: the two must agree on every input,
// on the message or on the error (code and text).
std::string outcome_of(const auto& parse) {
    try {
        const HiveMessage message = parse();
        std::string out = "ok " + serialize_json(message); // target_peers is never emitted
        for (const auto& peer : message.target_peers())
            out += " target_peer " + peer;
        return out;
    } catch (const ProtocolError& error) {
        return "error " + std::string(to_string(error.code())) + ": " + error.what();
    }
}

void check_same_as_tree(std::string_view input, const EnvelopeParseOptions& options) {
    const std::string direct = outcome_of([&] { return parse_json_message(input, options); });
    const std::string general =
        outcome_of([&] { return message_from_json(Json::parse(input, options.json), options); });
    if (direct != general) {
        show("direct", direct);
        show("general", general);
    }
    check(direct == general, "parse_json_message agrees with message_from_json(Json::parse)");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input = hivescope::fuzz::as_text(data, size);
    for (const bool reference_compat : {false, true}) {
        EnvelopeParseOptions options;
        options.reference_compat = reference_compat;
        check_same_as_tree(input, options);
        if (const auto message = try_parse(input, options)) {
            check_canonical(input, *message);
            check_binary_form(*message);
        }
    }
    try {
        (void)summarize(deserialize_legacy(input));
    } catch (const ProtocolError&) {
    }
    return 0;
}
