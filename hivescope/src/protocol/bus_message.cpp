#include "hivescope/protocol/bus_message.hpp"

#include "hivescope/protocol/error.hpp"
#include "protocol/detail/json_object_access.hpp"

namespace hivescope::protocol {

namespace {
Json object_or_empty(const Json* value, std::string_view key) {
    if (value == nullptr || value->is_null())
        return Json::object();
    if (!value->is_object())
        throw ProtocolError(ErrorCode::invalid_field, "bus message `" + std::string(key) +
                                                          "` must be an object, got " +
                                                          std::string(to_string(value->kind())));
    return *value;
}

std::vector<std::string> flatten(const Json& value) {
    std::vector<std::string> out;
    if (value.is_string()) {
        out.push_back(value.as_string());
    } else if (value.is_array()) {
        for (const auto& item : value.as_array())
            if (item.is_string())
                out.push_back(item.as_string());
    }
    return out;
}

const Json null_json;
} // namespace

BusMessage::BusMessage(std::string type, Json data, Json context)
    : type_(std::move(type)), data_(object_or_empty(&data, "data")),
      context_(object_or_empty(&context, "context")) {}

BusMessage BusMessage::from_json(const Json& payload) {
    if (!payload.is_object())
        throw ProtocolError(ErrorCode::invalid_field, "bus payload must be an object, got " +
                                                          std::string(to_string(payload.kind())));
    // One pass over the members rather than a search per key: every BUS a node receives
    // comes through here.
    const Json* type = nullptr;
    const Json* data = nullptr;
    const Json* context = nullptr;
    for (const auto& [key, value] : payload.as_object()) {
        if (key == "type")
            type = &value;
        else if (key == "data")
            data = &value;
        else if (key == "context")
            context = &value;
    }
    if (type == nullptr || !type->is_string())
        throw ProtocolError(ErrorCode::invalid_field, "bus payload has no string `type`");
    BusMessage message;
    message.type_ = type->as_string();
    message.data_ = object_or_empty(data, "data");
    message.context_ = object_or_empty(context, "context");
    return message;
}

namespace {
// `{"type", "data", "context"}` from the given fields, in that order.
Json payload_object(std::string type, Json data, Json context) {
    JsonObject object = detail::JsonObjectAccess::with_capacity(3);
    detail::JsonObjectAccess::append_new(object, "type", std::move(type));
    detail::JsonObjectAccess::append_new(object, "data", std::move(data));
    detail::JsonObjectAccess::append_new(object, "context", std::move(context));
    return Json(std::move(object));
}
} // namespace

Json BusMessage::to_json() const& {
    // Each field copied once, straight into the object.
    return payload_object(type_, data_, context_);
}

Json BusMessage::to_json() && {
    return payload_object(std::move(type_), std::move(data_), std::move(context_));
}

const Json* BusMessage::session() const noexcept {
    const Json* session = context_.find("session");
    return session != nullptr && session->is_object() ? session : nullptr;
}

std::string BusMessage::session_id() const {
    const Json* s = session();
    if (s == nullptr)
        return "default";
    return s->get_string("session_id", "default");
}

std::string BusMessage::site_id() const {
    const Json* s = session();
    return s == nullptr ? std::string() : s->get_string("site_id");
}

BusMessage& BusMessage::set_session(Json session) {
    context_["session"] = std::move(session);
    return *this;
}

const Json& BusMessage::source() const noexcept {
    const Json* value = context_.find("source");
    return value != nullptr ? *value : null_json;
}

const Json& BusMessage::destination() const noexcept {
    const Json* value = context_.find("destination");
    return value != nullptr ? *value : null_json;
}

std::vector<std::string> BusMessage::source_list() const {
    return flatten(source());
}
std::vector<std::string> BusMessage::destination_list() const {
    return flatten(destination());
}

BusMessage BusMessage::reply(std::string type, Json data, const Json& context_overrides) const {
    Json context = context_;
    if (context_overrides.is_object())
        for (const auto& [key, value] : context_overrides.as_object())
            context[key] = value;
    const Json* source = context.find("source");
    const Json* destination = context.find("destination");
    if (source != nullptr && destination != nullptr) {
        Json old_source = *source;
        context["source"] = *destination;
        context["destination"] = std::move(old_source);
    } else if (source != nullptr) {
        context["destination"] = Json(*source);
    }
    return BusMessage(std::move(type), std::move(data), std::move(context));
}

BusMessage BusMessage::forward(std::string type, Json data) const {
    return BusMessage(std::move(type), std::move(data), context_);
}

BusMessage BusMessage::response(Json data) const {
    return reply(type_ + ".response", std::move(data));
}

} // namespace hivescope::protocol
