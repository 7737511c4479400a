// The bitstring codec (protocol.md A.7): the worked examples of A.7.4 (read from the spec at run
// time), seeded round trips of every type under every Compression x versioned combination, and
// typed rejection of every kind of bad frame.

#include "catch.hpp"
#include "message_generator.hpp"
#include "vectors.hpp"

#include "hivescope/protocol/binary_codec.hpp"
#include "hivescope/protocol/bus_message.hpp"
#include "hivescope/protocol/bytes.hpp"
#include "hivescope/protocol/error.hpp"
#include "hivescope/protocol/json_codec.hpp"

#include <zlib.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

using namespace hivescope::protocol;
using hivescope::test::MessageGenerator;

namespace {

// What decode_binary threw, or nullopt when it accepted the frame.
std::optional<ErrorCode> decode_error(ByteView frame, const BinaryDecodeOptions& options = {}) {
    try {
        (void)decode_binary(frame, options);
    } catch (const ProtocolError& error) {
        return error.code();
    }
    return std::nullopt;
}

ErrorCode expect_error(ByteView frame, const BinaryDecodeOptions& options = {}) {
    const auto code = decode_error(frame, options);
    if (!code)
        FAIL("decode_binary accepted "
             << hex_encode(frame.first(std::min<std::size_t>(frame.size(), 64))));
    return *code;
}

// A byte-aligned, non-BINARY frame built by hand, for contents our encoder refuses to write.
Bytes raw_frame(std::uint8_t code, bool compressed, ByteView metadata, ByteView payload) {
    REQUIRE(metadata.size() <= 255);
    Bytes frame{static_cast<std::uint8_t>(0x80 | (code << 1) | (compressed ? 1 : 0)),
                static_cast<std::uint8_t>(metadata.size())};
    frame.insert(frame.end(), metadata.begin(), metadata.end());
    frame.insert(frame.end(), payload.begin(), payload.end());
    return frame;
}

Bytes raw_frame(std::uint8_t code, std::string_view metadata, std::string_view payload) {
    return raw_frame(code, false, as_bytes(metadata), as_bytes(payload));
}

// zlib straight from the library, to build compressed contents the encoder would never write.
Bytes zlib_compress(ByteView input) {
    uLongf size = compressBound(static_cast<uLong>(input.size()));
    Bytes out(size);
    REQUIRE(compress2(out.data(), &size, input.data(), static_cast<uLong>(input.size()),
                      Z_DEFAULT_COMPRESSION) == Z_OK);
    out.resize(size);
    return out;
}

// The frame shifted right by `bits` (< 8) more leading zero bits, one byte longer.
Bytes add_leading_zero_bits(ByteView frame, unsigned bits) {
    Bytes out(frame.size() + 1, 0);
    for (std::size_t i = 0; i < frame.size(); ++i) {
        out[i] = static_cast<std::uint8_t>(out[i] | (frame[i] >> bits));
        out[i + 1] = static_cast<std::uint8_t>(frame[i] << (8 - bits));
    }
    return out;
}

// What survives binary framing (A.7.3): type (INTERCOM reads back as 3rdparty), payload,
// metadata and bin_type; the outer envelope fields are lost, a nested envelope keeps all.
HiveMessage expected_after_framing(const HiveMessage& sent) {
    HiveMessage out = [&] {
        switch (sent.payload_kind()) {
        case HiveMessage::PayloadKind::bytes:
            return HiveMessage::binary_with_code(sent.bin_type_code(), sent.bytes());
        case HiveMessage::PayloadKind::nested:
            return HiveMessage::wrap(sent.type(), sent.inner());
        case HiveMessage::PayloadKind::object:
            break;
        }
        const MessageType type =
            sent.type() == MessageType::intercom ? MessageType::third_party : sent.type();
        return HiveMessage(type, sent.payload());
    }();
    out.set_metadata(sent.metadata());
    return out;
}

// Metadata that fits the 255-byte limit in both forms (deflate adds at most 11 bytes here).
Json small_metadata(MessageGenerator& gen) {
    for (;;) {
        Json metadata = gen.below(4) == 0 ? Json::object() : gen.object(1, 3);
        if (metadata.dump(JsonStyle::python_ascii).size() <= 200)
            return metadata;
    }
}

HiveMessage random_message(MessageGenerator& gen, std::size_t index) {
    const MessageType type = all_message_types[index % std::size(all_message_types)];
    if (type == MessageType::binary) {
        Bytes data(gen.below(2001));
        // Some payloads compressible, some not: BINARY must stay raw either way.
        const bool runs = gen.coin();
        for (auto& b : data)
            b = static_cast<std::uint8_t>(runs ? gen.below(3) : gen.next());
        return HiveMessage::binary_with_code(static_cast<std::uint8_t>(gen.below(16)),
                                             std::move(data), small_metadata(gen));
    }
    HiveMessage message = gen.message(type, static_cast<int>(gen.below(4)));
    message.set_metadata(small_metadata(gen));
    return message;
}

struct Example {
    std::string id;
    Bytes frame;
};

// The rows of the A.7.4 table in protocol.md: `| id | message | `hex` |`.
std::vector<Example> worked_examples() {
    const auto path = hivescope::test::vectors_dir() / ".." / "docs" / "protocol.md";
    std::istringstream doc(hivescope::test::read_file(path));
    std::vector<Example> examples;
    bool in_section = false;
    for (std::string line; std::getline(doc, line);) {
        if (line.rfind("### ", 0) == 0) {
            in_section = line.rfind("### A.7.4", 0) == 0;
            continue;
        }
        if (!in_section || line.rfind("| ", 0) != 0)
            continue;
        const auto close = line.rfind('`');
        const auto open = close == std::string::npos ? close : line.rfind('`', close - 1);
        if (open == std::string::npos)
            continue;
        std::string hex = line.substr(open + 1, close - open - 1);
        std::erase(hex, ' ');
        std::string id = line.substr(2, line.find('|', 2) - 2);
        std::erase(id, ' ');
        examples.push_back({id, hex_decode(hex)});
    }
    return examples;
}

const Example& example(const std::vector<Example>& examples, std::string_view id) {
    for (const auto& e : examples)
        if (e.id == id)
            return e;
    FAIL("protocol.md A.7.4 has no example " << id);
    return examples.front();
}

BinaryEncodeOptions with(Compression compression, bool versioned = false) {
    BinaryEncodeOptions options;
    options.compression = compression;
    options.versioned = versioned;
    return options;
}

Bytes empty_object_zlib_from_vectors() {
    // The reference's zlib stream for `{}`, as recorded by the vectors (every compressed case
    // with empty metadata carries it).
    const Json file = hivescope::test::load_vectors("binary_serialization.json");
    for (const Json& c : hivescope::test::vector_cases(file)) {
        const Json* fields = c.find("fields");
        const Json* input = c.find("input");
        if (fields == nullptr || input == nullptr)
            continue;
        if (fields->find("compressed")->as_int() == 1 &&
            (*input->find("metadata")).as_object().empty())
            return hex_decode(fields->find("meta_hex")->as_string());
    }
    FAIL("no compressed vector with empty metadata");
    return {};
}

} // namespace

