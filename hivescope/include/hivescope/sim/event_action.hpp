#pragma once
// What a scheduled event runs: a move-only `void()` callable that keeps small captures inline.
// Every simulated hop is a frame delivery event whose captures (the link, the direction, the
// frame) are larger than std::function's inline buffer, so std::function put each one on the
// heap.

#include <cstddef>
#include <functional>
#include <new>
#include <type_traits>
#include <utility>

namespace hivescope::sim::detail {

class EventAction {
  public:
    /// Captures up to this many bytes are kept inline.
    static constexpr std::size_t inline_size = 48;

    EventAction() noexcept = default;

    /// Wraps `action`. An empty std::function or a null function pointer makes an empty
    /// action, as std::function's own conversions do.
    template <class F>
    requires(!std::is_same_v<std::remove_cvref_t<F>, EventAction> &&
             std::is_invocable_r_v<void, std::remove_cvref_t<F>&>)
        EventAction(F&& action) { // NOLINT(google-explicit-constructor): a callable is an action
        using Stored = std::remove_cvref_t<F>;
        if constexpr (std::is_pointer_v<Stored> || std::is_member_pointer_v<Stored> ||
                      requires(const Stored& f) { static_cast<bool>(f); }) {
            if (!static_cast<bool>(action))
                return;
        }
        if constexpr (fits_inline<Stored>) {
            new (storage_) Stored(std::forward<F>(action));
            ops_ = &inline_ops<Stored>;
        } else {
            *reinterpret_cast<Stored**>(storage_) = new Stored(std::forward<F>(action));
            ops_ = &heap_ops<Stored>;
        }
    }

    EventAction(EventAction&& other) noexcept : ops_(std::exchange(other.ops_, nullptr)) {
        if (ops_ != nullptr)
            ops_->relocate(other.storage_, storage_);
    }
    EventAction& operator=(EventAction&& other) noexcept {
        if (this != &other) {
            reset();
            ops_ = std::exchange(other.ops_, nullptr);
            if (ops_ != nullptr)
                ops_->relocate(other.storage_, storage_);
        }
        return *this;
    }
    EventAction(const EventAction&) = delete;
    EventAction& operator=(const EventAction&) = delete;
    ~EventAction() { reset(); }

    [[nodiscard]] explicit operator bool() const noexcept { return ops_ != nullptr; }
    /// Runs the action; it must not be empty.
    void operator()() { ops_->invoke(storage_); }

  private:
    struct Ops {
        void (*invoke)(void* storage);
        /// Moves the callable from `from` to `to` and destroys it at `from`.
        void (*relocate)(void* from, void* to) noexcept;
        void (*destroy)(void* storage) noexcept;
    };

    template <class T>
    static constexpr bool fits_inline =
        sizeof(T) <= inline_size &&
        alignof(T) <= alignof(std::max_align_t) && std::is_nothrow_move_constructible_v<T>;

    template <class T>
    static constexpr Ops inline_ops{
        [](void* storage) { std::invoke(*std::launder(static_cast<T*>(storage))); },
        [](void* from, void* to) noexcept {
            T* source = std::launder(static_cast<T*>(from));
            new (to) T(std::move(*source));
            source->~T();
        },
        [](void* storage) noexcept { std::launder(static_cast<T*>(storage))->~T(); },
    };

    template <class T>
    static constexpr Ops heap_ops{
        [](void* storage) { std::invoke(**static_cast<T**>(storage)); },
        [](void* from, void* to) noexcept { *static_cast<T**>(to) = *static_cast<T**>(from); },
        [](void* storage) noexcept { delete *static_cast<T**>(storage); },
    };

    void reset() noexcept {
        if (ops_ != nullptr)
            std::exchange(ops_, nullptr)->destroy(storage_);
    }

    alignas(std::max_align_t) unsigned char storage_[inline_size];
    const Ops* ops_ = nullptr;
};

} // namespace hivescope::sim::detail
