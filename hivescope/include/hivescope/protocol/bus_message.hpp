#pragma once
// The OVOS message a BUS / SHARED_BUS envelope carries (protocol.md A.4), with typed access to
// the context keys HiveMind routing reads.

#include "hivescope/protocol/json.hpp"

#include <string>
#include <vector>

namespace hivescope::protocol {

/// An OVOS bus message: `{"type", "data", "context"}`.
class BusMessage {
  public:
    BusMessage() = default;
    explicit BusMessage(std::string type, Json data = Json::object(),
                        Json context = Json::object());

    /// Reads `{"type", "data", "context"}`; `type` must be a string, `data` and `context`
    /// objects or null. Throws ProtocolError(invalid_field) naming the offending key.
    [[nodiscard]] static BusMessage from_json(const Json& payload);
    /// `{"type", "data", "context"}` in that order.
    [[nodiscard]] Json to_json() const&;
    /// The same, moving the fields out instead of copying them.
    [[nodiscard]] Json to_json() &&;

    [[nodiscard]] const std::string& type() const noexcept { return type_; }
    [[nodiscard]] const Json& data() const noexcept { return data_; }
    [[nodiscard]] Json& data() noexcept { return data_; }
    [[nodiscard]] const Json& context() const noexcept { return context_; }
    [[nodiscard]] Json& context() noexcept { return context_; }

    /// `context.session` if it is an object, else nullptr.
    [[nodiscard]] const Json* session() const noexcept;
    /// `context.session.session_id`, or `"default"` when there is none (protocol.md B.5).
    [[nodiscard]] std::string session_id() const;
    /// `context.session.site_id`, or empty.
    [[nodiscard]] std::string site_id() const;
    /// Sets `context.session` (replacing any previous session object).
    BusMessage& set_session(Json session);

    /// `context.source` (a string, an array of strings, or null).
    [[nodiscard]] const Json& source() const noexcept;
    /// `context.destination` (a string, an array of strings, or null).
    [[nodiscard]] const Json& destination() const noexcept;
    /// `source` / `destination` flattened to a list of strings.
    [[nodiscard]] std::vector<std::string> source_list() const;
    [[nodiscard]] std::vector<std::string> destination_list() const;

    /// OVOS `Message.reply`: same context, with `destination` = old `source` and `source` = old
    /// `destination`; `context_overrides` are merged in first.
    [[nodiscard]] BusMessage reply(std::string type, Json data = Json::object(),
                                   const Json& context_overrides = Json::object()) const;
    /// OVOS `Message.forward`: same context, new type and data.
    [[nodiscard]] BusMessage forward(std::string type, Json data = Json::object()) const;
    /// OVOS `Message.response`: a reply of type `<type>.response`.
    [[nodiscard]] BusMessage response(Json data = Json::object()) const;

    friend bool operator==(const BusMessage&, const BusMessage&) = default;

  private:
    std::string type_;
    Json data_ = Json::object();
    Json context_ = Json::object();
};

} // namespace hivescope::protocol