// ---------------------------------------------------------------------------------------------
// A.7.4 worked examples

TEST_CASE("A.7.4 worked examples, computed through the codec", "[binary][examples]") {
    const auto examples = worked_examples();
    REQUIRE(examples.size() == 6);

    const HiveMessage bus(MessageType::bus, JsonObject{{"type", "test"}});
    const HiveMessage raw_audio = HiveMessage::binary(
        BinaryPayloadType::raw_audio, Bytes{1, 2, 3, 4}, JsonObject{{"sample_rate", 16000}});
    const HiveMessage tts = HiveMessage::binary(BinaryPayloadType::tts_audio, Bytes{0xff});

    SECTION("A: BUS, C=0") {
        CHECK(encode_binary(bus, with(Compression::never)) == example(examples, "A").frame);
    }
    SECTION("B: BUS, C=1") {
        CHECK(encode_binary(bus, with(Compression::always)) == example(examples, "B").frame);
    }
    SECTION("C: BUS, V=1 version 1") {
        CHECK(encode_binary(bus, with(Compression::never, true)) == example(examples, "C").frame);
        const auto info = inspect_binary(example(examples, "C").frame);
        CHECK(info.versioned);
        CHECK(info.version == 1);
    }
    SECTION("D: BINARY RAW_AUDIO, metadata on nibble boundaries") {
        const Bytes& frame = example(examples, "D").frame;
        CHECK(encode_binary(raw_audio, with(Compression::never)) == frame);
        const auto info = inspect_binary(frame);
        CHECK(info.pad_bits == 4);
        CHECK(info.meta_len == 22);
        CHECK(to_string(info.meta_raw) == R"({"sample_rate": 16000})");
        CHECK(info.bin_type == std::optional<std::uint8_t>{1});
        CHECK(info.payload_raw == std::optional<Bytes>{Bytes{1, 2, 3, 4}});
    }
    SECTION("E: BINARY TTS_AUDIO, C=0") {
        CHECK(encode_binary(tts, with(Compression::never)) == example(examples, "E").frame);
    }
    SECTION("F: BINARY TTS_AUDIO, C=1 is what our encoder sends by default") {
        const Bytes& frame = example(examples, "F").frame;
        CHECK(encode_binary(tts) == frame);
        CHECK(encode_binary(tts, with(Compression::always)) == frame);
        const auto info = inspect_binary(frame);
        CHECK(info.compressed);
        CHECK(info.meta_len == 10);
        // The same zlib({}) the reference wrote in the vectors.
        CHECK(info.meta_raw == empty_object_zlib_from_vectors());
        CHECK(info.payload_raw == std::optional<Bytes>{Bytes{0xff}}); // never compressed
    }
    SECTION("every example decodes back") {
        CHECK(decode_binary(example(examples, "A").frame) == bus);
        CHECK(decode_binary(example(examples, "B").frame) == bus);
        CHECK(decode_binary(example(examples, "C").frame) == bus);
        CHECK(decode_binary(example(examples, "D").frame) == raw_audio);
        CHECK(decode_binary(example(examples, "E").frame) == tts);
        CHECK(decode_binary(example(examples, "F").frame) == tts);
    }
}

