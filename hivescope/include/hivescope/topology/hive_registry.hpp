#pragma once
// A hook through which a test framework learns which hives a test created, so it can print their
// traces when the test fails. The core library knows nothing about test frameworks: it only tells
// the calling thread's registry (if one is installed) when a Hive appears, moves or is about to
// stop for good. hivescope's Catch2 listener installs one for the duration of each test case.
//
// Why a thread-local pointer and not a parameter: hives are created deep inside user code
// (`scenarios::single_satellite().start()`), which has no handle on the test runner, and the
// issue's scenarios must compile unchanged. A thread_local keeps the hook confined to the thread
// running the test (Catch2 runs tests on one thread), costs one load per Hive construction, and
// is null (a no-op) everywhere else.

#include <cstdint>
#include <memory>
#include <optional>

namespace hivescope::protocol {
class RsaKeyCache;
}

namespace hivescope::topology {

class Hive;

/// Receives the life events of the hives created on a thread while it is installed. Events about
/// a hive it never saw (created before it was installed) must be ignored.
class HiveRegistry {
  public:
    virtual ~HiveRegistry() = default;
    /// A hive was constructed (it may still be empty: the builder fills it after this).
    virtual void hive_created(Hive& hive) noexcept = 0;
    /// `from`'s contents now live in `to`; `from` is empty and will never report again.
    virtual void hive_moved(Hive& from, Hive& to) noexcept = 0;
    /// `hive` is about to stop and free its nodes (destruction or move-assignment); its records
    /// are still readable. Never called for an empty (moved-from) hive.
    virtual void hive_destroyed(Hive& hive) noexcept = 0;
    /// The seed for hives whose options leave it unset (HiveOptions::seed): a test framework's
    /// run seed, so `--rng-seed N` re-runs every hive of a test identically. None: seed 0.
    [[nodiscard]] virtual std::optional<std::uint64_t> default_seed() const noexcept {
        return std::nullopt;
    }
    /// The RSA key cache for hives whose options name none (HiveOptions::key_cache): one that
    /// lives as long as the test run, so a topology started again in every section generates
    /// its keys once. None: each hive generates its own.
    [[nodiscard]] virtual std::shared_ptr<protocol::RsaKeyCache> key_cache() const noexcept {
        return nullptr;
    }
};

/// The calling thread's registry, or null.
[[nodiscard]] HiveRegistry* current_hive_registry() noexcept;

/// Installs `registry` (or null) for the calling thread and returns the previous one.
HiveRegistry* set_current_hive_registry(HiveRegistry* registry) noexcept;

/// Installs a registry for one scope and restores the previous one when it ends.
class [[nodiscard]] ScopedHiveRegistry {
  public:
    explicit ScopedHiveRegistry(HiveRegistry* registry) noexcept
        : previous_(set_current_hive_registry(registry)) {}
    ~ScopedHiveRegistry() { set_current_hive_registry(previous_); }
    ScopedHiveRegistry(const ScopedHiveRegistry&) = delete;
    ScopedHiveRegistry& operator=(const ScopedHiveRegistry&) = delete;

  private:
    HiveRegistry* previous_;
};

} // namespace hivescope::topology
