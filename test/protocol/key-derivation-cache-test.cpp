// The KDF memo returns exactly derive_key's result and computes each distinct input once.

#include "catch.hpp"

#include "hivescope/protocol/key_derivation_cache.hpp"
#include "hivescope/protocol/password_handshake.hpp"

using namespace hivescope::protocol;

TEST_CASE("the KDF cache returns derive_key's key, once per distinct input", "[kdf]") {
    KeyDerivationCache cache;
    const Bytes salt = hex_decode("0102030405060708");
    const Bytes key = cache.derive("pw", salt, 1000);
    CHECK(key == derive_key("pw", salt, 1000));
    CHECK(cache.derive("pw", salt, 1000) == key);
    CHECK(cache.hits() == 1);
    CHECK(cache.misses() == 1);
    CHECK(cache.derive("pw", salt, 999) != key);
    CHECK(cache.derive("pw2", salt, 1000) != key);
    CHECK(cache.derive("pw", hex_decode("0102030405060709"), 1000) != key);
    // Length-prefixed keys: ("a:", salt) and ("a", ...) cannot collide.
    CHECK(cache.derive("a:", salt, 1000) != cache.derive("a", salt, 1000));
    CHECK(cache.misses() == 6);
}

TEST_CASE("a handshake through the cache derives the same key as without it", "[kdf]") {
    KeyDerivationCache cache;
    SeededRandom random_a(1, "a");
    SeededRandom random_b(1, "b");
    PasswordHandshake a("secret", 1000);
    PasswordHandshake b("secret", 1000);
    a.use_cache(&cache);
    const std::string envelope_a = a.start(random_a);
    const std::string envelope_b = b.start(random_b);
    a.receive_and_verify(envelope_b);
    b.receive_and_verify(envelope_a);
    CHECK(a.secret() == b.secret());
    CHECK(cache.misses() == 1);
}
