#include "message_generator.hpp"

#include "hivescope/protocol/bus_message.hpp"

#include <array>
#include <cstring>
#include <limits>

namespace hivescope::test {

using protocol::HiveMessage;
using protocol::Json;
using protocol::JsonArray;
using protocol::JsonObject;
using protocol::MessageType;

namespace {
void append_utf8(std::string& out, char32_t cp) {
    if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xc0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xe0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    } else {
        out.push_back(static_cast<char>(0xf0 | (cp >> 18)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    }
}
} // namespace

std::string MessageGenerator::text(std::size_t max_length) {
    static constexpr std::array<char32_t, 14> specials = {U'"',  U'\\',  U'\n',  U'\r',  U'\t',
                                                          U'\b', U'\f',  0x01,   0x1f,   0x7f,
                                                          0xe9,  0x2028, 0x4e2d, 0x1f600};
    std::string out;
    const std::size_t length = below(max_length + 1);
    for (std::size_t i = 0; i < length; ++i) {
        const auto pick = below(10);
        if (pick < 7)
            out.push_back(static_cast<char>('a' + below(26)));
        else if (pick < 9)
            append_utf8(out, specials[below(specials.size())]);
        else
            append_utf8(out, static_cast<char32_t>(0x20 + below(0xd7ff - 0x20)));
    }
    return out;
}

Json MessageGenerator::value(int depth) {
    const auto kind = below(depth > 0 ? 9 : 7);
    switch (kind) {
    case 0:
        return Json();
    case 1:
        return Json(coin());
    case 2:
        return Json(static_cast<long long>(next() >> below(64)) * (coin() ? 1 : -1));
    case 3: {
        double d;
        do {
            const std::uint64_t bits = next();
            std::memcpy(&d, &bits, sizeof d);
        } while (!std::isfinite(d));
        return Json(coin() ? d : static_cast<double>(static_cast<int>(below(100000))) / 8.0);
    }
    case 4:
    case 5:
    case 6:
        return Json(text());
    case 7: {
        JsonArray items;
        const auto n = below(4);
        for (std::size_t i = 0; i < n; ++i)
            items.push_back(value(depth - 1));
        return Json(std::move(items));
    }
    default:
        return object(depth - 1);
    }
}

Json MessageGenerator::object(int depth, std::size_t max_members) {
    JsonObject members;
    const auto n = below(max_members + 1);
    for (std::size_t i = 0; i < n; ++i)
        members.set(text(8), value(depth));
    return Json(std::move(members));
}

HiveMessage MessageGenerator::message(MessageType type, int nesting) {
    auto optional_text = [this]() -> std::optional<std::string> {
        if (coin())
            return std::nullopt;
        return text(16);
    };
    HiveMessage message = [&] {
        if (type == MessageType::binary) {
            protocol::Bytes data(below(300));
            for (auto& b : data)
                b = static_cast<std::uint8_t>(next());
            return HiveMessage::binary_with_code(static_cast<std::uint8_t>(below(16)),
                                                 std::move(data));
        }
        if (protocol::is_transport_type(type)) {
            static constexpr MessageType inner_types[] = {
                MessageType::bus,       MessageType::ping,     MessageType::hello,
                MessageType::broadcast, MessageType::intercom, MessageType::shared_bus};
            MessageType inner = inner_types[below(std::size(inner_types))];
            if (nesting <= 0 && protocol::is_transport_type(inner))
                inner = MessageType::bus;
            return HiveMessage::wrap(type, this->message(inner, nesting - 1));
        }
        if (type == MessageType::bus || type == MessageType::shared_bus) {
            protocol::BusMessage bus(text(20), object(2), Json::object());
            Json session = JsonObject{{"session_id", text(10)}, {"site_id", text(6)}};
            bus.set_session(std::move(session));
            bus.context()["source"] = text(6);
            bus.context()["destination"] = JsonArray{Json(text(6))};
            return HiveMessage::bus(bus, type);
        }
        return HiveMessage(type, object(3));
    }();
    message.set_metadata(below(3) == 0 ? Json::object() : object(1, 3));
    if (type != MessageType::binary) {
        const auto hops = below(3);
        for (std::size_t i = 0; i < hops; ++i)
            message.add_hop({"n" + text(4), {text(5), text(5)}});
        message.set_node(optional_text());
        message.set_target_site_id(optional_text());
        message.set_target_pubkey(optional_text());
        message.set_source_peer(optional_text());
    }
    return message;
}

HiveMessage MessageGenerator::any_message(bool allow_binary) {
    for (;;) {
        const auto type =
            protocol::all_message_types[below(std::size(protocol::all_message_types))];
        if (type == MessageType::binary && !allow_binary)
            continue;
        return message(type);
    }
}

} // namespace hivescope::test
