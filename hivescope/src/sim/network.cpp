#include "hivescope/sim/network.hpp"

#include "hivescope/protocol/error.hpp"
#include "hivescope/sim/websocket.hpp"

#include <algorithm>
#include <array>

namespace hivescope::sim {

using protocol::ErrorCode;
using protocol::ProtocolError;

namespace detail {

// Both ends of one link. Events hold it by shared_ptr, so a frame in flight never outlives it.
struct Link final : LinkBackend, std::enable_shared_from_this<Link> {
    enum class State { connecting, open, closing, closed };

    Link(Network& network_in, std::uint64_t id_in, std::string client, std::string server,
         LinkOptions options_in)
        : network(network_in), link_id(id_in), names{std::move(client), std::move(server)},
          options(options_in),
          jitter_random(network_in.simulation().random_stream("link/" + std::to_string(id_in))) {}

    Network& network;
    std::uint64_t link_id;
    std::array<std::string, 2> names;        // [client, server]
    std::array<FrameHandler*, 2> handlers{}; // [client, server]
    // Weak: the nodes own their ends; a link must not keep its own ends alive (that would be a
    // cycle), and a frame for an end nobody holds any more has nowhere to go.
    std::array<std::weak_ptr<Connection>, 2> ends;
    std::array<std::function<Fault(const Frame&)>, 2> faults;
    std::array<VirtualTime, 2> last_delivery{}; // per sending side, keeps FIFO under jitter
    State state = State::connecting;
    LinkOptions options;
    protocol::SeededRandom jitter_random;

    static std::size_t index(Connection::Side side) {
        return side == Connection::Side::client ? 0 : 1;
    }

    Simulation& sim() { return network.simulation(); }

    VirtualTime delivery_time(std::size_t from, Duration extra) {
        Duration delay = options.latency + extra;
        if (options.jitter.count() > 0) {
            std::array<std::uint8_t, 8> raw{};
            jitter_random.fill(raw);
            std::uint64_t value = 0;
            for (auto b : raw)
                value = value << 8 | b;
            delay += Duration(static_cast<Duration::rep>(
                value % static_cast<std::uint64_t>(options.jitter.count() + 1)));
        }
        const VirtualTime at = std::max(sim().now() + delay, last_delivery[from]);
        last_delivery[from] = at;
        return at;
    }

    void deliver_frame(std::size_t from, Frame frame, VirtualTime at) {
        auto self = shared_from_this();
        sim().schedule_at(at, [self, from, frame = std::move(frame)] {
            const std::size_t to = 1 - from;
            // After the receiver saw a close, nothing more reaches it.
            if (self->state == State::closed || self->handlers[to] == nullptr)
                return;
            const auto end = self->ends[to].lock();
            if (!end)
                return;
            ++self->network.frames_delivered_;
            self->handlers[to]->on_frame(*end, frame);
        });
    }

    void send(std::size_t from, Frame frame) {
        if (state != State::open)
            throw ProtocolError(ErrorCode::invalid_argument,
                                "cannot send on the link " + names[from] + " -> " +
                                    names[1 - from] + ": it is " +
                                    (state == State::connecting ? "not yet open" : "closed"));
        Fault fault = faults[from] ? faults[from](frame) : Fault::pass();
        switch (fault.action) {
        case Fault::Action::drop:
            return;
        case Fault::Action::pass:
            deliver_frame(from, std::move(frame), delivery_time(from, {}));
            return;
        case Fault::Action::delay:
            deliver_frame(from, std::move(frame), delivery_time(from, fault.extra_delay));
            return;
        case Fault::Action::duplicate: {
            deliver_frame(from, frame, delivery_time(from, {}));
            deliver_frame(from, std::move(frame), delivery_time(from, {}));
            return;
        }
        }
    }

    // ---- LinkBackend ---------------------------------------------------------------------------
    [[nodiscard]] std::uint64_t id() const noexcept override { return link_id; }
    [[nodiscard]] const std::string& name(Connection::Side side) const noexcept override {
        return names[index(side)];
    }
    [[nodiscard]] bool is_open() const noexcept override { return state == State::open; }
    [[nodiscard]] bool is_closed() const noexcept override {
        return state == State::closing || state == State::closed;
    }
    void send(Connection::Side from, Frame frame) override { send(index(from), std::move(frame)); }
    void close(Connection::Side from, CloseEvent event) override {
        close(index(from), std::move(event));
    }
    void accept(Connection::Side side, FrameHandler& handler) override;
    void refuse(Connection::Side side, CloseEvent event) override {
        if (side != Connection::Side::server || state != State::connecting)
            throw ProtocolError(ErrorCode::invalid_argument,
                                "refuse() is for a server end inside on_connect");
        close(std::size_t{1}, std::move(event));
    }
    void detach(Connection::Side side) noexcept override { handlers[index(side)] = nullptr; }
    void set_fault_rule(Connection::Side from, std::function<Fault(const Frame&)> rule) override {
        faults[index(from)] = std::move(rule);
    }

