#pragma once
// PBKDF2 dominates a simulated hive's start-up, and both simulated ends of a link derive the very
// same key from the same (password, salt, iterations). A cache shared by one hive lets the second
// end reuse the first end's result: the derivation, its inputs and the resulting key are exactly
// the protocol's, only not computed twice. Never shared across hives.

#include "hivescope/protocol/bytes.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace hivescope::protocol {

/// Memoised PBKDF2-HMAC-SHA256 for one simulated hive.
class KeyDerivationCache {
  public:
    /// `derive_key(password, salt, iterations)`, computed once per distinct input.
    [[nodiscard]] Bytes derive(std::string_view password, ByteView salt, unsigned iterations);

    [[nodiscard]] std::uint64_t hits() const noexcept { return hits_; }
    [[nodiscard]] std::uint64_t misses() const noexcept { return misses_; }

  private:
    std::map<std::string, Bytes, std::less<>> keys_;
    std::uint64_t hits_ = 0;
    std::uint64_t misses_ = 0;
};

} // namespace hivescope::protocol
