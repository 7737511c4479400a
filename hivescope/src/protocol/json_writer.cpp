#include "protocol/detail/json_writer.hpp"

#include "hivescope/protocol/error.hpp"
#include "protocol/detail/verbatim_run.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace hivescope::protocol {

// ---------------------------------------------------------------------------------------------
// Serialisation

std::string python_float_repr(double value) {
    if (!std::isfinite(value))
        throw ProtocolError(ErrorCode::not_serializable,
                            "NaN and infinity have no place in HiveMind JSON");
    if (value == 0.0)
        return std::signbit(value) ? "-0.0" : "0.0";

    // Shortest round-trip digits from to_chars, then laid out the way CPython's 'r' format
    // does: exponent notation when the decimal point falls before -4 or after 16 digits.
    std::array<char, 64> buf{};
    auto [end, ec] =
        std::to_chars(buf.data(), buf.data() + buf.size(), value, std::chars_format::scientific);
    (void)ec;
    std::string_view sci(buf.data(), static_cast<std::size_t>(end - buf.data()));
    std::string out;
    std::size_t pos = 0;
    if (sci[0] == '-') {
        out.push_back('-');
        pos = 1;
    }
    const std::size_t e_pos = sci.find('e');
    std::string digits;
    for (std::size_t i = pos; i < e_pos; ++i)
        if (sci[i] != '.')
            digits.push_back(sci[i]);
    int exponent = 0;
    std::from_chars(sci.data() + e_pos + 1 + (sci[e_pos + 1] == '+' ? 1 : 0),
                    sci.data() + sci.size(), exponent);
    const int decpt = exponent + 1; // position of the decimal point relative to digits
    const int ndigits = static_cast<int>(digits.size());

    if (decpt > -4 && decpt <= 16) {
        if (decpt <= 0) {
            out += "0.";
            out.append(static_cast<std::size_t>(-decpt), '0');
            out += digits;
        } else if (decpt >= ndigits) {
            out += digits;
            out.append(static_cast<std::size_t>(decpt - ndigits), '0');
            out += ".0";
        } else {
            out.append(digits, 0, static_cast<std::size_t>(decpt));
            out.push_back('.');
            out.append(digits, static_cast<std::size_t>(decpt));
        }
        return out;
    }
    out.push_back(digits[0]);
    if (ndigits > 1) {
        out.push_back('.');
        out.append(digits, 1);
    }
    out.push_back('e');
    const int exp10 = decpt - 1;
    out.push_back(exp10 < 0 ? '-' : '+');
    const int magnitude = exp10 < 0 ? -exp10 : exp10;
    if (magnitude < 10)
        out.push_back('0');
    out += std::to_string(magnitude);
    return out;
}

namespace {

// `\uXXXX` into the six bytes at `at`.
void put_u_escape(char* at, unsigned code_unit) noexcept {
    static constexpr char hex[] = "0123456789abcdef";
    at[0] = '\\';
    at[1] = 'u';
    at[2] = hex[(code_unit >> 12) & 0xf];
    at[3] = hex[(code_unit >> 8) & 0xf];
    at[4] = hex[(code_unit >> 4) & 0xf];
    at[5] = hex[code_unit & 0xf];
}

// Decodes one UTF-8 sequence starting at text[i]; returns the code point and advances i. Text
// reaching here came from our parser (validated) or from the caller; a bad sequence is escaped
// byte-wise as U+FFFD would hide the damage, so we refuse it instead.
unsigned next_code_point(std::string_view text, std::size_t& i) {
    const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
    const unsigned lead = byte(i);
    std::size_t length = lead < 0x80           ? 1
                         : (lead >> 5) == 0x6  ? 2
                         : (lead >> 4) == 0xe  ? 3
                         : (lead >> 3) == 0x1e ? 4
                                               : 0;
    if (length == 0 || i + length > text.size())
        throw ProtocolError(ErrorCode::invalid_utf8,
                            "string is not valid UTF-8 at byte " + std::to_string(i));
    unsigned cp = length == 1 ? lead : lead & (0x7f >> length);
    for (std::size_t k = 1; k < length; ++k) {
        const unsigned cont = byte(i + k);
        if ((cont & 0xc0) != 0x80)
            throw ProtocolError(ErrorCode::invalid_utf8,
                                "string is not valid UTF-8 at byte " + std::to_string(i + k));
        cp = (cp << 6) | (cont & 0x3f);
    }
    i += length;
    return cp;
}

} // namespace

namespace {

// The bytes that end a run of verbatim characters: controls, '"', '\\', and for ensure_ascii
// also DEL and every non-ASCII byte. One table load per character instead of four tests.
constexpr std::array<bool, 256> stop_table(bool ascii_only) {
    std::array<bool, 256> stop{};
    for (std::size_t c = 0; c < stop.size(); ++c)
        stop[c] = c < 0x20 || c == '"' || c == '\\' || (ascii_only && c >= 0x7f);
    return stop;
}
constexpr std::array<bool, 256> stop_raw = stop_table(false);
constexpr std::array<bool, 256> stop_ascii = stop_table(true);

} // namespace

