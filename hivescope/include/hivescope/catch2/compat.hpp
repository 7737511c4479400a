#pragma once
// The one place that knows which Catch2 is in use. Everything in hivescope's Catch2 layer
// (matchers, listener, fixtures) includes this instead of a Catch2 header, so the layer compiles
// against Catch2 v2 (single header) and v3 (split headers, `Catch::Matchers::MatcherBase`).
// Catch2 itself is detected by what is already included, then by which headers exist.

#if defined(CATCH_VERSION_MAJOR)
#define HIVESCOPE_CATCH2_MAJOR CATCH_VERSION_MAJOR
#elif __has_include(<catch2/catch_all.hpp>)
#define HIVESCOPE_CATCH2_MAJOR 3
#else
#define HIVESCOPE_CATCH2_MAJOR 2
#endif

#if HIVESCOPE_CATCH2_MAJOR >= 3
#include <catch2/catch_get_random_seed.hpp>
#include <catch2/catch_test_macros.hpp>
#include <catch2/catch_tostring.hpp>
#include <catch2/matchers/catch_matchers.hpp>
#include <catch2/reporters/catch_reporter_event_listener.hpp>
#include <catch2/reporters/catch_reporter_registrars.hpp>
#else
// v2 declares its reporter and listener bases only with this, which must precede the first
// include of catch.hpp (a translation unit that included it earlier gets no EventListenerBase).
#if !defined(CATCH_VERSION_MAJOR) && !defined(CATCH_CONFIG_EXTERNAL_INTERFACES)
#define CATCH_CONFIG_EXTERNAL_INTERFACES
#endif
#include <catch2/catch.hpp>
#endif

#include <string>

namespace hivescope::catch2 {

#if HIVESCOPE_CATCH2_MAJOR >= 3
/// The old-style typed matcher base: derive from it to compose with `&&`, `||` and `!`.
template <typename T> using MatcherBase = Catch::Matchers::MatcherBase<T>;
/// The base of an event listener (v3 `EventListenerBase`; constructor takes `IConfig const*`).
using EventListenerBase = Catch::EventListenerBase;
/// The seed of this run (`--rng-seed`), so a simulation re-runs identically.
[[nodiscard]] inline unsigned seed() {
    return Catch::getSeed();
}
#else
/// The old-style typed matcher base: derive from it to compose with `&&`, `||` and `!`.
template <typename T> using MatcherBase = Catch::MatcherBase<T>;
#if defined(CATCH_CONFIG_EXTERNAL_INTERFACES) || defined(CATCH_CONFIG_ENABLE_BENCHMARKING)
/// The base of an event listener (v2 `TestEventListenerBase`; constructor takes
/// `ReporterConfig const&`).
using EventListenerBase = Catch::TestEventListenerBase;
#endif
/// The seed of this run (`--rng-seed`), so a simulation re-runs identically.
[[nodiscard]] inline unsigned seed() {
    return Catch::rngSeed();
}
#endif

/// Catch2's own rendering of a value (uses `Catch::StringMaker<T>`, which both versions share:
/// specialise `Catch::StringMaker<T>` in namespace `Catch` to change it).
template <typename T> [[nodiscard]] std::string stringify(const T& value) {
    return Catch::Detail::stringify(value);
}

} // namespace hivescope::catch2

/// Registers an event listener type with Catch2 (put it in the object file that holds `main`,
/// or the linker may drop it from a static library).
#define HIVESCOPE_REGISTER_LISTENER(listener_type) CATCH_REGISTER_LISTENER(listener_type)
