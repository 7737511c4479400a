#include "conformance.hpp"

#include "pem_file.hpp"

#include "hivescope/node/satellite_node.hpp"
#include "hivescope/protocol/cipher.hpp"
#include "hivescope/protocol/encoding.hpp"
#include "hivescope/protocol/error.hpp"
#include "hivescope/protocol/hive_message.hpp"
#include "hivescope/sim/network.hpp"
#include "hivescope/sim/simulation.hpp"
#include "hivescope/sim/websocket.hpp"

#include <chrono>
#include <functional>
#include <iomanip>
#include <memory>
#include <ostream>
#include <random>
#include <sstream>
#include <utility>
#include <vector>

namespace hivescope::cli {

namespace {

using node::LinkState;
using node::SatelliteNode;
using protocol::BusMessage;
using protocol::HiveMessage;
using protocol::Json;
using protocol::MessageType;

enum class Verdict { pass, fail, not_applicable };

/// A close frame without a status code: Beast reports code 0 for it, RFC 6455 names it 1005.
/// hivemind-core 4.0 closes this way (tornado's `close()` with no code).
bool without_status(const sim::CloseEvent& close) {
    return close.code == 0 || close.code == sim::close_code::no_status;
}

std::string describe_close(const sim::CloseEvent& close) {
    const std::string code =
        without_status(close) ? std::string("no close status (1005)") : std::to_string(close.code);
    return code + (close.reason.empty() ? "" : " \"" + close.reason + "\"");
}

/// The TCP connection or, for `wss://`, the TLS session failed (nothing listens, no route, a
/// certificate we do not trust): the master was never reached, so no refusal can be judged.
bool unreachable(const sim::CloseEvent& close) {
    return close.code == sim::close_code::abnormal &&
           (close.reason.starts_with("connect:") || close.reason.starts_with("resolve:") ||
            close.reason.starts_with("tls handshake:"));
}

/// How a master that took the TCP connection turned an unwanted client away, for the reason
/// text: the newer line's 1008 with a reason (A.11), or hivemind-core 4.0's forms (tornado
/// accepts the upgrade, then `close()` without a status for an unknown key, or drops the socket
/// when `decode_auth` raises on a malformed authorization). The transport reports a close
/// before the first frame as a refusal, so `opened` is only true after its open grace.
std::string refusal_form(const sim::CloseEvent& close, bool opened) {
    const std::string text =
        opened ? "link opened, then closed before any frame: " : "refused before any frame: ";
    if (close.code == sim::close_code::policy_violation)
        return text + describe_close(close) +
               (close.reason.empty() ? " (A.11 also names the reason)" : "");
    if (without_status(close))
        return text + describe_close(close) +
               ", hivemind-core 4.0's form (A.11's newer form: 1008 with a reason)";
    if (close.code == sim::close_code::abnormal)
        return text + "socket dropped (1006, " + close.reason +
               "), hivemind-core 4.0's form when its open() raises (A.11's newer form: 1008 "
               "with a reason)";
    return text + describe_close(close) + "; A.11 expects 1008 and a reason";
}

sim::Duration to_duration(double seconds) {
    return std::chrono::duration_cast<sim::Duration>(std::chrono::duration<double>(seconds));
}

std::string format_seconds(double seconds) {
    std::ostringstream text;
    text << seconds << " s";
    return text.str();
}

/// What the master's `shake` request offered (A.12.2).
struct Offer {
    std::vector<std::string> encodings;
    std::vector<std::string> ciphers;
    bool binarize = false;
    bool password = false;
    int max_protocol_version = -1;
};

std::vector<std::string> string_list(const Json& payload, std::string_view key) {
    std::vector<std::string> out;
    if (const Json* list = payload.find(key); list != nullptr && list->is_array())
        for (const Json& item : list->as_array())
            if (item.is_string())
                out.push_back(item.as_string());
    return out;
}

/// The master's handshake request as `satellite` received it, if any.
std::optional<Offer> offer_of(SatelliteNode& satellite) {
    for (const auto& entry : satellite.core().recorder()) {
        if (entry.kind != record::Kind::in || !entry.message ||
            entry.message->type() != MessageType::handshake)
            continue;
        const Json& payload = entry.message->payload();
        if (payload.find("envelope") != nullptr)
            continue; // a response, not the request
        Offer offer;
        offer.encodings = string_list(payload, "encodings");
        offer.ciphers = string_list(payload, "ciphers");
        if (const Json* flag = payload.find("binarize"); flag != nullptr && flag->is_bool())
            offer.binarize = flag->as_bool();
        if (const Json* flag = payload.find("password"); flag != nullptr && flag->is_bool())
            offer.password = flag->as_bool();
        if (const Json* v = payload.find("max_protocol_version"); v != nullptr && v->is_integer())
            offer.max_protocol_version = static_cast<int>(v->as_int());
        return offer;
    }
    return std::nullopt;
}

/// A client that only records what happens to it (for checks that misbehave on purpose).
class RawClient final : public sim::FrameHandler {
  public:
    void on_open(sim::Connection& connection) override {
        (void)connection;
        opened = true;
    }
    void on_frame(sim::Connection& connection, const sim::Frame& frame) override {
        (void)connection;
        frames.push_back(frame);
    }
    void on_close(sim::Connection& connection, const sim::CloseEvent& close) override {
        (void)connection;
        closed = close;
    }

