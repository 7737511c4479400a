// Catch2 compatibility header: include this instead of a Catch2 header directly.
// Works with Catch2 v3 (<catch2/catch_all.hpp>) and v2 (<catch2/catch.hpp>).
#pragma once

#if __has_include(<catch2/catch_all.hpp>)
#include <catch2/catch_all.hpp>
#else
#include <catch2/catch.hpp>
#endif
