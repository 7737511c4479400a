#include "hivescope/protocol/cipher.hpp"

#include "hivescope/protocol/error.hpp"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include <algorithm>
#include <climits>
#include <string>

namespace hivescope::protocol {

namespace {

struct CipherFree {
    void operator()(EVP_CIPHER* cipher) const noexcept { EVP_CIPHER_free(cipher); }
};
struct ContextFree {
    void operator()(EVP_CIPHER_CTX* ctx) const noexcept { EVP_CIPHER_CTX_free(ctx); }
};
using CipherPtr = std::unique_ptr<EVP_CIPHER, CipherFree>;
using ContextPtr = std::unique_ptr<EVP_CIPHER_CTX, ContextFree>;

/// EVP_*Update takes an int length; larger inputs go through in slices of this size.
constexpr std::size_t max_update = std::size_t{1} << 30;

[[noreturn]] void throw_crypto(const char* what) {
    ERR_clear_error(); // leave no stale error for the next OpenSSL caller on this thread
    throw ProtocolError(ErrorCode::crypto_error, std::string("OpenSSL: ") + what + " failed");
}

/// The provider algorithm name; AES-GCM's key size is part of the OpenSSL algorithm.
const char* algorithm_name(Cipher cipher, std::size_t key_size) noexcept {
    if (cipher == Cipher::chacha20_poly1305)
        return "ChaCha20-Poly1305";
    return key_size == 16 ? "AES-128-GCM" : key_size == 24 ? "AES-192-GCM" : "AES-256-GCM";
}

} // namespace

std::string_view wire_name(Cipher cipher) noexcept {
    switch (cipher) {
    case Cipher::aes_gcm:
        return "AES-GCM";
    case Cipher::chacha20_poly1305:
        return "CHACHA20-POLY1305";
    }
    return "?";
}

std::optional<Cipher> cipher_from_wire(std::string_view name) noexcept {
    for (const Cipher cipher : all_ciphers)
        if (wire_name(cipher) == name)
            return cipher;
    return std::nullopt;
}

Cipher parse_cipher(std::string_view name) {
    if (const auto cipher = cipher_from_wire(name))
        return *cipher;
    throw ProtocolError(ErrorCode::unknown_cipher,
                        "unknown cipher \"" + std::string(name.substr(0, 64)) + "\"");
}

std::size_t nonce_size(Cipher cipher) noexcept {
    return cipher == Cipher::aes_gcm ? 16 : 12;
}

bool is_valid_key_size(Cipher cipher, std::size_t size) noexcept {
    if (cipher == Cipher::aes_gcm)
        return size == 16 || size == 24 || size == 32;
    return size == 32;
}

void check_key(Cipher cipher, ByteView key) {
    if (is_valid_key_size(cipher, key.size()))
        return;
    const std::string wanted =
        cipher == Cipher::aes_gcm ? "a 16, 24 or 32-byte key" : "a 32-byte key";
    throw ProtocolError(ErrorCode::bad_key, std::string(wire_name(cipher)) + " requires " + wanted +
                                                ", got " + std::to_string(key.size()) + " bytes");
}

// --------------------------------------------------------------------------------------------
// Aead

struct Aead::State {
    Bytes key;
    CipherPtr implementation;
    ContextPtr sealer; ///< keyed for encryption on first use
    ContextPtr opener; ///< keyed for decryption on first use

    State(Cipher cipher, ByteView key_bytes) : key(key_bytes.begin(), key_bytes.end()) {
        implementation.reset(
            EVP_CIPHER_fetch(nullptr, algorithm_name(cipher, key.size()), nullptr));
        if (!implementation)
            throw_crypto("EVP_CIPHER_fetch");
    }
    State(const State& other) : key(other.key) {
        if (EVP_CIPHER_up_ref(other.implementation.get()) != 1)
            throw_crypto("EVP_CIPHER_up_ref");
        implementation.reset(other.implementation.get());
    }
    State& operator=(const State&) = delete;
    ~State() { OPENSSL_cleanse(key.data(), key.size()); }