    void close(std::size_t from, CloseEvent event) {
        if (state == State::closing || state == State::closed)
            return;
        state = State::closing;
        const VirtualTime at = delivery_time(from, {});
        auto self = shared_from_this();
        sim().schedule_at(at, [self, event = std::move(event)] {
            self->state = State::closed;
            // The peer learns of the close; the closing side's handshake completes at the same
            // instant. Server first on a tie would be arbitrary, so go in side order.
            for (std::size_t side = 0; side < 2; ++side) {
                const auto end = self->ends[side].lock();
                if (end && self->handlers[side] != nullptr)
                    self->handlers[side]->on_close(*end, event);
            }
        });
    }
};

void Link::accept(Connection::Side side, FrameHandler& handler) {
    if (side != Connection::Side::server || state != State::connecting)
        throw ProtocolError(ErrorCode::invalid_argument,
                            "accept() is for a server end inside on_connect");
    handlers[1] = &handler;
    state = State::open;
    auto link = shared_from_this();
    // The client learns of the acceptance one latency later, before any frame the server sends
    // in the same instant (those are queued behind it by the FIFO rule).
    const VirtualTime at = delivery_time(1, {});
    sim().schedule_at(at, [link] {
        const auto end = link->ends[0].lock();
        if (end && link->handlers[0] != nullptr && link->state == State::open)
            link->handlers[0]->on_open(*end);
    });
}

} // namespace detail

Connection::Connection(std::shared_ptr<LinkBackend> link, Side side)
    : link_(std::move(link)), side_(side) {}

std::uint64_t Connection::link_id() const noexcept {
    return link_->id();
}

const std::string& Connection::local_name() const noexcept {
    return link_->name(side_);
}

const std::string& Connection::remote_name() const noexcept {
    return link_->name(side_ == Side::client ? Side::server : Side::client);
}

bool Connection::is_open() const noexcept {
    return link_->is_open();
}

bool Connection::is_closed() const noexcept {
    return link_->is_closed();
}

void Connection::send(Frame frame) {
    link_->send(side_, std::move(frame));
}

void Connection::close(CloseEvent close) {
    link_->close(side_, std::move(close));
}

void Connection::accept(FrameHandler& handler) {
    link_->accept(side_, handler);
}

void Connection::refuse(CloseEvent close) {
    link_->refuse(side_, std::move(close));
}

void Connection::detach() noexcept {
    link_->detach(side_);
}

void Connection::set_fault_rule(std::function<Fault(const Frame&)> rule) {
    link_->set_fault_rule(side_, std::move(rule));
}

Network::Network(Simulation& simulation) : simulation_(simulation) {}

Network::~Network() {
    shutdown_loopback();
}

LoopbackTransport& Network::loopback() {
    if (!loopback_)
        loopback_ = std::make_unique<LoopbackTransport>(*this);
    return *loopback_;
}

void Network::shutdown_loopback() noexcept {
    loopback_.reset();
}

void Network::listen(const std::string& address, Acceptor& acceptor) {
    if (!listeners_.emplace(address, &acceptor).second)
        throw ProtocolError(ErrorCode::invalid_argument,
                            "a node already listens at \"" + address + "\"");
}

void Network::unlisten(const std::string& address) noexcept {
    listeners_.erase(address);
}

std::shared_ptr<Connection> Network::connect(const std::string& address, ConnectRequest request,
                                             FrameHandler& client,
                                             std::optional<LinkOptions> options) {
    if (is_websocket_url(address))
        return loopback().connect(address, std::move(request), client);
    const auto listener = listeners_.find(address);
    if (listener == listeners_.end()) {
        std::string known;
        for (const auto& [name, acceptor] : listeners_)
            known += (known.empty() ? "" : ", ") + name;
        throw ProtocolError(ErrorCode::invalid_argument,
                            "nothing listens at \"" + address +
                                "\" (listening: " + (known.empty() ? "none" : known) + ")");
    }
    auto link = std::make_shared<detail::Link>(*this, next_link_id_++, request.client_name, address,
                                               options.value_or(default_link_options));
    link->handlers[0] = &client;
    auto client_end = std::make_shared<Connection>(link, Connection::Side::client);
    auto server_end = std::make_shared<Connection>(link, Connection::Side::server);
    link->ends[0] = client_end;
    link->ends[1] = server_end;
    Acceptor* acceptor = listener->second;
    const VirtualTime at = link->delivery_time(0, {});
    simulation_.schedule_at(at, [link, acceptor, server_end, request = std::move(request)] {
        acceptor->on_connect(server_end, request);
        if (link->state == detail::Link::State::connecting)
            link->close(std::size_t{1},
                        CloseEvent{close_code::policy_violation, "connection not accepted"});
    });
    return client_end;
}

} // namespace hivescope::sim
