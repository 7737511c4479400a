// Real WebSocket links (issue 5). Two kinds of object, one per thread:
//   * WsLink (a LinkBackend) lives on the simulation thread: link state, the node's handler,
//     counters. Only the simulation thread touches it.
//   * Session lives on the I/O thread: the Beast stream, read buffer and write queue. Only the
//     I/O thread touches it.
// They talk by posting: the simulation thread posts work to the io_context, the I/O thread posts
// results into Simulation::post. A Session holds its WsLink weakly and a WsLink its Session
// weakly, so either side may end first.

#include "hivescope/sim/websocket.hpp"

#include "hivescope/protocol/error.hpp"
#include "hivescope/protocol/handshake_messages.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <array>
#include <atomic>
#include <cctype>
#include <deque>
#include <future>
#include <map>
#include <optional>
#include <thread>
#include <variant>

namespace hivescope::sim {

using protocol::ErrorCode;
using protocol::ProtocolError;

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace asio = boost::asio;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

// ---- URL and authorization -------------------------------------------------------------------

bool is_websocket_url(std::string_view address) noexcept {
    return address.substr(0, 5) == "ws://" || address.substr(0, 6) == "wss://";
}

WebSocketUrl parse_websocket_url(std::string_view url) {
    WebSocketUrl out;
    std::string_view rest;
    if (url.substr(0, 5) == "ws://") {
        rest = url.substr(5);
    } else if (url.substr(0, 6) == "wss://") {
        rest = url.substr(6);
        out.tls = true;
        out.port = 443;
    } else {
        throw ProtocolError(ErrorCode::invalid_argument,
                            "not a ws:// or wss:// URL: \"" + std::string(url) + "\"");
    }
    const auto slash = rest.find_first_of("/?");
    std::string_view authority = rest.substr(0, slash);
    if (slash != std::string_view::npos) {
        out.target = std::string(rest.substr(slash));
        if (out.target.front() == '?')
            out.target.insert(out.target.begin(), '/');
    }
    const auto colon = authority.rfind(':');
    if (colon != std::string_view::npos && authority.find(']') == std::string_view::npos) {
        const std::string_view digits = authority.substr(colon + 1);
        unsigned long port = 0;
        if (digits.empty() || digits.size() > 5)
            throw ProtocolError(ErrorCode::invalid_argument,
                                "bad port in \"" + std::string(url) + "\"");
        for (const char c : digits) {
            if (c < '0' || c > '9')
                throw ProtocolError(ErrorCode::invalid_argument,
                                    "bad port in \"" + std::string(url) + "\"");
            port = port * 10 + static_cast<unsigned long>(c - '0');
        }
        if (port == 0 || port > 65535)
            throw ProtocolError(ErrorCode::invalid_argument,
                                "port out of range in \"" + std::string(url) + "\"");
        out.port = static_cast<std::uint16_t>(port);
        authority = authority.substr(0, colon);
    }
    if (authority.empty())
        throw ProtocolError(ErrorCode::invalid_argument, "no host in \"" + std::string(url) + "\"");
    out.host = std::string(authority);
    return out;
}

namespace {

std::string percent_decode(std::string_view in) {
    std::string out;
    out.reserve(in.size());
    const auto hex = [](char c) -> int {
        if (c >= '0' && c <= '9')
            return c - '0';
        if (c >= 'a' && c <= 'f')
            return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
            return c - 'A' + 10;
        return -1;
    };
    for (std::size_t i = 0; i < in.size(); ++i) {
        if (in[i] == '%' && i + 2 < in.size() && hex(in[i + 1]) >= 0 && hex(in[i + 2]) >= 0) {
            out.push_back(static_cast<char>(hex(in[i + 1]) * 16 + hex(in[i + 2])));
            i += 2;
        } else {
            out.push_back(in[i]);
        }
    }
    return out;
}

} // namespace

std::string authorization_from_request(std::string_view target,
                                       std::string_view authorization_header) {
    const auto question = target.find('?');
    if (question != std::string_view::npos) {
        std::string_view query = target.substr(question + 1);
        while (!query.empty()) {
            const auto amp = query.find('&');
            const std::string_view pair = query.substr(0, amp);
            constexpr std::string_view key = "authorization=";
            if (pair.substr(0, key.size()) == key) {
                const std::string_view value = pair.substr(key.size());
                // Base64 never contains '%', so decoding is unambiguous; raw is the A.11 form.
                return value.find('%') == std::string_view::npos ? std::string(value)
                                                                 : percent_decode(value);
            }
            if (amp == std::string_view::npos)
                break;
            query = query.substr(amp + 1);
        }
    }
    std::string_view header = authorization_header;
    while (!header.empty() && header.front() == ' ')
        header.remove_prefix(1);
    constexpr std::string_view basic = "basic ";
    if (header.size() > basic.size()) {
        bool match = true;
        for (std::size_t i = 0; i < basic.size(); ++i)
            match = match && std::tolower(static_cast<unsigned char>(header[i])) == basic[i];
        if (match) {
            header.remove_prefix(basic.size());
            while (!header.empty() && header.front() == ' ')
                header.remove_prefix(1);
            while (!header.empty() && header.back() == ' ')
                header.remove_suffix(1);
            return std::string(header);
        }
    }
    return {};
}

// ---- the two halves of a real link -------------------------------------------------------------

namespace {
struct Session;
struct WsLink;
} // namespace

struct LoopbackTransport::Core : std::enable_shared_from_this<LoopbackTransport::Core> {
    Core(Network& network_in)
        : network(network_in), sim(network_in.simulation()), work(asio::make_work_guard(io)) {}
    Core(const Core&) = delete;
    Core& operator=(const Core&) = delete;
    ~Core() = default;

