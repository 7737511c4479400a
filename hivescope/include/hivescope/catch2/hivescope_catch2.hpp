#pragma once
// Everything a scenario file needs, in one include: Catch2 (through the compat header), the
// matchers and their StringMakers, the trace listener, fixtures, waiting, the preset topologies
// and the `hivescope::bus()` helper. It costs compile time (it pulls in Catch2 and every node
// header); a file that needs one piece can include that header alone.

// Catch2 v2 declares its reporter bases only under this macro (v3 ignores it).
#ifndef CATCH_CONFIG_EXTERNAL_INTERFACES
#define CATCH_CONFIG_EXTERNAL_INTERFACES
#endif

#include "hivescope/bus.hpp"
#include "hivescope/catch2/compat.hpp"
#include "hivescope/catch2/fixtures.hpp"
#include "hivescope/catch2/listener.hpp"
#include "hivescope/catch2/matchers.hpp"
#include "hivescope/catch2/waiting.hpp"
#include "hivescope/scenarios/presets.hpp"
#include "hivescope/topology/hive.hpp"
#include "hivescope/topology/topology_builder.hpp"
