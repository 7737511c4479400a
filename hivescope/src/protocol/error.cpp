#include "hivescope/protocol/error.hpp"

namespace hivescope::protocol {

std::string_view to_string(ErrorCode code) noexcept {
    switch (code) {
    case ErrorCode::malformed_json:
        return "malformed_json";
    case ErrorCode::unknown_msg_type:
        return "unknown_msg_type";
    case ErrorCode::unknown_key:
        return "unknown_key";
    case ErrorCode::invalid_field:
        return "invalid_field";
    case ErrorCode::invalid_utf8:
        return "invalid_utf8";
    case ErrorCode::nesting_too_deep:
        return "nesting_too_deep";
    case ErrorCode::bad_encoding:
        return "bad_encoding";
    case ErrorCode::unknown_encoding:
        return "unknown_encoding";
    case ErrorCode::unknown_cipher:
        return "unknown_cipher";
    case ErrorCode::bad_key:
        return "bad_key";
    case ErrorCode::decryption_failed:
        return "decryption_failed";
    case ErrorCode::auth_failed:
        return "auth_failed";
    case ErrorCode::truncated_frame:
        return "truncated_frame";
    case ErrorCode::malformed_frame:
        return "malformed_frame";
    case ErrorCode::metadata_too_large:
        return "metadata_too_large";
    case ErrorCode::compression_error:
        return "compression_error";
    case ErrorCode::unsupported_version:
        return "unsupported_version";
    case ErrorCode::not_serializable:
        return "not_serializable";
    case ErrorCode::negotiation_failed:
        return "negotiation_failed";
    case ErrorCode::invalid_argument:
        return "invalid_argument";
    case ErrorCode::crypto_error:
        return "crypto_error";
    }
    return "unknown_error";
}

ProtocolError::ProtocolError(ErrorCode code, const std::string& detail)
    : std::runtime_error(std::string(to_string(code)) + ": " + detail), code_(code),
      detail_(detail) {}

} // namespace hivescope::protocol