    bool opened = false;
    std::vector<sim::Frame> frames;
    std::optional<sim::CloseEvent> closed;
};

/// The checks, in order, sharing one simulation in wall-clock mode.
class Suite {
  public:
    Suite(const ConformanceOptions& options, std::ostream& out)
        : options_(options), out_(out),
          simulation_(options.seed ? *options.seed : std::random_device{}()),
          network_(simulation_) {
        (void)sim::parse_websocket_url(options.url); // a malformed URL is an error, not a FAIL
        if (options.tls_ca_file)
            network_.loopback().tls.ca_pem = read_pem_file(*options.tls_ca_file, "CA certificate");
        network_.loopback().tls.insecure = options.tls_insecure;
    }

    ~Suite() {
        for (auto& satellite : satellites_)
            satellite->disconnect();
        raw_.clear();
        try {
            simulation_.run_until_real([] { return false; }, std::chrono::milliseconds(50));
        } catch (...) {
            // closing is best effort; the transport aborts whatever is left below
        }
        satellites_.clear();
        network_.shutdown_loopback();
    }
    Suite(const Suite&) = delete;
    Suite& operator=(const Suite&) = delete;

    ConformanceResult run();

  private:
    struct Credentials {
        std::string key;
        std::string password;
    };

    void report(Verdict verdict, const std::string& name, const std::string& reason) {
        const char* label = verdict == Verdict::pass   ? "PASS"
                            : verdict == Verdict::fail ? "FAIL"
                                                       : "N/A ";
        (verdict == Verdict::pass   ? result_.passed
         : verdict == Verdict::fail ? result_.failed
                                    : result_.not_applicable)++;
        out_ << label << "  " << std::left << std::setw(44) << name << std::right << "  " << reason
             << "\n";
        out_.flush();
    }

    SatelliteNode& satellite(const Credentials& credentials,
                             const std::function<void(node::SatelliteOptions&)>& tweak = {}) {
        node::SatelliteOptions options;
        options.node_id = "hivescope-conformance-" + std::to_string(satellites_.size() + 1);
        options.site_id = "conformance";
        options.master_address = options_.url;
        options.access_key = credentials.key;
        options.password = credentials.password;
        options.announce_pubkey = false; // no RSA key generation per connection
        if (tweak)
            tweak(options);
        satellites_.push_back(std::make_unique<SatelliteNode>(network_, std::move(options)));
        return *satellites_.back();
    }

    static bool settled(const SatelliteNode& satellite) {
        const LinkState state = satellite.role().state();
        return state == LinkState::ready || state == LinkState::closed ||
               state == LinkState::refused;
    }

    /// Connects and waits until the link is ready, refused or closed (bounded).
    bool connect(SatelliteNode& satellite) {
        satellite.connect();
        wait([&satellite] { return settled(satellite); });
        return satellite.handshake_complete();
    }

    bool wait(const std::function<bool()>& predicate) {
        return simulation_.run_until_real(predicate, to_duration(options_.timeout_seconds));
    }
    /// Runs for the settle time; true when `satellite` is still ready afterwards.
    bool stays_open(const SatelliteNode& satellite) {
        simulation_.run_until_real([&satellite] { return !satellite.handshake_complete(); },
                                   to_duration(options_.settle_seconds));
        return satellite.handshake_complete();
    }

