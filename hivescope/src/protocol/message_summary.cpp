#include "hivescope/protocol/message_summary.hpp"

#include "hivescope/protocol/bus_message.hpp"

namespace hivescope::protocol {

std::string truncate_utf8(std::string_view text, std::size_t max_length) {
    std::size_t characters = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto byte = static_cast<unsigned char>(text[i]);
        if ((byte & 0xc0) == 0x80)
            continue; // continuation byte
        if (characters == max_length)
            return std::string(text.substr(0, i)) + "…";
        ++characters;
    }
    return std::string(text);
}

namespace {

std::string short_field(const Json& payload, std::string_view key, std::size_t width = 24) {
    const Json* value = payload.find(key);
    if (value == nullptr)
        return {};
    const std::string text = value->is_string() ? value->as_string() : value->dump();
    return " " + std::string(key) + "=" + truncate_utf8(text, width);
}

std::string describe(const HiveMessage& message) {
    std::string out(wire_name(message.type()));
    switch (message.payload_kind()) {
    case HiveMessage::PayloadKind::nested:
        return out + ">" + describe(message.inner());
    case HiveMessage::PayloadKind::bytes:
        return out + " " + std::string(to_string(message.bin_type())) + " " +
               std::to_string(message.bytes().size()) + "B" +
               (message.metadata().as_object().empty() ? "" : " " + message.metadata().dump());
    case HiveMessage::PayloadKind::object:
        break;
    }
    const Json& payload = message.payload();
    switch (message.type()) {
    case MessageType::bus:
    case MessageType::shared_bus: {
        out += " " + payload.get_string("type", "?");
        if (const Json* data = payload.find("data");
            data && data->is_object() && !data->as_object().empty())
            out += " " + data->dump();
        if (const Json* context = payload.find("context"))
            if (const Json* session = context->find("session"))
                out += " session=" + truncate_utf8(session->get_string("session_id", "?"), 12);
        return out;
    }
    case MessageType::handshake:
        // Three shapes share the type (A.12.1): the master's request, the client's proposal
        // and the master's response; only the fields tell them apart.
        if (payload.find("min_protocol_version") != nullptr)
            return out + " request" + short_field(payload, "password") +
                   short_field(payload, "binarize") + short_field(payload, "crypto_required");
        if (payload.find("encodings") != nullptr || payload.find("pubkey") != nullptr)
            return out + " proposal" + short_field(payload, "binarize") +
                   short_field(payload, "envelope", 12) + short_field(payload, "pubkey", 12);
        return out + " response" + short_field(payload, "encoding") +
               short_field(payload, "cipher") + short_field(payload, "envelope", 12);
    case MessageType::hello:
        return out + short_field(payload, "node_id") + short_field(payload, "peer", 40) +
               short_field(payload, "site_id");
    case MessageType::ping:
        return out + short_field(payload, "flood_id") + short_field(payload, "peer") +
               short_field(payload, "site_id");
    default:
        return out + " " + payload.dump();
    }
}

} // namespace

std::string summarize(const HiveMessage& message, const SummaryOptions& options) {
    return truncate_utf8(describe(message), options.max_length);
}

} // namespace hivescope::protocol
