// libFuzzer target: encrypted frames (protocol.md A.9) and the seven encodings (A.10).
//
// The input is tried, under one fixed 32-byte key, as a binary frame (`decrypt_bin`) and as a
// JSON envelope (`decrypt_from_json`) for every cipher and encoding, and as encoded text for
// every decoder. Rejections must be ProtocolError; anything else escaping, a crash or a
// sanitizer report is a finding. Properties checked:
// * the one-shot and prepared-key (Aead) paths agree;
// * whatever decrypts re-encrypts, under the nonce it carried, to the same frame / plaintext;
// * every decoded text re-encodes to something that decodes to the same bytes;
// * decode(e, encode(e, input)) == input for every encoding, with the documented lengths.
//
// The key is the session key of the handshake.json transcripts, so the transcript frames in
// the seed corpus decrypt and the fuzzer starts from the success paths, not just tag failures.

#include "fuzz_check.hpp"

#include "hivescope/protocol/cipher.hpp"
#include "hivescope/protocol/encoding.hpp"
#include "hivescope/protocol/encrypted_envelope.hpp"
#include "hivescope/protocol/error.hpp"
#include "hivescope/protocol/json.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace {

using namespace hivescope::protocol;
using hivescope::fuzz::check;

constexpr std::array<std::uint8_t, 32> fuzz_key{
    0x75, 0x67, 0x90, 0x9c, 0x6c, 0x47, 0x0e, 0xb7, 0x38, 0xbc, 0x9f, 0x89, 0x2c, 0xef, 0x6c, 0xa8,
    0x12, 0x39, 0xbf, 0x46, 0x93, 0x18, 0x0c, 0xad, 0x62, 0x3d, 0xfa, 0x88, 0xf0, 0x6b, 0x84, 0xf3};

std::optional<Bytes> try_decrypt_bin(Cipher cipher, ByteView frame) {
    try {
        return decrypt_bin(cipher, fuzz_key, frame);
    } catch (const ProtocolError&) {
        return std::nullopt;
    }
}

void fuzz_binary_frame(Cipher cipher, Aead& aead, ByteView frame) {
    const auto plaintext = try_decrypt_bin(cipher, frame);
    const auto via_aead = [&]() -> std::optional<Bytes> {
        try {
            return aead.open(frame);
        } catch (const ProtocolError&) {
            return std::nullopt;
        }
    }();
    check(plaintext == via_aead, "decrypt_bin and Aead::open agree");
    if (!plaintext)
        return;
    const std::size_t nonce_len = nonce_size(cipher);
    check(frame.size() == nonce_len + plaintext->size() + aead_tag_size,
          "frame = nonce + ciphertext + tag");
    const Bytes resealed =
        encrypt_bin_with_nonce(cipher, fuzz_key, *plaintext, frame.first(nonce_len));
    check(std::equal(resealed.begin(), resealed.end(), frame.begin(), frame.end()),
          "re-encrypting under the frame's nonce reproduces the frame");
}

// The nonce an envelope carried, when it can be read back with `encoding`.
std::optional<Bytes> envelope_nonce(Encoding encoding, std::string_view text) {
    try {
        const Json envelope = Json::parse(text);
        const Json* nonce = envelope.find("nonce");
        if (nonce == nullptr || !nonce->is_string())
            return std::nullopt;
        return decode(encoding, nonce->as_string());
    } catch (const ProtocolError&) {
        return std::nullopt;
    }
}

void fuzz_json_envelope(Cipher cipher, Encoding encoding, Aead& aead, std::string_view text) {
    std::optional<std::string> plaintext;
    try {
        plaintext = decrypt_from_json(cipher, encoding, fuzz_key, text);
    } catch (const ProtocolError&) {
    }
    const auto via_aead = [&]() -> std::optional<std::string> {
        try {
            return decrypt_from_json(aead, encoding, text);
        } catch (const ProtocolError&) {
            return std::nullopt;
        }
    }();
    check(plaintext == via_aead, "decrypt_from_json one-shot and Aead paths agree");
    if (!plaintext)
        return;

    const auto nonce = envelope_nonce(encoding, text);
    check(nonce.has_value(), "a decryptable envelope has a readable nonce");
    if (nonce->size() != nonce_size(cipher))
        return; // accepted on input like the reference, but the encoder only takes full nonces
    const std::string resealed =
        encrypt_as_json_with_nonce(cipher, encoding, fuzz_key, *plaintext, *nonce);
    check(decrypt_from_json(cipher, encoding, fuzz_key, resealed) == *plaintext,
          "an envelope re-encrypted under its nonce decrypts to the same plaintext");
}

// Output length of encode(e, n bytes), where the encoding has a closed form.
std::optional<std::size_t> encoded_length(Encoding encoding, std::size_t n) {
    switch (encoding) {
    case Encoding::json_hex:
        return 2 * n;
    case Encoding::json_b64:
    case Encoding::json_urlsafe_b64:
        return 4 * ((n + 2) / 3);
    case Encoding::json_b32:
        return 8 * ((n + 4) / 5);
    case Encoding::json_z85p:
        return 1 + 5 * ((n + 3) / 4);
    case Encoding::json_z85b: {
        static constexpr std::size_t dropped[] = {0, 3, 2, 1};
        return 5 * ((n + 3) / 4) - dropped[n % 4];
    }
    case Encoding::json_b91:
        return std::nullopt;
    }
    return std::nullopt;
}

void fuzz_encoding(Encoding encoding, ByteView bytes, std::string_view text) {
    // The raw input as data: encode, then decode back.
    const std::string encoded = encode(encoding, bytes);
    if (const auto length = encoded_length(encoding, bytes.size()))
        check(encoded.size() == *length, "encoded length matches the encoding's formula");
    for (std::size_t i = encoding == Encoding::json_z85p ? 1 : 0; i < encoded.size(); ++i)
        check(static_cast<unsigned char>(encoded[i]) >= 0x21 &&
                  static_cast<unsigned char>(encoded[i]) < 0x7f,
              "encoded text is printable ASCII (after Z85P's pad byte)");
    const Bytes decoded = decode(encoding, encoded);
    check(std::equal(decoded.begin(), decoded.end(), bytes.begin(), bytes.end()),
          "decode(e, encode(e, x)) == x");

    // The raw input as text: whatever decodes must survive a re-encode.
    std::optional<Bytes> value;
    try {
        value = decode(encoding, text);
    } catch (const ProtocolError&) {
        return;
    }
    check(decode(encoding, encode(encoding, *value)) == *value,
          "decode(e, encode(e, decode(e, t))) == decode(e, t)");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const ByteView bytes(data, size);
    const std::string_view text = hivescope::fuzz::as_text(data, size);
    for (const Cipher cipher : all_ciphers) {
        Aead aead(cipher, fuzz_key);
        fuzz_binary_frame(cipher, aead, bytes);
        for (const Encoding encoding : all_encodings)
            fuzz_json_envelope(cipher, encoding, aead, text);
    }
    for (const Encoding encoding : all_encodings)
        fuzz_encoding(encoding, bytes, text);
    return 0;
}
