#include "hivescope/protocol/hive_message.hpp"

#include "hivescope/protocol/bus_message.hpp"
#include "hivescope/protocol/error.hpp"

namespace hivescope::protocol {

namespace {
// The payload of HiveMessage(type, payload), checked: null becomes `{}`.
Json&& checked_payload(MessageType type, Json& payload) {
    if (is_transport_type(type))
        throw ProtocolError(ErrorCode::invalid_argument,
                            std::string(wire_name(type)) +
                                " carries a nested HiveMessage: use HiveMessage::wrap");
    if (type == MessageType::binary)
        throw ProtocolError(ErrorCode::invalid_argument,
                            "bin carries bytes: use HiveMessage::binary");
    if (payload.is_null())
        payload = Json::object();
    if (!payload.is_object())
        throw ProtocolError(ErrorCode::invalid_argument,
                            std::string(wire_name(type)) + " payload must be a JSON object, got " +
                                std::string(to_string(payload.kind())));
    return std::move(payload);
}
} // namespace

HiveMessage::HiveMessage(MessageType type, Json payload)
    : type_(type), payload_(std::in_place_index<0>, checked_payload(type, payload)) {}

HiveMessage HiveMessage::wrap(MessageType transport, HiveMessage inner) {
    if (!is_transport_type(transport))
        throw ProtocolError(ErrorCode::invalid_argument,
                            std::string(wire_name(transport)) + " is not a transport type");
    HiveMessage message;
    message.type_ = transport;
    message.payload_ = std::make_unique<HiveMessage>(std::move(inner));
    return message;
}

HiveMessage HiveMessage::binary(BinaryPayloadType bin_type, Bytes data, Json metadata) {
    return binary_with_code(static_cast<std::uint8_t>(bin_type), std::move(data),
                            std::move(metadata));
}

HiveMessage HiveMessage::binary_with_code(std::uint8_t bin_type_code, Bytes data, Json metadata) {
    if (bin_type_code > 15)
        throw ProtocolError(ErrorCode::invalid_argument, "bin_type is 4 bits; " +
                                                             std::to_string(bin_type_code) +
                                                             " does not fit");
    HiveMessage message;
    message.type_ = MessageType::binary;
    message.payload_ = std::move(data);
    message.bin_type_ = bin_type_code;
    message.set_metadata(std::move(metadata));
    return message;
}

HiveMessage HiveMessage::bus(const BusMessage& message, MessageType type) {
    if (type != MessageType::bus && type != MessageType::shared_bus)
        throw ProtocolError(ErrorCode::invalid_argument,
                            "an OVOS message travels as bus or shared_bus, not " +
                                std::string(wire_name(type)));
    return HiveMessage(type, message.to_json());
}

HiveMessage::HiveMessage(const HiveMessage& other)
    : type_(other.type_), bin_type_(other.bin_type_), metadata_(other.metadata_),
      route_(other.route_), source_peer_(other.source_peer_),
      addressing_(other.addressing_ ? std::make_unique<Addressing>(*other.addressing_) : nullptr) {
    switch (other.payload_kind()) {
    case PayloadKind::object:
        payload_ = std::get<Json>(other.payload_);
        break;
    case PayloadKind::nested:
        payload_ =
            std::make_unique<HiveMessage>(*std::get<std::unique_ptr<HiveMessage>>(other.payload_));
        break;
    case PayloadKind::bytes:
        payload_ = std::get<Bytes>(other.payload_);
        break;
    }
}

HiveMessage& HiveMessage::operator=(const HiveMessage& other) {
    if (this != &other) {
        HiveMessage copy(other);
        *this = std::move(copy);
    }
    return *this;
}

namespace {
[[noreturn]] void wrong_payload(MessageType type, std::string_view wanted) {
    throw ProtocolError(ErrorCode::invalid_argument, "a " + std::string(wire_name(type)) +
                                                         " message has no " + std::string(wanted) +
                                                         " payload");
}
} // namespace

const Json& HiveMessage::payload() const {
    if (auto* object = std::get_if<Json>(&payload_))
        return *object;
    wrong_payload(type_, "object");
}

Json& HiveMessage::payload() {
    if (auto* object = std::get_if<Json>(&payload_))
        return *object;
    wrong_payload(type_, "object");
}

const HiveMessage& HiveMessage::inner() const {
    if (auto* nested = std::get_if<std::unique_ptr<HiveMessage>>(&payload_))
        return **nested;
    wrong_payload(type_, "nested HiveMessage");
}

HiveMessage& HiveMessage::inner() {
    if (auto* nested = std::get_if<std::unique_ptr<HiveMessage>>(&payload_))
        return **nested;
    wrong_payload(type_, "nested HiveMessage");
}

const Bytes& HiveMessage::bytes() const {
    if (auto* data = std::get_if<Bytes>(&payload_))
        return *data;
    wrong_payload(type_, "bytes");
}

void HiveMessage::freeze() noexcept {
    if (auto* object = std::get_if<Json>(&payload_))
        object->freeze();
    else if (auto* nested = std::get_if<std::unique_ptr<HiveMessage>>(&payload_); nested && *nested)
        (*nested)->freeze();
    metadata_.freeze();
}

BusMessage HiveMessage::bus_message() const {
    if (type_ != MessageType::bus && type_ != MessageType::shared_bus)
        wrong_payload(type_, "OVOS bus");
    return BusMessage::from_json(payload());
}

HiveMessage& HiveMessage::set_metadata(Json metadata) {
    if (metadata.is_null())
        metadata = Json::object();
    if (!metadata.is_object())
        throw ProtocolError(ErrorCode::invalid_argument,
                            "metadata must be a JSON object, got " +
                                std::string(to_string(metadata.kind())));
    metadata_ = std::move(metadata);
    return *this;
}

const HiveMessage::Addressing& HiveMessage::unaddressed() noexcept {
    static const Addressing none;
    return none;
}

HiveMessage::Addressing& HiveMessage::addressing_for_write() {
    if (!addressing_)
        addressing_ = std::make_unique<Addressing>();
    return *addressing_;
}

HiveMessage& HiveMessage::set_node(std::optional<std::string> value) {
    if (value || addressing_)
        addressing_for_write().node = std::move(value);
    return *this;
}
HiveMessage& HiveMessage::set_target_site_id(std::optional<std::string> value) {
    if (value || addressing_)
        addressing_for_write().target_site_id = std::move(value);
    return *this;
}
HiveMessage& HiveMessage::set_target_pubkey(std::optional<std::string> value) {
    if (value || addressing_)
        addressing_for_write().target_pubkey = std::move(value);
    return *this;
}
HiveMessage& HiveMessage::set_source_peer(std::optional<std::string> value) {
    source_peer_ = std::move(value);
    return *this;
}
HiveMessage& HiveMessage::set_target_peers(std::vector<std::string> value) {
    if (!value.empty() || addressing_)
        addressing_for_write().target_peers = std::move(value);
    return *this;
}

HiveMessage& HiveMessage::update_hop_data() {
    if (!source_peer_ || source_peer_->empty())
        throw ProtocolError(ErrorCode::invalid_argument,
                            "update_hop_data needs a source_peer to name the hop");
    const auto& peers = target_peers();
    std::vector<std::string> targets =
        peers.empty() ? std::vector<std::string>{*source_peer_} : peers;
    route_.push_back(RouteHop{*source_peer_, std::move(targets)});
    return *this;
}

HiveMessage& HiveMessage::add_hop(RouteHop hop) {
    route_.push_back(std::move(hop));
    return *this;
}

bool operator==(const HiveMessage& a, const HiveMessage& b) {
    if (a.type_ != b.type_ || a.payload_kind() != b.payload_kind())
        return false;
    bool same_payload = false;
    switch (a.payload_kind()) {
    case HiveMessage::PayloadKind::object:
        same_payload = a.payload() == b.payload();
        break;
    case HiveMessage::PayloadKind::nested:
        same_payload = a.inner() == b.inner();
        break;
    case HiveMessage::PayloadKind::bytes:
        same_payload = a.bytes() == b.bytes();
        break;
    }
    return same_payload && a.metadata_ == b.metadata_ && a.route_ == b.route_ &&
           a.source_peer_ == b.source_peer_ && a.addressing() == b.addressing() &&
           a.bin_type_ == b.bin_type_;
}

} // namespace hivescope::protocol
