#include "hivescope/protocol/random.hpp"

#include "hivescope/protocol/error.hpp"

#include <openssl/rand.h>
#include <openssl/sha.h>

#include <nettle/chacha.h>

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

void SeededRandom::fill(std::span<std::uint8_t> out) {
    std::size_t written = 0;
    while (written < out.size()) {
        if (used_ == buffer_.size()) {
            // One 64-byte ChaCha20 block per refill: block counter 0, and the refill's index in
            // the nonce (OpenSSL's 16-byte IV counter ‖ nonce = 0^8 ‖ index, little endian), so
            // each refill stands alone. Nettle's ChaCha needs no context kept between refills;
            // OpenSSL's EVP re-initialisation cost more than the block.
            std::array<std::uint8_t, 12> nonce{};
            for (int i = 0; i < 8; ++i)
                nonce[4 + static_cast<std::size_t>(i)] =
                    static_cast<std::uint8_t>(block_ >> (8 * i));
            ++block_;
            chacha_ctx context;
            chacha_set_key(&context, key_.data());
            chacha_set_nonce96(&context, nonce.data());
            const std::array<std::uint8_t, 64> zeros{};
            chacha_crypt32(&context, zeros.size(), buffer_.data(), zeros.data());
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
