#include "serve.hpp"

#include "pem_file.hpp"

#include "hivescope/node/client_database.hpp"
#include "hivescope/node/master_node.hpp"
#include "hivescope/protocol/error.hpp"
#include "hivescope/protocol/message_summary.hpp"
#include "hivescope/record/record.hpp"
#include "hivescope/sim/network.hpp"
#include "hivescope/sim/simulation.hpp"
#include "hivescope/sim/websocket.hpp"

#include <chrono>
#include <csignal>
#include <fstream>
#include <iomanip>
#include <memory>
#include <ostream>
#include <random>
#include <signal.h>
#include <sstream>

namespace hivescope::cli {

namespace {

/// The TLS settings `--tls-cert/--tls-key` or `--tls-self-signed` ask for; none for `ws://`.
std::optional<sim::TlsServerOptions> server_tls(const ServeOptions& options, std::ostream& out) {
    if (options.tls_self_signed) {
        const auto generated = sim::make_self_signed_certificate(options.host);
        std::ofstream file(*options.tls_self_signed, std::ios::binary | std::ios::trunc);
        file << generated.certificate_pem;
        if (!file.good())
            throw protocol::ProtocolError(protocol::ErrorCode::invalid_argument,
                                          "cannot write the certificate to " +
                                              options.tls_self_signed->string());
        out << "hivescope serve: self-signed certificate for " << options.host << " written to "
            << options.tls_self_signed->string() << "\n";
        return sim::TlsServerOptions{generated.certificate_pem, generated.private_key_pem};
    }
    if (options.tls_certificate && options.tls_key)
        return sim::TlsServerOptions{read_pem_file(*options.tls_certificate, "certificate"),
                                     read_pem_file(*options.tls_key, "private key")};
    return std::nullopt;
}

using protocol::ErrorCode;
using protocol::ProtocolError;
using record::Kind;
using record::Outcome;

/// `key:password[:admin]` as a client record. Keys never hold `:` (A.11); a password may.
node::ClientRecord parse_client(const std::string& spec, std::size_t index,
                                const std::vector<std::string>& allowed_types) {
    const auto colon = spec.find(':');
    if (colon == std::string::npos || colon == 0)
        throw ProtocolError(ErrorCode::invalid_argument,
                            "--client \"" + spec + "\": expected key:password[:admin]");
    node::ClientRecord record;
    record.api_key = spec.substr(0, colon);
    std::string password = spec.substr(colon + 1);
    constexpr std::string_view admin_suffix = ":admin";
    if (password.size() > admin_suffix.size() && password.ends_with(admin_suffix)) {
        record.is_admin = true;
        password.resize(password.size() - admin_suffix.size());
    }
    if (password.empty())
        throw ProtocolError(ErrorCode::invalid_argument,
                            "--client \"" + spec + "\": the password is empty");
    record.password = std::move(password);
    record.name = "client" + std::to_string(index + 1);
    record.allowed_types = allowed_types;
    return record;
}

std::shared_ptr<node::ClientDatabase> open_database(const ServeOptions& options) {
    if (options.db) {
        if (!std::filesystem::is_regular_file(*options.db))
            throw ProtocolError(ErrorCode::invalid_argument,
                                "--db " + options.db->string() + ": no such file");
        return std::make_shared<node::JsonFileClientDatabase>(*options.db);
    }
    auto database = std::make_shared<node::InMemoryClientDatabase>();
    const auto allowed =
        options.allowed_types.empty() ? default_serve_allowed_types() : options.allowed_types;
    for (std::size_t i = 0; i < options.clients.size(); ++i)
        database->add(parse_client(options.clients[i], i, allowed));
    return database;
}

/// SIGINT and SIGTERM, blocked in every thread (the socket thread inherits the mask) and
/// collected with sigtimedwait: no handler, no global flag. The previous mask is restored.
class SignalWatch {
  public:
    SignalWatch() {
        sigemptyset(&set_);
        sigaddset(&set_, SIGINT);
        sigaddset(&set_, SIGTERM);
        pthread_sigmask(SIG_BLOCK, &set_, &previous_);
    }
    ~SignalWatch() { pthread_sigmask(SIG_SETMASK, &previous_, nullptr); }
    SignalWatch(const SignalWatch&) = delete;
    SignalWatch& operator=(const SignalWatch&) = delete;

    /// The pending signal's number, or 0.
    int poll() {
        const timespec zero{0, 0};
        const int signal = sigtimedwait(&set_, nullptr, &zero);
        return signal > 0 ? signal : 0;
    }

  private:
    sigset_t set_{};
    sigset_t previous_{};
};

std::string seconds(sim::VirtualTime time) {
    std::ostringstream text;
    text << std::fixed << std::setprecision(3) << sim::to_seconds(time) << "s";
    return text.str();
}

/// Prints what the master recorded since the last call: frames in, refusals, verdicts that end
/// or refuse something, decode errors, and connects / disconnects.
class RecordPrinter {
  public:
    RecordPrinter(const record::Recorder& recorder, std::ostream& out)
        : recorder_(recorder), out_(out) {}

    void flush() {
        bool printed = false;
        for (; next_ < recorder_.size(); ++next_)
            printed |= print(recorder_[next_]);
        if (printed)
            out_.flush();
    }

    [[nodiscard]] std::size_t frames() const noexcept { return frames_; }
    [[nodiscard]] std::size_t refusals() const noexcept { return refusals_; }

