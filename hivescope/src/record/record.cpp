#include "hivescope/record/record.hpp"

#include "hivescope/protocol/bus_message.hpp"
#include "hivescope/protocol/message_summary.hpp"
#include "protocol/detail/pooled_allocator.hpp"

namespace hivescope::record {

// A recorded message is kept until its hive goes: pooled, with its control block.
SharedMessage::SharedMessage(const protocol::HiveMessage& message) {
    auto copy = protocol::detail::make_pooled_shared<protocol::HiveMessage>(message);
    copy->freeze();
    message_ = std::move(copy);
}

SharedMessage::SharedMessage(protocol::HiveMessage&& message) {
    message.freeze();
    message_ =
        protocol::detail::make_pooled_shared<const protocol::HiveMessage>(std::move(message));
}

std::string_view to_string(Kind kind) noexcept {
    switch (kind) {
    case Kind::in:
        return "in";
    case Kind::out:
        return "out";
    case Kind::verdict:
        return "verdict";
    case Kind::inject:
        return "inject";
    case Kind::dispatch:
        return "dispatch";
    case Kind::refusal:
        return "refusal";
    case Kind::decode_error:
        return "decode_error";
    }
    return "?";
}

std::string_view to_string(Outcome outcome) noexcept {
    switch (outcome) {
    case Outcome::none:
        return "none";
    case Outcome::allowed:
        return "allowed";
    case Outcome::denied:
        return "denied";
    case Outcome::dropped:
        return "dropped";
    case Outcome::closed:
        return "closed";
    case Outcome::registered:
        return "registered";
    }
    return "?";
}

std::optional<protocol::MessageType> Record::type() const {
    if (!message)
        return std::nullopt;
    return message->type();
}

std::optional<protocol::MessageType> Record::inner_type() const {
    if (!message || message->payload_kind() != protocol::HiveMessage::PayloadKind::nested)
        return std::nullopt;
    return message->inner().type();
}

std::string Record::bus_type() const {
    if (!message)
        return {};
    const protocol::HiveMessage* current = &*message;
    while (current->payload_kind() == protocol::HiveMessage::PayloadKind::nested)
        current = &current->inner();
    if (current->type() != protocol::MessageType::bus &&
        current->type() != protocol::MessageType::shared_bus)
        return {};
    return current->payload().get_string("type");
}

std::string Record::to_line() const {
    std::string line =
        "t=" + sim::format_time(time) + " " + node + " " + std::string(to_string(kind));
    if (!peer.empty())
        line += (kind == Kind::out ? " → " : " ← ") + peer;
    if (message)
        line += " " + protocol::summarize(*message, {100});
    if (outcome != Outcome::none) {
        line += " [" + std::string(to_string(outcome));
        if (!code.empty())
            line += " " + code;
        if (!reason.empty())
            line += ": " + reason;
        line += "]";
    } else if (!reason.empty()) {
        line += " (" + reason + ")";
    }
    if (!detail.empty())
        line += " {" + detail + "}";
    return line;
}

} // namespace hivescope::record
