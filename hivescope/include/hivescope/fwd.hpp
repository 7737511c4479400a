#pragma once
// Forward declarations of hivescope's public types, like nlohmann/json's json_fwd.hpp: a header
// that declares a helper taking `hivescope::record::Recorder&` or `hivescope::topology::Hive&`
// can include this instead of the full headers, and only its source file pays for them.

#include <chrono>
#include <cstdint>
#include <span>
#include <vector>

namespace hivescope {

/// Thrown by hivescope::wait_for when its virtual timeout passes (catch2/waiting.hpp).
class WaitTimeout;
/// A node named for hivescope::wait_for (catch2/waiting.hpp).
class NodeName;

namespace protocol {
using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;
enum class ErrorCode;
class ProtocolError;
class Json;
class JsonObject;
enum class JsonStyle;
enum class MessageType : std::uint8_t;
enum class BinaryPayloadType : std::uint8_t;
enum class Cipher;
enum class Encoding;
struct RouteHop;
class HiveMessage;
class BusMessage;
class RandomSource;
class SystemRandom;
class SeededRandom;
class ScriptedRandom;
class RsaKeyPair;
class RsaPublicKey;
class KeyDerivationCache;
} // namespace protocol

namespace sim {
using Duration = std::chrono::nanoseconds;
using VirtualTime = std::chrono::nanoseconds;
class Simulation;
class Network;
class Connection;
struct Frame;
struct CloseEvent;
struct LinkOptions;
class LinkBackend;
struct WebSocketUrl;
struct WebSocketServerOptions;
class LoopbackTransport;
class WebSocketHost;
} // namespace sim

namespace record {
enum class Kind : std::uint8_t;
enum class Outcome : std::uint8_t;
struct Record;
struct Mark;
class RecordView;
class Recorder;
} // namespace record

namespace node {
class Bus;
struct Injection;
struct BinaryCall;
struct HookCall;
class NodeCore;
struct ClientRecord;
class ClientDatabase;
class InMemoryClientDatabase;
struct MasterOptions;
struct MasterHooks;
class MasterRole;
struct ConnectedClient;
class MasterNode;
struct SatelliteOptions;
class SatelliteRole;
class SatelliteNode;
struct RelayOptions;
class RelayNode;
} // namespace node

namespace topology {
class TopologyError;
struct ClientAcl;
struct MasterSpec;
struct SatelliteSpec;
struct RelaySpec;
struct HiveOptions;
class TopologyBuilder;
struct HiveMark;
class Hive;
class HiveRegistry;
} // namespace topology

} // namespace hivescope
