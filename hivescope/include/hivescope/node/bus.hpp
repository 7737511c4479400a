#pragma once
// The simulated OVOS bus: a master's agent, or a satellite's local bus. Tests listen on it,
// answer what is injected (`on`, `on_query`) and emit skill responses (`emit`), which the owning
// node routes (protocol.md B.6, B.12). Everything that crosses it is kept.

#include "hivescope/protocol/bus_message.hpp"
#include "hivescope/protocol/bytes.hpp"
#include "hivescope/record/shared_text.hpp"
#include "hivescope/sim/simulation.hpp"

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace hivescope::node {

/// A message handed to the bus by its node.
struct Injection {
    protocol::BusMessage message;
    /// The client peer id it was injected for (empty for local traffic); shared with the
    /// records of the same message.
    record::SharedText peer;
    sim::VirtualTime time{0};
};

/// A call of a binary handler (protocol.md A.6, B.11).
struct BinaryCall {
    std::string handler; ///< `microphone_input`, `receive_file`, `receive_tts`, ...
    protocol::Bytes data;
    protocol::Json metadata; ///< with the A.6 defaults filled in
    std::uint8_t bin_type = 0;
    std::string peer;
    sim::VirtualTime time{0};
};

/// A named hook call (shared-bus, rendezvous, 3rdparty, invalid key, ...).
struct HookCall {
    std::string hook;
    protocol::Json payload;
    std::string peer;
    sim::VirtualTime time{0};
};

/// An agent or local bus.
class Bus {
  public:
    using Handler = std::function<void(const protocol::BusMessage&)>;
    using QueryResponder =
        std::function<std::optional<protocol::BusMessage>(const protocol::BusMessage&)>;
    using Router = std::function<void(const protocol::BusMessage&)>;

    explicit Bus(sim::Simulation& simulation) : simulation_(simulation) {}
    Bus(const Bus&) = delete;
    Bus& operator=(const Bus&) = delete;

    // ---- test side -------------------------------------------------------------------------
    /// Runs `handler` for every injected message of OVOS type `type` (`"*"` for all).
    void on(std::string type, Handler handler);
    /// Answers queries of OVOS type `type` (`"*"` for all): return a message to answer.
    void on_query(std::string type, QueryResponder responder);
    /// A skill emits `message`; the node routes it on the next event (never re-entrantly).
    void emit(protocol::BusMessage message);

    [[nodiscard]] const std::vector<Injection>& injected() const noexcept { return injected_; }
    [[nodiscard]] const std::vector<protocol::BusMessage>& emitted() const noexcept {
        return emitted_;
    }
    [[nodiscard]] const std::vector<BinaryCall>& binary_calls() const noexcept {
        return binary_calls_;
    }
    [[nodiscard]] const std::vector<HookCall>& hook_calls() const noexcept { return hook_calls_; }
    /// Injected messages of one OVOS type.
    [[nodiscard]] std::vector<protocol::BusMessage> injected_of(std::string_view type) const;

    // ---- node side -------------------------------------------------------------------------
    /// Where emitted messages go (the owning node's router).
    void set_router(Router router) { router_ = std::move(router); }
    /// Hands `message` to the bus and runs the matching handlers.
    void inject(const protocol::BusMessage& message, const record::SharedText& peer);
    /// As inject, keeping `message` itself when no handler needs it (no copy).
    void inject(protocol::BusMessage&& message, const record::SharedText& peer);
    /// Asks the query responders; the first answer wins.
    [[nodiscard]] std::optional<protocol::BusMessage> ask(const protocol::BusMessage& request);
    /// Records a binary handler call.
    void record_binary(BinaryCall call);
    /// Records a hook call.
    void record_hook(HookCall call);

  private:
    sim::Simulation& simulation_;
    std::vector<std::pair<std::string, Handler>> handlers_;          // registration order
    std::vector<std::pair<std::string, QueryResponder>> responders_; // registration order
    Router router_;
    std::vector<Injection> injected_;
    std::vector<protocol::BusMessage> emitted_;
    std::vector<BinaryCall> binary_calls_;
    std::vector<HookCall> hook_calls_;
    /// Expires with the bus, so a routing event still queued after the node is gone does nothing.
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

} // namespace hivescope::node
