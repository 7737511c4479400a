#pragma once
// HiveMessage, the envelope every HiveMind frame carries, as a value type. Its payload is one of
// three shapes, chosen by the type: a JSON object, a complete nested HiveMessage (the transport
// types), or raw bytes (BINARY).

#include "hivescope/protocol/bytes.hpp"
#include "hivescope/protocol/json.hpp"
#include "hivescope/protocol/message_type.hpp"

#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace hivescope::protocol {

class BusMessage;

/// One route entry: the node that forwarded, and where it sent the message.
struct RouteHop {
    std::string source;
    std::vector<std::string> targets;

    friend bool operator==(const RouteHop&, const RouteHop&) = default;
};

/// A HiveMind envelope (protocol.md A.3).
class HiveMessage {
  public:
    /// An object-payload message; `payload` must be a JSON object (null means `{}`).
    /// Throws ProtocolError(invalid_argument) for transport types and BINARY, which take
    /// `wrap()` and `binary()` instead.
    explicit HiveMessage(MessageType type, Json payload = Json::object());
    /// A transport message (broadcast, propagate, escalate, query, cascade) around `inner`.
    [[nodiscard]] static HiveMessage wrap(MessageType transport, HiveMessage inner);
    /// A BINARY message. `bin_type` is the raw 4-bit value (0..15).
    [[nodiscard]] static HiveMessage binary(BinaryPayloadType bin_type, Bytes data,
                                            Json metadata = Json::object());
    /// A BINARY message with a raw 4-bit type code, including the unassigned 7..15.
    [[nodiscard]] static HiveMessage binary_with_code(std::uint8_t bin_type_code, Bytes data,
                                                      Json metadata = Json::object());
    /// A BUS (or SHARED_BUS) message carrying an OVOS message.
    [[nodiscard]] static HiveMessage bus(const BusMessage& message,
                                         MessageType type = MessageType::bus);

    HiveMessage(const HiveMessage& other);
    HiveMessage& operator=(const HiveMessage& other);
    HiveMessage(HiveMessage&&) noexcept = default;
    HiveMessage& operator=(HiveMessage&&) noexcept = default;
    ~HiveMessage() = default;

    [[nodiscard]] MessageType type() const noexcept { return type_; }

    enum class PayloadKind { object, nested, bytes };
    [[nodiscard]] PayloadKind payload_kind() const noexcept {
        return static_cast<PayloadKind>(payload_.index());
    }
    /// The object payload; throws ProtocolError(invalid_argument) for nested or bytes payloads.
    [[nodiscard]] const Json& payload() const;
    [[nodiscard]] Json& payload();
    /// The nested message of a transport type; throws ProtocolError(invalid_argument) otherwise.
    [[nodiscard]] const HiveMessage& inner() const;
    [[nodiscard]] HiveMessage& inner();
    /// The bytes of a BINARY message; throws ProtocolError(invalid_argument) otherwise.
    [[nodiscard]] const Bytes& bytes() const;
    /// The payload of a BUS / SHARED_BUS message as an OVOS message.
    [[nodiscard]] BusMessage bus_message() const;

    /// Free-form metadata (always an object).
    [[nodiscard]] const Json& metadata() const noexcept { return metadata_; }
    [[nodiscard]] Json& metadata() noexcept { return metadata_; }
    HiveMessage& set_metadata(Json metadata);

    [[nodiscard]] const std::vector<RouteHop>& route() const noexcept { return route_; }
    [[nodiscard]] std::vector<RouteHop>& route() noexcept { return route_; }

    [[nodiscard]] const std::optional<std::string>& node() const noexcept {
        return addressing().node;
    }
    [[nodiscard]] const std::optional<std::string>& target_site_id() const noexcept {
        return addressing().target_site_id;
    }
    [[nodiscard]] const std::optional<std::string>& target_pubkey() const noexcept {
        return addressing().target_pubkey;
    }
    [[nodiscard]] const std::optional<std::string>& source_peer() const noexcept {
        return source_peer_;
    }
    /// Accepted on input, never emitted (protocol.md A.3).
    [[nodiscard]] const std::vector<std::string>& target_peers() const noexcept {
        return addressing().target_peers;
    }
    HiveMessage& set_node(std::optional<std::string> value);
    HiveMessage& set_target_site_id(std::optional<std::string> value);
    HiveMessage& set_target_pubkey(std::optional<std::string> value);
    HiveMessage& set_source_peer(std::optional<std::string> value);
    HiveMessage& set_target_peers(std::vector<std::string> value);

    /// The reference `update_hop_data()`: appends the hop `{source_peer, target_peers}`, where
    /// target_peers defaults to `[source_peer]`. Throws ProtocolError(invalid_argument) when
    /// source_peer is unset, since a hop without a source is dropped by every receiver.
    HiveMessage& update_hop_data();
    /// Appends an explicit hop.
    HiveMessage& add_hop(RouteHop hop);

    /// The raw 4-bit binary type (0 for every non-BINARY message).
    [[nodiscard]] std::uint8_t bin_type_code() const noexcept { return bin_type_; }
    /// The binary type; raw values 7..15 read as UNDEFINED.
    [[nodiscard]] BinaryPayloadType bin_type() const noexcept {
        return binary_payload_type_from_code(bin_type_);
    }

    /// Freezes the payload and metadata objects (Json::freeze): later copies of this message
    /// share them until changed. Records freeze what they keep.
    void freeze() noexcept;

    friend bool operator==(const HiveMessage& a, const HiveMessage& b);

  private:
    HiveMessage() = default;

    // The addressing fields most messages leave unset, kept out of line: a hop records its
    // message several times, and inline they were half of every copy.
    struct Addressing {
        std::optional<std::string> node;
        std::optional<std::string> target_site_id;
        std::optional<std::string> target_pubkey;
        std::vector<std::string> target_peers;

        friend bool operator==(const Addressing&, const Addressing&) = default;
    };
    [[nodiscard]] static const Addressing& unaddressed() noexcept;
    [[nodiscard]] const Addressing& addressing() const noexcept {
        return addressing_ ? *addressing_ : unaddressed();
    }
    Addressing& addressing_for_write();

    MessageType type_ = MessageType::handshake;
    std::uint8_t bin_type_ = 0;
    std::variant<Json, std::unique_ptr<HiveMessage>, Bytes> payload_;
    Json metadata_ = Json::object();
    std::vector<RouteHop> route_;
    std::optional<std::string> source_peer_;
    std::unique_ptr<Addressing> addressing_; ///< null while every field in it is unset
};

} // namespace hivescope::protocol
