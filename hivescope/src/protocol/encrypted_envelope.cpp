#include "hivescope/protocol/encrypted_envelope.hpp"

#include "hivescope/protocol/error.hpp"
#include "protocol/detail/hex.hpp"
#include "protocol/detail/json_dom.hpp"
#include "protocol/detail/verbatim_run.hpp"

#include <simdjson.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>
#include <optional>

namespace hivescope::protocol {

namespace {

/// Appends `text` as a JSON string the way json.dumps writes it. Of the encodings' outputs,
/// only two hold characters json.dumps escapes, each in one known way, so we escape them
/// directly instead of scanning generically: basE91's '"' becomes \" (its alphabet has no
/// backslash or control character), and Z85P's raw pad byte 0x00–0x03 becomes \u0000–\u0003
/// (the Z85 digits after it need no escaping).
void append_quoted(std::string& out, Encoding encoding, std::string_view text) {
    out.push_back('"');
    if (encoding == Encoding::json_b91) {
        std::size_t from = 0;
        for (std::size_t quote = text.find('"'); quote != std::string_view::npos;
             quote = text.find('"', from)) {
            out.append(text, from, quote - from);
            out += "\\\"";
            from = quote + 1;
        }
        out.append(text, from);
    } else if (encoding == Encoding::json_z85p && !text.empty()) {
        out += "\\u000";
        out.push_back(static_cast<char>('0' + static_cast<unsigned char>(text[0])));
        out.append(text, 1);
    } else {
        out += text;
    }
    out.push_back('"');
}

void append_field(std::string& out, std::string_view key, Encoding encoding, ByteView bytes) {
    out.push_back('"');
    out += key;
    out += "\": ";
    append_quoted(out, encoding, encode(encoding, bytes));
}

// The JSON-HEX envelope, the protocol's default: every length is known up front, so it is
// written in one pass into a string of its final size.
std::string hex_envelope(ByteView nonce, ByteView body, ByteView tag) {
    constexpr std::string_view before_body = "{\"ciphertext\": \"";
    constexpr std::string_view before_tag = "\", \"tag\": \"";
    constexpr std::string_view before_nonce = "\", \"nonce\": \"";
    constexpr std::string_view close = "\"}";
    std::string out(before_body.size() + before_tag.size() + before_nonce.size() + close.size() +
                        2 * (body.size() + tag.size() + nonce.size()),
                    '\0');
    char* at = out.data();
    const auto put = [&at](std::string_view text) {
        std::memcpy(at, text.data(), text.size());
        at += text.size();
    };
    const auto put_hex = [&at](ByteView bytes) {
        detail::hex_text_write(at, bytes);
        at += 2 * bytes.size();
    };
    put(before_body);
    put_hex(body);
    put(before_tag);
    put_hex(tag);
    put(before_nonce);
    put_hex(nonce);
    put(close);
    return out;
}

std::string envelope_from_frame(Cipher cipher, Encoding encoding, ByteView frame) {
    const std::size_t nonce_bytes = nonce_size(cipher);
    const ByteView nonce = frame.first(nonce_bytes);
    const ByteView body = frame.subspan(nonce_bytes, frame.size() - nonce_bytes - aead_tag_size);
    const ByteView tag = frame.last(aead_tag_size);
    if (encoding == Encoding::json_hex)
        return hex_envelope(nonce, body, tag);
    std::string out;
    out.reserve(64 + frame.size() * 2);
    out.push_back('{');
    append_field(out, "ciphertext", encoding, body);
    out += ", ";
    append_field(out, "tag", encoding, tag);
    out += ", ";
    append_field(out, "nonce", encoding, nonce);
    out.push_back('}');
    return out;
}

/// A required string member, or ProtocolError(invalid_field) naming it.
const std::string& string_field(const Json& envelope, std::string_view key) {
    const Json* value = envelope.find(key);
    if (value == nullptr)
        throw ProtocolError(ErrorCode::invalid_field,
                            "encrypted envelope has no \"" + std::string(key) + "\"");
    if (!value->is_string())
        throw ProtocolError(ErrorCode::invalid_field,
                            "encrypted envelope \"" + std::string(key) + "\" is a " +
                                std::string(to_string(value->kind())) + ", not a string");
    return value->as_string();
}

[[noreturn]] void not_a_string(std::string_view key, Json::Kind kind) {
    throw ProtocolError(ErrorCode::invalid_field, "encrypted envelope \"" + std::string(key) +
                                                      "\" is a " + std::string(to_string(kind)) +
                                                      ", not a string");
}

void decode_append(Bytes& out, Encoding encoding, std::string_view text) {
    const Bytes more = decode(encoding, text);
    out.insert(out.end(), more.begin(), more.end());
}

// The bytes of a JSON-HEX frame, decoded in place: on the stack unless the frame is large,
// with no vector and no zero-fill first (the frame path decodes a few hundred bytes per hop).
class HexFrameBuffer {
  public:
    HexFrameBuffer() = default;
    HexFrameBuffer(const HexFrameBuffer&) = delete;
    HexFrameBuffer& operator=(const HexFrameBuffer&) = delete;

