#include "protocol/detail/hex.hpp"

#include "protocol/detail/codec_errors.hpp"

#include <array>
#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define HIVESCOPE_HEX_AVX2 1
#endif

namespace hivescope::protocol::detail {

namespace {

constexpr std::array<std::int8_t, 256> digit_table = [] {
    std::array<std::int8_t, 256> table{};
    table.fill(-1);
    for (int i = 0; i < 10; ++i)
        table[static_cast<std::size_t>('0' + i)] = static_cast<std::int8_t>(i);
    for (int i = 0; i < 6; ++i) {
        table[static_cast<std::size_t>('a' + i)] = static_cast<std::int8_t>(10 + i);
        table[static_cast<std::size_t>('A' + i)] = static_cast<std::int8_t>(10 + i);
    }
    return table;
}();

// Both digits of every byte, so encoding is one table load and one 2-byte store per byte.
constexpr std::array<char, 512> pair_table = [] {
    constexpr char digits[] = "0123456789abcdef";
    std::array<char, 512> table{};
    for (std::size_t i = 0; i < 256; ++i) {
        table[2 * i] = digits[i >> 4];
        table[2 * i + 1] = digits[i & 0x0f];
    }
    return table;
}();

#if defined(HIVESCOPE_HEX_AVX2)
// The SSE2 loops below, 32 bytes at a time, for CPUs that have AVX2 (checked at run time: the
// library is built for baseline x86-64). A frame's ciphertext is hundreds of bytes long.
#define HIVESCOPE_AVX2 __attribute__((target("avx2")))

HIVESCOPE_AVX2 inline __attribute__((always_inline)) __m256i digits_of(__m256i nibbles) noexcept {
    const __m256i letters = _mm256_cmpgt_epi8(nibbles, _mm256_set1_epi8(9));
    return _mm256_add_epi8(_mm256_add_epi8(nibbles, _mm256_set1_epi8('0')),
                           _mm256_and_si256(letters, _mm256_set1_epi8('a' - '0' - 10)));
}

HIVESCOPE_AVX2 std::size_t encode_avx2(char* out, ByteView bytes) noexcept {
    const __m256i low_mask = _mm256_set1_epi8(0x0f);
    std::size_t i = 0;
    for (; i + 32 <= bytes.size(); i += 32) {
        const __m256i in = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bytes.data() + i));
        const __m256i high = digits_of(_mm256_and_si256(_mm256_srli_epi16(in, 4), low_mask));
        const __m256i low = digits_of(_mm256_and_si256(in, low_mask));
        // Interleaving works within each 128-bit lane; the lane halves are put in order after.
        const __m256i first = _mm256_unpacklo_epi8(high, low);
        const __m256i second = _mm256_unpackhi_epi8(high, low);
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + 2 * i),
                            _mm256_permute2x128_si256(first, second, 0x20));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + 2 * i + 32),
                            _mm256_permute2x128_si256(first, second, 0x31));
    }
    return i;
}

// 32 digits as 16 values, one per 16-bit lane; `valid` gets 0xff for each byte that is a digit.
HIVESCOPE_AVX2 inline __attribute__((always_inline)) __m256i values_of(const unsigned char* at,
                                                                       __m256i& valid) noexcept {
    const __m256i c = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(at));
    const __m256i folded = _mm256_or_si256(c, _mm256_set1_epi8(0x20));
    const __m256i digit = _mm256_and_si256(_mm256_cmpgt_epi8(c, _mm256_set1_epi8('0' - 1)),
                                           _mm256_cmpgt_epi8(_mm256_set1_epi8('9' + 1), c));
    const __m256i letter = _mm256_and_si256(_mm256_cmpgt_epi8(folded, _mm256_set1_epi8('a' - 1)),
                                            _mm256_cmpgt_epi8(_mm256_set1_epi8('f' + 1), folded));
    valid = _mm256_or_si256(digit, letter);
    const __m256i v = _mm256_or_si256(
        _mm256_and_si256(digit, _mm256_sub_epi8(c, _mm256_set1_epi8('0'))),
        _mm256_and_si256(letter, _mm256_sub_epi8(folded, _mm256_set1_epi8('a' - 10))));
    return _mm256_or_si256(_mm256_and_si256(_mm256_slli_epi16(v, 4), _mm256_set1_epi16(0x00ff)),
                           _mm256_srli_epi16(v, 8));
}

