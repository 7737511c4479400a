#pragma once
// Links between simulated nodes. The frame boundary here is public on purpose: any node that
// implements FrameHandler (and Acceptor, to serve) can join a simulated hive, including nodes a
// user wrote against the protocol core alone.

#include "hivescope/sim/frame.hpp"
#include "hivescope/sim/simulation.hpp"

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

namespace hivescope::sim {

class Connection;
class LinkBackend;
class LoopbackTransport;
namespace detail {
struct Link;
}

/// Receives what arrives on a connection. Callbacks always come from the event queue, never from
/// inside another handler's send.
class FrameHandler {
  public:
    virtual ~FrameHandler() = default;
    /// The server accepted the connection (client side only).
    virtual void on_open(Connection& connection) { (void)connection; }
    /// A frame arrived.
    virtual void on_frame(Connection& connection, const Frame& frame) = 0;
    /// The link closed: the peer closed it, refused it, or this side's close completed.
    virtual void on_close(Connection& connection, const CloseEvent& close) = 0;
};

/// The upgrade request a client presents (protocol.md A.11).
struct ConnectRequest {
    std::string authorization; ///< the `authorization` query parameter: base64(useragent:key)
    std::string client_name;   ///< the connecting node's name, for traces
};

/// A listening node. It accepts by calling `connection.accept(handler)` or refuses with
/// `connection.refuse(close)` (the client then gets on_close without ever opening).
class Acceptor {
  public:
    virtual ~Acceptor() = default;
    virtual void on_connect(std::shared_ptr<Connection> connection,
                            const ConnectRequest& request) = 0;
    /// A real server's connection that failed before it could reach on_connect (no valid
    /// WebSocket upgrade in time; sim/websocket.hpp), with the peer's address and the reason.
    /// Simulated links never call it.
    virtual void on_connect_failed(const std::string& peer, const CloseEvent& reason) {
        (void)peer;
        (void)reason;
    }
};

/// What a fault rule does with one frame.
struct Fault {
    enum class Action { pass, drop, delay, duplicate };
    Action action = Action::pass;
    Duration extra_delay{0}; ///< for `delay`

    [[nodiscard]] static Fault pass() { return {}; }
    [[nodiscard]] static Fault drop() { return {Action::drop, {}}; }
    [[nodiscard]] static Fault delay(Duration d) { return {Action::delay, d}; }
    [[nodiscard]] static Fault duplicate() { return {Action::duplicate, {}}; }
};

/// Per-link timing and faults.
struct LinkOptions {
    Duration latency = std::chrono::milliseconds(1); ///< one-way delivery time
    Duration jitter{0}; ///< each frame adds a seeded random delay in [0, jitter]; FIFO is kept
};

/// One end of a link. Held by the node using it; the link lives while either end does. The link
/// behind it is pluggable (LinkBackend): the in-process simulated link, or a real WebSocket
/// (sim/websocket.hpp). Nodes see the same calls and callbacks either way.
class Connection {
  public:
    enum class Side { client, server };

    /// An end of `link` (any backend; a `detail::Link` converts).
    Connection(std::shared_ptr<LinkBackend> link, Side side);

    [[nodiscard]] Side side() const noexcept { return side_; }
    /// Unique per network, in creation order.
    [[nodiscard]] std::uint64_t link_id() const noexcept;
    /// The name of the node at this end / the other end.
    [[nodiscard]] const std::string& local_name() const noexcept;
    [[nodiscard]] const std::string& remote_name() const noexcept;
    /// Open: accepted and neither side has started closing.
    [[nodiscard]] bool is_open() const noexcept;
    /// Closing or closed from either side (or refused).
    [[nodiscard]] bool is_closed() const noexcept;

