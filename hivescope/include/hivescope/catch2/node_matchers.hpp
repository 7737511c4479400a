#pragma once
// Matchers over a node's live state rather than its records: `REQUIRE_THAT(s0,
// ConnectedTo(master))`. The argument is a NodeRef, which any node converts to, so one matcher
// reads satellites, relays and masters. Matchers that name another node keep a reference to it:
// use them while the hive that owns both is alive (a test section always does).

#include "hivescope/catch2/compat.hpp"
#include "hivescope/catch2/record_matchers.hpp"
#include "hivescope/catch2/string_makers.hpp"
#include "hivescope/node/master_node.hpp"
#include "hivescope/node/relay_node.hpp"
#include "hivescope/node/satellite_node.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace hivescope::matchers {

/// A read-only handle on a satellite, relay or master.
class NodeRef {
  public:
    NodeRef(const node::SatelliteNode& node) : satellite_(&node) {} // NOLINT: implicit on purpose
    NodeRef(const node::MasterNode& node) : master_(&node) {}       // NOLINT
    NodeRef(const node::RelayNode& node) : relay_(&node) {}         // NOLINT

    /// The node id.
    [[nodiscard]] const std::string& name() const noexcept;
    /// `satellite`, `relay` or `master`.
    [[nodiscard]] std::string_view kind() const noexcept;
    /// The link to its master (satellites and relays), or null.
    [[nodiscard]] const node::SatelliteRole* upstream() const noexcept;
    /// Whether it serves clients (masters and relays).
    [[nodiscard]] bool serves_clients() const noexcept { return satellite_ == nullptr; }
    /// Its open client connections (empty for a satellite).
    [[nodiscard]] std::vector<node::ConnectedClient> clients() const;

  private:
    const node::SatelliteNode* satellite_ = nullptr;
    const node::MasterNode* master_ = nullptr;
    const node::RelayNode* relay_ = nullptr;
};

/// The base of every matcher over a node.
using NodeMatcher = catch2::MatcherBase<NodeRef>;

namespace detail {

/// The node's link to its master is ready (satellite, relay), or every client of a master has
/// completed its handshake (and there is at least one).
class HandshakeCompleteMatcher final : public NodeMatcher {
  public:
    bool match(const NodeRef& node) const override;
    std::string describe() const override;

  private:
    mutable bool serves_clients_ = false;
    mutable std::string observed_;
};

/// Both ends of the link between the node and `other` use the same cipher, encoding and
/// binarize setting.
class EncryptionMatchesMatcher final : public NodeMatcher {
  public:
    explicit EncryptionMatchesMatcher(NodeRef other) : other_(other) {}
    bool match(const NodeRef& node) const override;
    std::string describe() const override;

  private:
    NodeRef other_;
    mutable std::string observed_;
};

/// The node's link is ready, leads to `master`, and `master` lists the node as a client.
class ConnectedToMatcher final : public NodeMatcher {
  public:
    explicit ConnectedToMatcher(NodeRef master) : master_(master) {}
    bool match(const NodeRef& node) const override;
    std::string describe() const override;

  private:
    NodeRef master_;
    mutable std::string observed_;
};

/// A master (or relay) has a registered client named by `peer`.
class ClientRegisteredMatcher final : public NodeMatcher {
  public:
    explicit ClientRegisteredMatcher(Peer peer) : peer_(std::move(peer)) {}
    bool match(const NodeRef& node) const override;
    std::string describe() const override;

  private:
    Peer peer_;
    mutable std::string observed_;
};

} // namespace detail

/// The handshake is complete (a satellite's or relay's upstream link; every client of a master).
[[nodiscard]] detail::HandshakeCompleteMatcher HandshakeComplete();
/// Same cipher, encoding and binarize on both ends of the link to `other` (either end may be
/// the argument).
[[nodiscard]] detail::EncryptionMatchesMatcher EncryptionMatches(NodeRef other);
/// Connected (handshake complete) to `master`, which lists the node among its clients.
[[nodiscard]] detail::ConnectedToMatcher ConnectedTo(NodeRef master);
/// A registered client named by `peer` (a node, a node name or a peer id).
[[nodiscard]] detail::ClientRegisteredMatcher ClientRegistered(Peer peer);

} // namespace hivescope::matchers
