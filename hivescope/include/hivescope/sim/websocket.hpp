#pragma once
// Real WebSocket links for the same nodes (issue 5). A LoopbackTransport owns one I/O thread
// (Boost.Beast/Asio); a WebSocketHost serves an Acceptor on a real port; Network::connect to a
// `ws://` URL opens a client link. Everything a socket produces (accepts, frames, closes) is
// posted into the Simulation's inbox, so node code still runs only on the simulation thread and
// sees exactly the calls and callbacks of a simulated link (network.hpp). Boost stays out of
// this header.

#include "hivescope/sim/network.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace hivescope::sim {

/// The largest frame either side accepts by default (16 MiB); bigger ones close with 1009.
inline constexpr std::size_t default_max_frame_bytes = std::size_t{16} << 20;

/// The most a real link queues for a peer that does not read (64 MiB); beyond it the link is
/// dropped (close 1008 `write queue full`, reported locally: the peer reads nothing more).
inline constexpr std::size_t default_max_write_queue_bytes = std::size_t{64} << 20;

/// How long a server waits for a connection's WebSocket upgrade by default (10 s).
inline constexpr Duration default_handshake_timeout = std::chrono::seconds(10);

/// WebSocket close codes beyond the HiveMind ones (RFC 6455).
namespace close_code {
inline constexpr std::uint16_t going_away = 1001;
inline constexpr std::uint16_t abnormal = 1006;
inline constexpr std::uint16_t bad_payload = 1007; ///< a text frame that is not UTF-8
inline constexpr std::uint16_t too_big = 1009;
} // namespace close_code

/// The parts of a `ws://host:port/path?query` or `wss://...` URL.
struct WebSocketUrl {
    std::string host;
    std::uint16_t port = 80;  ///< default 80 for ws://, 443 for wss://
    std::string target = "/"; ///< path and query, as sent in the request line
    bool tls = false;         ///< `wss://`: the link runs over TLS
};

/// Parses a `ws://` or `wss://` URL. Throws ProtocolError(invalid_argument) naming the problem.
[[nodiscard]] WebSocketUrl parse_websocket_url(std::string_view url);

/// Whether `address` is a real WebSocket URL (`ws://` or `wss://`) rather than a simulated name.
[[nodiscard]] bool is_websocket_url(std::string_view address) noexcept;

/// TLS settings of a `wss://` server: its certificate chain (leaf first) and private key, PEM.
struct TlsServerOptions {
    std::string certificate_chain_pem{};
    std::string private_key_pem{};
};

/// How a client checks a `wss://` server. By default the system's trust store and the URL's
/// host name (or IP address) against the certificate.
struct TlsClientOptions {
    /// PEM certificates to trust in addition to the system store (e.g. a self-signed one).
    std::string ca_pem{};
    /// Accept any certificate, unchecked (for tests against unknown servers only).
    bool insecure = false;
};

/// A certificate and its private key, PEM.
struct SelfSignedCertificate {
    std::string certificate_pem{};
    std::string private_key_pem{};
};

/// A fresh self-signed certificate (EC P-256 key, valid one day from now) for `common_name`,
/// also its subject alternative name (an IP address when `common_name` is one, else a DNS
/// name), so that `wss://` can be tested without files: serve it with TlsServerOptions and
/// trust it with TlsClientOptions::ca_pem. Throws ProtocolError(invalid_argument) for an empty
/// name.
[[nodiscard]] SelfSignedCertificate make_self_signed_certificate(const std::string& common_name);

/// The `authorization` value of an upgrade request (A.11): the raw `authorization` query
/// parameter (percent-decoded only if it has a `%`, which base64 never has), else the base64 of
/// an `Authorization: Basic` header; empty when neither is present.
[[nodiscard]] std::string authorization_from_request(std::string_view target,
                                                     std::string_view authorization_header);

/// The socket side of a network: one io_context and its thread, started by the constructor and
/// joined by the destructor (which first aborts every socket it still has). Use through
/// Network::loopback().
class LoopbackTransport {
  public:
    explicit LoopbackTransport(Network& network);
    /// Aborts every socket, joins the I/O thread; real links still open read as closed.
    ~LoopbackTransport();
    LoopbackTransport(const LoopbackTransport&) = delete;
    LoopbackTransport& operator=(const LoopbackTransport&) = delete;

