#pragma once
// The whole core library in one include: the protocol, the simulator, nodes, recorders,
// topologies and the preset scenarios. Convenient, and expensive: it pulls in every public header
// (and OpenSSL-facing ones), so prefer the headers a file actually uses, or hivescope/fwd.hpp in
// headers. The Catch2 layer is separate: hivescope/catch2/hivescope_catch2.hpp.

#include "hivescope/bus.hpp"
#include "hivescope/fwd.hpp"

#include "hivescope/protocol/binary_codec.hpp"
#include "hivescope/protocol/bus_message.hpp"
#include "hivescope/protocol/bytes.hpp"
#include "hivescope/protocol/cipher.hpp"
#include "hivescope/protocol/encoding.hpp"
#include "hivescope/protocol/encrypted_envelope.hpp"
#include "hivescope/protocol/error.hpp"
#include "hivescope/protocol/handshake_messages.hpp"
#include "hivescope/protocol/hive_message.hpp"
#include "hivescope/protocol/intercom.hpp"
#include "hivescope/protocol/json.hpp"
#include "hivescope/protocol/json_codec.hpp"
#include "hivescope/protocol/key_derivation_cache.hpp"
#include "hivescope/protocol/link_crypto.hpp"
#include "hivescope/protocol/message_summary.hpp"
#include "hivescope/protocol/message_type.hpp"
#include "hivescope/protocol/negotiation.hpp"
#include "hivescope/protocol/password_handshake.hpp"
#include "hivescope/protocol/random.hpp"
#include "hivescope/protocol/rsa_handshake.hpp"

#include "hivescope/sim/clock.hpp"
#include "hivescope/sim/frame.hpp"
#include "hivescope/sim/network.hpp"
#include "hivescope/sim/simulation.hpp"
#include "hivescope/sim/websocket.hpp"

#include "hivescope/record/record.hpp"
#include "hivescope/record/recorder.hpp"

#include "hivescope/node/bus.hpp"
#include "hivescope/node/client_database.hpp"
#include "hivescope/node/flood_cache.hpp"
#include "hivescope/node/hive_map.hpp"
#include "hivescope/node/link_protocol.hpp"
#include "hivescope/node/master_node.hpp"
#include "hivescope/node/master_options.hpp"
#include "hivescope/node/master_role.hpp"
#include "hivescope/node/node_core.hpp"
#include "hivescope/node/pending_table.hpp"
#include "hivescope/node/relay_node.hpp"
#include "hivescope/node/satellite_node.hpp"
#include "hivescope/node/satellite_options.hpp"
#include "hivescope/node/satellite_role.hpp"

#include "hivescope/topology/hive.hpp"
#include "hivescope/topology/hive_registry.hpp"
#include "hivescope/topology/topology_builder.hpp"
#include "hivescope/topology/topology_error.hpp"

#include "hivescope/scenarios/presets.hpp"
