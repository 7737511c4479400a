#include "hivescope/protocol/key_derivation_cache.hpp"

#include "hivescope/protocol/password_handshake.hpp"

namespace hivescope::protocol {

Bytes KeyDerivationCache::derive(std::string_view password, ByteView salt, unsigned iterations) {
    // Length-prefixed fields, so no password can collide with another (password, salt) pair.
    std::string key = std::to_string(password.size()) + ":";
    key.append(password);
    key += hex_encode(salt) + ":" + std::to_string(iterations);
    if (const auto found = keys_.find(key); found != keys_.end()) {
        ++hits_;
        return found->second;
    }
    ++misses_;
    Bytes derived = derive_key(password, salt, iterations);
    keys_.emplace(std::move(key), derived);
    return derived;
}

} // namespace hivescope::protocol