// ---------------------------------------------------------------------------------------------
// Encoder rules

TEST_CASE("compression rules: always, never, shortest", "[binary]") {
    const HiveMessage tiny(MessageType::ping, JsonObject{{"a", 1}});
    const HiveMessage wordy(MessageType::hello,
                            JsonObject{{"text", std::string(400, 'x')}, {"more", "xxxxxxxx"}});
    // zlib adds ~8 bytes to tiny input, so `shortest` keeps a tiny message uncompressed ...
    CHECK_FALSE(inspect_binary(encode_binary(tiny, with(Compression::shortest))).compressed);
    CHECK(encode_binary(tiny, with(Compression::shortest)) ==
          encode_binary(tiny, with(Compression::never)));
    // ... and compresses a repetitive one.
    CHECK(encode_binary(wordy, with(Compression::shortest)) ==
          encode_binary(wordy, with(Compression::always)));
    CHECK(inspect_binary(encode_binary(tiny)).compressed); // default: always (A.7.5)
    CHECK_FALSE(inspect_binary(encode_binary(tiny, with(Compression::never))).compressed);

    SECTION("BINARY payloads are never compressed, only their metadata") {
        const Bytes zeros(1000, 0);
        const HiveMessage audio = HiveMessage::binary(BinaryPayloadType::raw_audio, zeros);
        const Bytes frame = encode_binary(audio, with(Compression::always));
        const auto info = inspect_binary(frame);
        CHECK(info.compressed);
        CHECK(info.payload_raw == std::optional<Bytes>{zeros});
        CHECK(frame.size() == 2 + 10 + 1 + 1000);
    }
}

TEST_CASE("metadata over 255 bytes is a typed encode error", "[binary][bad-input]") {
    auto encode_error = [](const HiveMessage& message, Compression compression) {
        try {
            (void)encode_binary(message, with(compression));
        } catch (const ProtocolError& error) {
            return std::optional<ErrorCode>(error.code());
        }
        return std::optional<ErrorCode>();
    };
    // `{"k": "..."}` is 9 bytes plus the string.
    HiveMessage at_limit(MessageType::ping);
    at_limit.set_metadata(JsonObject{{"k", std::string(246, 'a')}});
    REQUIRE(at_limit.metadata().dump(JsonStyle::python_ascii).size() == 255);
    CHECK_FALSE(encode_error(at_limit, Compression::never));
    CHECK(inspect_binary(encode_binary(at_limit, with(Compression::never))).meta_len == 255);

    HiveMessage over = at_limit;
    over.set_metadata(JsonObject{{"k", std::string(247, 'a')}});
    CHECK(encode_error(over, Compression::never) == ErrorCode::metadata_too_large);
    // Compressible: fits once compressed, so always and shortest succeed (the reference's
    // "auto" would fail here; see binary_codec.cpp).
    CHECK_FALSE(encode_error(over, Compression::always));
    CHECK(inspect_binary(encode_binary(over, with(Compression::shortest))).compressed);
    CHECK(decode_binary(encode_binary(over, with(Compression::shortest))).metadata() ==
          over.metadata());

    // Incompressible and long: no form fits. Escaped non-ASCII also counts after escaping.
    std::mt19937_64 rng(7);
    std::string noise;
    for (int i = 0; i < 300; ++i)
        noise.push_back(static_cast<char>('!' + rng() % 90));
    HiveMessage hopeless(MessageType::hello);
    hopeless.set_metadata(JsonObject{{"k", noise}});
    for (auto c : {Compression::always, Compression::never, Compression::shortest})
        CHECK(encode_error(hopeless, c) == ErrorCode::metadata_too_large);
    HiveMessage escaped = HiveMessage::binary(BinaryPayloadType::file, {});
    escaped.set_metadata(JsonObject{{"file_name", "\xe4\xb8\x96\xe7\x95\x8c\xf0\x9f\x90\x9d"
                                                  "\xe4\xb8\x96\xe7\x95\x8c\xf0\x9f\x90\x9d"}});
    CHECK(to_string(inspect_binary(encode_binary(escaped, with(Compression::never))).meta_raw) ==
          R"({"file_name": "\u4e16\u754c\ud83d\udc1d\u4e16\u754c\ud83d\udc1d"})");
}

