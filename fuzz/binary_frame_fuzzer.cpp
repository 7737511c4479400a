// libFuzzer target: the binary (bitstring) frame codec, protocol.md A.7.
//
// Every input goes through inspect_binary and decode_binary. Rejections must be ProtocolError;
// anything else escaping, a crash or a sanitizer report is a finding. For every decoded frame:
// * the header inspect_binary reports is consistent with the frame;
// * re-encoding (each compression rule, plain and versioned) decodes back to the same message,
//   and encoding is deterministic (encode(decode(encode(m))) == encode(m));
// * the emitted header says what the options asked for.
// Messages the encoder refuses by design (metadata over 255 bytes, a nested BINARY) are skipped.

#include "fuzz_check.hpp"

#include "hivescope/protocol/binary_codec.hpp"
#include "hivescope/protocol/error.hpp"
#include "hivescope/protocol/hive_message.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <optional>

namespace {

using namespace hivescope::protocol;
using hivescope::fuzz::check;
using hivescope::fuzz::without_target_peers;

void check_inspect(ByteView frame) {
    BinaryFrameInfo info;
    try {
        info = inspect_binary(frame);
    } catch (const ProtocolError&) {
        return;
    }
    check(info.bit_length == frame.size() * 8, "inspect: bit_length is the frame size");
    check(info.pad_bits < info.bit_length, "inspect: the start marker lies inside the frame");
    check(info.type_code < 32, "inspect: type code has 5 bits");
    check(info.meta_raw.size() == info.meta_len, "inspect: meta_raw holds meta_len bytes");
    check(info.bin_type.has_value() == (info.type_code == 12), "inspect: bin_type iff BINARY");
    check(!info.bin_type || *info.bin_type < 16, "inspect: bin_type has 4 bits");
    check(info.payload_bit_offset + info.payload_bits == info.bit_length,
          "inspect: the payload runs to the end of the frame");
    if (info.payload_raw)
        check(info.payload_raw->size() * 8 == info.payload_bits,
              "inspect: payload_raw holds payload_bits");
}

// Encodes `message` with `options`; nullopt when the encoder refuses it by design.
std::optional<Bytes> try_encode(const HiveMessage& message, const BinaryEncodeOptions& options) {
    try {
        return encode_binary(message, options);
    } catch (const ProtocolError& error) {
        const ErrorCode code = error.code();
        check(code == ErrorCode::metadata_too_large || code == ErrorCode::not_serializable,
              "encode_binary refuses a decoded message only for metadata size or no JSON form");
        return std::nullopt;
    }
}

void check_round_trip(const HiveMessage& decoded, const BinaryEncodeOptions& options) {
    const auto frame = try_encode(decoded, options);
    if (!frame)
        return;

    const BinaryFrameInfo info = inspect_binary(*frame);
    check(info.versioned == options.versioned, "encoded V flag follows the options");
    if (options.compression == Compression::always)
        check(info.compressed, "Compression::always sets C");
    if (options.compression == Compression::never)
        check(!info.compressed, "Compression::never clears C");
    check(info.pad_bits < 8, "the encoder pads to a whole byte only");

    HiveMessage again = [&] {
        try {
            return decode_binary(*frame);
        } catch (const ProtocolError& error) {
            std::fprintf(stderr, "decode(encode(m)) threw: %s\n", error.what());
            check(false, "decode_binary reads what encode_binary wrote");
            throw;
        }
    }();
    check(again == without_target_peers(decoded), "decode(encode(m)) == m");
    const auto frame_again = try_encode(again, options);
    check(frame_again.has_value() && *frame_again == *frame,
          "encode(decode(encode(m))) == encode(m)");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const ByteView frame(data, size);
    check_inspect(frame);

    std::optional<HiveMessage> decoded;
    try {
        decoded = decode_binary(frame);
    } catch (const ProtocolError&) {
        return 0;
    }
    check(decoded->type() != MessageType::intercom, "INTERCOM has no binary code");
    check(decoded->route().empty() && !decoded->source_peer() && !decoded->node() &&
              !decoded->target_site_id() && !decoded->target_pubkey(),
          "binary frames carry no outer routing fields (A.7.3)");

    for (const Compression compression :
         {Compression::always, Compression::never, Compression::shortest})
        check_round_trip(*decoded, BinaryEncodeOptions{compression, false, 1});
    check_round_trip(*decoded, BinaryEncodeOptions{Compression::always, true, 1});
    return 0;
}
