// Template: BINARY payloads (protocol.md A.6, B.11). The master dispatches a client's binary
// frame to the handler of its bin_type, with the metadata defaults filled in; a client whose
// record may inject nothing may not push bytes either.

#include <hivescope/catch2/hivescope_catch2.hpp>

using namespace hivescope::matchers;
using hivescope::protocol::BinaryPayloadType;

SCENARIO("a satellite sends a file to its master", "[template][binary]") {
    GIVEN("a satellite allowed to inject something") {
        auto hive = hivescope::scenarios::single_satellite({"recognizer_loop:utterance"}).start();
        auto& master = hive.master("M0");
        auto& s0 = hive.satellite("S0");
        const hivescope::protocol::Bytes content{'h', 'i', '\n'};

        WHEN("it sends a FILE") {
            s0.role().send_binary(BinaryPayloadType::file, content, {{"file_name", "notes.txt"}});
            hive.run_until_idle();
            THEN("the master's receive_file handler gets the bytes and the file name") {
                REQUIRE_THAT(master.recorder(),
                             InOrder(Received(MessageType::binary).from(s0),
                                     Dispatched("receive_file").from(s0).times(1)));
                const auto& calls = master.agent().binary_calls();
                REQUIRE(calls.size() == 1);
                REQUIRE(calls[0].data == content);
                REQUIRE(calls[0].metadata.get_string("file_name") == "notes.txt");
            }
        }
        WHEN("it sends TTS audio without metadata") {
            s0.role().send_binary(BinaryPayloadType::tts_audio, content);
            hive.run_until_idle();
            THEN("the receive_tts handler runs") {
                REQUIRE_THAT(master.recorder(), Dispatched("receive_tts").from(s0));
            }
        }
    }
    GIVEN("a satellite whose record may inject nothing") {
        auto hive = hivescope::scenarios::single_satellite().start();
        auto& s0 = hive.satellite("S0");
        WHEN("it sends a FILE") {
            s0.role().send_binary(BinaryPayloadType::file, {1, 2, 3});
            hive.run_until_idle();
            THEN("the master denies it and runs no handler") {
                REQUIRE_THAT(hive.master("M0").recorder(),
                             Denied("acl_disallowed_type").from(s0) && !Dispatched());
            }
        }
    }
}