    /// A context with the key schedule done once; afterwards each frame only sets the nonce.
    ContextPtr keyed_context(Cipher cipher, bool encrypt) const {
        ContextPtr ctx(EVP_CIPHER_CTX_new());
        if (!ctx)
            throw_crypto("EVP_CIPHER_CTX_new");
        if (EVP_CipherInit_ex(ctx.get(), implementation.get(), nullptr, nullptr, nullptr,
                              encrypt ? 1 : 0) != 1)
            throw_crypto("EVP_CipherInit_ex");
        // A 16-byte GCM IV makes OpenSSL derive J0 through GHASH, as pycryptodome does.
        if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_SET_IVLEN,
                                static_cast<int>(nonce_size(cipher)), nullptr) != 1)
            throw_crypto("EVP_CTRL_AEAD_SET_IVLEN");
        if (EVP_CipherInit_ex(ctx.get(), nullptr, nullptr, key.data(), nullptr, encrypt ? 1 : 0) !=
            1)
            throw_crypto("EVP_CipherInit_ex(key)");
        return ctx;
    }
};

Aead::Aead(Cipher cipher, ByteView key) : cipher_(cipher) {
    check_key(cipher, key);
    state_ = std::make_unique<State>(cipher, key);
}

Aead::Aead(const Aead& other)
    : cipher_(other.cipher_),
      state_(other.state_ ? std::make_unique<State>(*other.state_) : nullptr) {}

Aead& Aead::operator=(const Aead& other) {
    if (this != &other) {
        Aead copy(other);
        *this = std::move(copy);
    }
    return *this;
}

Aead::Aead(Aead&& other) noexcept = default;
Aead& Aead::operator=(Aead&& other) noexcept = default;
Aead::~Aead() = default;

ByteView Aead::key() const noexcept {
    return state_ ? ByteView(state_->key) : ByteView();
}

Bytes Aead::seal(ByteView plaintext, RandomSource& random) {
    std::array<std::uint8_t, 16> buffer{}; // the larger of the two nonce sizes
    const std::span<std::uint8_t> nonce(buffer.data(), nonce_size(cipher_));
    random.fill(nonce);
    return seal_with_nonce(plaintext, nonce);
}

Bytes Aead::seal_with_nonce(ByteView plaintext, ByteView nonce) {
    if (!state_)
        throw ProtocolError(ErrorCode::invalid_argument, "Aead used after move");
    const std::size_t nonce_bytes = nonce_size(cipher_);
    if (nonce.size() != nonce_bytes)
        throw ProtocolError(ErrorCode::invalid_argument,
                            std::string(wire_name(cipher_)) + " needs a " +
                                std::to_string(nonce_bytes) + "-byte nonce, got " +
                                std::to_string(nonce.size()));
    if (!state_->sealer)
        state_->sealer = state_->keyed_context(cipher_, true);
    EVP_CIPHER_CTX* ctx = state_->sealer.get();

    Bytes frame(nonce_bytes + plaintext.size() + aead_tag_size);
    std::copy(nonce.begin(), nonce.end(), frame.begin());
    try {
        if (EVP_EncryptInit_ex(ctx, nullptr, nullptr, nullptr, nonce.data()) != 1)
            throw_crypto("EVP_EncryptInit_ex(nonce)");
        std::uint8_t* out = frame.data() + nonce_bytes;
        for (std::size_t done = 0; done < plaintext.size();) {
            const std::size_t chunk = std::min(max_update, plaintext.size() - done);
            int written = 0;
            if (EVP_EncryptUpdate(ctx, out, &written, plaintext.data() + done,
                                  static_cast<int>(chunk)) != 1)
                throw_crypto("EVP_EncryptUpdate");
            out += written;
            done += chunk;
        }
        int tail = 0;
        if (EVP_EncryptFinal_ex(ctx, out, &tail) != 1)
            throw_crypto("EVP_EncryptFinal_ex");
        if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, static_cast<int>(aead_tag_size),
                                frame.data() + nonce_bytes + plaintext.size()) != 1)
            throw_crypto("EVP_CTRL_AEAD_GET_TAG");
    } catch (...) {
        state_->sealer.reset(); // unknown state: start from a fresh context next time
        throw;
    }
    return frame;
}