TEST_CASE("INTERCOM is written as code 11 and reads back as 3rdparty", "[binary]") {
    HiveMessage intercom(MessageType::intercom, JsonObject{{"ciphertext", "Zm9v"}});
    for (auto c : {Compression::always, Compression::never}) {
        const Bytes frame = encode_binary(intercom, with(c));
        CHECK(inspect_binary(frame).type_code == 11);
        const HiveMessage back = decode_binary(frame);
        CHECK(back.type() == MessageType::third_party);
        CHECK(back.payload() == intercom.payload());
    }
}

TEST_CASE("outer envelope fields are not carried; nested ones are", "[binary]") {
    HiveMessage inner(MessageType::ping, JsonObject{{"flood_id", "f"}});
    inner.add_hop({"M0", {"S1"}}).set_source_peer("M0").set_target_site_id("kitchen");
    HiveMessage outer = HiveMessage::wrap(MessageType::propagate, inner);
    outer.add_hop({"R1", {"M0"}}).set_source_peer("R1").set_target_pubkey("pem").set_node("n");
    outer.set_metadata(JsonObject{{"hop", 2}});
    const HiveMessage back = decode_binary(encode_binary(outer));
    CHECK(back.inner() == inner);
    CHECK(back.route().empty());
    CHECK_FALSE(back.source_peer());
    CHECK_FALSE(back.target_pubkey());
    CHECK_FALSE(back.node());
    CHECK(back.metadata() == outer.metadata());
}

TEST_CASE("an empty BINARY payload stays empty bytes", "[binary]") {
    // The reference reads it back as {} (A.13 trap 9); we keep what was sent.
    const HiveMessage empty =
        HiveMessage::binary(BinaryPayloadType::file, {}, JsonObject{{"file_name", "x"}});
    for (auto c : {Compression::always, Compression::never, Compression::shortest}) {
        const HiveMessage back = decode_binary(encode_binary(empty, with(c)));
        CHECK(back == empty);
        CHECK(back.bytes().empty());
    }
}

// ---------------------------------------------------------------------------------------------
// Round trips

