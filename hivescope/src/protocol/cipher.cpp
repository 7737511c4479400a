#include "hivescope/protocol/cipher.hpp"

#include "hivescope/protocol/error.hpp"

#include <nettle/gcm.h>
#include <nettle/memops.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cstdint>
#include <string>

namespace hivescope::protocol {

namespace {

// Two implementations behind one Aead, chosen per frame by plaintext length (the threshold and
// its measurements are at detail::aes_gcm_nettle_max_plaintext in the header):
// - Nettle for AES-GCM frames of at most aes_gcm_nettle_max_plaintext bytes. A Nettle call is
//   plain C on a plain struct; OpenSSL 3's EVP spends ~130 ns per frame before the first byte
//   (EVP_CipherInit_ex looking up the IV length through OSSL_PARAM, the tag ctrls), about half
//   the cost of a BUS-sized frame.
// - OpenSSL's EVP for longer AES-GCM frames, where its stitched AES-NI + GHASH code is 2.4
//   times Nettle 3.8's speed per byte, and for every ChaCha20-Poly1305 frame: Nettle's
//   ChaCha20-Poly1305 is about 7 times slower per byte and wins only below ~200 bytes, less
//   than a BUS message.
// Both produce the same frame bytes, so a frame sealed by one side opens on the other.

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

/// A frame whose tag does not match: the one error for every kind of forgery or corruption.
[[noreturn]] void throw_inauthentic(Cipher cipher) {
    throw ProtocolError(ErrorCode::decryption_failed,
                        std::string(wire_name(cipher)) +
                            " authentication failed (wrong key, or frame altered)");
}

/// The provider algorithm name; AES-GCM's key size is part of the OpenSSL algorithm.
const char* algorithm_name(Cipher cipher, std::size_t key_size) noexcept {
    if (cipher == Cipher::chacha20_poly1305)
        return "ChaCha20-Poly1305";
    return key_size == 16 ? "AES-128-GCM" : key_size == 24 ? "AES-192-GCM" : "AES-256-GCM";
}

/// One of Nettle's AES-GCM key sizes: its context type and the calls on it.
template <class Context, auto set_key, auto set_iv, auto encrypt, auto decrypt, auto digest>
struct NettleGcm {
    static void key(Context& ctx, const std::uint8_t* key_bytes) noexcept {
        set_key(&ctx, key_bytes);
    }
    /// Encrypts (or decrypts) `size` bytes from `in` to `out` under `nonce`; writes the tag.
    template <bool sealing>
    static void run(Context& ctx, const std::uint8_t* nonce, std::size_t size, std::uint8_t* out,
                    const std::uint8_t* in, std::uint8_t* tag) noexcept {
        set_iv(&ctx, 16, nonce); // a 16-byte nonce: J0 is derived through GHASH (A.8)
        if constexpr (sealing)
            encrypt(&ctx, size, out, in);
        else
            decrypt(&ctx, size, out, in);
        digest(&ctx, aead_tag_size, tag);
    }
};

using NettleAes128 = NettleGcm<gcm_aes128_ctx, gcm_aes128_set_key, gcm_aes128_set_iv,
                               gcm_aes128_encrypt, gcm_aes128_decrypt, gcm_aes128_digest>;
using NettleAes192 = NettleGcm<gcm_aes192_ctx, gcm_aes192_set_key, gcm_aes192_set_iv,
                               gcm_aes192_encrypt, gcm_aes192_decrypt, gcm_aes192_digest>;
using NettleAes256 = NettleGcm<gcm_aes256_ctx, gcm_aes256_set_key, gcm_aes256_set_iv,
                               gcm_aes256_encrypt, gcm_aes256_decrypt, gcm_aes256_digest>;

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
    /// Nettle's contexts are plain data: the expanded key and GHASH table plus the state of one
    /// message, which every nonce resets, so sealing and opening share one.
    union Nettle {
        gcm_aes128_ctx aes128;
        gcm_aes192_ctx aes192;
        gcm_aes256_ctx aes256;
    };

    Cipher cipher;
    std::array<std::uint8_t, 32> key{};
    std::size_t key_size;
    CipherPtr implementation;
    ContextPtr sealer;         ///< OpenSSL, keyed for encryption on the first long frame
    ContextPtr opener;         ///< OpenSSL, keyed for decryption on the first long frame
    bool nettle_keyed = false; ///< whether `nettle` holds the expanded key (first short frame)
    Nettle nettle;

    State(Cipher algorithm, ByteView key_bytes) : cipher(algorithm), key_size(key_bytes.size()) {
        std::copy(key_bytes.begin(), key_bytes.end(), key.begin());
        implementation.reset(EVP_CIPHER_fetch(nullptr, algorithm_name(cipher, key_size), nullptr));
        if (!implementation)
            throw_crypto("EVP_CIPHER_fetch");
    }
    State(const State& other) : cipher(other.cipher), key(other.key), key_size(other.key_size) {
        if (EVP_CIPHER_up_ref(other.implementation.get()) != 1)
            throw_crypto("EVP_CIPHER_up_ref");
        implementation.reset(other.implementation.get());
    }
    State& operator=(const State&) = delete;
    ~State() {
        OPENSSL_cleanse(key.data(), key.size());
        if (nettle_keyed)
            OPENSSL_cleanse(&nettle, sizeof nettle);
    }

    /// Whether a frame with this much plaintext goes through Nettle rather than OpenSSL.
    [[nodiscard]] bool short_frame(std::size_t plaintext_size) const noexcept {
        return cipher == Cipher::aes_gcm && plaintext_size <= detail::aes_gcm_nettle_max_plaintext;
    }

