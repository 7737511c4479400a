#include "hivescope/protocol/rsa_key_cache.hpp"

namespace hivescope::protocol {

std::shared_ptr<const RsaKeyPair>
RsaKeyCache::identity(std::uint64_t seed, std::string_view stream,
                      const std::function<RsaKeyPair()>& generate) {
    std::pair<std::uint64_t, std::string> key(seed, std::string(stream));
    {
        const std::lock_guard lock(mutex_);
        if (const auto found = keys_.find(key); found != keys_.end()) {
            ++hits_;
            return found->second;
        }
    }
    // Generated outside the lock: it takes a tenth of a second, and another thread asking for a
    // different identity should not wait for it. Two threads racing for the same one both
    // generate it (the same key); the first stored wins.
    auto made = std::make_shared<const RsaKeyPair>(generate());
    const std::lock_guard lock(mutex_);
    ++misses_;
    return keys_.emplace(std::move(key), std::move(made)).first->second;
}

std::uint64_t RsaKeyCache::hits() const {
    const std::lock_guard lock(mutex_);
    return hits_;
}

std::uint64_t RsaKeyCache::misses() const {
    const std::lock_guard lock(mutex_);
    return misses_;
}

std::size_t RsaKeyCache::size() const {
    const std::lock_guard lock(mutex_);
    return keys_.size();
}

} // namespace hivescope::protocol
