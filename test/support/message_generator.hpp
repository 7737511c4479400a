#pragma once
// Seeded generators of random JSON values and HiveMessages of every type, for round-trip
// property tests. Same seed, same sequence.

#include "hivescope/protocol/hive_message.hpp"

#include <cstdint>
#include <random>
#include <string>

namespace hivescope::test {

/// Random protocol values drawn from one std::mt19937_64.
class MessageGenerator {
  public:
    explicit MessageGenerator(std::uint64_t seed) : rng_(seed) {}

    /// A string mixing ASCII, escapes, control characters, BMP and astral code points.
    std::string text(std::size_t max_length = 12);
    /// Any JSON value, at most `depth` containers deep.
    protocol::Json value(int depth = 3);
    /// A JSON object with up to `max_members` members.
    protocol::Json object(int depth = 3, std::size_t max_members = 5);
    /// A message of the given type with random payload, metadata and envelope fields.
    /// `text_safe` restricts it to what a JSON text frame can carry (no BINARY).
    protocol::HiveMessage message(protocol::MessageType type, int nesting = 2);
    /// A message of a random type; BINARY only when `allow_binary`.
    protocol::HiveMessage any_message(bool allow_binary);

    std::uint64_t next() { return rng_(); }
    std::size_t below(std::size_t bound) { return bound == 0 ? 0 : rng_() % bound; }
    bool coin() { return (rng_() & 1) != 0; }

  private:
    std::mt19937_64 rng_;
};

} // namespace hivescope::test
