#pragma once
// An allocator over the block pool, for the shared objects a hop keeps (recorded messages,
// frames): std::allocate_shared puts the object and its control block in one pooled block
// instead of glibc's slow path for memory that is never handed back before teardown.

#include "protocol/detail/block_pool.hpp"

#include <cstddef>
#include <memory>
#include <new>
#include <utility>

namespace hivescope::protocol::detail {

template <class T> struct PooledAllocator {
    using value_type = T;

    PooledAllocator() noexcept = default;
    template <class U> PooledAllocator(const PooledAllocator<U>&) noexcept {}

    [[nodiscard]] T* allocate(std::size_t n) {
        static_assert(alignof(T) <= 16, "pooled blocks are 16-byte aligned");
        return static_cast<T*>(pooled(n) ? allocate_pooled(n * sizeof(T))
                                         : ::operator new(n * sizeof(T)));
    }
    void deallocate(T* block, std::size_t n) noexcept {
        if (pooled(n))
            free_pooled(block);
        else
            ::operator delete(block);
    }

    template <class U> friend bool operator==(PooledAllocator, PooledAllocator<U>) noexcept {
        return true;
    }

  private:
    // Decided by size alone, so deallocate makes the same choice allocate made.
    static bool pooled(std::size_t n) noexcept {
        return block_pool_enabled && n <= pooled_block_limit / sizeof(T);
    }
};

/// std::make_shared, with the object and its control block in one pooled block.
template <class T, class... Args> std::shared_ptr<T> make_pooled_shared(Args&&... args) {
    return std::allocate_shared<T>(PooledAllocator<T>(), std::forward<Args>(args)...);
}

} // namespace hivescope::protocol::detail