    Network& network;
    Simulation& sim;
    // Declared before io: sessions destroyed with io's pending handlers still count down here.
    std::atomic<std::size_t> live{0};
    std::atomic<bool> running{false};
    asio::io_context io;
    asio::executor_work_guard<asio::io_context::executor_type> work;
    std::thread thread;
    // I/O thread only: every session, so shutdown can abort them.
    std::map<std::uint64_t, std::weak_ptr<Session>> sessions;
    std::uint64_t next_session = 1;
    // Simulation thread only: every real link until it closed, so a link whose node let go of
    // it still finishes its close, and shutdown can settle the simulation's counters.
    std::map<const WsLink*, std::shared_ptr<WsLink>> links;
};

struct WebSocketHost::State {
    Acceptor* acceptor = nullptr; // simulation thread only; null once the host stopped
    std::string name;
    std::size_t max_frame_bytes = default_max_frame_bytes;
    std::size_t max_write_queue_bytes = default_max_write_queue_bytes;
    Duration handshake_timeout = default_handshake_timeout;
    std::shared_ptr<ssl::context> tls; // set: serve wss://
    // I/O thread only.
    std::unique_ptr<tcp::acceptor> listener;
    std::uint64_t host_id = 0;
};

namespace {

using Core = LoopbackTransport::Core;
using HostState = WebSocketHost::State;
using PlainWs = websocket::stream<beast::tcp_stream>;
using TlsWs = websocket::stream<beast::ssl_stream<beast::tcp_stream>>;
using AnyWs = std::variant<PlainWs, TlsWs>;

AnyWs make_ws(tcp::socket socket, ssl::context* tls) {
    if (tls != nullptr)
        return AnyWs(std::in_place_type<TlsWs>, std::move(socket), *tls);
    return AnyWs(std::in_place_type<PlainWs>, std::move(socket));
}

AnyWs make_ws(asio::io_context& io, ssl::context* tls) {
    if (tls != nullptr)
        return AnyWs(std::in_place_type<TlsWs>, io, *tls);
    return AnyWs(std::in_place_type<PlainWs>, io);
}

/// Why a TLS handshake failed, with the certificate check's own words when that was the cause.
std::string tls_failure(const beast::error_code& ec, SSL* ssl) {
    std::string text = "tls handshake: " + ec.message();
    if (ssl != nullptr) {
        const long verify = SSL_get_verify_result(ssl);
        if (verify != X509_V_OK)
            text += std::string(" (") + X509_verify_cert_error_string(verify) + ")";
    }
    return text;
}

// Simulation-thread half.
struct WsLink final : LinkBackend, std::enable_shared_from_this<WsLink> {
    enum class State { connecting, open, closing, closed };

    WsLink(Core& core_in, const std::shared_ptr<Core>& core_ref, Connection::Side side_in,
           std::string local, std::string remote)
        : sim(core_in.sim), core(core_ref), side(side_in) {
        names[index(side_in)] = std::move(local);
        names[1 - index(side_in)] = std::move(remote);
    }

    Simulation& sim;
    std::weak_ptr<Core> core;
    std::weak_ptr<Session> session; // set before the link is shared with the other thread
    Connection::Side side;
    std::uint64_t link_id = 0;
    std::array<std::string, 2> names;
    FrameHandler* handler = nullptr;
    std::weak_ptr<Connection> end;
    std::function<Fault(const Frame&)> fault;
    State state = State::connecting;
    bool counted = false; // holds one of the simulation's real sources
    int pending = 0;      // this link's share of the simulation's real pending operations
    Duration open_grace{0};

    static std::size_t index(Connection::Side s) { return s == Connection::Side::client ? 0 : 1; }

    void count_source() {
        if (!counted) {
            counted = true;
            sim.add_real_sources(1);
        }
    }
    void add_pending(int delta) {
        pending += delta;
        sim.add_real_pending(delta);
    }

    /// Runs `work` on the I/O thread against the live session, if any.
    template <class Work> bool to_session(Work work);

    // ---- LinkBackend ---------------------------------------------------------------------------
    [[nodiscard]] std::uint64_t id() const noexcept override { return link_id; }
    [[nodiscard]] const std::string& name(Connection::Side s) const noexcept override {
        return names[index(s)];
    }
    [[nodiscard]] bool is_open() const noexcept override {
        return state == State::open && !core.expired();
    }
    [[nodiscard]] bool is_closed() const noexcept override {
        return state == State::closing || state == State::closed || core.expired();
    }
    void send(Connection::Side from, Frame frame) override;
    void close(Connection::Side from, CloseEvent event) override;
    void accept(Connection::Side s, FrameHandler& h) override {
        if (s != Connection::Side::server || side != s || state != State::connecting)
            throw ProtocolError(ErrorCode::invalid_argument,
                                "accept() is for a server end inside on_connect");
        handler = &h;
        state = State::open;
    }
    void refuse(Connection::Side s, CloseEvent event) override {
        if (s != Connection::Side::server || side != s || state != State::connecting)
            throw ProtocolError(ErrorCode::invalid_argument,
                                "refuse() is for a server end inside on_connect");
        begin_close(std::move(event));
    }
    void detach(Connection::Side) noexcept override { handler = nullptr; }
    void set_fault_rule(Connection::Side, std::function<Fault(const Frame&)> rule) override {
        fault = std::move(rule);
    }

