#pragma once
// Every IV, nonce and secret the protocol core draws comes from a RandomSource passed in by the
// caller, so a seeded simulation replays byte for byte and tests can pin the values a vector
// was produced with.

#include "hivescope/protocol/bytes.hpp"

#include <array>
#include <cstdint>
#include <deque>
#include <span>
#include <string>
#include <string_view>

namespace hivescope::protocol {

/// Where random bytes come from.
class RandomSource {
  public:
    virtual ~RandomSource() = default;
    /// Fill `out` completely.
    virtual void fill(std::span<std::uint8_t> out) = 0;
    /// `n` fresh bytes.
    [[nodiscard]] Bytes bytes(std::size_t n) {
        Bytes out(n);
        fill(out);
        return out;
    }
};

/// The operating system's CSPRNG (OpenSSL RAND_bytes). For real links.
class SystemRandom final : public RandomSource {
  public:
    void fill(std::span<std::uint8_t> out) override;
};

/// A deterministic stream: the ChaCha20 keystream under SHA-256(seed, stream name). Streams
/// with different names are independent, so adding a node does not perturb the others.
class SeededRandom final : public RandomSource {
  public:
    explicit SeededRandom(std::uint64_t seed, std::string_view stream = {});
    // A copy continues the same stream from the same position.
    SeededRandom(const SeededRandom&) = default;
    SeededRandom& operator=(const SeededRandom&) = default;
    SeededRandom(SeededRandom&&) noexcept = default;
    SeededRandom& operator=(SeededRandom&&) noexcept = default;
    ~SeededRandom() override = default;
    void fill(std::span<std::uint8_t> out) override;
    /// An independent stream derived from this one's seed and `name` (not from its position).
    [[nodiscard]] SeededRandom fork(std::string_view name) const;
    [[nodiscard]] std::uint64_t seed() const noexcept { return seed_; }

  private:
    std::uint64_t seed_;
    std::array<std::uint8_t, 32> key_{};
    std::uint64_t block_ = 0;               ///< next keystream block to generate
    std::array<std::uint8_t, 64> buffer_{}; ///< current keystream block
    std::size_t used_ = 64;                 ///< bytes of buffer_ already handed out
    std::string stream_name_;
};

/// Hands out pre-arranged byte strings in order, e.g. the fixed IVs a vector was recorded with.
/// Each `fill` must ask for exactly the size of the next queued string; a mismatch or an empty
/// queue throws ProtocolError(invalid_argument), so a test notices an unexpected draw.
class ScriptedRandom final : public RandomSource {
  public:
    ScriptedRandom() = default;
    explicit ScriptedRandom(std::initializer_list<Bytes> script) : script_(script) {}
    void push(Bytes next) { script_.push_back(std::move(next)); }
    void fill(std::span<std::uint8_t> out) override;
    [[nodiscard]] std::size_t remaining() const noexcept { return script_.size(); }

  private:
    std::deque<Bytes> script_;
};

} // namespace hivescope::protocol
