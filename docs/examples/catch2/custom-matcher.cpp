// docs/custom-matchers.md: a matcher over records and a matcher over a node, written the way the
// built-in ones are: a class in a detail namespace, a factory returning it by value, and the
// "what was seen" worked out in match() for describe().
#include <hivescope/catch2/hivescope_catch2.hpp>

#include <optional>
#include <string>
#include <vector>

using namespace hivescope::matchers;
using hivescope::record::Kind;
using hivescope::record::Outcome;
using hivescope::record::Record;

namespace my_matchers {
namespace detail {

/// Every denial the node recorded was followed by a `hive.policy.denied` sent to the same peer
/// (protocol.md B.4 promises the client an explanation).
class DenialsExplainedMatcher final : public RecordMatcher {
  public:
    bool match(const Records& records) const override {
        denials_ = 0;
        unexplained_.clear();
        for (std::size_t i = 0; i < records.size(); ++i) {
            const Record& denial = records[i];
            if (denial.kind != Kind::verdict || denial.outcome != Outcome::denied)
                continue;
            ++denials_;
            bool explained = false;
            for (std::size_t j = i + 1; j < records.size() && !explained; ++j)
                explained = records[j].kind == Kind::out && records[j].peer == denial.peer &&
                            records[j].bus_type() == "hive.policy.denied";
            if (!explained)
                unexplained_.push_back("#" + std::to_string(denial.sequence) + " " +
                                       denial.bus_type());
        }
        return unexplained_.empty();
    }

    std::string describe() const override {
        std::string out = "explained every denial to its peer";
        out += " (" + std::to_string(denials_) + " denials";
        for (std::size_t i = 0; i < unexplained_.size() && i < 3; ++i) // keep it bounded
            out += (i == 0 ? "; unexplained: " : ", ") + unexplained_[i];
        return out + ")";
    }

  private:
    mutable std::size_t denials_ = 0; // what the last match() saw, for describe()
    mutable std::vector<std::string> unexplained_;
};

/// The node's upstream link uses `cipher`.
class UsesCipherMatcher final : public NodeMatcher {
  public:
    explicit UsesCipherMatcher(hivescope::protocol::Cipher cipher) : cipher_(cipher) {}

    bool match(const NodeRef& node) const override {
        const auto* link = node.upstream();
        seen_ = link != nullptr ? link->cipher() : std::nullopt;
        return seen_ == cipher_;
    }

    std::string describe() const override {
        return "uses " + std::string(hivescope::protocol::wire_name(cipher_)) + " (it uses " +
               (seen_ ? std::string(hivescope::protocol::wire_name(*seen_)) : "no cipher") + ")";
    }

  private:
    hivescope::protocol::Cipher cipher_;
    mutable std::optional<hivescope::protocol::Cipher> seen_;
};

} // namespace detail

/// Factories return the matcher by value: never a `&&`/`||` composite, which would point at
/// temporaries that die at the end of the return statement.
inline detail::DenialsExplainedMatcher DenialsExplained() {
    return {};
}
inline detail::UsesCipherMatcher UsesCipher(hivescope::protocol::Cipher cipher) {
    return detail::UsesCipherMatcher(cipher);
}

} // namespace my_matchers

using namespace my_matchers;

SCENARIO("custom matchers: denials are explained, the link uses AES-GCM",
         "[docs][custom-matchers]") {
    auto builder = hivescope::scenarios::single_satellite({"recognizer_loop:utterance"});
    auto hive = hivescope::fixtures::prepare_for_tests(builder).start();
    hive.run_until_idle();
    auto& master = hive.master("M0");
    auto& s0 = hive.satellite("S0");

    WHEN("the satellite sends something it may not") {
        s0.send(hivescope::bus("speak", {{"utterance", "hi"}}));
        hive.run_until_idle();

        THEN("custom and built-in matchers compose") {
            REQUIRE_THAT(master.recorder(), DenialsExplained() && Denied().from(s0).times(1));
            REQUIRE_THAT(s0,
                         UsesCipher(hivescope::protocol::Cipher::aes_gcm) && ConnectedTo(master));
            REQUIRE_THAT(s0, !UsesCipher(hivescope::protocol::Cipher::chacha20_poly1305));
        }
        THEN("a failure says what was seen") {
            const auto chacha = UsesCipher(hivescope::protocol::Cipher::chacha20_poly1305);
            REQUIRE_FALSE(chacha.match(s0));
            REQUIRE(chacha.describe() == "uses CHACHA20-POLY1305 (it uses AES-GCM)");
        }
    }
}