    void begin_close(CloseEvent event);
    void transmit(Frame frame);

    // ---- events posted from the I/O thread -----------------------------------------------------
    void upgraded() {
        add_pending(-1); // the connect finished
        if (state != State::connecting)
            return;
        auto self = shared_from_this();
        sim.schedule_after(open_grace, [self] { self->open_client(); });
    }
    void open_client() {
        if (side != Connection::Side::client || state != State::connecting)
            return;
        state = State::open;
        const auto e = end.lock();
        if (e && handler != nullptr)
            handler->on_open(*e);
    }
    void frame_in(Frame frame) {
        if (state == State::closed)
            return;
        if (state == State::connecting && side == Connection::Side::client)
            open_client(); // the master spoke first: the upgrade was an acceptance
        const auto e = end.lock();
        if (e && handler != nullptr && state != State::closed)
            handler->on_frame(*e, frame);
    }
    void write_done() {
        if (state != State::closed && pending > 0)
            add_pending(-1);
    }
    void closed(CloseEvent event) {
        if (state == State::closed)
            return;
        const auto self = shared_from_this();
        settle();
        const auto e = end.lock();
        if (e && handler != nullptr)
            handler->on_close(*e, event);
    }
    /// The transport is going away: settle the counters without calling anyone.
    void abandon() {
        if (state != State::closed)
            settle();
    }
    void settle() {
        state = State::closed;
        add_pending(-pending);
        if (counted) {
            counted = false;
            sim.add_real_sources(-1);
        }
        if (const auto c = core.lock())
            c->links.erase(this);
    }
    void enroll(Core& c) {
        count_source();
        c.links[this] = shared_from_this();
    }
};

struct Outgoing {
    bool is_close = false;
    Frame frame;
    CloseEvent close;
};

// I/O-thread half.
struct Session : std::enable_shared_from_this<Session> {
    Session(Core& core_in, tcp::socket socket, std::size_t max_frame, std::size_t max_queue,
            std::uint64_t host, std::shared_ptr<ssl::context> tls)
        : core(core_in), tls_context(std::move(tls)),
          ws(make_ws(std::move(socket), tls_context.get())), host_id(host), max_queued(max_queue) {
        std::visit([max_frame](auto& w) { w.read_message_max(max_frame); }, ws);
        ++core.live;
    }
    Session(Core& core_in, std::size_t max_frame, std::size_t max_queue,
            std::shared_ptr<ssl::context> tls)
        : core(core_in), tls_context(std::move(tls)), ws(make_ws(core_in.io, tls_context.get())),
          host_id(0), max_queued(max_queue) {
        std::visit([max_frame](auto& w) { w.read_message_max(max_frame); }, ws);
        ++core.live;
    }
    ~Session() { --core.live; }

    Core& core;
    std::shared_ptr<ssl::context> tls_context; // before ws: outlives the stream
    AnyWs ws;
    std::uint64_t host_id; // 0 for client sessions
    std::uint64_t session_id = 0;
    std::weak_ptr<WsLink> link;
    beast::flat_buffer buffer;
    std::deque<Outgoing> outbox;
    std::size_t queued = 0;     // bytes of the frames in outbox
    std::size_t max_queued = 0; // beyond it, the peer is not reading: drop the link
    bool writing = false;
    bool upgraded = false;
    bool close_sent = false;
    std::optional<CloseEvent> local_close;
    bool finished = false;
    // server side
    tcp::resolver::results_type resolved;
    http::request<http::string_body> request;
    std::shared_ptr<HostState> host;
    std::string peer; // the client's address, for reports before the upgrade
    // client side
    bool verify_peer = true; // wss://: check the server's certificate and name

    template <class F> decltype(auto) with_ws(F&& f) { return std::visit(std::forward<F>(f), ws); }
    beast::tcp_stream& tcp_layer() {
        return std::visit([](auto& w) -> beast::tcp_stream& { return beast::get_lowest_layer(w); },
                          ws);
    }
    bool is_tls() const noexcept { return std::holds_alternative<TlsWs>(ws); }
    beast::ssl_stream<beast::tcp_stream>& tls_layer() { return std::get<TlsWs>(ws).next_layer(); }

    void enroll() {
        session_id = core.next_session++;
        core.sessions[session_id] = weak_from_this();
    }

    template <class Event> void post_to_link(Event event) {
        core.sim.post([weak = link, event = std::move(event)]() mutable {
            if (const auto l = weak.lock())
                event(*l);
        });
    }

    void finish(CloseEvent event) {
        if (finished)
            return;
        finished = true;
        core.sessions.erase(session_id);
        if (local_close)
            event = *local_close; // our close completed: the closing side sees its own event
        post_to_link([event](WsLink& l) { l.closed(event); });
        beast::error_code ignored;
        tcp_layer().socket().shutdown(tcp::socket::shutdown_both, ignored);
        tcp_layer().socket().close(ignored);
    }

    void abort() {
        if (finished)
            return;
        finish(CloseEvent{close_code::abnormal, "transport stopped"});
    }