    /// Why `satellite` is not ready.
    static std::string why_not_ready(const SatelliteNode& satellite) {
        const auto& role = satellite.role();
        if (const auto& failure = role.failure()) {
            std::string text =
                std::string(node::to_string(failure->kind)) + ": " + describe_close(failure->close);
            if (!failure->detail.empty() && failure->detail != failure->close.reason)
                text += " (" + failure->detail + ")";
            return text;
        }
        if (const auto& close = role.closed_by())
            return "closed " + describe_close(*close);
        return "still " + std::string(node::to_string(role.state()));
    }

    /// A master kicking a misbehaving client: PASS for the newer line's 1008 (B.14) and for
    /// hivemind-core 4.0's `client.disconnect()` (tornado `close()`: a close frame without a
    /// status); FAIL when this side closed (it could not decode or verify something), for an
    /// abort (1006: the reference drops the socket when a handler raises) and for any other code.
    static std::pair<Verdict, std::string> judge_kick(const SatelliteNode& satellite) {
        const auto& failure = satellite.role().failure();
        if (!failure || failure->kind != node::LinkFailure::Kind::closed_by_master)
            return {Verdict::fail, why_not_ready(satellite)};
        const sim::CloseEvent& close = failure->close;
        if (close.code == sim::close_code::policy_violation)
            return {Verdict::pass, describe_close(close)};
        if (without_status(close))
            return {Verdict::pass,
                    describe_close(close) + ", as hivemind-core 4.0 disconnects (B.14 names 1008)"};
        return {Verdict::fail, "closed with " + describe_close(close) +
                                   (close.code == sim::close_code::abnormal
                                        ? " (the socket was dropped: did a handler raise?)"
                                        : "")};
    }

    /// How many frames `satellite` received from the master (decoded or not).
    static std::size_t inbound_messages(SatelliteNode& satellite) {
        std::size_t count = 0;
        for (const auto& entry : satellite.core().recorder())
            count += entry.kind == record::Kind::in || entry.kind == record::Kind::decode_error;
        return count;
    }

    /// The first message of `type` delivered on `satellite`'s local bus from `from` on.
    static const BusMessage* delivered(SatelliteNode& satellite, std::size_t from,
                                       const std::string& type) {
        const auto& injected = satellite.core().bus().injected();
        for (std::size_t i = from; i < injected.size(); ++i)
            if (injected[i].message.type() == type)
                return &injected[i].message;
        return nullptr;
    }
    /// A `hive.policy.denied` for `denied_type` delivered from `from` on.
    static const BusMessage* denial(SatelliteNode& satellite, std::size_t from,
                                    const std::string& denied_type) {
        const auto& injected = satellite.core().bus().injected();
        for (std::size_t i = from; i < injected.size(); ++i)
            if (injected[i].message.type() == "hive.policy.denied" &&
                injected[i].message.data().get_string("denied_type") == denied_type)
                return &injected[i].message;
        return nullptr;
    }

    void check_unknown_key();
    void check_malformed_authorization();
    SatelliteNode* check_default_handshake(std::optional<Offer>& offer);
    void check_combinations(const Offer& offer);
    void check_bus_round_trip(SatelliteNode& main);
    void check_binarize(const Offer& offer);
    void check_ping(SatelliteNode& main);
    void check_disallowed_type(SatelliteNode& main);
    void check_broadcast_needs_admin();
    void check_default_session();
    void check_admin(SatelliteNode* main);

