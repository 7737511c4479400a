#pragma once
// The HiveMind message types and binary payload types, with their exact wire spellings and
// 5-bit / 4-bit codes (protocol.md A.2 and A.6).

#include <cstdint>
#include <optional>
#include <string_view>

namespace hivescope::protocol {

/// A HiveMessage type. The first thirteen enumerators are in wire-code order (0..12).
enum class MessageType : std::uint8_t {
    handshake,   ///< `shake`, code 0
    bus,         ///< `bus`, code 1
    shared_bus,  ///< `shared_bus`, code 2
    broadcast,   ///< `broadcast`, code 3
    propagate,   ///< `propagate`, code 4
    escalate,    ///< `escalate`, code 5
    hello,       ///< `hello`, code 6
    query,       ///< `query`, code 7
    cascade,     ///< `cascade`, code 8
    ping,        ///< `ping`, code 9
    rendezvous,  ///< `rendezvous`, code 10
    third_party, ///< `3rdparty`, code 11 (legacy; never emitted)
    binary,      ///< `bin`, code 12
    intercom,    ///< `intercom`, no binary code
};

/// All fourteen types, in enum order (for tests and generators).
inline constexpr MessageType all_message_types[] = {
    MessageType::handshake, MessageType::bus,        MessageType::shared_bus,
    MessageType::broadcast, MessageType::propagate,  MessageType::escalate,
    MessageType::hello,     MessageType::query,      MessageType::cascade,
    MessageType::ping,      MessageType::rendezvous, MessageType::third_party,
    MessageType::binary,    MessageType::intercom,
};

/// The case-sensitive wire string (`shake`, `bin`, `3rdparty`, ...).
[[nodiscard]] std::string_view wire_name(MessageType type) noexcept;
/// The type for a wire string, or nullopt.
[[nodiscard]] std::optional<MessageType> message_type_from_wire(std::string_view name) noexcept;
/// The 5-bit binary code, or nullopt for INTERCOM.
[[nodiscard]] std::optional<std::uint8_t> binary_code(MessageType type) noexcept;
/// The type for a 5-bit code, or nullopt for the unassigned codes 13..31.
[[nodiscard]] std::optional<MessageType> message_type_from_code(std::uint8_t code) noexcept;
/// broadcast, propagate, escalate, query and cascade carry a complete nested HiveMessage.
[[nodiscard]] bool is_transport_type(MessageType type) noexcept;

/// How a BINARY payload should be handled (4 bits on the wire).
enum class BinaryPayloadType : std::uint8_t {
    undefined = 0,
    raw_audio = 1,
    numpy_image = 2,
    file = 3,
    stt_audio_transcribe = 4,
    stt_audio_handle = 5,
    tts_audio = 6,
};

/// The reference enum name (`RAW_AUDIO`, ...).
[[nodiscard]] std::string_view to_string(BinaryPayloadType type) noexcept;
/// Values 7..15 decode as UNDEFINED (the raw value stays on the message).
[[nodiscard]] BinaryPayloadType binary_payload_type_from_code(std::uint8_t code) noexcept;

} // namespace hivescope::protocol
