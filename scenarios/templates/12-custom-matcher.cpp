// Template: your own matcher. Derive from hivescope::matchers::RecordMatcher (Catch2's old-style
// MatcherBase over a node's records) and it composes with hivescope's matchers through &&, || and
// !. Catch2 prints `<records> <describe()>` on failure and has no separate "why" channel, so work
// out what you saw while matching and say it in describe().

#include <hivescope/catch2/hivescope_catch2.hpp>

#include <string>
#include <utility>
#include <vector>

using namespace hivescope::matchers;

namespace my_matchers {

/// Every BUS the node injected came in session `session_id` (protocol.md B.5 rewrites each
/// injected message's session to its connection's), and there was at least one.
class InjectedInSessionMatcher final : public RecordMatcher {
  public:
    explicit InjectedInSessionMatcher(std::string session_id)
        : session_id_(std::move(session_id)) {}

    bool match(const Records& records) const override {
        injected_ = 0;
        wrong_.clear();
        for (const auto& record : records) {
            if (record.kind != hivescope::record::Kind::inject || record.bus_type().empty())
                continue;
            ++injected_;
            const std::string session = record.message->bus_message().session_id();
            if (session != session_id_)
                wrong_.push_back(record.bus_type() + " in " + session);
        }
        return injected_ > 0 && wrong_.empty();
    }

    std::string describe() const override {
        std::string out = "injected every message in session " + session_id_;
        if (injected_ == 0)
            return out + " (saw no injection)";
        for (std::size_t i = 0; i < wrong_.size(); ++i)
            out += (i == 0 ? " (saw " : ", ") + wrong_[i];
        return wrong_.empty() ? out : out + ")";
    }

  private:
    std::string session_id_;
    // What the last match saw, for describe().
    mutable std::size_t injected_ = 0;
    mutable std::vector<std::string> wrong_;
};

/// The factory: matchers are values, so return one by value (never a composite of temporaries).
inline InjectedInSessionMatcher InjectedInSession(std::string session_id) {
    return InjectedInSessionMatcher(std::move(session_id));
}

} // namespace my_matchers

using my_matchers::InjectedInSession;

SCENARIO("a custom matcher checks the session of every injection", "[template][custom]") {
    GIVEN("a satellite allowed to speak") {
        auto hive = hivescope::scenarios::single_satellite({"speak"}).start();
        hive.run_until_idle();
        auto& master = hive.master("M0");
        auto& s0 = hive.satellite("S0");
        const auto mark = master.recorder().mark();

        WHEN("it speaks twice") {
            s0.send(hivescope::bus("speak", {{"utterance", "one"}}));
            s0.send(hivescope::bus("speak", {{"utterance", "two"}}));
            hive.run_until_idle();
            const auto since = master.recorder().since(mark);
            THEN("both injections carry its session, alone and combined with built-in matchers") {
                REQUIRE_THAT(since, InjectedInSession(s0.role().session_id()));
                REQUIRE_THAT(since, Injected("speak").from(s0).times(2) &&
                                        InjectedInSession(s0.role().session_id()));
            }
            THEN("a wrong expectation fails and says what it saw") {
                const auto wrong = InjectedInSession("not-a-session");
                REQUIRE_FALSE(wrong.match(since));
                REQUIRE(wrong.describe() == "injected every message in session not-a-session (saw "
                                            "speak in " +
                                                s0.role().session_id() + ", speak in " +
                                                s0.role().session_id() + ")");
                REQUIRE_THAT(since, !InjectedInSession("not-a-session"));
            }
        }
        THEN("with nothing injected yet it fails, saying so") {
            const auto none = InjectedInSession(s0.role().session_id());
            REQUIRE_FALSE(none.match(master.recorder().since(mark)));
            REQUIRE(none.describe() == "injected every message in session " +
                                           s0.role().session_id() + " (saw no injection)");
        }
    }
}