Bytes Aead::open(ByteView frame) {
    return open_as<Bytes>(frame);
}

std::string Aead::open_text(ByteView frame) {
    return open_as<std::string>(frame);
}

template <class Out> Out Aead::open_as(ByteView frame) {
    if (!state_)
        throw ProtocolError(ErrorCode::invalid_argument, "Aead used after move");
    const std::size_t nonce_bytes = nonce_size(cipher_);
    if (frame.size() < nonce_bytes + aead_tag_size)
        throw ProtocolError(ErrorCode::decryption_failed,
                            std::string(wire_name(cipher_)) + " frame of " +
                                std::to_string(frame.size()) + " bytes is shorter than nonce (" +
                                std::to_string(nonce_bytes) + ") + tag (16)");
    if (!state_->opener)
        state_->opener = state_->keyed_context(cipher_, false);
    EVP_CIPHER_CTX* ctx = state_->opener.get();

    const ByteView nonce = frame.first(nonce_bytes);
    const ByteView body = frame.subspan(nonce_bytes, frame.size() - nonce_bytes - aead_tag_size);
    std::array<std::uint8_t, aead_tag_size> tag{};
    std::copy(frame.end() - aead_tag_size, frame.end(), tag.begin());

    Out plaintext(body.size(), typename Out::value_type{});
    bool authentic = false;
    try {
        if (EVP_DecryptInit_ex(ctx, nullptr, nullptr, nullptr, nonce.data()) != 1)
            throw_crypto("EVP_DecryptInit_ex(nonce)");
        auto* out = reinterpret_cast<std::uint8_t*>(plaintext.data());
        for (std::size_t done = 0; done < body.size();) {
            const std::size_t chunk = std::min(max_update, body.size() - done);
            int written = 0;
            if (EVP_DecryptUpdate(ctx, out, &written, body.data() + done,
                                  static_cast<int>(chunk)) != 1)
                throw_crypto("EVP_DecryptUpdate");
            out += written;
            done += chunk;
        }
        if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, static_cast<int>(tag.size()),
                                tag.data()) != 1)
            throw_crypto("EVP_CTRL_AEAD_SET_TAG");
        int tail = 0;
        authentic = EVP_DecryptFinal_ex(ctx, out, &tail) == 1;
    } catch (...) {
        state_->opener.reset();
        throw;
    }
    if (!authentic) {
        ERR_clear_error();
        OPENSSL_cleanse(plaintext.data(), plaintext.size());
        state_->opener.reset(); // never reuse a context that just failed verification
        throw ProtocolError(ErrorCode::decryption_failed,
                            std::string(wire_name(cipher_)) +
                                " authentication failed (wrong key, or frame altered)");
    }
    return plaintext;
}

// --------------------------------------------------------------------------------------------
// One-shot helpers

Bytes encrypt_bin(Cipher cipher, ByteView key, ByteView plaintext, RandomSource& random) {
    return Aead(cipher, key).seal(plaintext, random);
}

Bytes encrypt_bin_with_nonce(Cipher cipher, ByteView key, ByteView plaintext, ByteView nonce) {
    return Aead(cipher, key).seal_with_nonce(plaintext, nonce);
}

Bytes decrypt_bin(Cipher cipher, ByteView key, ByteView frame) {
    return Aead(cipher, key).open(frame);
}

} // namespace hivescope::protocol