// Decodes whole 64-digit blocks; returns how many bytes it wrote, or `absent` at a bad digit.
constexpr std::size_t absent = static_cast<std::size_t>(-1);
HIVESCOPE_AVX2 std::size_t decode_avx2(std::uint8_t* out, const unsigned char* in,
                                       std::size_t n) noexcept {
    std::size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m256i valid_a;
        __m256i valid_b;
        const __m256i a = values_of(in + 2 * i, valid_a);
        const __m256i b = values_of(in + 2 * i + 32, valid_b);
        if (_mm256_movemask_epi8(_mm256_and_si256(valid_a, valid_b)) != -1)
            return absent;
        // Packing works within each 128-bit lane: put the four quarters back in order.
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + i),
                            _mm256_permute4x64_epi64(_mm256_packus_epi16(a, b), 0xd8));
    }
    return i;
}
#undef HIVESCOPE_AVX2

bool has_avx2() noexcept {
    return __builtin_cpu_supports("avx2") != 0;
}
#endif

void encode_into(char* out, ByteView bytes) noexcept {
    std::size_t i = 0;
#if defined(HIVESCOPE_HEX_AVX2)
    if (bytes.size() >= 32 && has_avx2())
        i = encode_avx2(out, bytes);
#endif
#if defined(__SSE2__)
    // 16 bytes → 32 digits: split the nibbles, map 0-9 / 10-15 to '0'-'9' / 'a'-'f' by a
    // compare, and interleave high and low digits.
    const __m128i low_mask = _mm_set1_epi8(0x0f);
    const __m128i nine = _mm_set1_epi8(9);
    const __m128i zero_char = _mm_set1_epi8('0');
    const __m128i letter_gap = _mm_set1_epi8('a' - '0' - 10);
    const auto digits = [&](__m128i nibbles) {
        const __m128i letters = _mm_cmpgt_epi8(nibbles, nine);
        return _mm_add_epi8(_mm_add_epi8(nibbles, zero_char), _mm_and_si128(letters, letter_gap));
    };
    for (; i + 16 <= bytes.size(); i += 16) {
        const __m128i in = _mm_loadu_si128(reinterpret_cast<const __m128i*>(bytes.data() + i));
        const __m128i high = digits(_mm_and_si128(_mm_srli_epi16(in, 4), low_mask));
        const __m128i low = digits(_mm_and_si128(in, low_mask));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 2 * i), _mm_unpacklo_epi8(high, low));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 2 * i + 16),
                         _mm_unpackhi_epi8(high, low));
    }
#endif
    for (; i < bytes.size(); ++i)
        std::memcpy(out + 2 * i, &pair_table[2 * std::size_t{bytes[i]}], 2);
}