    void fail(const beast::error_code& ec, const char* what) {
        if (ec == websocket::error::closed) {
            const auto& reason =
                with_ws([](auto& w) -> const websocket::close_reason& { return w.reason(); });
            finish(CloseEvent{static_cast<std::uint16_t>(reason.code),
                              std::string(reason.reason.data(), reason.reason.size())});
            return;
        }
        // Beast has already sent the peer a close frame with the matching RFC 6455 code.
        if (ec == websocket::error::message_too_big) {
            finish(CloseEvent{close_code::too_big, "message too big"});
            return;
        }
        if (ec == websocket::error::bad_frame_payload) {
            finish(CloseEvent{close_code::bad_payload, "text frame not UTF-8"});
            return;
        }
        if (ec == websocket::condition::protocol_violation) {
            finish(CloseEvent{close_code::protocol_error,
                              "websocket protocol violation: " + ec.message()});
            return;
        }
        finish(CloseEvent{close_code::abnormal, std::string(what) + ": " + ec.message()});
    }

    // ---- reading -------------------------------------------------------------------------------
    void read() {
        with_ws([this](auto& w) {
            w.async_read(buffer, [self = shared_from_this()](beast::error_code ec, std::size_t) {
                self->on_read(ec);
            });
        });
    }
    void on_read(beast::error_code ec) {
        if (finished)
            return;
        if (ec) {
            fail(ec, "read");
            return;
        }
        const bool text = with_ws([](auto& w) { return w.got_text(); });
        const auto data = buffer.cdata();
        std::string content(static_cast<const char*>(data.data()), data.size());
        buffer.consume(buffer.size());
        Frame frame = text ? Frame::text(std::move(content)) : Frame::binary(std::move(content));
        post_to_link(
            [frame = std::move(frame)](WsLink& l) mutable { l.frame_in(std::move(frame)); });
        read();
    }

    // ---- writing -------------------------------------------------------------------------------
    void enqueue(Outgoing item) {
        if (finished) {
            if (!item.is_close)
                post_to_link([](WsLink& l) { l.write_done(); });
            return;
        }
        if (item.is_close) {
            if (local_close)
                return;
            local_close = item.close;
        } else if (queued > 0 && queued + item.frame.data().size() > max_queued) {
            // The peer stopped reading (its TCP window is full): drop it rather than grow
            // without bound. No close frame could reach it, so the close is local.
            const std::string reason =
                "write queue full: peer not reading (" + std::to_string(queued) + " bytes queued)";
            local_close.reset();
            finish(CloseEvent{close_code::policy_violation, reason});
            return;
        }
        queued += item.frame.data().size();
        outbox.push_back(std::move(item));
        if (!writing && upgraded)
            write_next();
    }
    void write_next() {
        if (finished || outbox.empty() || close_sent) {
            writing = false;
            return;
        }
        writing = true;
        Outgoing& front = outbox.front();
        if (front.is_close) {
            close_sent = true;
            std::string reason = front.close.reason.substr(0, 123); // RFC 6455 limit
            const websocket::close_reason why(static_cast<websocket::close_code>(front.close.code),
                                              reason);
            with_ws([this, &why](auto& w) {
                w.async_close(why, [self = shared_from_this()](beast::error_code ec) {
                    self->writing = false;
                    self->outbox.clear();
                    if (ec && ec != websocket::error::closed)
                        self->fail(ec, "close");
                    else
                        self->finish(*self->local_close);
                });
            });
            return;
        }
        with_ws([this, &front](auto& w) {
            w.text(!front.frame.is_binary());
            w.async_write(asio::buffer(front.frame.data()),
                          [self = shared_from_this()](beast::error_code ec, std::size_t) {
                              if (ec) {
                                  self->fail(ec, "write");
                                  return;
                              }
                              self->queued -= self->outbox.front().frame.data().size();
                              self->outbox.pop_front();
                              self->post_to_link([](WsLink& l) { l.write_done(); });
                              self->write_next();
                          });
        });
    }

    // Frames are whole messages: Nagle plus delayed ACKs would add ~40 ms to each round trip.
    void no_delay() {
        beast::error_code ignored;
        tcp_layer().socket().set_option(tcp::no_delay(true), ignored);
    }

    void after_upgrade() {
        upgraded = true;
        read();
        if (!outbox.empty() && !writing)
            write_next();
    }

