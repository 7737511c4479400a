#include "hivescope/protocol/encoding.hpp"

#include "hivescope/protocol/error.hpp"
#include "protocol/detail/base32.hpp"
#include "protocol/detail/base64.hpp"
#include "protocol/detail/base91.hpp"
#include "protocol/detail/hex.hpp"
#include "protocol/detail/z85.hpp"

namespace hivescope::protocol {

std::string_view wire_name(Encoding encoding) noexcept {
    switch (encoding) {
    case Encoding::json_b91:
        return "JSON-B91";
    case Encoding::json_z85b:
        return "JSON-Z85B";
    case Encoding::json_z85p:
        return "JSON-Z85P";
    case Encoding::json_b64:
        return "JSON-B64";
    case Encoding::json_urlsafe_b64:
        return "JSON-URLSAFE-B64";
    case Encoding::json_b32:
        return "JSON-B32";
    case Encoding::json_hex:
        return "JSON-HEX";
    }
    return "JSON-?";
}

std::optional<Encoding> encoding_from_wire(std::string_view name) noexcept {
    for (const Encoding encoding : all_encodings)
        if (wire_name(encoding) == name)
            return encoding;
    return std::nullopt;
}

Encoding parse_encoding(std::string_view name) {
    if (const auto encoding = encoding_from_wire(name))
        return *encoding;
    std::string shown(name.substr(0, 64));
    throw ProtocolError(ErrorCode::unknown_encoding, "unknown encoding \"" + shown + "\"");
}

std::string encode(Encoding encoding, ByteView bytes) {
    switch (encoding) {
    case Encoding::json_b91:
        return detail::base91_encode(bytes);
    case Encoding::json_z85b:
        return detail::z85b_encode(bytes);
    case Encoding::json_z85p:
        return detail::z85p_encode(bytes);
    case Encoding::json_b64:
        return detail::base64_encode(bytes, detail::Base64Alphabet::standard);
    case Encoding::json_urlsafe_b64:
        return detail::base64_encode(bytes, detail::Base64Alphabet::urlsafe);
    case Encoding::json_b32:
        return detail::base32_encode(bytes);
    case Encoding::json_hex:
        return detail::hex_text_encode(bytes);
    }
    throw ProtocolError(ErrorCode::invalid_argument, "encode: not an Encoding value");
}

Bytes decode(Encoding encoding, std::string_view text) {
    switch (encoding) {
    case Encoding::json_b91:
        return detail::base91_decode(text);
    case Encoding::json_z85b:
        return detail::z85b_decode(text);
    case Encoding::json_z85p:
        return detail::z85p_decode(text);
    case Encoding::json_b64:
        return detail::base64_decode(text, detail::Base64Alphabet::standard);
    case Encoding::json_urlsafe_b64:
        return detail::base64_decode(text, detail::Base64Alphabet::urlsafe);
    case Encoding::json_b32:
        return detail::base32_decode(text);
    case Encoding::json_hex:
        return detail::hex_text_decode(text);
    }
    throw ProtocolError(ErrorCode::invalid_argument, "decode: not an Encoding value");
}

} // namespace hivescope::protocol
