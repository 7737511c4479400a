#pragma once
// Small blocks for what a hop keeps (JSON object storages), carved from 32 KiB chunks by the
// allocating thread. A hop keeps most of what it allocates until its hive is torn down, so
// glibc serves each such block from its slow path (no freed block of that size to reuse); a
// bump pointer costs a fraction of that. A chunk counts its live blocks and is returned when
// the last one is freed, by whichever thread frees it.

#include <cstddef>
#include <cstdint>

namespace hivescope::protocol::detail {

/// Blocks up to this size come from chunks; larger requests are not pooled.
inline constexpr std::size_t pooled_block_limit = 1024;

/// Whether blocks are pooled in this build: not under AddressSanitizer, whose redzones and
/// use-after-free checks need each block allocated on its own.
#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool block_pool_enabled = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr bool block_pool_enabled = false;
#else
inline constexpr bool block_pool_enabled = true;
#endif
#else
inline constexpr bool block_pool_enabled = true;
#endif

/// A block of `bytes` (at most pooled_block_limit) bytes, 16-byte aligned. Throws
/// std::bad_alloc when no chunk can be had.
[[nodiscard]] void* allocate_pooled(std::size_t bytes);

/// Frees a block from allocate_pooled; any thread may free it.
void free_pooled(void* block) noexcept;

/// How many blocks this thread has taken from the pool so far.
[[nodiscard]] std::uint64_t pooled_blocks_carved() noexcept;

} // namespace hivescope::protocol::detail
