#include "hivescope/topology/hive_registry.hpp"

namespace hivescope::topology {

namespace {
// The one piece of thread-local state in the library; see hive_registry.hpp for why.
thread_local HiveRegistry* current_registry = nullptr;
} // namespace

HiveRegistry* current_hive_registry() noexcept {
    return current_registry;
}

HiveRegistry* set_current_hive_registry(HiveRegistry* registry) noexcept {
    HiveRegistry* previous = current_registry;
    current_registry = registry;
    return previous;
}

} // namespace hivescope::topology
