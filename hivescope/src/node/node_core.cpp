#include "hivescope/node/node_core.hpp"

namespace hivescope::node {

NodeCore::NodeCore(sim::Network& network, std::string node_id, std::string site_id)
    : network_(network), node_id_(std::move(node_id)), site_id_(std::move(site_id)),
      random_(network.simulation().random_stream("node/" + node_id_)), bus_(network.simulation()) {}

sim::VirtualTime NodeCore::now() const noexcept {
    return network_.simulation().now();
}

const record::Record& NodeCore::record(record::Record&& entry) {
    entry.node = node_id_;
    entry.time = now();
    return recorder_.append(std::move(entry));
}

record::Record& NodeCore::new_record(record::Kind kind) {
    record::Record& entry = recorder_.append_new();
    entry.node = node_id_;
    entry.time = now();
    entry.kind = kind;
    return entry;
}

std::string NodeCore::new_id() {
    protocol::Bytes bytes = random_.bytes(16);
    bytes[6] = static_cast<std::uint8_t>((bytes[6] & 0x0f) | 0x40); // version 4
    bytes[8] = static_cast<std::uint8_t>((bytes[8] & 0x3f) | 0x80); // RFC 4122 variant
    return protocol::hex_encode(bytes);
}

const protocol::RsaKeyPair& NodeCore::identity() {
    if (!identity_) {
        // A separate stream, so whether the key was needed does not shift the node's other
        // random draws; and the key depends on nothing but the seed and our id, so a cache
        // shared between hives may hand out one generated earlier.
        const std::string stream_name = "rsa/" + node_id_;
        const auto generate = [&] {
            auto stream = network_.simulation().random_stream(stream_name);
            return protocol::RsaKeyPair::generate(stream);
        };
        identity_ = key_cache != nullptr
                        ? key_cache->identity(network_.simulation().seed(), stream_name, generate)
                        : std::make_shared<const protocol::RsaKeyPair>(generate());
    }
    return *identity_;
}

void NodeCore::set_identity(std::shared_ptr<const protocol::RsaKeyPair> identity) {
    identity_ = std::move(identity);
}

} // namespace hivescope::node