    // ---- client --------------------------------------------------------------------------------
    void run_client(WebSocketUrl url) {
        enroll();
        // A numeric host needs no resolver (whose first use starts a helper thread in Asio).
        beast::error_code not_numeric;
        const auto address = asio::ip::make_address(url.host, not_numeric);
        if (!not_numeric) {
            connect_to(std::array{tcp::endpoint(address, url.port)}, std::move(url));
            return;
        }
        auto resolver = std::make_shared<tcp::resolver>(core.io);
        resolver->async_resolve(url.host, std::to_string(url.port),
                                [self = shared_from_this(), resolver,
                                 url](beast::error_code ec, tcp::resolver::results_type results) {
                                    if (self->finished)
                                        return;
                                    if (ec) {
                                        self->fail(ec, "resolve");
                                        return;
                                    }
                                    self->connect_to(results, url);
                                });
    }
    template <class Endpoints> void connect_to(const Endpoints& endpoints, WebSocketUrl url) {
        tcp_layer().expires_after(std::chrono::seconds(10));
        tcp_layer().async_connect(endpoints, [self = shared_from_this(), url = std::move(url)](
                                                 beast::error_code ec, const tcp::endpoint&) {
            if (self->finished)
                return;
            if (ec) {
                self->fail(ec, "connect");
                return;
            }
            if (self->is_tls())
                self->tls_handshake(url);
            else
                self->handshake(url);
        });
    }
    // wss://: the TLS handshake (checking the server as tls_verify says) before the upgrade.
    void tls_handshake(const WebSocketUrl& url) {
        no_delay();
        auto& stream = tls_layer();
        SSL* handle = stream.native_handle();
        if (verify_peer) {
            stream.set_verify_mode(ssl::verify_peer);
            beast::error_code not_ip;
            asio::ip::make_address(url.host, not_ip);
            if (!not_ip) {
                X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(handle), url.host.c_str());
            } else {
                SSL_set1_host(handle, url.host.c_str());
                SSL_set_tlsext_host_name(handle, url.host.c_str());
            }
        } else {
            stream.set_verify_mode(ssl::verify_none);
        }
        stream.async_handshake(
            ssl::stream_base::client, [self = shared_from_this(), url](beast::error_code ec) {
                if (self->finished)
                    return;
                if (ec) {
                    self->finish(CloseEvent{close_code::abnormal,
                                            tls_failure(ec, self->tls_layer().native_handle())});
                    return;
                }
                self->handshake(url);
            });
    }
    void handshake(const WebSocketUrl& url) {
        tcp_layer().expires_never();
        no_delay();
        const std::string host = url.host + ":" + std::to_string(url.port);
        with_ws([this, &host, &url](auto& w) {
            w.set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
            w.async_handshake(host, url.target, [self = shared_from_this()](beast::error_code ec) {
                if (self->finished)
                    return;
                if (ec) {
                    self->fail(ec, "handshake");
                    return;
                }
                self->post_to_link([](WsLink& l) { l.upgraded(); });
                self->after_upgrade();
            });
        });
    }
};

template <class Work> bool WsLink::to_session(Work work) {
    const auto c = core.lock();
    if (!c)
        return false;
    asio::post(c->io, [weak = session, work = std::move(work)]() mutable {
        if (const auto s = weak.lock())
            work(*s);
    });
    return true;
}

void WsLink::send(Connection::Side, Frame frame) {
    if (!is_open())
        throw ProtocolError(ErrorCode::invalid_argument,
                            "cannot send on the real link " + names[0] + " -> " + names[1] +
                                ": it is " +
                                (state == State::connecting ? "not yet open" : "closed"));
    const Fault f = fault ? fault(frame) : Fault::pass();
    switch (f.action) {
    case Fault::Action::drop:
        return;
    case Fault::Action::pass:
        transmit(std::move(frame));
        return;
    case Fault::Action::duplicate:
        transmit(frame);
        transmit(std::move(frame));
        return;
    case Fault::Action::delay: {
        auto self = shared_from_this();
        add_pending(1);
        sim.schedule_after(f.extra_delay, [self, frame = std::move(frame)]() mutable {
            self->add_pending(-1);
            if (self->state == State::open || self->state == State::closing)
                self->transmit(std::move(frame));
        });
        return;
    }
    }
}

void WsLink::transmit(Frame frame) {
    add_pending(1);
    // If the session is already gone, its close is on its way and settles the count.
    to_session([frame = std::move(frame)](Session& s) mutable {
        s.enqueue(Outgoing{false, std::move(frame), {}});
    });
}

void WsLink::close(Connection::Side, CloseEvent event) {
    if (state == State::closing || state == State::closed)
        return;
    begin_close(std::move(event));
}

void WsLink::begin_close(CloseEvent event) {
    state = State::closing;
    add_pending(1);
    if (!to_session([event = std::move(event)](Session& s) {
            s.enqueue(Outgoing{true, {}, event});
        }))
        abandon();
}

// ---- server --------------------------------------------------------------------------------

// Simulation thread: the acceptor decides.
void accepted(const std::shared_ptr<WsLink>& link, const std::shared_ptr<HostState>& host,
              const ConnectRequest& request) {
    const auto core = link->core.lock();
    if (!core)
        return;
    link->link_id = core->network.allocate_link_id();
    link->enroll(*core);
    if (host->acceptor == nullptr) {
        link->begin_close(CloseEvent{close_code::going_away, "server stopped"});
        return;
    }
    auto end = std::make_shared<Connection>(link, Connection::Side::server);
    link->end = end;
    host->acceptor->on_connect(end, request);
    if (link->state == WsLink::State::connecting)
        link->begin_close(CloseEvent{close_code::policy_violation, "connection not accepted"});
}

std::string milliseconds_text(Duration d) {
    return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(d).count()) + " ms";
}

// I/O thread: a connection that will never reach the acceptor. The acceptor hears of it (on the
// simulation thread) with the peer's address and the reason.
void report_failed_upgrade(const std::shared_ptr<Session>& session, const CloseEvent& event) {
    session->core.sim.post([host = session->host, peer = session->peer, event] {
        if (host->acceptor != nullptr)
            host->acceptor->on_connect_failed(peer, event);
    });
}

// Not a WebSocket upgrade at all: answer 400 with the reason, then drop the connection.
void answer_bad_request(const std::shared_ptr<Session>& session, const CloseEvent& event) {
    report_failed_upgrade(session, event);
    auto response =
        std::make_shared<http::response<http::string_body>>(http::status::bad_request, 11);
    response->set(http::field::connection, "close");
    response->set(http::field::content_type, "text/plain");
    response->body() = event.reason + "\n";
    response->prepare_payload();
    session->tcp_layer().expires_after(std::chrono::seconds(1));
    session->with_ws([&](auto& w) {
        http::async_write(
            w.next_layer(), *response,
            [session, response, event](beast::error_code, std::size_t) { session->finish(event); });
    });
}

