// Test runner entry point.
// Catch2 v2: generate main() here. Catch2 v3: main() comes from Catch2::Catch2WithMain,
// which CMake links into hivescope-test-support, so this file compiles to nothing.
#if !__has_include(<catch2/catch_all.hpp>)
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
#endif