TEST_CASE("random messages of every type round-trip in every frame form", "[binary][property]") {
    MessageGenerator gen(0x5eed'b175);
    constexpr std::size_t messages = 2100; // 150 of each of the 14 types
    std::map<Compression, std::size_t> compressed_count;
    for (std::size_t i = 0; i < messages; ++i) {
        const HiveMessage sent = random_message(gen, i);
        const HiveMessage expected = expected_after_framing(sent);
        INFO("message " << i << " type " << wire_name(sent.type()));
        for (const bool versioned : {false, true}) {
            Bytes by_mode[3];
            for (const auto compression :
                 {Compression::always, Compression::never, Compression::shortest}) {
                const Bytes frame = encode_binary(sent, with(compression, versioned));
                by_mode[static_cast<int>(compression)] = frame;
                const HiveMessage back = decode_binary(frame);
                if (!(back == expected)) {
                    FAIL_CHECK("round trip differs, frame " << hex_encode(frame));
                    continue;
                }
                const auto info = inspect_binary(frame);
                CHECK(info.pad_bits == (sent.type() == MessageType::binary ? 4U : 0U));
                CHECK(info.versioned == versioned);
                CHECK(info.bin_type.has_value() == (sent.type() == MessageType::binary));
                CHECK(info.payload_raw.has_value());
                if (compression == Compression::always)
                    CHECK(info.compressed);
                if (compression == Compression::never)
                    CHECK_FALSE(info.compressed);
                if (info.compressed)
                    ++compressed_count[compression];
            }
            // shortest is the shorter of the two, ties going to the uncompressed frame.
            const Bytes& always = by_mode[static_cast<int>(Compression::always)];
            const Bytes& never = by_mode[static_cast<int>(Compression::never)];
            CHECK(by_mode[static_cast<int>(Compression::shortest)] ==
                  (never.size() <= always.size() ? never : always));
        }
    }
    // Both outcomes of `shortest` were exercised.
    CHECK(compressed_count[Compression::shortest] > 0);
    CHECK(compressed_count[Compression::shortest] < 2 * messages);
}

TEST_CASE("nesting limits match the text codec", "[binary][bad-input]") {
    auto chain = [](std::size_t transports) {
        HiveMessage message = HiveMessage::bus(BusMessage("speak"));
        for (std::size_t i = 0; i < transports; ++i)
            message = HiveMessage::wrap(i % 2 ? MessageType::broadcast : MessageType::propagate,
                                        std::move(message));
        return message;
    };
    // 16 transports put the BUS at level 16: allowed; 17 are refused, as for text frames.
    const HiveMessage ok = chain(16);
    CHECK(decode_binary(encode_binary(ok)) == ok);
    CHECK(parse_json_message(serialize_json(ok)) == ok);
    const HiveMessage deep = chain(17);
    CHECK(expect_error(encode_binary(deep)) == ErrorCode::nesting_too_deep);
    CHECK_THROWS_AS(parse_json_message(serialize_json(deep)), ProtocolError);

    BinaryDecodeOptions strict;
    strict.max_nesting = 0;
    CHECK(expect_error(encode_binary(chain(1)), strict) == ErrorCode::nesting_too_deep);
    CHECK(decode_binary(encode_binary(chain(0)), strict) == chain(0));
    strict.max_nesting = 2;
    CHECK(decode_binary(encode_binary(chain(2)), strict) == chain(2));
    CHECK(expect_error(encode_binary(chain(3)), strict) == ErrorCode::nesting_too_deep);
}

// ---------------------------------------------------------------------------------------------
// Bad frames

namespace {

std::vector<Bytes> sample_frames() {
    const BusMessage speak("speak",
                           JsonObject{{"utterance", "ol\xc3\xa1 \xe4\xb8\x96\xe7\x95\x8c"}},
                           JsonObject{{"session", JsonObject{{"session_id", "s-1"}}}});
    const HiveMessage bus = HiveMessage::bus(speak);
    HiveMessage ping(MessageType::ping, JsonObject{{"flood_id", "f-1"}, {"timestamp", 1.5}});
    ping.set_metadata(JsonObject{{"k", "v"}});
    Bytes audio(64);
    for (std::size_t i = 0; i < audio.size(); ++i)
        audio[i] = static_cast<std::uint8_t>(i * 37);
    const HiveMessage binary =
        HiveMessage::binary(BinaryPayloadType::raw_audio, audio, JsonObject{{"sample_rate", 8000}});
    const HiveMessage wrapped = HiveMessage::wrap(MessageType::broadcast, bus);
    return {
        encode_binary(bus, with(Compression::never)),
        encode_binary(bus, with(Compression::always)),
        encode_binary(ping, with(Compression::never, true)),
        encode_binary(ping, with(Compression::always, true)),
        encode_binary(binary, with(Compression::never)),
        encode_binary(binary, with(Compression::always)),
        encode_binary(binary, with(Compression::always, true)),
        encode_binary(wrapped, with(Compression::always)),
    };
}

} // namespace

TEST_CASE("every truncation of a valid frame is refused or a shorter BINARY payload",
          "[binary][bad-input]") {
    for (const Bytes& frame : sample_frames()) {
        const auto info = inspect_binary(frame);
        const bool binary = info.bin_type.has_value();
        const std::size_t payload_start = info.payload_bit_offset / 8;
        const HiveMessage full = decode_binary(frame);
        INFO("frame " << hex_encode(frame));
        for (std::size_t n = 0; n < frame.size(); ++n) {
            INFO("prefix of " << n << " bytes");
            const ByteView prefix = ByteView(frame).first(n);
            if (n < payload_start) {
                CHECK(expect_error(prefix) == ErrorCode::truncated_frame);
                CHECK_THROWS_AS(inspect_binary(prefix), ProtocolError);
            } else if (binary) {
                const HiveMessage cut = decode_binary(prefix);
                CHECK(cut.bytes() ==
                      Bytes(full.bytes().begin(),
                            full.bytes().begin() + static_cast<long>(n - payload_start)));
            } else if (info.compressed) {
                CHECK(expect_error(prefix) == ErrorCode::compression_error);
            } else {
                const ErrorCode code = expect_error(prefix);
                // A cut inside a multi-byte character is reported as invalid UTF-8.
                CHECK((code == ErrorCode::malformed_json || code == ErrorCode::invalid_utf8));
            }
        }
    }
}

TEST_CASE("flipped bits and random garbage never crash", "[binary][bad-input][property]") {
    std::map<ErrorCode, std::size_t> seen;
    std::size_t accepted = 0;
    auto probe = [&](ByteView frame) {
        try {
            (void)decode_binary(frame);
            ++accepted;
        } catch (const ProtocolError& error) {
            ++seen[error.code()];
        }
        try {
            (void)inspect_binary(frame);
        } catch (const ProtocolError& error) {
            CHECK(error.code() == ErrorCode::truncated_frame);
        }
    };
    for (const Bytes& frame : sample_frames()) {
        for (std::size_t bit = 0; bit < frame.size() * 8; ++bit) {
            Bytes flipped = frame;
            flipped[bit / 8] = static_cast<std::uint8_t>(flipped[bit / 8] ^ (0x80 >> (bit % 8)));
            probe(flipped);
        }
    }
    std::mt19937_64 rng(0xbadf00d);
    for (int i = 0; i < 3000; ++i) {
        Bytes garbage(rng() % 48);
        for (auto& b : garbage)
            b = static_cast<std::uint8_t>(rng());
        probe(garbage);
    }
    // The corruptions reach the distinct failure kinds (and some flips stay valid, e.g. in
    // uncompressed string contents or BINARY payload bytes).
    CHECK(accepted > 0);
    for (const ErrorCode code :
         {ErrorCode::truncated_frame, ErrorCode::unknown_msg_type, ErrorCode::malformed_frame,
          ErrorCode::compression_error, ErrorCode::malformed_json, ErrorCode::unsupported_version})
        CHECK(seen[code] > 0);
}

TEST_CASE("empty and all-zero frames are truncated", "[binary][bad-input]") {
    for (const std::size_t size : {0, 1, 2, 7, 1000}) {
        const Bytes zeros(size, 0);
        CHECK(expect_error(zeros) == ErrorCode::truncated_frame);
        CHECK_THROWS_AS(inspect_binary(zeros), ProtocolError);
    }
    // A start marker and nothing after it, or a header cut short.
    CHECK(expect_error(Bytes{0x01}) == ErrorCode::truncated_frame);
    CHECK(expect_error(Bytes{0x82}) == ErrorCode::truncated_frame);
    CHECK(expect_error(Bytes{0xc0}) == ErrorCode::truncated_frame);
    CHECK(expect_error(Bytes{0x09, 0x90}) == ErrorCode::truncated_frame);
}

TEST_CASE("a declared metadata length past the end is truncated", "[binary][bad-input]") {
    Bytes frame = raw_frame(1, "{}", R"({"type":"x"})");
    frame[1] = 0xff;
    CHECK(expect_error(frame) == ErrorCode::truncated_frame);
    frame[1] = static_cast<std::uint8_t>(frame.size() - 1); // one byte more than there is
    CHECK(expect_error(frame) == ErrorCode::truncated_frame);
    frame[1] = static_cast<std::uint8_t>(frame.size() - 2); // everything is metadata
    CHECK(expect_error(frame) == ErrorCode::malformed_json);
    // BINARY: metadata fits but the bin_type nibble does not.
    const Bytes binary =
        encode_binary(HiveMessage::binary(BinaryPayloadType::file, {}), with(Compression::never));
    CHECK(binary.size() == 5); // 4 pad + 20 header bits + 16 metadata + 4 bin_type bits
    CHECK(expect_error(ByteView(binary).first(4)) == ErrorCode::truncated_frame);
}

TEST_CASE("framing versions above 1 are refused", "[binary][bad-input]") {
    const HiveMessage ping(MessageType::ping, JsonObject{{"flood_id", "f"}});
    for (const int version : {0, 1, 2, 7, 255}) {
        BinaryEncodeOptions options = with(Compression::always, true);
        options.version = static_cast<std::uint8_t>(version);
        const Bytes frame = encode_binary(ping, options);
        CHECK(inspect_binary(frame).version == version);
        if (version <= 1)
            CHECK(decode_binary(frame) == ping);
        else
            CHECK(expect_error(frame) == ErrorCode::unsupported_version);
    }
}

TEST_CASE("unassigned type codes 13-31 are refused", "[binary][bad-input]") {
    for (std::uint8_t code = 13; code < 32; ++code) {
        INFO("code " << int(code));
        const Bytes frame = raw_frame(code, "{}", R"({"a": 1})");
        CHECK(expect_error(frame) == ErrorCode::unknown_msg_type);
        const auto info = inspect_binary(frame);
        CHECK(info.type_code == code);
        CHECK_FALSE(info.type.has_value());
        // Versioned form: 1 1 00000001 ccccc 0, then L.
        const Bytes versioned{0xc0, static_cast<std::uint8_t>(0x40 | (code << 1)), 0x00};
        CHECK(expect_error(versioned) == ErrorCode::unknown_msg_type);
    }
    for (std::uint8_t code = 0; code < 12; ++code) {
        if (is_transport_type(*message_type_from_code(code)))
            continue;
        CHECK(decode_binary(raw_frame(code, "{}", "{}")).type() == *message_type_from_code(code));
    }
}

TEST_CASE("bad zlib data is a compression error", "[binary][bad-input]") {
    const HiveMessage bus = HiveMessage::bus(BusMessage("speak", JsonObject{{"utterance", "hi"}}));
    const Bytes good = encode_binary(bus, with(Compression::always));
    const auto info = inspect_binary(good);
    const std::size_t payload_start = info.payload_bit_offset / 8;

    SECTION("C set on plain contents") {
        Bytes frame = encode_binary(bus, with(Compression::never));
        frame[0] |= 0x01;
        CHECK(expect_error(frame) == ErrorCode::compression_error);
    }
    SECTION("corrupted deflate data or checksum") {
        Bytes frame = good;
        frame[frame.size() - 1] ^= 0x01; // Adler-32
        CHECK(expect_error(frame) == ErrorCode::compression_error);
        frame = good;
        frame[4] ^= 0xff; // inside the metadata stream
        CHECK(expect_error(frame) == ErrorCode::compression_error);
        frame = good;
        frame[payload_start] = 0x00; // not a zlib header
        CHECK(expect_error(frame) == ErrorCode::compression_error);
    }
    SECTION("truncated stream, empty stream, bytes after the stream") {
        CHECK(expect_error(ByteView(good).first(good.size() - 1)) == ErrorCode::compression_error);
        CHECK(expect_error(ByteView(good).first(payload_start)) == ErrorCode::compression_error);
        Bytes trailing = good;
        trailing.push_back(0x00);
        CHECK(expect_error(trailing) == ErrorCode::compression_error);
    }
    SECTION("a preset-dictionary stream") {
        // FDICT set in the zlib header (78 bb: a valid header check with FDICT).
        Bytes frame = good;
        frame[payload_start + 1] = 0xbb;
        CHECK(expect_error(frame) == ErrorCode::compression_error);
    }
}

TEST_CASE("zlib bombs stop at max_inflated_bytes", "[binary][bad-input]") {
    SECTION("the default limit of 16 MiB") {
        const Bytes zeros(16 * 1024 * 1024 + 1, ' '); // whitespace: would even parse as JSON
        const Bytes frame =
            raw_frame(9, true, empty_object_zlib_from_vectors(), zlib_compress(zeros));
        CHECK(frame.size() < 20 * 1024);
        CHECK(expect_error(frame) == ErrorCode::compression_error);
    }
    SECTION("a configured limit, exact at the boundary") {
        std::string payload = R"({"pad": ")" + std::string(5000, 'z') + R"("})";
        const Bytes frame =
            raw_frame(9, true, empty_object_zlib_from_vectors(), zlib_compress(as_bytes(payload)));
        BinaryDecodeOptions options;
        options.max_inflated_bytes = payload.size();
        CHECK(decode_binary(frame, options).payload().get_string("pad").size() == 5000);
        options.max_inflated_bytes = payload.size() - 1;
        CHECK(expect_error(frame, options) == ErrorCode::compression_error);
    }
    SECTION("metadata is bounded too") {
        const std::string metadata = R"({"pad": ")" + std::string(100000, 'm') + R"("})";
        const Bytes packed = zlib_compress(as_bytes(metadata));
        REQUIRE(packed.size() <= 255);
        const Bytes frame = raw_frame(9, true, packed, zlib_compress(as_bytes(std::string("{}"))));
        BinaryDecodeOptions options;
        CHECK(decode_binary(frame, options).metadata().get_string("pad").size() == 100000);
        options.max_inflated_bytes = 1000;
        CHECK(expect_error(frame, options) == ErrorCode::compression_error);
    }
}

TEST_CASE("metadata and payload must be JSON objects", "[binary][bad-input]") {
    const std::string_view payload = R"({"flood_id": "f"})";
    for (const std::string_view metadata : {"[1]", R"("x")", "1", "true", "[]"})
        CHECK(expect_error(raw_frame(9, metadata, payload)) == ErrorCode::invalid_field);
    for (const std::string_view metadata : {"{", "", "{}x", "nul", "{'a': 1}"})
        CHECK(expect_error(raw_frame(9, metadata, payload)) == ErrorCode::malformed_json);
    CHECK(expect_error(raw_frame(9, "{\"a\": \"\xff\"}", payload)) == ErrorCode::invalid_utf8);
    // null reads as {}, like the reference's `metadata or {}`.
    CHECK(decode_binary(raw_frame(9, "null", payload)).metadata() == Json::object());

    for (const std::string_view bad : {"[]", R"("{}")", "3"})
        CHECK(expect_error(raw_frame(9, "{}", bad)) == ErrorCode::invalid_field);
    CHECK(expect_error(raw_frame(9, "{}", "")) == ErrorCode::malformed_json);
    CHECK(expect_error(raw_frame(9, "{}", "{\"a\": \"\xc3\"}")) == ErrorCode::invalid_utf8);
    CHECK(decode_binary(raw_frame(9, "{}", "null")).payload() == Json::object());
    // A transport payload must be a complete envelope.
    CHECK(expect_error(raw_frame(3, "{}", "null")) == ErrorCode::malformed_json);
    CHECK(expect_error(raw_frame(3, "{}", R"({"q": "x"})")) == ErrorCode::unknown_key);
    CHECK(expect_error(raw_frame(3, "{}", R"({"msg_type": "bin"})")) == ErrorCode::invalid_field);
    CHECK(expect_error(raw_frame(3, "{}", R"({"msg_type": "nope"})")) ==
          ErrorCode::unknown_msg_type);

    SECTION("compressed non-objects and depth bombs") {
        const Bytes list_meta = zlib_compress(as_bytes(std::string("[1, 2]")));
        CHECK(expect_error(raw_frame(9, true, list_meta, zlib_compress(as_bytes(payload)))) ==
              ErrorCode::invalid_field);
        const std::string deep = std::string(20000, '[') + std::string(20000, ']');
        const Bytes deep_meta = zlib_compress(as_bytes(deep));
        REQUIRE(deep_meta.size() <= 255);
        CHECK(expect_error(raw_frame(9, true, deep_meta, zlib_compress(as_bytes(payload)))) ==
              ErrorCode::nesting_too_deep);
        const std::string deep_payload = "{\"a\": " + deep + "}";
        CHECK(expect_error(raw_frame(9, "{}", deep_payload)) == ErrorCode::nesting_too_deep);
    }
}

TEST_CASE("padding: any leading zeros are skipped, but the payload must be byte-aligned",
          "[binary][bad-input]") {
    const HiveMessage bus = HiveMessage::bus(BusMessage("speak"));
    const Bytes frame = encode_binary(bus);
    // A whole zero byte in front keeps everything aligned: accepted, like the reference.
    Bytes padded(1, 0);
    padded.insert(padded.end(), frame.begin(), frame.end());
    CHECK(decode_binary(padded) == bus);
    CHECK(inspect_binary(padded).pad_bits == 8);
    // Four more zero bits misalign the payload of a non-BINARY frame ...
    const Bytes shifted = add_leading_zero_bits(frame, 4);
    CHECK(expect_error(shifted) == ErrorCode::malformed_frame);
    const auto info = inspect_binary(shifted);
    CHECK(info.pad_bits == 4);
    CHECK_FALSE(info.payload_raw.has_value());
    CHECK(info.payload_bits % 8 == 4);
    // ... and of a BINARY frame (8 + 4 pad bits instead of 4), while a whole extra zero byte is
    // fine.
    const HiveMessage audio = HiveMessage::binary(BinaryPayloadType::raw_audio, Bytes{1, 2, 3});
    const Bytes binary = encode_binary(audio);
    CHECK(expect_error(add_leading_zero_bits(binary, 4)) == ErrorCode::malformed_frame);
    Bytes binary_padded(1, 0);
    binary_padded.insert(binary_padded.end(), binary.begin(), binary.end());
    CHECK(decode_binary(binary_padded) == audio);
}