    /// Decodes `text` after the bytes so far; ProtocolError(bad_encoding) as hex_text_decode.
    void append(std::string_view text) {
        const std::size_t more = text.size() / 2;
        reserve(more);
        detail::hex_text_decode_into(data_ + size_, text);
        size_ += more;
    }
    /// As append, but false (and the bytes so far unchanged) where append would throw.
    [[nodiscard]] bool try_append(std::string_view text) {
        const std::size_t more = text.size() / 2;
        reserve(more);
        if (!detail::hex_text_try_decode_into(data_ + size_, text))
            return false;
        size_ += more;
        return true;
    }
    [[nodiscard]] ByteView bytes() const noexcept { return {data_, size_}; }

  private:
    void reserve(std::size_t more) {
        if (size_ + more <= capacity_)
            return;
        capacity_ = std::max(2 * capacity_, size_ + more);
        auto grown = std::make_unique_for_overwrite<std::uint8_t[]>(capacity_);
        std::memcpy(grown.get(), data_, size_);
        heap_ = std::move(grown);
        data_ = heap_.get();
    }

    std::array<std::uint8_t, 2048> local_;
    std::unique_ptr<std::uint8_t[]> heap_;
    std::uint8_t* data_ = local_.data();
    std::size_t size_ = 0;
    std::size_t capacity_ = local_.size();
};

// The reference decodes a decrypted plaintext as UTF-8 and fails on anything else.
std::string checked_utf8(std::string plaintext) {
    if (!simdjson::validate_utf8(plaintext.data(), plaintext.size()))
        throw ProtocolError(ErrorCode::invalid_utf8,
                            "decrypted envelope plaintext is not valid UTF-8");
    return plaintext;
}

// The envelope's fields once found; `tag_text()` is read only when `has_tag` and only after the
// nonce and ciphertext decoded, so the checks and their order are decrypt_envelope's whichever
// way the fields were read.
template <class TagText>
std::string open_fields(Aead& aead, Encoding encoding, std::string_view ciphertext,
                        std::string_view nonce, bool has_tag, const TagText& tag_text) {
    // The reference reassembles nonce ‖ ciphertext ‖ tag and splits it again by the cipher's
    // fixed sizes, so we do the same: a nonce or tag of the wrong length simply fails the
    // AEAD. Without a `tag` key, the tag is the tail of the ciphertext (WebCrypto style),
    // which this concatenation already yields.
    std::string plaintext;
    if (encoding == Encoding::json_hex) {
        HexFrameBuffer frame;
        frame.append(nonce);
        frame.append(ciphertext);
        if (has_tag)
            frame.append(tag_text());
        plaintext = aead.open_text(frame.bytes());
    } else {
        Bytes frame;
        frame.reserve(nonce.size() + ciphertext.size() + aead_tag_size * 2);
        decode_append(frame, encoding, nonce);
        decode_append(frame, encoding, ciphertext);
        if (has_tag)
            decode_append(frame, encoding, tag_text());
        plaintext = aead.open_text(frame);
    }
    return checked_utf8(std::move(plaintext));
}

/// The plaintext of a JSON-HEX envelope written exactly as our encoder and the reference's
/// json.dumps write it, `{"ciphertext": "…", "tag": "…", "nonce": "…"}`, or nullopt when the
/// text is laid out any other way or a field is not plain hex. Such text is valid JSON whose
/// fields are exactly these strings (hex digits need no escaping), so the general path would
/// decode the same bytes: skipping its scan is the whole difference. AEAD and UTF-8 failures
/// are thrown as there.
std::optional<std::string> open_exact_hex(Aead& aead, std::string_view text) {
    constexpr std::string_view before_body = "{\"ciphertext\": \"";
    constexpr std::string_view before_tag = "\", \"tag\": \"";
    constexpr std::string_view before_nonce = "\", \"nonce\": \"";
    constexpr std::string_view close = "\"}";
    std::size_t at = 0;
    // The field after `literal`, up to the next quote (hex holds none).
    const auto field_after = [&](std::string_view literal) -> std::optional<std::string_view> {
        if (text.compare(at, literal.size(), literal) != 0)
            return std::nullopt;
        const std::size_t from = at + literal.size();
        const std::size_t quote = text.find('"', from);
        if (quote == std::string_view::npos)
            return std::nullopt;
        at = quote;
        return text.substr(from, quote - from);
    };
    const auto body = field_after(before_body);
    const auto tag = body ? field_after(before_tag) : std::nullopt;
    const auto nonce = tag ? field_after(before_nonce) : std::nullopt;
    if (!nonce || text.substr(at) != close)
        return std::nullopt;
    HexFrameBuffer frame;
    if (!frame.try_append(*nonce) || !frame.try_append(*body) || !frame.try_append(*tag))
        return std::nullopt;
    return checked_utf8(aead.open_text(frame.bytes()));
}

/// The fields of an envelope in the plain shape our encoders (and the reference's) write.
struct PlainEnvelope {
    std::string_view ciphertext;
    std::string_view nonce;
    std::optional<std::string_view> tag;
};

bool json_space(char c) noexcept {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/// A strict scan for `{"ciphertext": "…", "tag": "…", "nonce": "…"}` in any order and spacing:
/// only those keys, each once, ciphertext and nonce present, every value a string of printable
/// ASCII without escapes. Such text is valid JSON whose parse yields exactly these strings, so
/// it needs no DOM; anything else (nullopt) takes the general path through simdjson.
std::optional<PlainEnvelope> scan_plain_envelope(std::string_view text) {
    std::size_t i = 0;
    const auto skip_space = [&] {
        while (i < text.size() && json_space(text[i]))
            ++i;
    };
    const auto expect = [&](char c) {
        skip_space();
        if (i >= text.size() || text[i] != c)
            return false;
        ++i;
        return true;
    };
    // A string of printable ASCII with no escapes, after its opening quote.
    const auto plain_string = [&]() -> std::optional<std::string_view> {
        const std::size_t from = i;
        i = detail::verbatim_run(text, i, /*ascii_only=*/true);
        if (i >= text.size() || text[i] != '"')
            return std::nullopt;
        return text.substr(from, i++ - from);
    };
    std::optional<std::string_view> ciphertext;
    std::optional<std::string_view> nonce;
    std::optional<std::string_view> tag;
    if (!expect('{'))
        return std::nullopt;
    for (;;) {
        if (!expect('"'))
            return std::nullopt;
        const auto key = plain_string();
        if (!key || !expect(':') || !expect('"'))
            return std::nullopt;
        const auto value = plain_string();
        if (!value)
            return std::nullopt;
        std::optional<std::string_view>* slot = *key == "ciphertext" ? &ciphertext
                                                : *key == "nonce"    ? &nonce
                                                : *key == "tag"      ? &tag
                                                                     : nullptr;
        if (slot == nullptr || slot->has_value())
            return std::nullopt;
        *slot = value;
        skip_space();
        if (i < text.size() && text[i] == ',') {
            ++i;
            continue;
        }
        if (!expect('}'))
            return std::nullopt;
        break;
    }
    skip_space();
    if (i != text.size() || !ciphertext || !nonce)
        return std::nullopt;
    return PlainEnvelope{*ciphertext, *nonce, tag};
}

} // namespace

std::string encrypt_as_json(Aead& aead, Encoding encoding, std::string_view plaintext,
                            RandomSource& random) {
    // The sealed frame lives only until it is encoded: on the stack, unless it is large.
    const std::size_t size = aead.sealed_size(plaintext.size());
    std::array<std::uint8_t, 2048> local;
    if (size > local.size())
        return envelope_from_frame(aead.cipher(), encoding, aead.seal(as_bytes(plaintext), random));
    const std::span<std::uint8_t> frame(local.data(), size);
    aead.seal_into(as_bytes(plaintext), random, frame);
    return envelope_from_frame(aead.cipher(), encoding, frame);
}

std::string encrypt_as_json_with_nonce(Aead& aead, Encoding encoding, std::string_view plaintext,
                                       ByteView nonce) {
    return envelope_from_frame(aead.cipher(), encoding,
                               aead.seal_with_nonce(as_bytes(plaintext), nonce));
}

std::string decrypt_envelope(Aead& aead, Encoding encoding, const Json& envelope) {
    if (!envelope.is_object())
        throw ProtocolError(ErrorCode::malformed_json, "encrypted envelope is a " +
                                                           std::string(to_string(envelope.kind())) +
                                                           ", not an object");
    const std::string& ciphertext = string_field(envelope, "ciphertext");
    const std::string& nonce = string_field(envelope, "nonce");
    return open_fields(aead, encoding, ciphertext, nonce, envelope.find("tag") != nullptr,
                       [&envelope]() -> std::string_view { return string_field(envelope, "tag"); });
}

TextFrame read_text_frame(Aead* aead, Encoding encoding, std::string_view text,
                          const JsonParseLimits& limits) {
    if (text.size() <= limits.max_bytes) {
        if (aead != nullptr && encoding == Encoding::json_hex)
            if (auto plaintext = open_exact_hex(*aead, text))
                return {true, std::move(*plaintext), {}};
        if (const auto plain = scan_plain_envelope(text)) {
            if (aead == nullptr)
                return {true, {}, {}};
            std::string plaintext =
                open_fields(*aead, encoding, plain->ciphertext, plain->nonce,
                            plain->tag.has_value(), [&] { return *plain->tag; });
            return {true, std::move(plaintext), {}};
        }
    }
    const simdjson::dom::element root = detail::parse_dom(text, limits);
    simdjson::dom::object object;
    if (root.get_object().get(object) != simdjson::SUCCESS)
        return {false, {}, detail::dom_to_json(root, 0, limits.max_depth)};
    // The fields Json::parse would keep: for a repeated key, the last value (as a Python dict).
    std::optional<simdjson::dom::element> ciphertext;
    std::optional<simdjson::dom::element> nonce;
    std::optional<simdjson::dom::element> tag;
    bool has_msg_type = false;
    for (auto field : object) {
        if (field.key == "ciphertext")
            ciphertext = field.value;
        else if (field.key == "nonce")
            nonce = field.value;
        else if (field.key == "tag")
            tag = field.value;
        else if (field.key == "msg_type")
            has_msg_type = true;
    }
    if (!ciphertext || has_msg_type)
        return {false, {}, detail::dom_to_json(root, 0, limits.max_depth)};
    // Not converted, but refused for depth exactly as Json::parse would have refused it.
    detail::check_dom_depth(root, 0, limits.max_depth);
    if (aead == nullptr)
        return {true, {}, {}};
    const auto string_of = [](std::string_view key,
                              const simdjson::dom::element& value) -> std::string_view {
        std::string_view out;
        if (value.get_string().get(out) != simdjson::SUCCESS)
            not_a_string(key, detail::dom_kind(value));
        return out;
    };
    const std::string_view ciphertext_text = string_of("ciphertext", *ciphertext);
    if (!nonce)
        throw ProtocolError(ErrorCode::invalid_field, "encrypted envelope has no \"nonce\"");
    const std::string_view nonce_text = string_of("nonce", *nonce);
    std::string plaintext =
        open_fields(*aead, encoding, ciphertext_text, nonce_text, tag.has_value(),
                    [&]() -> std::string_view { return string_of("tag", *tag); });
    return {true, std::move(plaintext), {}};
}

std::string decrypt_from_json(Aead& aead, Encoding encoding, std::string_view envelope_text) {
    // The plain shape parses to exactly these fields, so decrypt_envelope would see the same.
    if (envelope_text.size() <= JsonParseLimits{}.max_bytes) {
        if (encoding == Encoding::json_hex)
            if (auto plaintext = open_exact_hex(aead, envelope_text))
                return std::move(*plaintext);
        if (const auto plain = scan_plain_envelope(envelope_text))
            return open_fields(aead, encoding, plain->ciphertext, plain->nonce,
                               plain->tag.has_value(), [&] { return *plain->tag; });
    }
    return decrypt_envelope(aead, encoding, Json::parse(envelope_text));
}

std::string encrypt_as_json(Cipher cipher, Encoding encoding, ByteView key,
                            std::string_view plaintext, RandomSource& random) {
    Aead aead(cipher, key);
    return encrypt_as_json(aead, encoding, plaintext, random);
}

std::string encrypt_as_json_with_nonce(Cipher cipher, Encoding encoding, ByteView key,
                                       std::string_view plaintext, ByteView nonce) {
    Aead aead(cipher, key);
    return encrypt_as_json_with_nonce(aead, encoding, plaintext, nonce);
}

std::string decrypt_from_json(Cipher cipher, Encoding encoding, ByteView key,
                              std::string_view envelope_text) {
    Aead aead(cipher, key);
    return decrypt_from_json(aead, encoding, envelope_text);
}

bool is_encrypted_envelope(const Json& frame) noexcept {
    return frame.is_object() && frame.find("ciphertext") != nullptr &&
           frame.find("msg_type") == nullptr;
}

} // namespace hivescope::protocol
