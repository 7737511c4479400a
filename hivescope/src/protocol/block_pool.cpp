#include "protocol/detail/block_pool.hpp"

#include <atomic>
#include <cassert>
#include <cstdlib>
#include <new>

namespace hivescope::protocol::detail {

namespace {

// Aligned to its size, so a block finds its chunk by masking its address; small enough that
// glibc carves the aligned request from its heap rather than mapping pages for each chunk.
constexpr std::size_t chunk_size = 32 * 1024;
constexpr std::size_t block_alignment = 16;

// `live` starts at `carving` (more than a chunk can hold) and every free takes one off. The
// carving thread counts its blocks without touching the shared counter (a locked add per block
// stalled the hop's stores) and settles when it moves on; the counter then holds the live
// blocks, and the free that brings it to zero returns the chunk.
constexpr std::uint32_t carving = 1u << 30;

struct alignas(64) Chunk {
    explicit Chunk(std::uint32_t count) noexcept : live(count) {}
    std::atomic<std::uint32_t> live;
};
static_assert(sizeof(Chunk) % block_alignment == 0);
static_assert(chunk_size / block_alignment < carving);

Chunk* new_chunk(std::uint32_t count) {
    void* raw = std::aligned_alloc(chunk_size, chunk_size);
    if (raw == nullptr)
        throw std::bad_alloc();
    return new (raw) Chunk(count);
}

void drop(Chunk* chunk, std::uint32_t count) noexcept {
    if (chunk->live.fetch_sub(count, std::memory_order_acq_rel) == count) {
        chunk->~Chunk();
        std::free(chunk);
    }
}

unsigned char* first_block(Chunk* chunk) noexcept {
    return reinterpret_cast<unsigned char*>(chunk) + sizeof(Chunk);
}

// Set once this thread's cursor is retired for good (trivially destructible, so it outlives
// the cursor).
thread_local bool cursor_gone = false;

// The chunk this thread carves from, until it is full or the thread ends; the blocks keep the
// chunk alive after that. Trivially destructible and constant-initialised, so the allocation
// fast path reads it with no guard or registration; the Retirer below gives the chunk back
// at thread exit.
struct Cursor {
    Chunk* chunk = nullptr;
    std::size_t used = 0;
    std::uint32_t carved = 0;
    std::uint64_t total = 0;
};
thread_local constinit Cursor cursor;

void retire(Cursor& state) noexcept {
    if (state.chunk != nullptr)
        drop(state.chunk, carving - state.carved);
    state.chunk = nullptr;
    state.carved = 0;
}

// Registered with the thread's first chunk; retires the cursor when the thread ends.
struct Retirer {
    Retirer() = default;
    Retirer(const Retirer&) = delete;
    Retirer& operator=(const Retirer&) = delete;
    ~Retirer() {
        retire(cursor);
        cursor_gone = true;
    }
};

// A new chunk for the cursor, which has no room for `bytes` (rounded) more.
void* carve_from_new_chunk(std::size_t bytes) {
    // A destructor running after this thread's cursor was retired (at thread or process exit)
    // gets a chunk of its own.
    if (cursor_gone)
        return first_block(new_chunk(1));
    thread_local Retirer retirer;
    (void)retirer;
    Chunk* fresh = new_chunk(carving);
    retire(cursor);
    cursor.chunk = fresh;
    cursor.used = sizeof(Chunk) + bytes;
    ++cursor.carved;
    ++cursor.total;
    return first_block(fresh);
}

} // namespace

void* allocate_pooled(std::size_t bytes) {
    assert(bytes <= pooled_block_limit);
    bytes = (bytes + block_alignment - 1) & ~(block_alignment - 1);
    Cursor& state = cursor;
    if (state.chunk == nullptr || state.used + bytes > chunk_size)
        return carve_from_new_chunk(bytes);
    ++state.carved;
    ++state.total;
    void* block = reinterpret_cast<unsigned char*>(state.chunk) + state.used;
    state.used += bytes;
    return block;
}

void free_pooled(void* block) noexcept {
    const auto address = reinterpret_cast<std::uintptr_t>(block);
    drop(reinterpret_cast<Chunk*>(address & ~(std::uintptr_t{chunk_size} - 1)), 1);
}

std::uint64_t pooled_blocks_carved() noexcept {
    return cursor_gone ? 0 : cursor.total;
}

} // namespace hivescope::protocol::detail