// Why the upgrade request could not be read: too slow, gone, or not HTTP.
CloseEvent upgrade_request_failure(const beast::error_code& ec, Duration timeout) {
    if (ec == beast::error::timeout)
        return {close_code::policy_violation,
                "handshake timeout: no WebSocket upgrade within " + milliseconds_text(timeout)};
    if (ec == http::error::end_of_stream || ec == asio::error::eof ||
        ec == asio::error::connection_reset || ec == asio::error::broken_pipe)
        return {close_code::abnormal, "closed before the upgrade: " + ec.message()};
    return {close_code::protocol_error, "bad upgrade request: " + ec.message()};
}

void read_upgrade_request(const std::shared_ptr<Session>& session, Duration timeout) {
    session->with_ws([&](auto& w) {
        http::async_read(
            w.next_layer(), session->buffer, session->request,
            [session, timeout](beast::error_code ec, std::size_t) {
                if (session->finished)
                    return;
                if (ec) {
                    const CloseEvent event = upgrade_request_failure(ec, timeout);
                    if (event.code == close_code::protocol_error) {
                        answer_bad_request(session, event);
                    } else {
                        report_failed_upgrade(session, event);
                        session->finish(event);
                    }
                    return;
                }
                session->tcp_layer().expires_never();
                auto limits = websocket::stream_base::timeout::suggested(beast::role_type::server);
                limits.handshake_timeout = timeout; // the upgrade response and closing handshakes
                session->with_ws([&limits](auto& ws) { ws.set_option(limits); });
                // RFC 6455 4.1: a client waits for the server's response before sending anything.
                // Bytes already behind the request are frames sent before the connection was
                // authenticated: upgrade (so a close frame can say so), then close with 1002.
                const bool early_data = session->buffer.size() != 0;
                session->buffer.consume(session->buffer.size());
                const std::string target(session->request.target());
                const std::string header(session->request[http::field::authorization]);
                ConnectRequest request{authorization_from_request(target, header), {}};
                try {
                    request.client_name =
                        protocol::parse_authorization(request.authorization).useragent;
                } catch (const std::exception&) {
                    request.client_name = session->peer;
                }
                session->with_ws([&](auto& ws) {
                    ws.async_accept(session->request, [session, early_data, timeout,
                                                       request = std::move(request)](
                                                          beast::error_code ec2) mutable {
                        if (session->finished)
                            return;
                        if (ec2) {
                            // Beast has answered 400 to a request that was no WebSocket upgrade.
                            const CloseEvent event =
                                ec2 == beast::error::timeout
                                    ? upgrade_request_failure(ec2, timeout)
                                    : CloseEvent{close_code::protocol_error,
                                                 "bad upgrade request: " + ec2.message()};
                            report_failed_upgrade(session, event);
                            session->finish(event);
                            return;
                        }
                        if (early_data) {
                            const CloseEvent event{close_code::protocol_error,
                                                   "frames before the upgrade response"};
                            report_failed_upgrade(session, event);
                            session->upgraded = true;
                            session->enqueue(Outgoing{true, {}, event});
                            return;
                        }
                        Core& core = session->core;
                        auto link = std::make_shared<WsLink>(
                            core, core.shared_from_this(), Connection::Side::server,
                            session->host->name, request.client_name);
                        link->session = session;
                        session->link = link;
                        // Frames read from now on are posted after this, so the acceptor has
                        // decided before any of them reaches it.
                        core.sim.post([link, host = session->host, request = std::move(request)] {
                            accepted(link, host, request);
                        });
                        session->after_upgrade();
                    });
                });
            });
    });
}

void serve_session(const std::shared_ptr<Session>& session) {
    session->enroll();
    session->no_delay();
    {
        beast::error_code ignored;
        const auto remote = session->tcp_layer().socket().remote_endpoint(ignored);
        session->peer = remote.address().to_string() + ":" + std::to_string(remote.port());
    }
    // One deadline from the accept to the upgrade request, TLS handshake included.
    const Duration timeout = session->host->handshake_timeout;
    session->tcp_layer().expires_after(timeout);
    if (!session->is_tls()) {
        read_upgrade_request(session, timeout);
        return;
    }
    session->tls_layer().async_handshake(
        ssl::stream_base::server, [session, timeout](beast::error_code ec) {
            if (session->finished)
                return;
            if (ec) {
                const CloseEvent event =
                    ec == beast::error::timeout
                        ? upgrade_request_failure(ec, timeout)
                        : CloseEvent{close_code::protocol_error, tls_failure(ec, nullptr)};
                report_failed_upgrade(session, event);
                session->finish(event);
                return;
            }
            read_upgrade_request(session, timeout);
        });
}

void accept_next(Core& core, const std::shared_ptr<HostState>& host) {
    if (!host->listener || !host->listener->is_open())
        return;
    host->listener->async_accept(core.io, [&core, host](beast::error_code ec, tcp::socket socket) {
        if (!host->listener || !host->listener->is_open())
            return;
        if (!ec) {
            auto session =
                std::make_shared<Session>(core, std::move(socket), host->max_frame_bytes,
                                          host->max_write_queue_bytes, host->host_id, host->tls);
            session->host = host;
            serve_session(session);
        }
        accept_next(core, host);
    });
}

/// Runs `work` on the I/O thread and waits for it (never call from the I/O thread).
template <class Work> void run_on_io(Core& core, Work work) {
    std::promise<void> done;
    auto future = done.get_future();
    asio::post(core.io, [&work, &done] {
        try {
            work();
            done.set_value();
        } catch (...) {
            done.set_exception(std::current_exception());
        }
    });
    future.get();
}

