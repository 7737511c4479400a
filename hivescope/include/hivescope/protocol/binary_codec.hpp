#pragma once
// The binary (bitstring) form of a HiveMessage (protocol.md A.7): bit-exact with
// hivemind_bus_client's get_bitstring / decode_bitstring, including the places that are easy to
// get wrong (padding is prepended, BINARY metadata sits on nibble boundaries, three different
// JSON dialects, INTERCOM written as code 11), and a decoder that bounds every untrusted size.
//
// Decisions where the reference is loose or quirky (see also protocol.md A.13 traps 5-9):
// * BUS / SHARED_BUS payloads are written as the payload object held, in compact JSON. The
//   reference re-serialises them through OVOS `Message` (keys `type`, `data`, `context`, in that
//   order); the bytes are the same for payloads built by `HiveMessage::bus` and for anything
//   decoded from a frame, and differ only for hand-made payloads with other keys or key orders.
// * INTERCOM has no binary code; like the 0.4.3 encoder we write code 11, so it decodes as
//   `3rdparty`. Our nodes never binarise INTERCOM (A.7.3); the mapping exists for fidelity.
// * An empty BINARY payload decodes as empty bytes. The reference stores `{}` instead
//   (`HiveMessage(bin, b"")`, `payload or {}`); we keep the bytes, which is what was sent.
// * The decoder accepts any number of leading zero bits (the reference skips them all), but the
//   payload must then be whole bytes on a byte boundary, as bitstring's `.bytes` requires.
// * Bytes after the end of a zlib stream are refused (compression_error); Python's
//   zlib.decompress ignores them, but no encoder writes them.
// * A transport payload must be a complete nested envelope (A.2). The reference also binarises
//   and decodes a plain dict there (vectors `query/...`); our model cannot hold that, and the
//   decoder refuses it with the text codec's error (unknown_key for a stray key).

#include "hivescope/protocol/bytes.hpp"
#include "hivescope/protocol/hive_message.hpp"
#include "hivescope/protocol/message_type.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>

namespace hivescope::protocol {

/// Whether metadata and (non-BINARY) payload are zlib-compressed.
enum class Compression {
    always,   ///< C = 1. What our nodes send: old Python decoders assume it (A.7.5).
    never,    ///< C = 0. Only for reproducing reference frames; 0.4.3 peers cannot read it.
    shortest, ///< The reference's `compressed=None`: both forms, keep the shorter, ties -> C = 0.
};

/// How `encode_binary` frames a message.
struct BinaryEncodeOptions {
    /// Compression rule; `always` per protocol.md A.7.5.
    Compression compression = Compression::always;
    /// Write the V flag and a framing-version byte; senders MUST NOT (A.7.1), tests may.
    bool versioned = false;
    /// The framing-version byte written when `versioned`; written as given, so tests can build
    /// frames of versions the decoder refuses.
    std::uint8_t version = 1;
};

/// Limits `decode_binary` applies to untrusted frames.
struct BinaryDecodeOptions {
    /// Metadata and payload each inflate to at most this many bytes (zlib bombs stop here).
    std::size_t max_inflated_bytes = 16 * 1024 * 1024;
    /// Transport messages nested deeper than this are refused (nesting_too_deep); the frame's
    /// own message is level 0, as for text frames (EnvelopeParseOptions::max_nesting).
    std::size_t max_nesting = 16;
};

/// The bitstring frame of `message` (protocol.md A.7.1-A.7.2). Throws
/// ProtocolError(metadata_too_large) when the metadata, after optional compression, exceeds
/// 255 bytes (with `shortest`, only when neither form fits), and not_serializable for a
/// transport message around a BINARY one (no JSON form) or a NaN / infinite double. The outer
/// route, node, target_site_id, target_pubkey and source_peer are not carried (A.7.3).
[[nodiscard]] Bytes encode_binary(const HiveMessage& message,
                                  const BinaryEncodeOptions& options = {});

/// Reads a bitstring frame. Errors: truncated_frame (empty or all-zero frame, a field cut
/// short), unsupported_version (framing version > 1), unknown_msg_type (codes 13-31),
/// malformed_frame (payload not whole bytes on a byte boundary), compression_error (bad,
/// truncated or oversized zlib data), malformed_json / invalid_utf8 (metadata or payload text),
/// invalid_field (metadata or payload JSON that is not an object; `null` reads as `{}`),
/// nesting_too_deep, and whatever `message_from_json` reports for a nested envelope.
[[nodiscard]] HiveMessage decode_binary(ByteView frame, const BinaryDecodeOptions& options = {});

/// A bitstring frame's header, field by field, for traces and debugging.
struct BinaryFrameInfo {
    std::size_t bit_length = 0; ///< the whole frame, in bits
    std::size_t pad_bits = 0;   ///< zero bits before the start marker
    bool versioned = false;     ///< the V flag
    /// The framing-version byte, or the implied 1 when not versioned.
    std::uint8_t version = 1;
    std::uint8_t type_code = 0;           ///< the raw 5-bit code
    std::optional<MessageType> type;      ///< nullopt for the unassigned codes 13..31
    bool compressed = false;              ///< the C flag
    std::uint8_t meta_len = 0;            ///< L, in bytes
    Bytes meta_raw;                       ///< the L metadata bytes as sent (compressed if C)
    std::optional<std::uint8_t> bin_type; ///< the 4-bit bin_type, for type code 12 only
    std::size_t payload_bit_offset = 0;   ///< where the payload starts
    std::size_t payload_bits = 0;         ///< payload length in bits
    /// The payload bytes as sent, when they are whole bytes (always, in a decodable frame).
    std::optional<Bytes> payload_raw;
};

/// Splits a frame into its header fields without interpreting metadata or payload, and without
/// refusing unknown type codes or versions (so traces can show them; fields after a version
/// byte > 1 are read with the version-1 layout, which is the only one there is). Throws
/// ProtocolError(truncated_frame) when the frame ends inside the header, metadata or bin_type.
[[nodiscard]] BinaryFrameInfo inspect_binary(ByteView frame);

} // namespace hivescope::protocol