namespace detail {

#if defined(__SSE2__)
namespace {
// A bit per byte of the 16 at `at` that a JSON string cannot carry verbatim. Unsigned compares
// through max: c <= 0x1f is max(c, 0x1f) == 0x1f, and c >= 0x7f is max(c, 0x7f) == c.
unsigned special_bytes(__m128i c, bool ascii_only) noexcept {
    const __m128i control_max = _mm_set1_epi8(0x1f);
    __m128i special = _mm_or_si128(_mm_cmpeq_epi8(_mm_max_epu8(c, control_max), control_max),
                                   _mm_or_si128(_mm_cmpeq_epi8(c, _mm_set1_epi8('"')),
                                                _mm_cmpeq_epi8(c, _mm_set1_epi8('\\'))));
    if (ascii_only) {
        const __m128i del = _mm_set1_epi8(0x7f);
        special = _mm_or_si128(special, _mm_cmpeq_epi8(_mm_max_epu8(c, del), c));
    }
    return static_cast<unsigned>(_mm_movemask_epi8(special));
}

// Whether the 16 bytes at `at` lie within `at`'s 4 KiB page, so load_within_page may read them.
bool within_page(const char* at) noexcept {
    constexpr std::uintptr_t page = 4096;
    return (reinterpret_cast<std::uintptr_t>(at) & (page - 1)) <= page - 16;
}

// The 16 bytes at `at`, of which only the first few are the caller's; only when within_page(at),
// so the load cannot fault, and the bytes past the end are masked off by the caller. ASan would
// call the read past the object an overflow, and TSan a race with whoever owns the neighbouring
// bytes, so neither instruments this load.
__attribute__((no_sanitize("address", "thread"))) __m128i
load_within_page(const char* at) noexcept {
    return _mm_loadu_si128(reinterpret_cast<const __m128i*>(at));
}
#if defined(__x86_64__)
// The scan 32 bytes at a time, on CPUs with AVX2 (checked at run time; an encrypted envelope's
// fields are hundreds of characters long). Advances `i` over whole blocks; true when it stopped
// at a special byte.
__attribute__((target("avx2"))) bool verbatim_run_avx2(std::string_view text, std::size_t& i,
                                                       bool ascii_only) noexcept {
    const __m256i control_max = _mm256_set1_epi8(0x1f);
    const __m256i del = _mm256_set1_epi8(0x7f);
    for (; i + 32 <= text.size(); i += 32) {
        const __m256i c = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(text.data() + i));
        __m256i special =
            _mm256_or_si256(_mm256_cmpeq_epi8(_mm256_max_epu8(c, control_max), control_max),
                            _mm256_or_si256(_mm256_cmpeq_epi8(c, _mm256_set1_epi8('"')),
                                            _mm256_cmpeq_epi8(c, _mm256_set1_epi8('\\'))));
        if (ascii_only)
            special = _mm256_or_si256(special, _mm256_cmpeq_epi8(_mm256_max_epu8(c, del), c));
        if (const auto mask = static_cast<unsigned>(_mm256_movemask_epi8(special)); mask != 0) {
            i += static_cast<std::size_t>(__builtin_ctz(mask));
            return true;
        }
    }
    return false;
}
#endif
} // namespace
#endif

std::size_t verbatim_run(std::string_view text, std::size_t from, bool ascii_only) noexcept {
    // Strings on the wire are mostly plain (types, ids, utterances, envelope fields hundreds of
    // bytes long), so runs are scanned 32 or 16 bytes at a time.
    std::size_t i = from;
#if defined(__SSE2__)
#if defined(__x86_64__)
    if (text.size() - i >= 64 && __builtin_cpu_supports("avx2") &&
        verbatim_run_avx2(text, i, ascii_only))
        return i;
#endif
    for (; i + 16 <= text.size(); i += 16) {
        const __m128i c = _mm_loadu_si128(reinterpret_cast<const __m128i*>(text.data() + i));
        if (const unsigned mask = special_bytes(c, ascii_only); mask != 0)
            return i + static_cast<std::size_t>(__builtin_ctz(mask));
    }
    // Most keys and values are shorter than 16 bytes: their tail takes one masked step rather
    // than a byte at a time, unless the 16 bytes would cross into the next page.
    const std::size_t left = text.size() - i;
    if (left != 0 && within_page(text.data() + i)) {
        const unsigned mask =
            special_bytes(load_within_page(text.data() + i), ascii_only) & ((1u << left) - 1u);
        return mask != 0 ? i + static_cast<std::size_t>(__builtin_ctz(mask)) : text.size();
    }
#endif
    const std::array<bool, 256>& stop = ascii_only ? stop_ascii : stop_raw;
    while (i < text.size() && !stop[static_cast<unsigned char>(text[i])])
        ++i;
    return i;
}

JsonWriter::JsonWriter(std::string& out, JsonStyle style, std::size_t expected)
    : out_(out), ascii_only_(style == JsonStyle::python_ascii),
      compact_(style == JsonStyle::compact) {
    const std::size_t used = out.size();
    // Only the hint is zero-filled, not the whole capacity: a long string appended to in small
    // pieces must not pay for its spare room each time.
    out.resize(used + std::max<std::size_t>(expected, 64));
    cursor_ = out.data() + used;
    end_ = out.data() + out.size();
}