// ---- TLS ---------------------------------------------------------------------------------------

std::string openssl_error() {
    const unsigned long code = ERR_get_error();
    ERR_clear_error();
    if (code == 0)
        return "unknown OpenSSL error";
    std::array<char, 256> text{};
    ERR_error_string_n(code, text.data(), text.size());
    return text.data();
}

std::shared_ptr<ssl::context> server_tls_context(const TlsServerOptions& options) {
    auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
    SSL_CTX_set_min_proto_version(context->native_handle(), TLS1_2_VERSION);
    beast::error_code ec;
    context->use_certificate_chain(asio::buffer(options.certificate_chain_pem), ec);
    if (ec)
        throw ProtocolError(ErrorCode::invalid_argument,
                            "bad TLS certificate chain PEM: " + ec.message());
    context->use_private_key(asio::buffer(options.private_key_pem), ssl::context::pem, ec);
    if (ec)
        throw ProtocolError(ErrorCode::invalid_argument,
                            "bad TLS private key PEM: " + ec.message());
    if (SSL_CTX_check_private_key(context->native_handle()) != 1)
        throw ProtocolError(ErrorCode::invalid_argument,
                            "TLS private key does not match the certificate: " + openssl_error());
    return context;
}

std::shared_ptr<ssl::context> client_tls_context(const TlsClientOptions& options) {
    auto context = std::make_shared<ssl::context>(ssl::context::tls_client);
    SSL_CTX_set_min_proto_version(context->native_handle(), TLS1_2_VERSION);
    if (options.insecure)
        return context;
    beast::error_code ec;
    context->set_default_verify_paths(ec); // the system store; a missing one is no error here
    if (!options.ca_pem.empty()) {
        context->add_certificate_authority(asio::buffer(options.ca_pem), ec);
        if (ec)
            throw ProtocolError(ErrorCode::invalid_argument,
                                "bad TLS CA certificate PEM: " + ec.message());
    }
    return context;
}

template <class T, void (*Free)(T*)> struct OpenSslFree {
    void operator()(T* p) const noexcept { Free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, OpenSslFree<EVP_PKEY, EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, OpenSslFree<X509, X509_free>>;
using ExtensionPtr =
    std::unique_ptr<X509_EXTENSION, OpenSslFree<X509_EXTENSION, X509_EXTENSION_free>>;
using BioPtr = std::unique_ptr<BIO, OpenSslFree<BIO, BIO_free_all>>;

void check(bool ok, const char* what) {
    if (!ok)
        throw ProtocolError(ErrorCode::invalid_argument, std::string("self-signed certificate: ") +
                                                             what + ": " + openssl_error());
}

std::string bio_text(BIO* bio) {
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio, &data);
    return size > 0 ? std::string(data, static_cast<std::size_t>(size)) : std::string();
}

} // namespace

SelfSignedCertificate make_self_signed_certificate(const std::string& common_name) {
    if (common_name.empty())
        throw ProtocolError(ErrorCode::invalid_argument,
                            "self-signed certificate: empty common name");
    for (const char c : common_name)
        if (!(std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '-' ||
              c == ':' || c == '*'))
            throw ProtocolError(ErrorCode::invalid_argument,
                                "self-signed certificate: \"" + common_name +
                                    "\" is no host name or IP address");
    PkeyPtr key(EVP_EC_gen("P-256"));
    check(key != nullptr, "EC key generation");
    X509Ptr cert(X509_new());
    check(cert != nullptr, "X509_new");
    check(X509_set_version(cert.get(), 2) == 1, "version");
    std::uint64_t serial = 0;
    check(RAND_bytes(reinterpret_cast<unsigned char*>(&serial), sizeof serial) == 1, "serial");
    check(ASN1_INTEGER_set_uint64(X509_get_serialNumber(cert.get()), serial >> 1) == 1, "serial");
    check(X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) != nullptr, "not before");
    check(X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24 * 3600) != nullptr, "not after");
    check(X509_set_pubkey(cert.get(), key.get()) == 1, "public key");
    X509_NAME* name = X509_get_subject_name(cert.get());
    check(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                     reinterpret_cast<const unsigned char*>(common_name.c_str()),
                                     -1, -1, 0) == 1,
          "common name");
    check(X509_set_issuer_name(cert.get(), name) == 1, "issuer");
    X509V3_CTX context;
    X509V3_set_ctx_nodb(&context);
    X509V3_set_ctx(&context, cert.get(), cert.get(), nullptr, nullptr, 0);
    beast::error_code not_ip;
    asio::ip::make_address(common_name, not_ip);
    const std::string alt_name = (not_ip ? "DNS:" : "IP:") + common_name;
    ExtensionPtr extension(
        X509V3_EXT_conf_nid(nullptr, &context, NID_subject_alt_name, alt_name.c_str()));
    check(extension != nullptr, "subject alternative name");
    check(X509_add_ext(cert.get(), extension.get(), -1) == 1, "subject alternative name");
    check(X509_sign(cert.get(), key.get(), EVP_sha256()) > 0, "signature");
    SelfSignedCertificate out;
    BioPtr cert_bio(BIO_new(BIO_s_mem()));
    check(cert_bio != nullptr && PEM_write_bio_X509(cert_bio.get(), cert.get()) == 1,
          "certificate PEM");
    out.certificate_pem = bio_text(cert_bio.get());
    BioPtr key_bio(BIO_new(BIO_s_mem()));
    check(key_bio != nullptr && PEM_write_bio_PrivateKey(key_bio.get(), key.get(), nullptr, nullptr,
                                                         0, nullptr, nullptr) == 1,
          "private key PEM");
    out.private_key_pem = bio_text(key_bio.get());
    return out;
}

