#pragma once
// The one error family of the protocol core: every decoder, codec and handshake reports bad
// input as a ProtocolError whose code says what kind of problem it was and whose message names
// the offending field or byte.

#include <stdexcept>
#include <string>
#include <string_view>

namespace hivescope::protocol {

/// What went wrong, stable enough to assert on in tests.
enum class ErrorCode {
    malformed_json,      ///< text is not JSON, or not the JSON shape expected
    unknown_msg_type,    ///< `msg_type` string or 5-bit code is not a HiveMind type
    unknown_key,         ///< an envelope key the reference would reject
    invalid_field,       ///< a known key with a value of the wrong type or range
    invalid_utf8,        ///< text that is not valid UTF-8
    nesting_too_deep,    ///< JSON or nested HiveMessages deeper than the configured limit
    bad_encoding,        ///< text not valid in the negotiated encoding (hex, b64, z85, b91, ...)
    unknown_encoding,    ///< an encoding name that is not one of the seven
    unknown_cipher,      ///< a cipher name that is not AES-GCM or CHACHA20-POLY1305
    bad_key,             ///< key of the wrong size for the cipher, or unparsable PEM
    decryption_failed,   ///< AEAD tag mismatch or ciphertext too short
    auth_failed,         ///< handshake proof or signature did not verify
    truncated_frame,     ///< a binary frame ended before a declared field
    malformed_frame,     ///< a binary frame whose bits are inconsistent
    metadata_too_large,  ///< binary metadata over 255 bytes after compression
    compression_error,   ///< zlib stream that does not inflate, or inflates past the limit
    unsupported_version, ///< binary framing version the decoder does not know
    not_serializable,    ///< a message that cannot take the requested form (e.g. BINARY as JSON)
    negotiation_failed,  ///< no common cipher or encoding
    invalid_argument,    ///< API misuse by the caller
    crypto_error,        ///< the crypto library failed for a reason other than bad input
};

/// The snake_case name of a code, as used in messages and test output.
std::string_view to_string(ErrorCode code) noexcept;

/// A typed protocol error: `code()` for programs, `what()` for people.
class ProtocolError : public std::runtime_error {
  public:
    ProtocolError(ErrorCode code, const std::string& detail);

    [[nodiscard]] ErrorCode code() const noexcept { return code_; }
    /// The message without the leading code name.
    [[nodiscard]] const std::string& detail() const noexcept { return detail_; }

  private:
    ErrorCode code_;
    std::string detail_;
};

} // namespace hivescope::protocol
