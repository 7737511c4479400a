#pragma once
// `hivescope::bus("recognizer_loop:utterance", {{"utterances", {"hello"}}})`: the short way to
// write an OVOS message in a scenario, so the test reads like the message it sends. The data is
// a JSON literal (protocol::Json takes nlohmann-style initializer lists).

#include "hivescope/protocol/bus_message.hpp"
#include "hivescope/protocol/json.hpp"

#include <string>
#include <utility>

namespace hivescope {

/// An OVOS message of `type` carrying `data` (an object; `{}` or null means empty) and an empty
/// context, ready for `SatelliteNode::send` or `Bus::emit`.
[[nodiscard]] inline protocol::BusMessage bus(std::string type,
                                              protocol::Json data = protocol::Json::object()) {
    if (data.is_null())
        data = protocol::Json::object();
    return protocol::BusMessage(std::move(type), std::move(data));
}

} // namespace hivescope
