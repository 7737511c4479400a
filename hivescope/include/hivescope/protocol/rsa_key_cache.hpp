#pragma once
// A simulated node's RSA identity is a pure function of the hive's seed and the node's id: it is
// generated from the seeded stream `rsa/<node id>`. Generating a 2048-bit key takes 0.1–0.3 s,
// and a test binary starts the same topology again for every section it runs. A cache shared by
// those hives generates each identity once; every hive still gets exactly the key its seed
// gives, so traces do not depend on whether the cache was warm.

#include "hivescope/protocol/rsa_handshake.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

namespace hivescope::protocol {

/// Memoised RSA identities, keyed by (seed, stream name). Thread-safe: hives on different threads
/// may share one.
class RsaKeyCache {
  public:
    /// The key for (`seed`, `stream`): made by `generate` the first time, shared afterwards.
    /// `generate` must be the deterministic function of those two that the caller would
    /// otherwise run; an exception from it is passed on and nothing is stored.
    [[nodiscard]] std::shared_ptr<const RsaKeyPair>
    identity(std::uint64_t seed, std::string_view stream,
             const std::function<RsaKeyPair()>& generate);

    [[nodiscard]] std::uint64_t hits() const;
    [[nodiscard]] std::uint64_t misses() const;
    [[nodiscard]] std::size_t size() const;

  private:
    mutable std::mutex mutex_;
    std::map<std::pair<std::uint64_t, std::string>, std::shared_ptr<const RsaKeyPair>, std::less<>>
        keys_;
    std::uint64_t hits_ = 0;
    std::uint64_t misses_ = 0;
};

} // namespace hivescope::protocol
