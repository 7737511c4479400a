#pragma once
// The JSON form of an encrypted frame (protocol.md A.9.3):
// `{"ciphertext": "<enc(ct)>", "tag": "<enc(tag)>", "nonce": "<enc(nonce)>"}` with Python's
// default json.dumps separators and ASCII escaping, each field encoded on its own.

#include "hivescope/protocol/bytes.hpp"
#include "hivescope/protocol/cipher.hpp"
#include "hivescope/protocol/encoding.hpp"
#include "hivescope/protocol/json.hpp"
#include "hivescope/protocol/random.hpp"

#include <string>
#include <string_view>

namespace hivescope::protocol {

/// Encrypt UTF-8 text into an envelope under a fresh nonce (bad key: ProtocolError(bad_key)).
[[nodiscard]] std::string encrypt_as_json(Cipher cipher, Encoding encoding, ByteView key,
                                          std::string_view plaintext, RandomSource& random);

/// Same with a given nonce of exactly nonce_size(cipher) bytes (vectors, replays).
[[nodiscard]] std::string encrypt_as_json_with_nonce(Cipher cipher, Encoding encoding, ByteView key,
                                                     std::string_view plaintext, ByteView nonce);

/// The plaintext of an envelope. A missing `tag` means the last 16 bytes of the decoded
/// ciphertext are the tag. Throws malformed_json (not a JSON object), invalid_field (missing
/// or non-string `ciphertext`/`nonce`, non-string `tag`), bad_encoding, bad_key,
/// decryption_failed, or invalid_utf8 (authentic plaintext that is not UTF-8).
[[nodiscard]] std::string decrypt_from_json(Cipher cipher, Encoding encoding, ByteView key,
                                            std::string_view envelope_text);

/// encrypt_as_json with a prepared key (the fast path for a live link).
[[nodiscard]] std::string encrypt_as_json(Aead& aead, Encoding encoding, std::string_view plaintext,
                                          RandomSource& random);

/// encrypt_as_json_with_nonce with a prepared key.
[[nodiscard]] std::string encrypt_as_json_with_nonce(Aead& aead, Encoding encoding,
                                                     std::string_view plaintext, ByteView nonce);

/// decrypt_from_json with a prepared key.
[[nodiscard]] std::string decrypt_from_json(Aead& aead, Encoding encoding,
                                            std::string_view envelope_text);

/// decrypt_from_json of an already parsed frame (saves a second parse after detection). A
/// distinct name because Json converts implicitly from strings.
[[nodiscard]] std::string decrypt_envelope(Aead& aead, Encoding encoding, const Json& envelope);

/// A text frame read once: an encrypted envelope's plaintext, or the frame's own JSON.
struct TextFrame {
    bool encrypted = false; ///< it is an encrypted envelope (is_encrypted_envelope)
    std::string plaintext;  ///< the decrypted text, when `encrypted` and a key was given
    Json json;              ///< the parsed frame, when not `encrypted`
};

/// The hot path of a link's text frames: parses `text` once and, for an encrypted envelope,
/// decrypts it with `aead` without building a Json tree for the envelope (with `aead` null it
/// is only reported). Same errors, in the same order, as Json::parse, then decrypt_envelope.
[[nodiscard]] TextFrame read_text_frame(Aead* aead, Encoding encoding, std::string_view text,
                                        const JsonParseLimits& limits = {});

/// Our detection rule (A.9.3): an object with a `ciphertext` key and no `msg_type`.
[[nodiscard]] bool is_encrypted_envelope(const Json& frame) noexcept;

} // namespace hivescope::protocol
