#include "hivescope/protocol/password_handshake.hpp"

#include "hivescope/protocol/key_derivation_cache.hpp"

#include "hivescope/protocol/error.hpp"

#include <openssl/evp.h>

#include <climits>

namespace hivescope::protocol {

namespace {

/// The B.14 close reason every proof failure maps to.
constexpr std::string_view handshake_failed = "handshake failed";

Bytes sha256(ByteView data) {
    Bytes digest(EVP_MAX_MD_SIZE);
    unsigned int length = 0;
    if (EVP_Digest(data.data(), data.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1)
        throw ProtocolError(ErrorCode::crypto_error, "SHA-256 failed");
    digest.resize(length);
    return digest;
}

[[noreturn]] void refuse(const std::string& why) {
    throw ProtocolError(ErrorCode::auth_failed, std::string(handshake_failed) + ": " + why);
}

} // namespace

std::string create_hsub(std::string_view text, ByteView iv, std::size_t hsub_len) {
    Bytes material(iv.begin(), iv.end());
    material.insert(material.end(), text.begin(), text.end());
    Bytes hsub(iv.begin(), iv.end());
    const Bytes digest = sha256(material);
    hsub.insert(hsub.end(), digest.begin(), digest.end());
    std::string out = hex_encode(hsub);
    if (out.size() > hsub_len)
        out.resize(hsub_len);
    return out;
}

std::optional<Bytes> iv_from_hsub(std::string_view hsub, std::size_t digits) {
    if (hsub.size() < digits)
        return std::nullopt;
    try {
        return hex_decode(hsub.substr(0, digits));
    } catch (const ProtocolError&) {
        return std::nullopt;
    }
}

bool match_hsub(std::string_view hsub, std::string_view subject) {
    if (hsub.size() < password_envelope_min_chars || hsub.size() > password_envelope_max_chars)
        return false;
    const auto iv = iv_from_hsub(hsub);
    if (!iv || iv->empty())
        return false;
    return create_hsub(subject, *iv, hsub.size()) == hsub;
}

std::string create_envelope(std::string_view password, ByteView iv8) {
    if (iv8.size() != password_iv_size)
        throw ProtocolError(ErrorCode::invalid_argument,
                            "password handshake IV must be 8 bytes, got " +
                                std::to_string(iv8.size()));
    return create_hsub(password, iv8, password_envelope_chars);
}

bool verify_envelope(std::string_view password, std::string_view envelope) {
    return match_hsub(envelope, password);
}

Bytes derive_salt(ByteView iv_client, ByteView iv_server) {
    if (iv_client.size() != iv_server.size())
        throw ProtocolError(ErrorCode::invalid_argument,
                            "IVs of different lengths (" + std::to_string(iv_client.size()) +
                                " and " + std::to_string(iv_server.size()) + ")");
    Bytes salt(iv_client.size());
    for (std::size_t i = 0; i < salt.size(); ++i)
        salt[i] = static_cast<std::uint8_t>(iv_client[i] ^ iv_server[i]);
    return salt;
}

Bytes derive_key(std::string_view password, ByteView salt) {
    return derive_key(password, salt, password_kdf_iterations);
}

Bytes derive_key(std::string_view password, ByteView salt, unsigned iterations) {
    if (iterations == 0 || iterations > static_cast<unsigned>(INT_MAX))
        throw ProtocolError(ErrorCode::invalid_argument,
                            "PBKDF2 iteration count must be 1.." + std::to_string(INT_MAX));
    if (password.size() > static_cast<std::size_t>(INT_MAX) ||
        salt.size() > static_cast<std::size_t>(INT_MAX))
        throw ProtocolError(ErrorCode::invalid_argument, "password or salt too long for PBKDF2");
    Bytes key(password_key_size);
    if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()), salt.data(),
                          static_cast<int>(salt.size()), static_cast<int>(iterations), EVP_sha256(),
                          static_cast<int>(key.size()), key.data()) != 1)
        throw ProtocolError(ErrorCode::crypto_error, "PBKDF2-HMAC-SHA256 failed");
    return key;
}

PasswordHandshake::PasswordHandshake(std::string password, unsigned iterations)
    : password_(std::move(password)), iterations_(iterations) {}

std::string PasswordHandshake::start(RandomSource& random) {
    iv_ = random.bytes(password_iv_size);
    salt_.clear();
    key_.clear();
    return create_envelope(password_, iv_);
}

void PasswordHandshake::receive_and_verify(std::string_view peer_envelope) {
    if (iv_.empty())
        throw ProtocolError(ErrorCode::invalid_argument,
                            "password handshake: receive_and_verify before start");
    if (peer_envelope.size() < password_envelope_min_chars ||
        peer_envelope.size() > password_envelope_max_chars)
        refuse("password envelope has " + std::to_string(peer_envelope.size()) +
               " characters, expected 48 to 80");
    if (!iv_from_hsub(peer_envelope))
        refuse("password envelope does not start with 16 hex digits");
    if (!verify_envelope(password_, peer_envelope))
        refuse("password proof does not verify (wrong password?)");
    derive_from(peer_envelope);
}

void PasswordHandshake::receive_without_verifying(std::string_view peer_envelope) {
    if (iv_.empty())
        throw ProtocolError(ErrorCode::invalid_argument,
                            "password handshake: receive_without_verifying before start");
    derive_from(peer_envelope);
}

void PasswordHandshake::derive_from(std::string_view peer_envelope) {
    const auto peer_iv = iv_from_hsub(peer_envelope);
    if (!peer_iv)
        refuse("password envelope does not start with 16 hex digits");
    salt_ = derive_salt(iv_, *peer_iv);
    key_ = cache_ != nullptr ? cache_->derive(password_, salt_, iterations_)
                             : derive_key(password_, salt_, iterations_);
}

const Bytes& PasswordHandshake::secret() const {
    if (key_.empty())
        throw ProtocolError(ErrorCode::invalid_argument,
                            "password handshake: no key before the peer's envelope arrived");
    return key_;
}

} // namespace hivescope::protocol
