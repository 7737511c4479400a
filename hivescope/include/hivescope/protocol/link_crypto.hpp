#pragma once
// What one link negotiated (cipher, encoding, key), packaged so a node can encrypt and decrypt
// its text and binary frames without redoing the key setup per message.

#include "hivescope/protocol/bytes.hpp"
#include "hivescope/protocol/cipher.hpp"
#include "hivescope/protocol/encoding.hpp"
#include "hivescope/protocol/encrypted_envelope.hpp"
#include "hivescope/protocol/json.hpp"
#include "hivescope/protocol/random.hpp"

#include <string>
#include <string_view>

namespace hivescope::protocol {

/// A link's negotiated crypto. Copyable value; one instance must not be used by two threads
/// at once (copy it instead).
class LinkCrypto {
  public:
    /// Throws ProtocolError(bad_key) when the key does not fit the cipher.
    LinkCrypto(Cipher cipher, Encoding encoding, ByteView key)
        : encoding_(encoding), aead_(cipher, key) {}

    /// The negotiated cipher.
    [[nodiscard]] Cipher cipher() const noexcept { return aead_.cipher(); }
    /// The negotiated envelope encoding.
    [[nodiscard]] Encoding encoding() const noexcept { return encoding_; }
    /// The raw key (never log it).
    [[nodiscard]] ByteView key() const noexcept { return aead_.key(); }

    /// A JSON envelope (A.9.3) around UTF-8 text, under a fresh nonce.
    [[nodiscard]] std::string encrypt_text(std::string_view plaintext, RandomSource& random);
    /// The text inside an envelope; errors as decrypt_from_json.
    [[nodiscard]] std::string decrypt_text(std::string_view envelope_text);
    /// The text inside an already parsed envelope (see decrypt_envelope).
    [[nodiscard]] std::string decrypt_envelope(const Json& envelope);
    /// A text frame read once: decrypted if it is an envelope, else parsed (read_text_frame).
    [[nodiscard]] TextFrame read_text_frame(std::string_view text);
    /// A binary frame `nonce ‖ ciphertext ‖ tag` (A.9.2) under a fresh nonce.
    [[nodiscard]] Bytes encrypt_binary(ByteView plaintext, RandomSource& random);
    /// The plaintext of a binary frame; throws decryption_failed.
    [[nodiscard]] Bytes decrypt_binary(ByteView frame);

  private:
    Encoding encoding_;
    Aead aead_;
};

} // namespace hivescope::protocol
