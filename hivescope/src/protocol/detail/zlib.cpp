#include "zlib.hpp"

#include "hivescope/protocol/error.hpp"

#include <zlib.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>

namespace hivescope::protocol::detail {

namespace {

[[noreturn]] void zlib_failure(std::string_view what, int status, const z_stream& stream) {
    std::string message(what);
    message += " (zlib ";
    message += std::to_string(status);
    if (stream.msg != nullptr) {
        message += ": ";
        message += stream.msg;
    }
    message += ')';
    throw ProtocolError(ErrorCode::compression_error, message);
}

// zlib counts in uInt; frames never come near that, but a caller's buffer might.
void check_size(std::size_t size, std::string_view field) {
    if (size > UINT_MAX)
        throw ProtocolError(ErrorCode::invalid_argument,
                            std::string(field) + " is too large for one zlib stream");
}

Bytef* mutable_input(ByteView input) {
    // zlib's API is not const-correct; it never writes through next_in.
    return const_cast<Bytef*>(input.data());
}

} // namespace

// deflateInit allocates its state (~6 KiB) and four 64 KiB buffers. Taking them from one block
// makes setup one allocation instead of five, and one large block settles into malloc's reuse
// path, where five 64 KiB pieces get trimmed from the heap top and faulted back in on each call.
struct Deflater::State {
    static constexpr std::size_t block_size = 4 * 65536 + 16 * 1024;

    z_stream stream{};
    std::unique_ptr<unsigned char[]> block{new unsigned char[block_size]};
    std::size_t used = 0;

    static voidpf allocate(voidpf opaque, uInt items, uInt size) {
        auto* state = static_cast<State*>(opaque);
        const std::size_t bytes = (static_cast<std::size_t>(items) * size + 15) & ~std::size_t{15};
        if (bytes <= block_size - state->used) {
            void* piece = state->block.get() + state->used;
            state->used += bytes;
            return piece;
        }
        return std::malloc(bytes); // another zlib build asking for more than we planned
    }

    static void release(voidpf opaque, voidpf address) {
        auto* state = static_cast<State*>(opaque);
        // std::less: a total order even for pointers into different allocations.
        const std::less<const unsigned char*> before;
        const auto* piece = static_cast<const unsigned char*>(address);
        if (before(piece, state->block.get()) || !before(piece, state->block.get() + block_size))
            std::free(address);
    }
};

void Deflater::End::operator()(State* state) const noexcept {
    deflateEnd(&state->stream);
    delete state;
}

Deflater::Deflater() : state_(nullptr) {
    auto state = std::make_unique<State>();
    state->stream.zalloc = &State::allocate;
    state->stream.zfree = &State::release;
    state->stream.opaque = state.get();
    // Level -1 (6), 15-bit window, memLevel 8, default strategy: Python's zlib.compress(data).
    const int status = deflateInit(&state->stream, Z_DEFAULT_COMPRESSION);
    if (status != Z_OK)
        zlib_failure("deflateInit failed", status, state->stream);
    state_.reset(state.release());
}

void Deflater::compress(ByteView input, Bytes& out) {
    check_size(input.size(), "deflate input");
    z_stream& stream = state_->stream;
    if (used_) {
        const int status = deflateReset(&stream);
        if (status != Z_OK)
            zlib_failure("deflateReset failed", status, stream);
    }
    used_ = true;
    const std::size_t start = out.size();
    const uLong bound = deflateBound(&stream, static_cast<uLong>(input.size()));
    out.resize(start + bound);
    stream.next_in = mutable_input(input);
    stream.avail_in = static_cast<uInt>(input.size());
    stream.next_out = out.data() + start;
    stream.avail_out = static_cast<uInt>(bound);
    // deflateBound guarantees a single Z_FINISH call completes the stream.
    const int status = deflate(&stream, Z_FINISH);
    if (status != Z_STREAM_END) {
        out.resize(start);
        zlib_failure("deflate failed", status, stream);
    }
    out.resize(start + (bound - stream.avail_out));
}

void Inflater::End::operator()(z_stream_s* stream) const noexcept {
    inflateEnd(stream);
    delete stream;
}

Inflater::Inflater() : stream_(nullptr) {
    auto stream = std::make_unique<z_stream>();
    const int status = inflateInit(stream.get());
    if (status != Z_OK)
        zlib_failure("inflateInit failed", status, *stream);
    stream_.reset(stream.release());
}

void Inflater::decompress(ByteView input, std::size_t max_output, std::string& out,
                          std::string_view field) {
    check_size(input.size(), field);
    z_stream& stream = *stream_;
    if (used_) {
        const int status = inflateReset(&stream);
        if (status != Z_OK)
            zlib_failure("inflateReset failed", status, stream);
    }
    used_ = true;
    const std::string name(field);
    stream.next_in = mutable_input(input);
    stream.avail_in = static_cast<uInt>(input.size());

    // JSON compresses about 3-5x; start there and double, never past the limit (+1 byte so that
    // output of exactly max_output is told apart from output beyond it).
    const std::size_t hard_cap = std::min<std::size_t>(max_output, UINT_MAX - 1) + 1;
    std::size_t capacity = std::min(hard_cap, std::max<std::size_t>(256, input.size() * 4));
    out.resize(capacity);
    std::size_t produced = 0;
    for (;;) {
        stream.next_out = reinterpret_cast<Bytef*>(out.data() + produced);
        stream.avail_out = static_cast<uInt>(capacity - produced);
        // Z_FINISH lets zlib inflate straight into our buffer without allocating its window
        // when the buffer is large enough; after Z_BUF_ERROR it may be called again.
        const int status = inflate(&stream, Z_FINISH);
        produced = capacity - stream.avail_out;
        if (status == Z_STREAM_END)
            break;
        if (status == Z_NEED_DICT)
            throw ProtocolError(ErrorCode::compression_error,
                                name + " is a zlib stream that needs a preset dictionary");
        if (status == Z_DATA_ERROR)
            zlib_failure(name + " is not valid zlib data", status, stream);
        if (status == Z_MEM_ERROR)
            zlib_failure(name + ": zlib out of memory", status, stream);
        if (status != Z_BUF_ERROR && status != Z_OK)
            zlib_failure(name + ": inflate failed", status, stream);
        if (stream.avail_out != 0) {
            // Output room left, so zlib stopped for want of input.
            throw ProtocolError(ErrorCode::compression_error,
                                name + " is a truncated zlib stream (" +
                                    std::to_string(input.size()) + " bytes, no end marker)");
        }
        if (capacity >= hard_cap)
            throw ProtocolError(ErrorCode::compression_error, name + " inflates to more than " +
                                                                  std::to_string(max_output) +
                                                                  " bytes");
        capacity = std::min(hard_cap, capacity * 2);
        out.resize(capacity);
    }
    if (produced > max_output)
        throw ProtocolError(ErrorCode::compression_error, name + " inflates to more than " +
                                                              std::to_string(max_output) +
                                                              " bytes");
    if (stream.avail_in != 0)
        // Python's zlib.decompress ignores these; a frame carrying them is malformed for us.
        throw ProtocolError(ErrorCode::compression_error,
                            name + " has " + std::to_string(stream.avail_in) +
                                " bytes after the end of its zlib stream");
    out.resize(produced);
}

} // namespace hivescope::protocol::detail
