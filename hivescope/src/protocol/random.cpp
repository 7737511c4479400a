#include "hivescope/protocol/random.hpp"

#include "hivescope/protocol/error.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <cstring>
#include <memory>

namespace hivescope::protocol {

void SystemRandom::fill(std::span<std::uint8_t> out) {
    if (out.empty())
        return;
    if (RAND_bytes(out.data(), static_cast<int>(out.size())) != 1)
        throw ProtocolError(ErrorCode::crypto_error, "RAND_bytes failed");
}

SeededRandom::SeededRandom(std::uint64_t seed, std::string_view stream)
    : seed_(seed), stream_name_(stream) {
    Bytes material(8);
    for (int i = 0; i < 8; ++i)
        material[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(seed >> (8 * i));
    material.insert(material.end(), stream.begin(), stream.end());
    SHA256(material.data(), material.size(), key_.data());
}

SeededRandom::SeededRandom(const SeededRandom& other)
    : seed_(other.seed_), key_(other.key_), block_(other.block_), buffer_(other.buffer_),
      used_(other.used_), stream_name_(other.stream_name_) {}

SeededRandom& SeededRandom::operator=(const SeededRandom& other) {
    if (this != &other)
        *this = SeededRandom(other);
    return *this;
}

void SeededRandom::ContextFree::operator()(EVP_CIPHER_CTX* context) const noexcept {
    EVP_CIPHER_CTX_free(context);
}

void SeededRandom::fill(std::span<std::uint8_t> out) {
    std::size_t written = 0;
    while (written < out.size()) {
        if (used_ == buffer_.size()) {
            // One 64-byte ChaCha20 block per refill; the 16-byte IV is counter ‖ nonce, and we
            // put the block index in the nonce so each refill is independent of EVP state.
            std::array<std::uint8_t, 16> iv{};
            for (int i = 0; i < 8; ++i)
                iv[8 + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(block_ >> (8 * i));
            ++block_;
            if (!keystream_) {
                keystream_.reset(EVP_CIPHER_CTX_new());
                if (!keystream_ || EVP_EncryptInit_ex(keystream_.get(), EVP_chacha20(), nullptr,
                                                      nullptr, nullptr) != 1) {
                    keystream_.reset();
                    throw ProtocolError(ErrorCode::crypto_error, "ChaCha20 keystream failed");
                }
            }
            std::array<std::uint8_t, 64> zeros{};
            int len = 0;
            if (EVP_EncryptInit_ex(keystream_.get(), nullptr, nullptr, key_.data(), iv.data()) !=
                    1 ||
                EVP_EncryptUpdate(keystream_.get(), buffer_.data(), &len, zeros.data(),
                                  static_cast<int>(zeros.size())) != 1) {
                keystream_.reset(); // unknown state: start from a fresh context next time
                throw ProtocolError(ErrorCode::crypto_error, "ChaCha20 keystream failed");
            }
            used_ = 0;
        }
        const std::size_t take = std::min(out.size() - written, buffer_.size() - used_);
        std::memcpy(out.data() + written, buffer_.data() + used_, take);
        used_ += take;
        written += take;
    }
}

SeededRandom SeededRandom::fork(std::string_view name) const {
    std::string derived = stream_name_;
    derived += '/';
    derived += name;
    return SeededRandom(seed_, derived);
}

void ScriptedRandom::fill(std::span<std::uint8_t> out) {
    if (script_.empty())
        throw ProtocolError(ErrorCode::invalid_argument,
                            "ScriptedRandom has no bytes left for a draw of " +
                                std::to_string(out.size()));
    const Bytes& next = script_.front();
    if (next.size() != out.size())
        throw ProtocolError(ErrorCode::invalid_argument,
                            "ScriptedRandom expected a draw of " + std::to_string(next.size()) +
                                " bytes, got one of " + std::to_string(out.size()));
    std::memcpy(out.data(), next.data(), next.size());
    script_.pop_front();
}

} // namespace hivescope::protocol
