#include "hivescope/node/bus.hpp"

#include <algorithm>

namespace hivescope::node {

void Bus::on(std::string type, Handler handler) {
    handlers_.emplace_back(std::move(type), std::move(handler));
}

void Bus::on_query(std::string type, QueryResponder responder) {
    responders_.emplace_back(std::move(type), std::move(responder));
}

void Bus::emit(protocol::BusMessage message) {
    emitted_.push_back(message);
    // Routing happens as its own event, so a handler that emits while the node is handling a
    // frame never re-enters the node.
    simulation_.schedule_after(sim::Duration{0}, [this, alive = std::weak_ptr<bool>(alive_),
                                                  message = std::move(message)] {
        if (!alive.expired() && router_)
            router_(message);
    });
}

std::vector<protocol::BusMessage> Bus::injected_of(std::string_view type) const {
    std::vector<protocol::BusMessage> out;
    for (const auto& injection : injected_)
        if (injection.message.type() == type)
            out.push_back(injection.message);
    return out;
}

void Bus::inject(const protocol::BusMessage& message, const record::SharedText& peer) {
    injected_.push_back({message, peer, simulation_.now()});
    // Copy: a handler may register further handlers.
    const auto handlers = handlers_;
    for (const auto& [type, handler] : handlers)
        if (type == "*" || type == message.type())
            handler(message);
}

void Bus::inject(protocol::BusMessage&& message, const record::SharedText& peer) {
    const bool heard = std::any_of(handlers_.begin(), handlers_.end(), [&](const auto& entry) {
        return entry.first == "*" || entry.first == message.type();
    });
    if (!heard) {
        injected_.push_back({std::move(message), peer, simulation_.now()});
        return;
    }
    // Handlers get `message` itself: the stored copy may move when a handler injects again.
    inject(static_cast<const protocol::BusMessage&>(message), peer);
}

std::optional<protocol::BusMessage> Bus::ask(const protocol::BusMessage& request) {
    for (const auto& [type, responder] : responders_)
        if (type == "*" || type == request.type())
            if (auto answer = responder(request))
                return answer;
    return std::nullopt;
}

void Bus::record_binary(BinaryCall call) {
    call.time = simulation_.now();
    binary_calls_.push_back(std::move(call));
}

void Bus::record_hook(HookCall call) {
    call.time = simulation_.now();
    hook_calls_.push_back(std::move(call));
}

} // namespace hivescope::node
