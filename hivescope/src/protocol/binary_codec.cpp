#include "hivescope/protocol/binary_codec.hpp"

#include "detail/bit_stream.hpp"
#include "detail/zlib.hpp"

#include "hivescope/protocol/error.hpp"
#include "hivescope/protocol/json.hpp"
#include "hivescope/protocol/json_codec.hpp"

#include <algorithm>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace hivescope::protocol {

namespace {

constexpr std::size_t max_metadata_bytes = 255;
// What the reference writes for INTERCOM, which has no code of its own (A.2).
constexpr std::uint8_t intercom_code = 11;
constexpr std::uint8_t binary_type_code = 12;
// zlib.compress(b"{}") at the default level: the metadata of almost every compressed frame, so
// it is written and recognised without running zlib (A.7.4 example F; the vectors carry it).
constexpr std::uint8_t zlib_empty_object[] = {0x78, 0x9c, 0xab, 0xae, 0x05,
                                              0x00, 0x01, 0x75, 0x00, 0xf9};

bool is_empty_object(ByteView text) noexcept {
    return text.size() == 2 && text[0] == '{' && text[1] == '}';
}

bool is_zlib_empty_object(ByteView data) noexcept {
    return std::equal(data.begin(), data.end(), std::begin(zlib_empty_object),
                      std::end(zlib_empty_object));
}

// ---------------------------------------------------------------------------------------------
// Encoding

// The payload bytes of a non-BINARY message in the dialect the reference uses there (A.7.2).
std::string serialize_payload(const HiveMessage& message) {
    std::string out;
    out.reserve(256);
    switch (message.type()) {
    case MessageType::bus:
    case MessageType::shared_bus:
        message.payload().dump_to(out, JsonStyle::compact);
        break;
    default:
        if (is_transport_type(message.type()))
            serialize_json_to(out, message.inner());
        else
            message.payload().dump_to(out, JsonStyle::python_ascii);
        break;
    }
    return out;
}

[[noreturn]] void metadata_too_large(std::size_t size, bool compressed) {
    throw ProtocolError(ErrorCode::metadata_too_large,
                        "binary frame metadata is " + std::to_string(size) + " bytes" +
                            (compressed ? " after compression" : "") + "; at most " +
                            std::to_string(max_metadata_bytes) + " fit in the 8-bit length");
}

struct FrameParts {
    std::uint8_t type_code;
    std::optional<std::uint8_t> bin_type;
    bool compressed;
    ByteView metadata;
    ByteView payload;
};

Bytes assemble(const FrameParts& parts, const BinaryEncodeOptions& options) {
    const std::size_t header_bits = 1 + 1 + (options.versioned ? 8 : 0) + 5 + 1 + 8;
    const std::size_t body_bits =
        parts.metadata.size() * 8 + (parts.bin_type ? 4 : 0) + parts.payload.size() * 8;
    const std::size_t total_bits = header_bits + body_bits;
    // The reference inserts zero bits at the FRONT until the length is whole bytes (A.7.1).
    const unsigned pad = static_cast<unsigned>((8 - total_bits % 8) % 8);

    Bytes out;
    out.reserve((total_bits + pad) / 8);
    detail::BitWriter writer(out);
    writer.write(0, pad);
    writer.write_bit(true);
    writer.write_bit(options.versioned);
    if (options.versioned)
        writer.write(options.version, 8);
    writer.write(parts.type_code, 5);
    writer.write_bit(parts.compressed);
    writer.write(static_cast<std::uint32_t>(parts.metadata.size()), 8);
    writer.write_bytes(parts.metadata);
    if (parts.bin_type)
        writer.write(*parts.bin_type, 4);
    writer.write_bytes(parts.payload);
    return out;
}

// ---------------------------------------------------------------------------------------------
// Decoding

// The header and raw fields of a frame. `strict` refuses unknown versions and type codes as soon
// as they are read (decode); inspection reports them instead.
struct RawFrame {
    std::size_t bit_length = 0;
    std::size_t pad_bits = 0;
    bool versioned = false;
    std::uint8_t version = 1;
    std::uint8_t type_code = 0;
    bool compressed = false;
    Bytes metadata;
    std::optional<std::uint8_t> bin_type;
    std::size_t payload_bit_offset = 0;
    std::size_t payload_bits = 0;
    std::optional<ByteView> payload; // whole bytes on a byte boundary only
};

RawFrame read_frame(ByteView frame, bool strict) {
    detail::BitReader reader(frame);
    RawFrame raw;
    raw.bit_length = reader.size();
    raw.pad_bits = reader.skip_through_first_one("start marker (no 1 bit in the frame)");
    raw.versioned = reader.read_bit("versioned flag");
    if (raw.versioned) {
        raw.version = static_cast<std::uint8_t>(reader.read(8, "framing version"));
        if (strict && raw.version > 1)
            throw ProtocolError(ErrorCode::unsupported_version,
                                "binary framing version " + std::to_string(raw.version) +
                                    " is not supported (at most 1)");
    }
    raw.type_code = static_cast<std::uint8_t>(reader.read(5, "message type code"));
    if (strict && !message_type_from_code(raw.type_code))
        throw ProtocolError(ErrorCode::unknown_msg_type,
                            "binary frame has the unassigned message type code " +
                                std::to_string(raw.type_code) + " (assigned: 0-12)");
    raw.compressed = reader.read_bit("compressed flag");
    const auto meta_len = reader.read(8, "metadata length");
    raw.metadata.reserve(meta_len);
    reader.read_bytes(meta_len, raw.metadata, "metadata");
    if (raw.type_code == binary_type_code)
        raw.bin_type = static_cast<std::uint8_t>(reader.read(4, "bin_type"));
    raw.payload_bit_offset = reader.position();
    raw.payload_bits = reader.remaining();
    // The frame is whole bytes, so the payload is whole bytes exactly when it starts aligned.
    if (reader.aligned())
        raw.payload = reader.rest_aligned();
    return raw;
}

// The metadata (`payload_of` empty) or the payload of a `payload_of` message, as an object.
Json parse_object(std::string_view text, std::optional<MessageType> payload_of) {
    auto field = [&] {
        return payload_of ? "binary frame " + std::string(wire_name(*payload_of)) + " payload"
                          : std::string("binary frame metadata");
    };
    // The metadata of nearly every frame; skipping the parser for it is measurable.
    if (text == "{}")
        return Json::object();
    // Also keeps a null data pointer (L = 0) away from simdjson, which would memcpy from it.
    if (text.empty())
        throw ProtocolError(ErrorCode::malformed_json, field() + " is empty, not JSON");
    Json value = Json::parse(text);
    if (value.is_null())
        return Json::object(); // the reference's `x or {}`
    if (!value.is_object())
        throw ProtocolError(ErrorCode::invalid_field, field() + " must be a JSON object, got " +
                                                          std::string(to_string(value.kind())));
    return value;
}

Bytes encode_frame(const HiveMessage& message, const BinaryEncodeOptions& options,
                   detail::ZlibStreams& zlib) {
    const bool is_binary = message.type() == MessageType::binary;
    FrameParts parts{};
    parts.type_code = binary_code(message.type()).value_or(intercom_code);
    if (is_binary)
        parts.bin_type = message.bin_type_code();

    std::string metadata_text;
    metadata_text.reserve(64);
    message.metadata().dump_to(metadata_text, JsonStyle::python_ascii);
    const ByteView metadata = as_bytes(metadata_text);

    std::string payload_text;
    ByteView payload;
    if (is_binary) {
        payload = message.bytes();
    } else {
        payload_text = serialize_payload(message);
        payload = as_bytes(payload_text);
    }

    if (options.compression == Compression::never) {
        if (metadata.size() > max_metadata_bytes)
            metadata_too_large(metadata.size(), false);
        parts.compressed = false;
        parts.metadata = metadata;
        parts.payload = payload;
        return assemble(parts, options);
    }

    // BINARY payloads are never compressed, only their metadata (A.7.2).
    Bytes packed_metadata;
    if (is_empty_object(metadata)) {
        packed_metadata.assign(std::begin(zlib_empty_object), std::end(zlib_empty_object));
    } else {
        packed_metadata.reserve(metadata.size() + 16);
        zlib.deflater().compress(metadata, packed_metadata);
    }
    Bytes packed_payload;
    if (!is_binary) {
        packed_payload.reserve(payload.size() / 2 + 32);
        zlib.deflater().compress(payload, packed_payload);
    }
    const ByteView compressed_payload = is_binary ? payload : ByteView(packed_payload);

    bool use_compressed = true;
    if (options.compression == Compression::shortest) {
        // Same type, same padding: comparing byte counts compares the bit lengths the
        // reference compares. Ties go to the uncompressed frame, as there.
        const bool plain_fits = metadata.size() <= max_metadata_bytes;
        const bool packed_fits = packed_metadata.size() <= max_metadata_bytes;
        const std::size_t plain_size = metadata.size() + payload.size();
        const std::size_t packed_size = packed_metadata.size() + compressed_payload.size();
        // Unlike the reference, which fails when the uncompressed metadata is too long even if
        // the compressed one would fit, we fall back to whichever form fits.
        use_compressed = packed_fits && (!plain_fits || packed_size < plain_size);
        if (!use_compressed && !plain_fits)
            metadata_too_large(packed_metadata.size(), true);
    } else if (packed_metadata.size() > max_metadata_bytes) {
        metadata_too_large(packed_metadata.size(), true);
    }

    parts.compressed = use_compressed;
    parts.metadata = use_compressed ? ByteView(packed_metadata) : metadata;
    parts.payload = use_compressed ? compressed_payload : payload;
    return assemble(parts, options);
}

HiveMessage decode_frame(ByteView frame, const BinaryDecodeOptions& options,
                         detail::ZlibStreams& zlib) {
    RawFrame raw = read_frame(frame, true);
    const MessageType type = *message_type_from_code(raw.type_code);
    if (!raw.payload)
        throw ProtocolError(
            ErrorCode::malformed_frame,
            "binary frame payload is not whole bytes: " + std::to_string(raw.payload_bits) +
                " bits at bit " + std::to_string(raw.payload_bit_offset) + " (" +
                std::to_string(raw.pad_bits) + " padding bits)");

    std::string metadata_text;
    std::string_view metadata_view;
    if (raw.compressed && is_zlib_empty_object(raw.metadata) && options.max_inflated_bytes >= 2) {
        metadata_view = "{}";
    } else if (raw.compressed) {
        zlib.inflater().decompress(raw.metadata, options.max_inflated_bytes, metadata_text,
                                   "binary frame metadata");
        metadata_view = metadata_text;
    } else {
        metadata_view = {reinterpret_cast<const char*>(raw.metadata.data()), raw.metadata.size()};
    }
    Json metadata = parse_object(metadata_view, std::nullopt);

    if (type == MessageType::binary) {
        const ByteView data = *raw.payload;
        return HiveMessage::binary_with_code(*raw.bin_type, Bytes(data.begin(), data.end()),
                                             std::move(metadata));
    }

    std::string payload_text;
    std::string_view payload_view;
    if (raw.compressed) {
        zlib.inflater().decompress(*raw.payload, options.max_inflated_bytes, payload_text,
                                   "binary frame payload");
        payload_view = payload_text;
    } else {
        payload_view = {reinterpret_cast<const char*>(raw.payload->data()), raw.payload->size()};
    }
    Json payload = parse_object(payload_view, type);

    if (is_transport_type(type)) {
        if (options.max_nesting == 0)
            throw ProtocolError(ErrorCode::nesting_too_deep, "HiveMessages nested deeper than 0");
        EnvelopeParseOptions inner_options;
        // The nested envelope is level 1 of this frame, level 0 of its own parse.
        inner_options.max_nesting = options.max_nesting - 1;
        HiveMessage message = HiveMessage::wrap(type, message_from_json(payload, inner_options));
        message.set_metadata(std::move(metadata));
        return message;
    }
    HiveMessage message(type, std::move(payload));
    message.set_metadata(std::move(metadata));
    return message;
}

} // namespace

Bytes encode_binary(const HiveMessage& message, const BinaryEncodeOptions& options) {
    detail::ZlibStreams zlib;
    return encode_frame(message, options, zlib);
}

HiveMessage decode_binary(ByteView frame, const BinaryDecodeOptions& options) {
    detail::ZlibStreams zlib;
    return decode_frame(frame, options, zlib);
}

BinaryFrameInfo inspect_binary(ByteView frame) {
    RawFrame raw = read_frame(frame, false);
    BinaryFrameInfo info;
    info.bit_length = raw.bit_length;
    info.pad_bits = raw.pad_bits;
    info.versioned = raw.versioned;
    info.version = raw.version;
    info.type_code = raw.type_code;
    info.type = message_type_from_code(raw.type_code);
    info.compressed = raw.compressed;
    info.meta_len = static_cast<std::uint8_t>(raw.metadata.size());
    info.meta_raw = std::move(raw.metadata);
    info.bin_type = raw.bin_type;
    info.payload_bit_offset = raw.payload_bit_offset;
    info.payload_bits = raw.payload_bits;
    if (raw.payload)
        info.payload_raw = Bytes(raw.payload->begin(), raw.payload->end());
    return info;
}

} // namespace hivescope::protocol