    /// Opens a client link to `url` (`ws://` or `wss://`) with `?authorization=` appended raw
    /// (A.11: no percent-encoding). `client` gets on_open before the first frame from the server
    /// (masters speak first), or after `open_grace` of quiet; a close before either is a refusal.
    /// A failed TLS handshake (untrusted certificate, wrong host, a server without TLS) closes
    /// the link with 1006 `tls handshake: ...`.
    std::shared_ptr<Connection> connect(const std::string& url, ConnectRequest request,
                                        FrameHandler& client);

    /// Frame size limit for client links (the peer gets close 1009 beyond it).
    std::size_t max_frame_bytes = default_max_frame_bytes;
    /// Bytes a client link queues for a server that does not read before it drops the link.
    std::size_t max_write_queue_bytes = default_max_write_queue_bytes;
    /// How long an upgraded client link waits for the server's first frame before it opens.
    Duration open_grace = std::chrono::seconds(2);
    /// How `wss://` links check the server (read when a link connects).
    TlsClientOptions tls;

    /// Sockets alive on the I/O thread (client and server sessions); for leak checks.
    [[nodiscard]] std::size_t live_sessions() const noexcept;
    /// Whether the I/O thread runs (always, until destruction).
    [[nodiscard]] bool running() const noexcept;

    struct Core; ///< internal: the io_context, its thread and the socket registry

  private:
    friend class WebSocketHost;
    Network& network_;
    std::shared_ptr<Core> core_;
};

/// Settings of a WebSocket server.
struct WebSocketServerOptions {
    std::string address = "127.0.0.1"; ///< listen address
    std::uint16_t port = 0;            ///< 0: the system picks one (read it with port())
    std::string name = "loopback";     ///< local_name() of the server ends (e.g. the node id)
    std::size_t max_frame_bytes = default_max_frame_bytes; ///< beyond it: close 1009
    /// From the TCP accept to the completed WebSocket upgrade (and for a closing handshake).
    /// A connection still without its upgrade is dropped and reported to
    /// Acceptor::on_connect_failed as 1008 `handshake timeout`.
    Duration handshake_timeout = default_handshake_timeout;
    /// Bytes queued for a client that does not read; beyond it the link is dropped and the
    /// acceptor's handler gets on_close(1008 `write queue full ...`). Bounds the memory a
    /// stalled client can hold.
    std::size_t max_write_queue_bytes = default_max_write_queue_bytes;
    /// Serve `wss://` with this certificate and key (a bad PEM throws from the constructor).
    /// A connection whose TLS handshake fails (a plain client, an untrusting one) is reported
    /// to Acceptor::on_connect_failed as 1002 `tls handshake: ...`.
    std::optional<TlsServerOptions> tls{};
};

/// A listening WebSocket server that hands each upgraded connection to an Acceptor with
/// `ConnectRequest{authorization, client_name = useragent or peer address}`. `refuse(close)`
/// becomes a real close frame with that code and reason before any message. A connection that
/// never becomes a WebSocket (not HTTP: 400 and 1002 `bad upgrade request: ...`; too slow: 1008
/// `handshake timeout`; gone: 1006) is reported to Acceptor::on_connect_failed with its peer
/// address. Protocol violations after the upgrade close with the RFC 6455 code (1002; 1007 for
/// a text frame that is not UTF-8; 1009 beyond max_frame_bytes). The port is closed, and this
/// host's sockets aborted, when stop() or the destructor returns.
class WebSocketHost {
  public:
    /// Listens now (throws ProtocolError(invalid_argument) when the address cannot be bound).
    WebSocketHost(Network& network, Acceptor& acceptor, WebSocketServerOptions options = {});
    ~WebSocketHost();
    WebSocketHost(const WebSocketHost&) = delete;
    WebSocketHost& operator=(const WebSocketHost&) = delete;

    /// The bound port.
    [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
    /// `ws://address:port/`, or `wss://address:port/` with TLS.
    [[nodiscard]] std::string url() const;
    [[nodiscard]] const WebSocketServerOptions& options() const noexcept { return options_; }
    /// Closes the port and aborts this host's connections (idempotent).
    void stop() noexcept;
    [[nodiscard]] bool listening() const noexcept { return listening_; }

    struct State; ///< internal

  private:
    Network& network_;
    WebSocketServerOptions options_;
    std::shared_ptr<State> state_;
    std::uint16_t port_ = 0;
    bool listening_ = false;
};

} // namespace hivescope::sim