    const ConformanceOptions& options_;
    std::ostream& out_;
    sim::Simulation simulation_;
    sim::Network network_;
    std::vector<std::unique_ptr<SatelliteNode>> satellites_;
    std::vector<std::shared_ptr<sim::Connection>> raw_;
    std::optional<std::string> session_evidence_; ///< what proved the master kept our session
    ConformanceResult result_;
};

void Suite::check_unknown_key() {
    const std::string name = "auth.unknown-key";
    auto random = simulation_.random_stream("unknown-key");
    std::ostringstream key;
    key << "hivescope-unknown-" << std::hex;
    for (const auto byte : random.bytes(8))
        key << std::setw(2) << std::setfill('0') << static_cast<int>(byte);
    auto& probe = satellite({key.str(), "not-the-password"});
    connect(probe);
    const auto state = probe.role().state();
    const auto& close = probe.role().closed_by();
    const std::size_t frames = inbound_messages(probe);
    if (state == LinkState::refused && close && unreachable(*close)) {
        report(Verdict::fail, name, "could not reach the master: " + close->reason);
    } else if (frames > 0 || state == LinkState::ready || state == LinkState::handshaking) {
        // Any frame (HELLO, handshake request) means the key got past admission.
        report(Verdict::fail, name,
               "the master accepted an unknown access key (" + std::to_string(frames) +
                   " frame(s) received; " + why_not_ready(probe) + ")");
    } else if ((state == LinkState::refused || state == LinkState::closed) && close) {
        report(Verdict::pass, name, refusal_form(*close, state == LinkState::closed));
    } else {
        report(Verdict::fail, name,
               "no refusal within " + format_seconds(options_.timeout_seconds));
    }
}

void Suite::check_malformed_authorization() {
    const std::string name = "auth.malformed-authorization";
    RawClient client;
    // base64("nocolon"): decodes, but has no `useragent:key` separator (A.11).
    auto connection = network_.connect(
        options_.url, sim::ConnectRequest{"bm9jb2xvbg==", "hivescope-conformance-raw"}, client);
    wait([&client] { return client.closed.has_value() || !client.frames.empty(); });
    if (!client.frames.empty()) {
        report(Verdict::fail, name,
               "the master accepted an authorization without a key (it sent " +
                   std::to_string(client.frames.size()) + " frame(s))");
    } else if (client.closed && !client.opened && unreachable(*client.closed)) {
        report(Verdict::fail, name, "could not reach the master: " + client.closed->reason);
    } else if (client.closed) {
        report(Verdict::pass, name, refusal_form(*client.closed, client.opened));
    } else if (client.opened) {
        report(Verdict::fail, name,
               "the master kept an authorization without a key open for " +
                   format_seconds(options_.timeout_seconds));
    } else {
        report(Verdict::fail, name,
               "no refusal within " + format_seconds(options_.timeout_seconds));
    }
    connection->detach();
    if (!connection->is_closed())
        connection->close({sim::close_code::normal, "done"});
    raw_.push_back(std::move(connection));
}

SatelliteNode* Suite::check_default_handshake(std::optional<Offer>& offer) {
    const std::string name = "handshake.password";
    auto& main = satellite({options_.key, options_.password});
    const bool ready = connect(main);
    offer = offer_of(main);
    if (!ready) {
        report(Verdict::fail, name, "no handshake with --key: " + why_not_ready(main));
        return nullptr;
    }
    if (!stays_open(main)) {
        report(Verdict::fail, name,
               "the master closed the link after our encrypted HELLO: " + why_not_ready(main));
        return nullptr;
    }
    const auto cipher = main.role().cipher();
    const auto encoding = main.role().encoding();
    report(Verdict::pass, name,
           "protocol v" + std::to_string(main.role().protocol_version()) + ", " +
               std::string(cipher ? protocol::wire_name(*cipher) : "?") + " + " +
               std::string(encoding ? protocol::wire_name(*encoding) : "?") +
               " (our default proposal), master node id \"" + main.role().master_node_id() + "\"");
    return &main;
}

void Suite::check_combinations(const Offer& offer) {
    struct Combination {
        std::string name;
        std::string cipher;
        std::string encoding;
        SatelliteNode* satellite = nullptr;
    };
    std::vector<Combination> combinations;
    for (const auto& cipher : offer.ciphers) {
        if (!protocol::cipher_from_wire(cipher)) {
            report(Verdict::not_applicable, "handshake." + cipher,
                   "the master offers a cipher hivescope does not implement");
            continue;
        }
        for (const auto& encoding : offer.encodings) {
            const std::string name = "handshake." + cipher + "+" + encoding;
            const auto known = protocol::encoding_from_wire(encoding);
            if (!known) {
                report(Verdict::not_applicable, name,
                       "the master offers an encoding hivescope does not implement");
                continue;
            }
            if (*known == protocol::Encoding::json_z85p) {
                report(Verdict::not_applicable, name,
                       "hivescope satellites never propose JSON-Z85P (A.10: 0.4.3 cannot "
                       "decode it)");
                continue;
            }
            combinations.push_back({name, cipher, encoding, nullptr});
        }
    }
    // One connection per combination, all at once: each proposes exactly one of each.
    for (auto& combination : combinations) {
        combination.satellite = &satellite({options_.key, options_.password},
                                           [&combination](node::SatelliteOptions& options) {
                                               options.ciphers = {combination.cipher};
                                               options.encodings = {combination.encoding};
                                           });
        combination.satellite->connect();
    }
    wait([&combinations] {
        for (const auto& combination : combinations)
            if (!settled(*combination.satellite))
                return false;
        return true;
    });
    simulation_.run_until_real([] { return false; }, to_duration(options_.settle_seconds));
    for (const auto& combination : combinations) {
        const auto& role = combination.satellite->role();
        if (!role.handshake_complete()) {
            report(Verdict::fail, combination.name, why_not_ready(*combination.satellite));
            continue;
        }
        const auto cipher = role.cipher();
        const auto encoding = role.encoding();
        const std::string got = std::string(cipher ? protocol::wire_name(*cipher) : "none") +
                                " + " +
                                std::string(encoding ? protocol::wire_name(*encoding) : "none");
        if (got != combination.cipher + " + " + combination.encoding)
            report(Verdict::fail, combination.name,
                   "proposed only " + combination.cipher + " + " + combination.encoding +
                       ", the master selected " + got);
        else
            report(Verdict::pass, combination.name,
                   "selected as proposed; encrypted HELLO accepted (link open " +
                       format_seconds(options_.settle_seconds) + " later)");
        combination.satellite->disconnect();
    }
}

void Suite::check_bus_round_trip(SatelliteNode& main) {
    const std::string name = "bus.round-trip";
    const std::string response = options_.bus_type + ".response";
    const std::size_t from = main.core().bus().injected().size();
    main.send_bus(BusMessage(options_.bus_type));
    wait([&] {
        return !main.handshake_complete() || delivered(main, from, response) != nullptr ||
               denial(main, from, options_.bus_type) != nullptr;
    });
    if (const BusMessage* reply = delivered(main, from, response)) {
        const std::string session = reply->session_id();
        if (session == main.role().session_id())
            session_evidence_ = "the BUS reply carried our HELLO session \"" + session + "\"";
        report(Verdict::pass, name,
               "the agent answered " + options_.bus_type + " with " + response + " " +
                   reply->data().dump());
    } else if (const BusMessage* denied = denial(main, from, options_.bus_type)) {
        report(Verdict::not_applicable, name,
               "the key may not inject " + options_.bus_type + " (hive.policy.denied " +
                   denied->data().get_string("code") + ")");
    } else if (!main.handshake_complete()) {
        report(Verdict::fail, name, "the master closed the link: " + why_not_ready(main));
    } else {
        report(Verdict::not_applicable, name,
               "no " + response + " within " + format_seconds(options_.timeout_seconds) +
                   ": the master's agent does not answer " + options_.bus_type +
                   ", or the key may not inject it and the master drops it silently (as "
                   "hivemind-core 4.0 does for a type outside allowed_types)");
    }
}

void Suite::check_binarize(const Offer& offer) {
    const std::string name = "binarize.bus";
    if (!offer.binarize) {
        report(Verdict::not_applicable, name,
               "the master does not offer binary framing (shake request binarize: false)");
        return;
    }
    auto& binary = satellite({options_.key, options_.password},
                             [](node::SatelliteOptions& options) { options.binarize = true; });
    if (!connect(binary)) {
        report(Verdict::fail, name, "no handshake asking for binarize: " + why_not_ready(binary));
        return;
    }
    if (!binary.role().binarize()) {
        report(Verdict::fail, name, "the master offered binarize but the link is not binarized");
        return;
    }
    const std::string response = options_.bus_type + ".response";
    const auto mark = binary.recorder().mark();
    const std::size_t from = binary.core().bus().injected().size();
    binary.send_bus(BusMessage(options_.bus_type));
    wait([&] {
        return !binary.handshake_complete() || delivered(binary, from, response) != nullptr ||
               denial(binary, from, options_.bus_type) != nullptr;
    });
    if (!binary.handshake_complete()) {
        report(Verdict::fail, name,
               "the master closed the link after a binary BUS: " + why_not_ready(binary));
        return;
    }
    std::size_t binary_frames = 0;
    std::size_t text_frames = 0;
    for (const auto& entry : binary.recorder().since(mark))
        if (entry.kind == record::Kind::in && entry.frame && entry.message &&
            entry.message->type() == MessageType::bus)
            (entry.frame->is_binary() ? binary_frames : text_frames)++;
    if (text_frames > 0)
        report(Verdict::fail, name,
               std::to_string(text_frames) + " BUS frame(s) from the master came as text on a "
                                             "binarized link");
    else if (binary_frames > 0)
        report(Verdict::pass, name,
               "BUS both ways in binary frames (" + std::to_string(binary_frames) +
                   " from the master), protocol v" +
                   std::to_string(binary.role().protocol_version()));
    else if (stays_open(binary))
        report(Verdict::pass, name,
               "our binary BUS was accepted (link open); no reply to check the master's "
               "binary frames");
    else
        report(Verdict::fail, name,
               "the master closed the link after a binary BUS: " + why_not_ready(binary));
    binary.disconnect();
}

void Suite::check_ping(SatelliteNode& main) {
    const std::string name = "ping.discovery";
    const std::string flood = main.role().start_ping_flood();
    const auto answered = [&main, &flood] {
        for (const auto& [key, entry] : main.core().hive_map().entries())
            if (key.first == flood && entry.peer != main.node_id())
                return true;
        return false;
    };
    wait([&] { return answered() || !main.handshake_complete(); });
    if (answered()) {
        std::string peers;
        for (const auto& [key, entry] : main.core().hive_map().entries())
            if (key.first == flood && entry.peer != main.node_id())
                peers += (peers.empty() ? "" : ", ") + entry.peer;
        if (!session_evidence_)
            session_evidence_ = "the master answered our PING, so our HELLO registered us";
        report(Verdict::pass, name, "flood " + flood.substr(0, 8) + "… answered by " + peers);
    } else if (!main.handshake_complete()) {
        const auto& close = main.role().closed_by();
        if (close && close->reason.find("illegal") != std::string::npos)
            report(Verdict::not_applicable, name,
                   "the key may not propagate: closed " + describe_close(*close));
        else
            report(Verdict::fail, name,
                   "the master closed the link after PROPAGATE(PING): " + why_not_ready(main));
    } else {
        report(Verdict::not_applicable, name,
               "no PING answer within " + format_seconds(options_.timeout_seconds) +
                   " (answering floods is optional, B.8: hivemind-core 4.0.0 does not, "
                   "4.0.1a1 does)");
    }
}

void Suite::check_disallowed_type(SatelliteNode& main) {
    const std::string name = "acl.disallowed-type";
    const std::size_t from = main.core().bus().injected().size();
    main.send_bus(BusMessage(options_.forbidden_type));
    wait([&] {
        return !main.handshake_complete() || denial(main, from, options_.forbidden_type) != nullptr;
    });
    if (const BusMessage* denied = denial(main, from, options_.forbidden_type)) {
        if (stays_open(main))
            report(Verdict::pass, name,
                   "hive.policy.denied " + denied->data().get_string("code") + ": " +
                       denied->data().get_string("reason") + "; connection kept");
        else
            report(Verdict::fail, name,
                   "denied, then the link closed (B.4 keeps it): " + why_not_ready(main));
    } else if (!main.handshake_complete()) {
        report(Verdict::fail, name,
               "the master closed the link instead of denying (B.4 keeps it): " +
                   why_not_ready(main));
    } else {
        report(Verdict::not_applicable, name,
               "no hive.policy.denied for " + options_.forbidden_type + " within " +
                   format_seconds(options_.timeout_seconds) +
                   ": the key may be allowed it, or the master drops silently (hivemind-core "
                   "4.0 never sends hive.policy.denied)");
    }
}

void Suite::check_broadcast_needs_admin() {
    const std::string name = "acl.broadcast-needs-admin";
    auto& caster = satellite({options_.key, options_.password});
    if (!connect(caster)) {
        report(Verdict::fail, name, "no handshake: " + why_not_ready(caster));
        return;
    }
    caster.role().broadcast(BusMessage(options_.bus_type));
    wait([&caster] { return !caster.handshake_complete(); });
    if (caster.handshake_complete()) {
        report(Verdict::not_applicable, name,
               "link still open " + format_seconds(options_.timeout_seconds) +
                   " after a BROADCAST: the key may be an admin, or the master drops illegal "
                   "broadcasts silently (hivemind-core 4.0 does, B.4 illegal_action drop)");
    } else if (const auto verdict = judge_kick(caster); verdict.first == Verdict::pass) {
        report(Verdict::pass, name, "non-admin BROADCAST closed " + verdict.second);
    } else {
        report(Verdict::fail, name, "after a BROADCAST: " + verdict.second);
    }
}

void Suite::check_default_session() {
    const std::string name = "acl.default-session";
    auto& shared =
        satellite({options_.key, options_.password},
                  [](node::SatelliteOptions& options) { options.session_id = "default"; });
    shared.connect();
    wait([&shared] { return settled(shared); });
    if (shared.handshake_complete()) {
        // Some masters judge the HELLO, others the first BUS (B.5, A.13 #18).
        shared.send_bus(BusMessage(options_.bus_type));
        wait([&shared] { return !shared.handshake_complete(); });
    }
    // The close must judge the session, so it must come after our HELLO (the handshake done).
    bool hello_sent = false;
    for (const auto& entry : shared.recorder())
        hello_sent |= entry.kind == record::Kind::out && entry.message &&
                      entry.message->type() == MessageType::hello;
    if (shared.handshake_complete()) {
        report(Verdict::not_applicable, name,
               "session \"default\" kept open: the key may be an admin (B.5)");
    } else if (!hello_sent) {
        report(Verdict::fail, name, "no handshake: " + why_not_ready(shared));
    } else if (const auto verdict = judge_kick(shared); verdict.first == Verdict::pass) {
        report(Verdict::pass, name, "non-admin session \"default\" closed " + verdict.second);
    } else {
        report(Verdict::fail, name,
               "expected 1008 session_id_default_forbidden (B.5) or hivemind-core 4.0's close "
               "without a status: " +
                   verdict.second);
    }
}

void Suite::check_admin(SatelliteNode* main) {
    if (!options_.admin_key) {
        for (const char* check : {"admin.handshake", "admin.broadcast", "admin.default-session"})
            report(Verdict::not_applicable, check, "no --admin-key given");
        return;
    }
    const Credentials admin{*options_.admin_key, options_.admin_password.value_or("")};
    auto& caster = satellite(admin);
    if (!connect(caster)) {
        report(Verdict::fail, "admin.handshake", "no handshake: " + why_not_ready(caster));
        report(Verdict::not_applicable, "admin.broadcast", "no admin connection");
        report(Verdict::not_applicable, "admin.default-session", "no admin connection");
        return;
    }
    report(Verdict::pass, "admin.handshake", "admin key connected as " + caster.role().peer_id());

    if (main == nullptr || !main->handshake_complete()) {
        report(Verdict::not_applicable, "admin.broadcast",
               "no registered --key connection to receive it");
    } else {
        const auto mark = main->recorder().mark();
        auto random = simulation_.random_stream("admin-broadcast");
        std::ostringstream token;
        token << std::hex;
        for (const auto byte : random.bytes(6))
            token << std::setw(2) << std::setfill('0') << static_cast<int>(byte);
        caster.role().broadcast(BusMessage(options_.bus_type, Json{{"conformance", token.str()}}));
        // The newer line (and ours) forward the BROADCAST envelope (B.7.3); hivemind-core 4.0
        // sends the inner BUS bare (handle_broadcast_message, A.13 #22): both reach the client.
        std::string form;
        const auto received = [&main, &mark, &form, &token, this] {
            for (const auto& entry : main->recorder().since(mark)) {
                if (entry.kind != record::Kind::in || !entry.message)
                    continue;
                if (entry.message->type() == MessageType::broadcast) {
                    form = "as a BROADCAST envelope";
                    return true;
                }
                const Json& payload = entry.message->payload();
                const Json* data = payload.find("data");
                if (entry.message->type() == MessageType::bus &&
                    payload.get_string("type") == options_.bus_type && data != nullptr &&
                    data->get_string("conformance") == token.str()) {
                    form = "as its bare inner BUS (hivemind-core 4.0 unwraps, A.13 #22)";
                    return true;
                }
            }
            return false;
        };
        wait([&] { return received() || !caster.handshake_complete(); });
        if (received())
            report(Verdict::pass, "admin.broadcast",
                   "the admin's BROADCAST reached the --key connection " + form);
        else if (!caster.handshake_complete())
            report(Verdict::fail, "admin.broadcast",
                   "the master closed the admin after a BROADCAST: " + why_not_ready(caster));
        else
            report(Verdict::fail, "admin.broadcast",
                   "the --key connection got neither the BROADCAST nor its inner BUS within " +
                       format_seconds(options_.timeout_seconds));
    }

    auto& shared =
        satellite(admin, [](node::SatelliteOptions& options) { options.session_id = "default"; });
    if (!connect(shared)) {
        report(Verdict::fail, "admin.default-session",
               "an admin with session \"default\" was refused (B.5 allows it): " +
                   why_not_ready(shared));
        return;
    }
    shared.send_bus(BusMessage(options_.bus_type));
    if (stays_open(shared))
        report(Verdict::pass, "admin.default-session",
               "an admin may use session \"default\" (link open after a BUS)");
    else
        report(Verdict::fail, "admin.default-session",
               "closed after a BUS with session \"default\": " + why_not_ready(shared));
}

ConformanceResult Suite::run() {
    out_ << "hivescope conformance: " << options_.url << " (timeout "
         << format_seconds(options_.timeout_seconds) << " per wait)\n";
    out_.flush();
    check_unknown_key();
    check_malformed_authorization();

    std::optional<Offer> offer;
    SatelliteNode* main = check_default_handshake(offer);
    if (!offer) {
        if (main != nullptr)
            report(Verdict::fail, "handshake.offer",
                   "no handshake request from the master (A.12.1)");
    } else if (main == nullptr) {
        report(Verdict::not_applicable, "handshake.<cipher>+<encoding>",
               "no working --key connection (see above)");
    } else {
        std::string ciphers;
        std::string encodings;
        for (const auto& c : offer->ciphers)
            ciphers += (ciphers.empty() ? "" : " ") + c;
        for (const auto& e : offer->encodings)
            encodings += (encodings.empty() ? "" : " ") + e;
        out_ << "      master offers ciphers [" << ciphers << "], encodings [" << encodings
             << "], binarize " << (offer->binarize ? "true" : "false") << ", max protocol v"
             << offer->max_protocol_version << "\n";
        check_combinations(*offer);
    }

    const auto without_main = [this](const char* check) {
        report(Verdict::not_applicable, check, "no working --key connection (see above)");
    };
    if (main != nullptr) {
        check_bus_round_trip(*main);
        if (offer)
            check_binarize(*offer);
        check_ping(*main);
        if (main->handshake_complete())
            report(Verdict::pass, "hello.encrypted",
                   session_evidence_.value_or("link open after our encrypted HELLO; no reply "
                                              "confirmed the session"));
        else
            without_main("hello.encrypted");
        if (main->handshake_complete())
            check_disallowed_type(*main);
        else
            without_main("acl.disallowed-type");
    } else {
        for (const char* check : {"bus.round-trip", "binarize.bus", "ping.discovery",
                                  "hello.encrypted", "acl.disallowed-type"})
            without_main(check);
    }
    if (main != nullptr) {
        check_admin(main->handshake_complete() ? main : nullptr);
        check_broadcast_needs_admin();
        check_default_session();
    } else {
        for (const char* check : {"admin.handshake", "admin.broadcast", "admin.default-session",
                                  "acl.broadcast-needs-admin", "acl.default-session"})
            without_main(check);
    }

    out_ << "hivescope conformance: " << result_.passed << " passed, " << result_.failed
         << " failed, " << result_.not_applicable << " not applicable\n";
    out_.flush();
    return result_;
}

} // namespace

ConformanceResult run_conformance(const ConformanceOptions& options, std::ostream& out) {
    if (!(options.timeout_seconds > 0))
        throw protocol::ProtocolError(protocol::ErrorCode::invalid_argument,
                                      "--timeout must be a positive number of seconds");
    Suite suite(options, out);
    return suite.run();
}

} // namespace hivescope::cli