  private:
    bool print(const record::Record& entry) {
        const auto line = [&](std::string_view what) -> std::ostream& {
            return out_ << std::setw(9) << seconds(entry.time) << "  " << std::left << std::setw(10)
                        << what << std::right << " " << entry.peer;
        };
        switch (entry.kind) {
        case Kind::in: {
            ++frames_;
            line("frame") << "  " << protocol::summarize(*entry.message);
            if (entry.frame && entry.frame->is_binary())
                out_ << "  [binary]";
            else if (!entry.detail.empty())
                out_ << "  [" << entry.detail << "]";
            out_ << "\n";
            return true;
        }
        case Kind::refusal:
            ++refusals_;
            line("refused") << "  " << entry.code << " " << entry.reason << "\n";
            return true;
        case Kind::decode_error:
            line("bad frame") << "  " << entry.reason << "\n";
            return true;
        case Kind::verdict:
            if (entry.outcome == Outcome::closed) {
                line("closed") << "  " << entry.code << " " << entry.reason << "\n";
                return true;
            }
            if (entry.outcome == Outcome::denied) {
                line("denied") << "  " << entry.code << ": " << entry.reason << "\n";
                return true;
            }
            if (entry.outcome == Outcome::dropped) {
                line("dropped") << "  " << entry.reason << "\n";
                return true;
            }
            if (entry.outcome == Outcome::registered) {
                line("registered") << "\n";
                return true;
            }
            return false;
        case Kind::inject:
            if (entry.detail == "agent event" && entry.message) {
                // The agent event names the client in its context.source.
                const auto event = entry.message->bus_message();
                const std::string type = event.type();
                const char* what = type == "hive.client.connect"      ? "connect"
                                   : type == "hive.client.disconnect" ? "disconnect"
                                                                      : nullptr;
                if (what == nullptr)
                    return false;
                out_ << std::setw(9) << seconds(entry.time) << "  " << std::left << std::setw(10)
                     << what << std::right << " " << event.context().get_string("source") << "\n";
                return true;
            }
            return false;
        default:
            return false;
        }
    }

    const record::Recorder& recorder_;
    std::ostream& out_;
    std::size_t next_ = 0;
    std::size_t frames_ = 0;
    std::size_t refusals_ = 0;
};

} // namespace

std::vector<std::string> default_serve_allowed_types() {
    return {"recognizer_loop:utterance", "speak", "mycroft.skills.is_alive",
            "mycroft.skills.is_ready"};
}

std::vector<std::string> default_serve_answer_types() {
    return {"mycroft.skills.is_alive", "mycroft.skills.is_ready"};
}

int serve(const ServeOptions& options, std::ostream& out) {
    if (options.run_seconds && !(*options.run_seconds >= 0))
        throw ProtocolError(ErrorCode::invalid_argument, "--for must be a positive number");
    auto database = open_database(options);

    // Signals are blocked before the socket thread exists, so only sigtimedwait sees them.
    SignalWatch signals;
    const std::uint64_t seed = options.seed ? *options.seed : std::random_device{}();
    sim::Simulation simulation(seed);
    sim::Network network(simulation);

    node::MasterOptions master_options;
    master_options.node_id = options.node_id;
    master_options.database = database;
    master_options.binarize = options.binarize;
    node::MasterNode master(network, std::move(master_options));
    (void)master.core().identity(); // the RSA key now, not during the first client's HELLO
    const auto answers =
        options.answer_types.empty() ? default_serve_answer_types() : options.answer_types;
    for (const auto& type : answers)
        master.agent().on(type, [&master](const protocol::BusMessage& request) {
            master.agent().emit(request.response(protocol::Json{{"status", true}}));
        });

    {
        sim::WebSocketServerOptions host_options;
        host_options.address = options.host;
        host_options.port = options.port;
        host_options.name = options.node_id;
        host_options.tls = server_tls(options, out);
        sim::WebSocketHost host(network, master.role(), host_options);

        out << "hivescope serve: master \"" << options.node_id << "\" listening on " << host.url()
            << "\n";
        out << "port " << host.port() << "\n";
        for (const auto& record : database->all()) {
            if (record.revoked || record.api_key == node::revoked_api_key)
                continue;
            out << "  client " << record.client_id << " \"" << record.name
                << "\" key=" << record.api_key << (record.is_admin ? " admin" : "")
                << (record.password ? " password" : "") << (record.crypto_key ? " psk" : "")
                << " allowed_types=" << record.allowed_types.size() << "\n";
        }
        if (options.run_seconds)
            out << "stopping after " << *options.run_seconds << " s\n";
        else
            out << "Ctrl-C (SIGINT) or SIGTERM stops it\n";
        out.flush();

        RecordPrinter printer(master.recorder(), out);
        const auto started = std::chrono::steady_clock::now();
        const auto deadline =
            options.run_seconds
                ? started + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                std::chrono::duration<double>(*options.run_seconds))
                : std::chrono::steady_clock::time_point::max();
        int signal = 0;
        while (signal == 0 && std::chrono::steady_clock::now() < deadline) {
            const auto slice = std::min<std::chrono::steady_clock::duration>(
                std::chrono::milliseconds(100), deadline - std::chrono::steady_clock::now());
            // The predicate runs after every event, so lines appear as frames arrive.
            simulation.run_until_real(
                [&printer] {
                    printer.flush();
                    return false;
                },
                std::chrono::duration_cast<sim::Duration>(slice));
            printer.flush();
            signal = signals.poll();
        }

        master.stop();
        simulation.run_until_real(
            [&printer] {
                printer.flush();
                return false;
            },
            std::chrono::milliseconds(50));
        host.stop();
        printer.flush();
        out << "hivescope serve: stopped"
            << (signal != 0 ? std::string(" by ") + (signal == SIGINT ? "SIGINT" : "SIGTERM")
                            : std::string())
            << " (" << printer.frames() << " frames received, " << printer.refusals()
            << " refusals)\n";
        out.flush();
    }
    network.shutdown_loopback();
    return 0;
}

} // namespace hivescope::cli
