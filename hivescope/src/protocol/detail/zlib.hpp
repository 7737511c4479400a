#pragma once
// RAII wrappers over zlib streams for the bitstring frame's compression (protocol.md A.7.2):
// the RFC 1950 format (2-byte header, Adler-32 trailer) at the default level, exactly what
// Python's zlib.compress writes, and a bounded inflate for untrusted input.

#include "hivescope/protocol/bytes.hpp"

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

struct z_stream_s;

namespace hivescope::protocol::detail {

/// Deflates whole buffers, one zlib stream each. The zlib state is set up once and reset
/// between buffers, so compressing metadata and payload of one frame costs one deflateInit.
class Deflater {
  public:
    Deflater();

    /// Appends the complete zlib stream of `input` to `out`. Throws ProtocolError
    /// (compression_error) only if zlib itself fails (out of memory).
    void compress(ByteView input, Bytes& out);

  private:
    struct State;
    struct End {
        void operator()(State* state) const noexcept;
    };
    std::unique_ptr<State, End> state_;
    bool used_ = false;
};

/// Inflates whole zlib streams from untrusted frames.
class Inflater {
  public:
    Inflater();

    /// Replaces `out` with the inflated `input`. Throws ProtocolError(compression_error) naming
    /// `field` when the data is not one complete zlib stream, has bytes after the stream, or
    /// inflates to more than `max_output` bytes (bounded output: zlib bombs stop there).
    void decompress(ByteView input, std::size_t max_output, std::string& out,
                    std::string_view field);

  private:
    struct End {
        void operator()(z_stream_s* stream) const noexcept;
    };
    std::unique_ptr<z_stream_s, End> stream_;
    bool used_ = false;
};

/// One deflate and one inflate stream, each set up on first use and reset between uses, so a
/// caller framing many messages pays zlib's setup (four 64 KiB buffers for deflate) once.
class ZlibStreams {
  public:
    Deflater& deflater() {
        if (!deflater_)
            deflater_.emplace();
        return *deflater_;
    }
    Inflater& inflater() {
        if (!inflater_)
            inflater_.emplace();
        return *inflater_;
    }

  private:
    std::optional<Deflater> deflater_;
    std::optional<Inflater> inflater_;
};

} // namespace hivescope::protocol::detail
