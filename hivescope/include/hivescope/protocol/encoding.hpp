#pragma once
// The seven binary-to-text encodings an encrypted JSON envelope can use (protocol.md A.10).
// Each envelope field is encoded on its own with the link's negotiated encoding; decoders
// accept exactly what the reference decoders accept, no more and no less.

#include "hivescope/protocol/bytes.hpp"

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace hivescope::protocol {

/// A negotiated envelope encoding, by wire name.
enum class Encoding {
    json_b91,  ///< `JSON-B91`: basE91
    json_z85b, ///< `JSON-Z85B`: little-endian Z85 without pad characters
    json_z85p, ///< `JSON-Z85P`: pad-count byte + big-endian Z85; decode only, never negotiated
    json_b64,  ///< `JSON-B64`: RFC 4648 base64, `=` padded
    json_urlsafe_b64, ///< `JSON-URLSAFE-B64`: RFC 4648 §5 alphabet, `=` padded
    json_b32,         ///< `JSON-B32`: RFC 4648 base32, upper case, `=` padded
    json_hex,         ///< `JSON-HEX`: lower-case hex, the protocol default
};

/// Every encoding, in the order of the enum.
inline constexpr std::array<Encoding, 7> all_encodings{
    Encoding::json_b91,         Encoding::json_z85b, Encoding::json_z85p, Encoding::json_b64,
    Encoding::json_urlsafe_b64, Encoding::json_b32,  Encoding::json_hex};

/// The wire name, e.g. `JSON-B91`.
[[nodiscard]] std::string_view wire_name(Encoding encoding) noexcept;

/// The encoding with this exact (case-sensitive) wire name, or nullopt.
[[nodiscard]] std::optional<Encoding> encoding_from_wire(std::string_view name) noexcept;

/// Like encoding_from_wire but throws ProtocolError(unknown_encoding) naming the text.
[[nodiscard]] Encoding parse_encoding(std::string_view name);

/// Encode bytes as text; the result is ASCII except JSON-Z85P's leading raw pad byte.
[[nodiscard]] std::string encode(Encoding encoding, ByteView bytes);

/// Decode text; throws ProtocolError(bad_encoding) naming the offending character and offset.
[[nodiscard]] Bytes decode(Encoding encoding, std::string_view text);

} // namespace hivescope::protocol