void JsonWriter::grow(std::size_t n) {
    const auto used = static_cast<std::size_t>(cursor_ - out_.data());
    out_.resize(std::max(out_.size() * 2, used + n + 64));
    cursor_ = out_.data() + used;
    end_ = out_.data() + out_.size();
}

void JsonWriter::finish() noexcept {
    out_.resize(static_cast<std::size_t>(cursor_ - out_.data()));
    end_ = cursor_;
}

void JsonWriter::string(std::string_view text) {
    const std::size_t n = text.size();
#if defined(__SSE2__)
    // Most keys and values are shorter than 16 bytes: one load checks them and one store copies
    // them, unless the load would cross into the next page.
    if (n != 0 && n < 16 && within_page(text.data())) {
        const __m128i bytes = load_within_page(text.data());
        if ((special_bytes(bytes, ascii_only_) & ((1u << n) - 1u)) == 0) {
            reserve(18);
            cursor_[0] = '"';
            _mm_storeu_si128(reinterpret_cast<__m128i*>(cursor_ + 1), bytes);
            cursor_[n + 1] = '"';
            cursor_ += n + 2;
            return;
        }
    }
#endif
    escaped_string(text);
}

void JsonWriter::escaped_string(std::string_view text) {
    reserve(text.size() + 2);
    *cursor_++ = '"';
    std::size_t i = 0;
    while (i < text.size()) {
        // Copy the longest run that needs no escaping in one go.
        const std::size_t run = verbatim_run(text, i, ascii_only_);
        raw(text.substr(i, run - i));
        i = run;
        if (i >= text.size())
            break;
        // The longest escape is a surrogate pair, two \uXXXX; the closing quote follows.
        reserve(13);
        const auto c = static_cast<unsigned char>(text[i]);
        const char* simple = nullptr;
        switch (c) {
        case '"':
            simple = "\\\"";
            break;
        case '\\':
            simple = "\\\\";
            break;
        case '\n':
            simple = "\\n";
            break;
        case '\r':
            simple = "\\r";
            break;
        case '\t':
            simple = "\\t";
            break;
        case '\b':
            simple = "\\b";
            break;
        case '\f':
            simple = "\\f";
            break;
        default:
            break;
        }
        if (simple != nullptr) {
            cursor_[0] = simple[0];
            cursor_[1] = simple[1];
            cursor_ += 2;
            ++i;
            continue;
        }
        if (c < 0x20 || c == 0x7f) {
            put_u_escape(cursor_, c);
            cursor_ += 6;
            ++i;
            continue;
        }
        // ensure_ascii: non-ASCII as \uXXXX, astral planes as a surrogate pair.
        const unsigned cp = next_code_point(text, i);
        if (cp >= 0x10000) {
            const unsigned v = cp - 0x10000;
            put_u_escape(cursor_, 0xd800 | (v >> 10));
            put_u_escape(cursor_ + 6, 0xdc00 | (v & 0x3ff));
            cursor_ += 12;
        } else {
            put_u_escape(cursor_, cp);
            cursor_ += 6;
        }
    }
    raw('"');
}

void JsonWriter::value(const Json& value) {
    switch (value.kind()) {
    case Json::Kind::null:
        raw("null");
        return;
    case Json::Kind::boolean:
        raw(value.as_bool() ? std::string_view("true") : std::string_view("false"));
        return;
    case Json::Kind::integer:
    case Json::Kind::unsigned_integer: {
        constexpr std::size_t longest = 20; // -9223372036854775808, 18446744073709551615
        reserve(longest);
        const auto res = value.kind() == Json::Kind::integer
                             ? std::to_chars(cursor_, cursor_ + longest, value.as_int())
                             : std::to_chars(cursor_, cursor_ + longest, value.as_uint());
        cursor_ = res.ptr;
        return;
    }
    case Json::Kind::floating:
        raw(python_float_repr(value.as_double()));
        return;
    case Json::Kind::string:
        string(value.as_string());
        return;
    case Json::Kind::array: {
        raw('[');
        bool first = true;
        for (const auto& item : value.as_array()) {
            if (!first)
                item_separator();
            first = false;
            this->value(item);
        }
        raw(']');
        return;
    }
    case Json::Kind::object: {
        raw('{');
        bool first = true;
        for (const auto& [key, item] : value.as_object()) {
            if (!first)
                item_separator();
            first = false;
            string(key);
            key_separator();
            this->value(item);
        }
        raw('}');
        return;
    }
    }
}

} // namespace detail

void append_json_string(std::string& out, std::string_view text, JsonStyle style) {
    detail::JsonWriter writer(out, style, text.size() + 2);
    writer.string(text);
}

void Json::dump_to(std::string& out, JsonStyle style) const {
    detail::JsonWriter writer(out, style);
    writer.value(*this);
}

std::string Json::dump(JsonStyle style) const {
    std::string out;
    dump_to(out, style);
    return out;
}

} // namespace hivescope::protocol
