#pragma once
// One entry of a node's recorder: what happened, when, with whom, to which message, and how it
// ended. Records are plain values so tests can copy, compare and print them freely; the message
// in a record is immutable and shared, so recording one message several times (the in, verdict
// and inject records of a frame) costs no copy of it.

#include "hivescope/protocol/hive_message.hpp"
#include "hivescope/record/shared_text.hpp"
#include "hivescope/sim/clock.hpp"
#include "hivescope/sim/frame.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace hivescope::record {

/// What a record describes (the recorder vocabulary of protocol.md B.13).
enum class Kind : std::uint8_t {
    in,           ///< a decoded inbound message, before policy, with its raw frame
    out,          ///< a frame sent, with its plaintext message
    verdict,      ///< the policy decision on an inbound message
    inject,       ///< a message handed to an agent or a local bus
    dispatch,     ///< a handler, hook or delivery ran
    refusal,      ///< a connection refused before any frame
    decode_error, ///< an inbound frame that could not be decrypted or parsed
};

/// How it ended.
enum class Outcome : std::uint8_t {
    none,       ///< not a decision (plain in/out/inject records)
    allowed,    ///< the policy let it through
    denied,     ///< refused with a `hive.policy.denied` code, connection kept
    dropped,    ///< silently not processed further, with a reason (loop, blacklisted, ...)
    closed,     ///< the connection was closed (code and reason)
    registered, ///< a HELLO registered the connection
};

[[nodiscard]] std::string_view to_string(Kind kind) noexcept;
[[nodiscard]] std::string_view to_string(Outcome outcome) noexcept;

/// The message of a record: an immutable, shared HiveMessage that reads like a
/// `std::optional<protocol::HiveMessage>` (`if (m)`, `m->type()`, `*m`, `m = message`).
class SharedMessage {
  public:
    SharedMessage() noexcept = default;
    SharedMessage(std::nullopt_t) noexcept {}
    /// Takes a copy of `message`, frozen (protocol::Json::freeze), so copies taken from the
    /// record share its objects.
    SharedMessage(const protocol::HiveMessage& message);
    /// Takes `message` itself, frozen first.
    SharedMessage(protocol::HiveMessage&& message);
    /// Shares an already shared message (null: no message).
    SharedMessage(std::shared_ptr<const protocol::HiveMessage> message) noexcept
        : message_(std::move(message)) {}

    [[nodiscard]] bool has_value() const noexcept { return message_ != nullptr; }
    explicit operator bool() const noexcept { return has_value(); }
    /// Undefined without a message, as std::optional's.
    [[nodiscard]] const protocol::HiveMessage& operator*() const noexcept { return *message_; }
    [[nodiscard]] const protocol::HiveMessage* operator->() const noexcept {
        return message_.get();
    }
    /// Throws std::bad_optional_access without a message.
    [[nodiscard]] const protocol::HiveMessage& value() const {
        if (!message_)
            throw std::bad_optional_access();
        return *message_;
    }
    void reset() noexcept { message_.reset(); }
    /// The shared message itself, to record it again without a copy.
    [[nodiscard]] const std::shared_ptr<const protocol::HiveMessage>& shared() const noexcept {
        return message_;
    }

    /// Equal when both are empty or both hold equal messages (as std::optional compares).
    friend bool operator==(const SharedMessage& a, const SharedMessage& b) {
        if (a.message_ == b.message_)
            return true;
        return a.message_ && b.message_ && *a.message_ == *b.message_;
    }
    friend bool operator==(const SharedMessage& a, std::nullopt_t) noexcept { return !a; }
    friend bool operator==(const SharedMessage& a, const protocol::HiveMessage& b) {
        return a && *a == b;
    }

  private:
    std::shared_ptr<const protocol::HiveMessage> message_;
};

/// One recorded event.
struct Record {
    std::uint64_t sequence = 0; ///< position in its recorder, from 0
    sim::VirtualTime time{0};   ///< virtual time of the event
    std::string node;           ///< the recording node
    Kind kind = Kind::in;
    /// The other side: a peer id, a node name, or `agent` / `bus`. Shared with the node's own
    /// copy of the name (a master's records of one client share its peer id).
    SharedText peer;
    /// The decoded message (after decryption), when there is one.
    SharedMessage message;
    /// The raw frame as it crossed the link (ciphertext when encrypted), for in/out/decode_error.
    std::optional<sim::Frame> frame;
    Outcome outcome = Outcome::none;
    std::string code;   ///< denial code, close code, or error code name
    std::string reason; ///< human-readable reason
    std::string detail; ///< handler or hook name for dispatch records, extra context otherwise

    /// The message type, if a message is attached.
    [[nodiscard]] std::optional<protocol::MessageType> type() const;
    /// The type nested in a transport message (`broadcast` → `bus`), if any.
    [[nodiscard]] std::optional<protocol::MessageType> inner_type() const;
    /// The OVOS type of a BUS (or of the innermost BUS of a transport), or empty.
    [[nodiscard]] std::string bus_type() const;

    /// `t=12.000ms M0 in S0 bus speak {...} [allowed]`: one bounded line.
    [[nodiscard]] std::string to_line() const;
};

} // namespace hivescope::record