    /// Queues a frame for the other end. Throws ProtocolError(invalid_argument) when the link is
    /// not open, so a send on a dead link is never silently lost.
    void send(Frame frame);
    /// Starts the close handshake (idempotent). Frames already sent are delivered first.
    void close(CloseEvent close);
    /// Server side, inside Acceptor::on_connect: accept and route this end's events to `handler`.
    void accept(FrameHandler& handler);
    /// Server side, inside Acceptor::on_connect: refuse before any frame is exchanged.
    void refuse(CloseEvent close);
    /// Stops callbacks to this end (use from a node's destructor).
    void detach() noexcept;
    /// Installs a fault rule for frames *sent* from this end; nullptr removes it.
    void set_fault_rule(std::function<Fault(const Frame&)> rule);

    /// The link behind this end.
    [[nodiscard]] LinkBackend& backend() const noexcept { return *link_; }

  private:
    std::shared_ptr<LinkBackend> link_;
    Side side_;
};

/// What a link does for its ends. Every call comes from the simulation thread; a backend that
/// does I/O elsewhere hands its results back through Simulation::post (so handlers never run on
/// another thread, and never re-entrantly inside a send).
class LinkBackend {
  public:
    virtual ~LinkBackend() = default;
    /// Unique per network, in creation order.
    [[nodiscard]] virtual std::uint64_t id() const noexcept = 0;
    /// The node name at `side`.
    [[nodiscard]] virtual const std::string& name(Connection::Side side) const noexcept = 0;
    [[nodiscard]] virtual bool is_open() const noexcept = 0;
    [[nodiscard]] virtual bool is_closed() const noexcept = 0;
    /// Throws ProtocolError(invalid_argument) when not open.
    virtual void send(Connection::Side from, Frame frame) = 0;
    virtual void close(Connection::Side from, CloseEvent close) = 0;
    virtual void accept(Connection::Side side, FrameHandler& handler) = 0;
    virtual void refuse(Connection::Side side, CloseEvent close) = 0;
    virtual void detach(Connection::Side side) noexcept = 0;
    virtual void set_fault_rule(Connection::Side from, std::function<Fault(const Frame&)> rule) = 0;
};

/// The in-process network: names to acceptors, and the links between them.
class Network {
  public:
    explicit Network(Simulation& simulation);
    /// Joins the real-socket thread, if one was started.
    ~Network();
    Network(const Network&) = delete;
    Network& operator=(const Network&) = delete;

    [[nodiscard]] Simulation& simulation() noexcept { return simulation_; }

    /// Makes `acceptor` reachable as `address`. Throws ProtocolError(invalid_argument) if taken.
    void listen(const std::string& address, Acceptor& acceptor);
    /// Removes a listener; existing links are unaffected.
    void unlisten(const std::string& address) noexcept;

    /// Opens a link from `client` to `address`. The acceptor sees it after one latency; the
    /// client then gets on_open or a refusal close. Throws ProtocolError(invalid_argument) naming
    /// the listening addresses when nothing listens at `address`. A `ws://host:port/...` address
    /// opens a real WebSocket through loopback() instead (options then do not apply).
    std::shared_ptr<Connection> connect(const std::string& address, ConnectRequest request,
                                        FrameHandler& client,
                                        std::optional<LinkOptions> options = {});

    /// Options for links created without explicit ones.
    LinkOptions default_link_options;

    /// The real-socket transport of this network (one I/O thread), started on first use.
    [[nodiscard]] LoopbackTransport& loopback();
    /// Whether loopback() was started.
    [[nodiscard]] bool has_loopback() const noexcept { return loopback_ != nullptr; }
    /// Stops and joins the real-socket transport now (closing every real link); idempotent.
    void shutdown_loopback() noexcept;

    /// A fresh link id, for link backends.
    [[nodiscard]] std::uint64_t allocate_link_id() noexcept { return next_link_id_++; }

    [[nodiscard]] std::uint64_t frames_delivered() const noexcept { return frames_delivered_; }
    [[nodiscard]] std::uint64_t links_created() const noexcept { return next_link_id_ - 1; }

  private:
    friend struct detail::Link;
    Simulation& simulation_;
    std::map<std::string, Acceptor*> listeners_; // ordered: error messages list names stably
    std::uint64_t next_link_id_ = 1;
    std::uint64_t frames_delivered_ = 0;
    std::unique_ptr<LoopbackTransport> loopback_;
};

} // namespace hivescope::sim
