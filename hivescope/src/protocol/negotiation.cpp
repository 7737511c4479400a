#include "hivescope/protocol/negotiation.hpp"

#include <algorithm>

namespace hivescope::protocol {

namespace {

/// First entry of `preference` (or `fallback` when it is empty) that parses, passes `usable`
/// and is in `allowed`.
template <typename T, typename Parse, typename Usable>
std::optional<T> first_common(std::span<const std::string> preference, std::string_view fallback,
                              std::span<const T> allowed, Parse parse, Usable usable) {
    const auto pick = [&](std::string_view name) -> std::optional<T> {
        const std::optional<T> value = parse(name);
        if (value && usable(*value) &&
            std::find(allowed.begin(), allowed.end(), *value) != allowed.end())
            return value;
        return std::nullopt;
    };
    if (preference.empty())
        return pick(fallback);
    for (const std::string& name : preference)
        if (const auto value = pick(name))
            return value;
    return std::nullopt;
}

} // namespace

std::optional<Encoding> select_encoding(std::span<const std::string> client_preference,
                                        std::span<const Encoding> allowed) {
    // A.10: Z85P MUST NOT be selected even when both sides list it — the reference's own
    // decoder rejects it and the session would be dropped.
    return first_common<Encoding>(
        client_preference, wire_name(link_default_encoding), allowed,
        [](std::string_view name) { return encoding_from_wire(name); },
        [](Encoding encoding) { return is_negotiable(encoding); });
}

std::optional<Cipher> select_cipher(std::span<const std::string> client_preference,
                                    std::span<const Cipher> allowed) {
    return first_common<Cipher>(
        client_preference, wire_name(link_default_cipher), allowed,
        [](std::string_view name) { return cipher_from_wire(name); }, [](Cipher) { return true; });
}

std::vector<std::string> proposal_names(std::span<const Encoding> encodings) {
    std::vector<std::string> names;
    names.reserve(encodings.size());
    for (const Encoding encoding : encodings)
        if (is_negotiable(encoding))
            names.emplace_back(wire_name(encoding));
    return names;
}

std::vector<std::string> proposal_names(std::span<const Cipher> ciphers) {
    std::vector<std::string> names;
    names.reserve(ciphers.size());
    for (const Cipher cipher : ciphers)
        names.emplace_back(wire_name(cipher));
    return names;
}

} // namespace hivescope::protocol