// Decodes into `out` (text.size() / 2 bytes); returns false at the first bad digit, whose
// offset the caller finds again (errors are rare, so the loop carries no position).
bool decode_into(std::uint8_t* out, std::string_view text) noexcept {
    const auto* in = reinterpret_cast<const unsigned char*>(text.data());
    const std::size_t n = text.size() / 2;
    std::size_t i = 0;
#if defined(HIVESCOPE_HEX_AVX2)
    if (n >= 32 && has_avx2()) {
        i = decode_avx2(out, in, n);
        if (i == absent)
            return false;
    }
#endif
#if defined(__SSE2__)
    // 32 digits → 16 bytes at a time. Signed compares: bytes ≥ 0x80 are negative, so they fall
    // outside both ranges; OR-ing 0x20 folds 'A'-'F' onto 'a'-'f' and nothing else onto them.
    const __m128i below_zero = _mm_set1_epi8('0' - 1);
    const __m128i above_nine = _mm_set1_epi8('9' + 1);
    const __m128i below_a = _mm_set1_epi8('a' - 1);
    const __m128i above_f = _mm_set1_epi8('f' + 1);
    const __m128i case_bit = _mm_set1_epi8(0x20);
    const __m128i zero_char = _mm_set1_epi8('0');
    const __m128i letter_base = _mm_set1_epi8('a' - 10);
    const __m128i low_byte = _mm_set1_epi16(0x00ff);
    const auto values = [&](const unsigned char* at, bool& ok) {
        const __m128i c = _mm_loadu_si128(reinterpret_cast<const __m128i*>(at));
        const __m128i folded = _mm_or_si128(c, case_bit);
        const __m128i digit =
            _mm_and_si128(_mm_cmpgt_epi8(c, below_zero), _mm_cmplt_epi8(c, above_nine));
        const __m128i letter =
            _mm_and_si128(_mm_cmpgt_epi8(folded, below_a), _mm_cmplt_epi8(folded, above_f));
        ok = _mm_movemask_epi8(_mm_or_si128(digit, letter)) == 0xffff;
        const __m128i v = _mm_or_si128(_mm_and_si128(digit, _mm_sub_epi8(c, zero_char)),
                                       _mm_and_si128(letter, _mm_sub_epi8(folded, letter_base)));
        // Each 16-bit lane holds (high digit, low digit): make it one byte.
        return _mm_or_si128(_mm_and_si128(_mm_slli_epi16(v, 4), low_byte), _mm_srli_epi16(v, 8));
    };
    for (; i + 16 <= n; i += 16) {
        bool ok_a = false;
        bool ok_b = false;
        const __m128i a = values(in + 2 * i, ok_a);
        const __m128i b = values(in + 2 * i + 16, ok_b);
        if (!(ok_a && ok_b))
            return false;
        _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), _mm_packus_epi16(a, b));
    }
#endif
    int bad = 0;
    for (; i < n; ++i) {
        const int high = digit_table[in[2 * i]];
        const int low = digit_table[in[2 * i + 1]];
        bad |= high | low;
        out[i] = static_cast<std::uint8_t>(high << 4 | (low & 0x0f));
    }
    return bad >= 0;
}

[[noreturn]] void throw_decode_error(std::string_view text) {
    // Our own message rather than hex_decode's so it names the character, as every other
    // codec's does; the accepted language (binascii.unhexlify) is the same.
    if (text.size() % 2 != 0)
        throw_bad_encoding("JSON-HEX", "odd length " + std::to_string(text.size()));
    for (std::size_t i = 0; i < text.size(); ++i)
        if (digit_table[static_cast<unsigned char>(text[i])] < 0)
            throw_bad_character("JSON-HEX", text, i);
    throw_bad_encoding("JSON-HEX", "undecodable text");
}

} // namespace

int hex_digit_value(char c) noexcept {
    return digit_table[static_cast<unsigned char>(c)];
}

std::string hex_text_encode(ByteView bytes) {
    std::string out(bytes.size() * 2, '\0');
    encode_into(out.data(), bytes);
    return out;
}

void hex_text_write(char* out, ByteView bytes) noexcept {
    encode_into(out, bytes);
}

Bytes hex_text_decode(std::string_view text) {
    Bytes out(text.size() / 2);
    hex_text_decode_into(out.data(), text);
    return out;
}

bool hex_text_try_decode_into(std::uint8_t* out, std::string_view text) noexcept {
    return text.size() % 2 == 0 && decode_into(out, text);
}

void hex_text_decode_into(std::uint8_t* out, std::string_view text) {
    if (text.size() % 2 != 0 || !decode_into(out, text))
        throw_decode_error(text);
}

} // namespace hivescope::protocol::detail
