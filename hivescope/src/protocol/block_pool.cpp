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

// Set once this thread's cursor is destroyed (trivially destructible, so it outlives it).
thread_local bool cursor_gone = false;

// The chunk this thread carves from, until it is full or the thread ends; the blocks keep the
// chunk alive after that.
class Cursor {
  public:
    Cursor() = default;
    Cursor(const Cursor&) = delete;
    Cursor& operator=(const Cursor&) = delete;
    ~Cursor() {
        retire();
        cursor_gone = true;
    }

    void* take(std::size_t bytes) {
        bytes = (bytes + block_alignment - 1) & ~(block_alignment - 1);
        if (chunk_ == nullptr || used_ + bytes > chunk_size) {
            Chunk* fresh = new_chunk(carving);
            retire();
            chunk_ = fresh;
            used_ = sizeof(Chunk);
        }
        ++carved_;
        ++total_;
        void* block = reinterpret_cast<unsigned char*>(chunk_) + used_;
        used_ += bytes;
        return block;
    }

    [[nodiscard]] std::uint64_t total() const noexcept { return total_; }

  private:
    void retire() noexcept {
        if (chunk_ != nullptr)
            drop(chunk_, carving - carved_);
        chunk_ = nullptr;
        carved_ = 0;
    }

    Chunk* chunk_ = nullptr;
    std::size_t used_ = 0;
    std::uint32_t carved_ = 0;
    std::uint64_t total_ = 0;
};

Cursor& this_thread_cursor() {
    thread_local Cursor cursor;
    return cursor;
}

} // namespace

void* allocate_pooled(std::size_t bytes) {
    assert(bytes <= pooled_block_limit);
    // A destructor running after this thread's cursor (at thread or process exit) gets a chunk
    // of its own.
    if (cursor_gone)
        return first_block(new_chunk(1));
    return this_thread_cursor().take(bytes);
}

void free_pooled(void* block) noexcept {
    const auto address = reinterpret_cast<std::uintptr_t>(block);
    drop(reinterpret_cast<Chunk*>(address & ~(std::uintptr_t{chunk_size} - 1)), 1);
}

std::uint64_t pooled_blocks_carved() noexcept {
    return cursor_gone ? 0 : this_thread_cursor().total();
}

} // namespace hivescope::protocol::detail