    /// Nettle: encrypts (sealing) or decrypts `size` bytes of `in` into `out` under `nonce` and
    /// writes the tag it computed to `tag`.
    template <bool sealing>
    void nettle_run(const std::uint8_t* nonce, std::size_t size, std::uint8_t* out,
                    const std::uint8_t* in, std::uint8_t* tag) noexcept {
        switch (key_size) {
        case 16:
            return nettle_run_with<NettleAes128, sealing>(nettle.aes128, nonce, size, out, in, tag);
        case 24:
            return nettle_run_with<NettleAes192, sealing>(nettle.aes192, nonce, size, out, in, tag);
        default:
            return nettle_run_with<NettleAes256, sealing>(nettle.aes256, nonce, size, out, in, tag);
        }
    }

    /// OpenSSL: a context with the key schedule done once; afterwards each frame only sets the
    /// nonce.
    [[nodiscard]] ContextPtr keyed_context(bool encrypt) const {
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

  private:
    template <class Scheme, bool sealing, class Context>
    void nettle_run_with(Context& ctx, const std::uint8_t* nonce, std::size_t size,
                         std::uint8_t* out, const std::uint8_t* in, std::uint8_t* tag) noexcept {
        if (!nettle_keyed) {
            Scheme::key(ctx, key.data());
            nettle_keyed = true;
        }
        Scheme::template run<sealing>(ctx, nonce, size, out, in, tag);
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
    return state_ ? ByteView(state_->key.data(), state_->key_size) : ByteView();
}

Bytes Aead::seal(ByteView plaintext, RandomSource& random) {
    Bytes frame(sealed_size(plaintext.size()));
    seal_into(plaintext, random, frame);
    return frame;
}

std::size_t Aead::sealed_size(std::size_t plaintext_size) const noexcept {
    return nonce_size(cipher_) + plaintext_size + aead_tag_size;
}

void Aead::seal_into(ByteView plaintext, RandomSource& random, std::span<std::uint8_t> frame) {
    if (frame.size() != sealed_size(plaintext.size()))
        throw ProtocolError(ErrorCode::invalid_argument,
                            "a sealed frame of " + std::to_string(plaintext.size()) +
                                " bytes of plaintext needs " +
                                std::to_string(sealed_size(plaintext.size())) +
                                " bytes, the buffer has " + std::to_string(frame.size()));
    if (!state_)
        throw ProtocolError(ErrorCode::invalid_argument, "Aead used after move");
    // The nonce is drawn straight into its place in the frame.
    const std::span<std::uint8_t> nonce = frame.first(nonce_size(cipher_));
    random.fill(nonce);
    seal_to(plaintext, nonce, frame.data());
}

Bytes Aead::seal_with_nonce(ByteView plaintext, ByteView nonce) {
    const std::size_t nonce_bytes = nonce_size(cipher_);
    if (nonce.size() != nonce_bytes)
        throw ProtocolError(ErrorCode::invalid_argument,
                            std::string(wire_name(cipher_)) + " needs a " +
                                std::to_string(nonce_bytes) + "-byte nonce, got " +
                                std::to_string(nonce.size()));
    Bytes frame(sealed_size(plaintext.size()));
    std::copy(nonce.begin(), nonce.end(), frame.begin());
    seal_to(plaintext, ByteView(frame.data(), nonce_bytes), frame.data());
    return frame;
}

// `frame` holds sealed_size(plaintext.size()) bytes and starts with `nonce` (which may be those
// very bytes); the ciphertext and tag follow it.
void Aead::seal_to(ByteView plaintext, ByteView nonce, std::uint8_t* frame) {
    if (!state_)
        throw ProtocolError(ErrorCode::invalid_argument, "Aead used after move");
    std::uint8_t* body = frame + nonce.size();
    if (state_->short_frame(plaintext.size())) {
        state_->nettle_run<true>(nonce.data(), plaintext.size(), body, plaintext.data(),
                                 body + plaintext.size());
        return;
    }

    if (!state_->sealer)
        state_->sealer = state_->keyed_context(true);
    EVP_CIPHER_CTX* ctx = state_->sealer.get();
    try {
        if (EVP_EncryptInit_ex(ctx, nullptr, nullptr, nullptr, nonce.data()) != 1)
            throw_crypto("EVP_EncryptInit_ex(nonce)");
        std::uint8_t* out = body;
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
                                body + plaintext.size()) != 1)
            throw_crypto("EVP_CTRL_AEAD_GET_TAG");
    } catch (...) {
        state_->sealer.reset(); // unknown state: start from a fresh context next time
        throw;
    }
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
    const ByteView nonce = frame.first(nonce_bytes);
    const ByteView body = frame.subspan(nonce_bytes, frame.size() - nonce_bytes - aead_tag_size);

    if (state_->short_frame(body.size())) {
        // Nettle decrypts and computes the tag in one pass; the plaintext leaves only if it
        // matches.
        Out plaintext(body.size(), typename Out::value_type{});
        std::array<std::uint8_t, aead_tag_size> tag{};
        state_->nettle_run<false>(nonce.data(), body.size(),
                                  reinterpret_cast<std::uint8_t*>(plaintext.data()), body.data(),
                                  tag.data());
        if (memeql_sec(tag.data(), frame.data() + frame.size() - aead_tag_size, aead_tag_size) ==
            0) {
            OPENSSL_cleanse(plaintext.data(), plaintext.size());
            throw_inauthentic(cipher_);
        }
        return plaintext;
    }

    if (!state_->opener)
        state_->opener = state_->keyed_context(false);
    EVP_CIPHER_CTX* ctx = state_->opener.get();

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
        throw_inauthentic(cipher_);
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
