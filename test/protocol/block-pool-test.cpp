// The pool under JSON object storages (protocol/detail/block_pool.hpp): blocks never overlap,
// keep their alignment, and a chunk goes back to the heap once its last block is freed, by
// whichever thread frees it.

#include "catch.hpp"

#include "hivescope/protocol/json.hpp"
#include "hivescope/record/record.hpp"
#include "hivescope/sim/frame.hpp"
#include "protocol/detail/block_pool.hpp"
#include "protocol/detail/pooled_allocator.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <malloc.h>
#include <memory>
#include <string>
#include <thread>
#include <vector>

using namespace hivescope::protocol;

namespace {

long heap_in_use() {
    return static_cast<long>(mallinfo2().uordblks);
}

// Whether glibc's heap accounting sees this process's allocations (a sanitizer runtime brings
// its own allocator, which mallinfo2 does not count).
bool heap_accounting_works() {
    const long before = heap_in_use();
    void* probe = std::malloc(64 * 1024);
    const bool counted = heap_in_use() - before >= 64 * 1024;
    std::free(probe);
    return counted;
}

struct Block {
    unsigned char* bytes;
    std::size_t size;
};

// Sizes from 1 byte to the limit, so blocks land unevenly across chunk ends.
std::vector<Block> carve(std::size_t count) {
    std::vector<Block> blocks;
    blocks.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
        const std::size_t size = 1 + (i * 97) % detail::pooled_block_limit;
        blocks.push_back({static_cast<unsigned char*>(detail::allocate_pooled(size)), size});
    }
    return blocks;
}

} // namespace

TEST_CASE("pooled blocks are aligned and never overlap, across many chunks", "[protocol][pool]") {
    std::vector<Block> blocks = carve(5000); // about 2.5 MB: dozens of chunks
    for (std::size_t i = 0; i < blocks.size(); ++i) {
        CHECK(reinterpret_cast<std::uintptr_t>(blocks[i].bytes) % 16 == 0);
        std::memset(blocks[i].bytes, static_cast<int>(i & 0xff), blocks[i].size);
    }
    std::size_t intact = 0;
    for (std::size_t i = 0; i < blocks.size(); ++i) {
        bool same = true;
        for (std::size_t b = 0; b < blocks[i].size; ++b)
            same = same && blocks[i].bytes[b] == static_cast<unsigned char>(i & 0xff);
        intact += same ? 1 : 0;
    }
    CHECK(intact == blocks.size());
    for (const Block& block : blocks)
        detail::free_pooled(block.bytes);
}

TEST_CASE("a chunk is returned when its last block is freed, from any thread", "[protocol][pool]") {
    if (!detail::block_pool_enabled || !heap_accounting_works()) {
        WARN("no pool (AddressSanitizer) or no glibc heap accounting: not checked");
        return;
    }
    const long before = heap_in_use();
    std::vector<Block> blocks = carve(16000); // about 8 MB
    const long carved = heap_in_use() - before;
    CHECK(carved > 7'000'000);

    // Every other block is freed by another thread, the rest here: each chunk's last block may
    // go on either side.
    std::thread other([&blocks] {
        for (std::size_t i = 0; i < blocks.size(); i += 2)
            detail::free_pooled(blocks[i].bytes);
    });
    for (std::size_t i = 1; i < blocks.size(); i += 2)
        detail::free_pooled(blocks[i].bytes);
    other.join();
    // What stays is the chunk this thread still carves from, and the other thread's leftovers:
    // tens of KB, where keeping the chunks would keep megabytes.
    CHECK(heap_in_use() - before < carved / 16);
}

