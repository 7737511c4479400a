#include "hivescope/protocol/message_type.hpp"

namespace hivescope::protocol {

namespace {
constexpr std::string_view wire_names[] = {
    "shake", "bus",     "shared_bus", "broadcast",  "propagate", "escalate", "hello",
    "query", "cascade", "ping",       "rendezvous", "3rdparty",  "bin",      "intercom",
};
} // namespace

std::string_view wire_name(MessageType type) noexcept {
    return wire_names[static_cast<std::size_t>(type)];
}

std::optional<MessageType> message_type_from_wire(std::string_view name) noexcept {
    for (std::size_t i = 0; i < std::size(wire_names); ++i)
        if (wire_names[i] == name)
            return static_cast<MessageType>(i);
    return std::nullopt;
}

std::optional<std::uint8_t> binary_code(MessageType type) noexcept {
    if (type == MessageType::intercom)
        return std::nullopt;
    return static_cast<std::uint8_t>(type);
}

std::optional<MessageType> message_type_from_code(std::uint8_t code) noexcept {
    if (code > static_cast<std::uint8_t>(MessageType::binary))
        return std::nullopt;
    return static_cast<MessageType>(code);
}

bool is_transport_type(MessageType type) noexcept {
    switch (type) {
    case MessageType::broadcast:
    case MessageType::propagate:
    case MessageType::escalate:
    case MessageType::query:
    case MessageType::cascade:
        return true;
    default:
        return false;
    }
}

std::string_view to_string(BinaryPayloadType type) noexcept {
    switch (type) {
    case BinaryPayloadType::undefined:
        return "UNDEFINED";
    case BinaryPayloadType::raw_audio:
        return "RAW_AUDIO";
    case BinaryPayloadType::numpy_image:
        return "NUMPY_IMAGE";
    case BinaryPayloadType::file:
        return "FILE";
    case BinaryPayloadType::stt_audio_transcribe:
        return "STT_AUDIO_TRANSCRIBE";
    case BinaryPayloadType::stt_audio_handle:
        return "STT_AUDIO_HANDLE";
    case BinaryPayloadType::tts_audio:
        return "TTS_AUDIO";
    }
    return "UNDEFINED";
}

BinaryPayloadType binary_payload_type_from_code(std::uint8_t code) noexcept {
    if (code > static_cast<std::uint8_t>(BinaryPayloadType::tts_audio))
        return BinaryPayloadType::undefined;
    return static_cast<BinaryPayloadType>(code);
}

} // namespace hivescope::protocol
