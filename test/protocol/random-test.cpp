// SeededRandom is the one source of every IV, nonce and id in a simulated hive: its stream must
// not depend on how it is drawn (sizes, block boundaries), on copies, or on its cipher context
// being kept between refills.

#include "catch.hpp"

#include "hivescope/protocol/bytes.hpp"
#include "hivescope/protocol/random.hpp"

#include <vector>

using namespace hivescope::protocol;

namespace {
Bytes draw(RandomSource& random, const std::vector<std::size_t>& sizes) {
    Bytes out;
    for (const auto size : sizes) {
        const Bytes part = random.bytes(size);
        out.insert(out.end(), part.begin(), part.end());
    }
    return out;
}
} // namespace

TEST_CASE("SeededRandom yields one stream however it is drawn", "[random]") {
    SeededRandom whole(7, "nonces");
    const Bytes expected = whole.bytes(1000);
    REQUIRE(expected.size() == 1000);

    SECTION("in nonce-sized draws across many 64-byte refills") {
        SeededRandom random(7, "nonces");
        std::vector<std::size_t> sizes(83, 12);
        sizes.push_back(4);
        CHECK(draw(random, sizes) == expected);
    }
    SECTION("one byte at a time") {
        SeededRandom random(7, "nonces");
        CHECK(draw(random, std::vector<std::size_t>(1000, 1)) == expected);
    }
    SECTION("in draws larger than a block") {
        SeededRandom random(7, "nonces");
        CHECK(draw(random, {65, 130, 1, 63, 64, 677}) == expected);
    }
}

TEST_CASE("A copy of a SeededRandom continues from the same position", "[random]") {
    SeededRandom original(11, "copy");
    (void)original.bytes(100); // mid-block, with a context already made

    SeededRandom copy(original);
    SeededRandom assigned(99, "other");
    (void)assigned.bytes(10);
    assigned = original;

    const Bytes next = original.bytes(300);
    CHECK(copy.bytes(300) == next);
    CHECK(assigned.bytes(300) == next);

    SeededRandom moved(std::move(copy));
    CHECK(moved.bytes(50) == original.bytes(50));
}

TEST_CASE("SeededRandom streams are independent by seed and by name", "[random]") {
    const Bytes base = SeededRandom(3, "a").bytes(64);
    CHECK(SeededRandom(3, "a").bytes(64) == base);
    CHECK(SeededRandom(4, "a").bytes(64) != base);
    CHECK(SeededRandom(3, "b").bytes(64) != base);
    // A fork depends on the seed and the derived name, not on how far the parent has drawn.
    SeededRandom parent(3, "a");
    const Bytes forked = parent.fork("child").bytes(64);
    (void)parent.bytes(500);
    CHECK(parent.fork("child").bytes(64) == forked);
    CHECK(SeededRandom(3, "a/child").bytes(64) == forked);
}