TEST_CASE("JSON object storages come from the pool and are returned with their objects",
          "[protocol][pool]") {
    if (!detail::block_pool_enabled) {
        WARN("no pool under AddressSanitizer: not checked");
        return;
    }
    const std::uint64_t carved = detail::pooled_blocks_carved();
    const Json one(JsonObject{{"n", 1}});
    CHECK(detail::pooled_blocks_carved() == carved + 1);
    JsonObject big; // 15 members: past the pooled block limit
    big.reserve(15);
    for (int i = 0; i < 15; ++i)
        big.set(std::string(1, static_cast<char>('a' + i)), i);
    CHECK(big.size() == 15);
    CHECK(detail::pooled_blocks_carved() == carved + 1); // over the block limit: operator new

    if (!heap_accounting_works()) {
        WARN("no glibc heap accounting (a sanitizer's allocator): heap use not checked");
        return;
    }
    const long before = heap_in_use();
    long grown = 0;
    {
        std::vector<Json> objects;
        for (int i = 0; i < 20000; ++i) {
            JsonObject object;
            object.set("n", i);
            object.set("even", i % 2 == 0);
            objects.emplace_back(std::move(object));
        }
        CHECK(objects[12345].find("n")->as_int() == 12345);
        grown = heap_in_use() - before;
        CHECK(grown > 20000 * 64);
    }
    CHECK(heap_in_use() - before < grown / 16);
}

namespace {
struct Counted {
    explicit Counted(int* alive_in) : alive(alive_in) { ++*alive; }
    Counted(const Counted&) = delete;
    Counted& operator=(const Counted&) = delete;
    ~Counted() { --*alive; }
    int* alive;
};
} // namespace

TEST_CASE("shared objects made with the pooled allocator live and die as with make_shared",
          "[protocol][pool]") {
    const std::uint64_t carved = detail::pooled_blocks_carved();
    int alive = 0;
    {
        const auto first = detail::make_pooled_shared<Counted>(&alive);
        std::shared_ptr<Counted> copy = first;
        const std::weak_ptr<Counted> watcher = first;
        CHECK(alive == 1);
        CHECK(first.use_count() == 2);
        copy.reset();
        CHECK(alive == 1);
        CHECK_FALSE(watcher.expired());
    }
    CHECK(alive == 0);
    // One block per object, control block included; a type too large for a block is not pooled.
    if (detail::block_pool_enabled) {
        CHECK(detail::pooled_blocks_carved() == carved + 1);
        const auto big = detail::make_pooled_shared<std::array<char, 4096>>();
        (*big)[4095] = 'x';
        CHECK(detail::pooled_blocks_carved() == carved + 1);
    }

    // What a hop keeps this way: recorded messages and frames, one block each (the message's
    // payload is frozen first, so the recorded copies share it and carve nothing more).
    HiveMessage message(MessageType::bus, Json{{"type", "speak"}});
    message.freeze();
    std::uint64_t before = detail::pooled_blocks_carved();
    const hivescope::record::SharedMessage recorded(message);
    CHECK(*recorded == message);
    if (detail::block_pool_enabled)
        CHECK(detail::pooled_blocks_carved() == before + 1);
    before = detail::pooled_blocks_carved();
    const hivescope::record::SharedMessage moved{HiveMessage(message)};
    CHECK(*moved == message);
    if (detail::block_pool_enabled)
        CHECK(detail::pooled_blocks_carved() == before + 1);
    before = detail::pooled_blocks_carved();
    const hivescope::sim::Frame frame = hivescope::sim::Frame::text("{}");
    CHECK(frame.data() == "{}");
    if (detail::block_pool_enabled)
        CHECK(detail::pooled_blocks_carved() == before + 1);
}

namespace {
// Built before the thread's first pooled block, so destroyed after the thread's cursor.
struct AllocatesAtThreadExit {
    std::int64_t* value = nullptr;
    std::uint64_t* carved = nullptr;
    ~AllocatesAtThreadExit() {
        if (value == nullptr)
            return;
        JsonObject late;
        late.set("late", 7);
        *value = late.find("late")->as_int();
        *carved = detail::pooled_blocks_carved();
    }
};
} // namespace

TEST_CASE("an object made after the thread's pool is gone still gets a block", "[protocol][pool]") {
    std::int64_t value = 0;
    std::uint64_t carved = 99;
    std::uint64_t carved_while_running = 0;
    std::thread worker([&] {
        thread_local AllocatesAtThreadExit guard;
        guard.value = &value;
        guard.carved = &carved;
        JsonObject early;
        early.set("early", 1);
        carved_while_running = detail::pooled_blocks_carved();
    });
    worker.join();
    CHECK(value == 7);
    if (detail::block_pool_enabled) {
        CHECK(carved_while_running == 1);
        CHECK(carved == 0); // the late block came from a chunk of its own
    }
}
