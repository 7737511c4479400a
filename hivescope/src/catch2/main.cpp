// hivescope::catch2_main: Catch2's main plus the TraceListener registration. They share this
// object file on purpose: `main` is what pulls it out of the static library, and a listener
// registered in an object file nothing references would be dropped by the linker.

// Catch2 v2 is one header: this translation unit also compiles its implementation (as
// Catch2WithMain does for v3), so the macro must come before the first include of it. Catch2 v3
// ignores it. Every other file of the layer stays declaration-only.
#define CATCH_CONFIG_RUNNER

#include "hivescope/catch2/compat.hpp"

#if HIVESCOPE_CATCH2_MAJOR >= 3
#include <catch2/catch_session.hpp>
#endif

#include "hivescope/catch2/listener.hpp"

// Catch2 v2 pastes the name into an identifier: it must be unqualified.
using HivescopeTraceListener = hivescope::catch2::TraceListener;
HIVESCOPE_REGISTER_LISTENER(HivescopeTraceListener)

int main(int argc, char* argv[]) {
    return Catch::Session().run(argc, argv);
}