// ---- LoopbackTransport
// ---------------------------------------------------------------------------

LoopbackTransport::LoopbackTransport(Network& network)
    : network_(network), core_(std::make_shared<Core>(network)) {
    Core& core = *core_;
    core.running = true;
    core.thread = std::thread([&core] {
        core.io.run();
        core.running = false;
    });
}

LoopbackTransport::~LoopbackTransport() {
    Core& core = *core_;
    try {
        run_on_io(core, [&core] {
            for (auto& [id, weak] : std::map(core.sessions))
                if (const auto s = weak.lock())
                    s->abort();
        });
    } catch (...) {
        // Nothing in the abort throws; stopping must not.
    }
    core.work.reset();
    core.io.stop();
    if (core.thread.joinable())
        core.thread.join();
    for (auto& [ptr, link] : std::map(core.links))
        link->abandon();
    core.links.clear();
    // Posted results still in the simulation's inbox hold their links weakly or strongly; the
    // links find the core gone and read as closed.
}

std::size_t LoopbackTransport::live_sessions() const noexcept {
    return core_->live.load();
}

bool LoopbackTransport::running() const noexcept {
    return core_->running.load();
}

std::shared_ptr<Connection>
LoopbackTransport::connect(const std::string& url, ConnectRequest request, FrameHandler& client) {
    WebSocketUrl parsed = parse_websocket_url(url);
    const auto tls_context = parsed.tls ? client_tls_context(tls) : nullptr;
    parsed.target += (parsed.target.find('?') == std::string::npos ? "?" : "&");
    parsed.target += "authorization=" + request.authorization; // raw: A.11
    Core& core = *core_;
    auto link =
        std::make_shared<WsLink>(core, core_, Connection::Side::client, request.client_name, url);
    link->link_id = network_.allocate_link_id();
    link->handler = &client;
    link->open_grace = open_grace;
    auto end = std::make_shared<Connection>(link, Connection::Side::client);
    link->end = end;
    auto session =
        std::make_shared<Session>(core, max_frame_bytes, max_write_queue_bytes, tls_context);
    session->verify_peer = !tls.insecure;
    session->link = link;
    link->session = session;
    link->enroll(core);
    link->add_pending(1); // the connect
    asio::post(core.io, [session, parsed = std::move(parsed)]() mutable {
        session->run_client(std::move(parsed));
    });
    return end;
}

// ---- WebSocketHost
// -------------------------------------------------------------------------------

WebSocketHost::WebSocketHost(Network& network, Acceptor& acceptor, WebSocketServerOptions options)
    : network_(network), options_(std::move(options)), state_(std::make_shared<State>()) {
    state_->acceptor = &acceptor;
    state_->name = options_.name;
    state_->max_frame_bytes = options_.max_frame_bytes;
    state_->max_write_queue_bytes = options_.max_write_queue_bytes;
    state_->handshake_timeout = options_.handshake_timeout;
    if (options_.tls)
        state_->tls = server_tls_context(*options_.tls);
    Core& core = *network_.loopback().core_;
    std::string error;
    run_on_io(core, [&] {
        state_->host_id = core.next_session++;
        beast::error_code ec;
        const auto address = asio::ip::make_address(options_.address, ec);
        if (ec) {
            error = "bad listen address \"" + options_.address + "\": " + ec.message();
            return;
        }
        auto listener = std::make_unique<tcp::acceptor>(core.io);
        const tcp::endpoint endpoint(address, options_.port);
        listener->open(endpoint.protocol(), ec);
        if (!ec)
            listener->set_option(asio::socket_base::reuse_address(true), ec);
        if (!ec)
            listener->bind(endpoint, ec);
        if (!ec)
            listener->listen(asio::socket_base::max_listen_connections, ec);
        if (ec) {
            error = "cannot listen on " + options_.address + ":" + std::to_string(options_.port) +
                    ": " + ec.message();
            return;
        }
        port_ = listener->local_endpoint().port();
        state_->listener = std::move(listener);
        accept_next(core, state_);
    });
    if (!error.empty())
        throw ProtocolError(ErrorCode::invalid_argument, error);
    listening_ = true;
    network_.simulation().add_real_sources(1);
}

WebSocketHost::~WebSocketHost() {
    stop();
}

std::string WebSocketHost::url() const {
    return (options_.tls ? "wss://" : "ws://") + options_.address + ":" + std::to_string(port_) +
           "/";
}

void WebSocketHost::stop() noexcept {
    if (!listening_)
        return;
    listening_ = false;
    state_->acceptor = nullptr;
    network_.simulation().add_real_sources(-1);
    if (!network_.has_loopback())
        return;
    Core& core = *network_.loopback().core_;
    try {
        run_on_io(core, [this, &core] {
            beast::error_code ignored;
            if (state_->listener)
                state_->listener->close(ignored);
            state_->listener.reset(); // on the I/O thread, while its io_context lives
            for (auto& [id, weak] : std::map(core.sessions))
                if (const auto s = weak.lock(); s && s->host == state_)
                    s->abort();
        });
    } catch (...) {
        // Closing sockets does not throw; stop() must not either.
    }
}

} // namespace hivescope::sim
