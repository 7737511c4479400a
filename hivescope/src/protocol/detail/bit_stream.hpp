#pragma once
// MSB-first bit packing for the bitstring frame (protocol.md A.7.1). Header fields are a few bits
// wide and sit at arbitrary offsets, so the writer and reader work bit by bit there and switch
// to whole-byte copies as soon as the position is byte-aligned (the payload always is).

#include "hivescope/protocol/bytes.hpp"
#include "hivescope/protocol/error.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace hivescope::protocol::detail {

/// Appends bits MSB-first to a byte vector; a partial last byte is zero-filled.
class BitWriter {
  public:
    /// Writes after the current contents of `out`, which must be whole bytes.
    explicit BitWriter(Bytes& out) noexcept : out_(out), bits_(out.size() * 8) {}

    /// The low `count` bits of `value`, most significant first (count <= 32).
    void write(std::uint32_t value, unsigned count) {
        for (unsigned i = count; i-- > 0;)
            write_bit(((value >> i) & 1U) != 0);
    }

    void write_bit(bool bit) {
        const unsigned offset = static_cast<unsigned>(bits_ % 8);
        if (offset == 0)
            out_.push_back(0);
        if (bit)
            out_.back() = static_cast<std::uint8_t>(out_.back() | (0x80U >> offset));
        ++bits_;
    }

    /// Whole bytes at the current bit position; a plain append when byte-aligned.
    void write_bytes(ByteView bytes) {
        const unsigned offset = static_cast<unsigned>(bits_ % 8);
        bits_ += bytes.size() * 8;
        if (offset == 0) {
            out_.insert(out_.end(), bytes.begin(), bytes.end());
            return;
        }
        // Each input byte straddles the current partial byte and the next one.
        for (const std::uint8_t b : bytes) {
            out_.back() = static_cast<std::uint8_t>(out_.back() | (b >> offset));
            out_.push_back(static_cast<std::uint8_t>(b << (8 - offset)));
        }
    }

    [[nodiscard]] std::size_t bit_size() const noexcept { return bits_; }

  private:
    Bytes& out_;
    std::size_t bits_;
};

/// Reads bits MSB-first from a borrowed frame. Every read names its field, so running off the
/// end reports which field the frame was cut in (ProtocolError truncated_frame).
class BitReader {
  public:
    explicit BitReader(ByteView data) noexcept : data_(data) {}

    [[nodiscard]] std::size_t position() const noexcept { return pos_; }
    [[nodiscard]] std::size_t size() const noexcept { return data_.size() * 8; }
    [[nodiscard]] std::size_t remaining() const noexcept { return size() - pos_; }
    [[nodiscard]] bool aligned() const noexcept { return pos_ % 8 == 0; }

    /// Skips zero bits through the first 1 and returns how many zeros there were.
    std::size_t skip_through_first_one(std::string_view field) {
        const std::size_t start = pos_;
        // Whole zero bytes first, so an all-zero frame of any size costs one pass.
        while (pos_ < size() && aligned() && data_[pos_ / 8] == 0)
            pos_ += 8;
        while (pos_ < size() && !bit_at(pos_))
            ++pos_;
        if (pos_ >= size())
            truncated(field, 1);
        ++pos_;
        return pos_ - 1 - start;
    }

    bool read_bit(std::string_view field) {
        need(1, field);
        return bit_at(pos_++);
    }

    /// `count` bits (<= 32) as an unsigned big-endian number.
    std::uint32_t read(unsigned count, std::string_view field) {
        need(count, field);
        std::uint32_t value = 0;
        for (unsigned i = 0; i < count; ++i)
            value = (value << 1) | (bit_at(pos_++) ? 1U : 0U);
        return value;
    }

    /// `n` whole bytes starting at the current bit position, appended to `out`.
    void read_bytes(std::size_t n, Bytes& out, std::string_view field) {
        if (n > remaining() / 8)
            truncated(field, n * 8);
        const std::size_t first = pos_ / 8;
        const unsigned offset = static_cast<unsigned>(pos_ % 8);
        pos_ += n * 8;
        if (offset == 0) {
            out.insert(out.end(), data_.begin() + static_cast<std::ptrdiff_t>(first),
                       data_.begin() + static_cast<std::ptrdiff_t>(first + n));
            return;
        }
        out.reserve(out.size() + n);
        for (std::size_t i = 0; i < n; ++i) {
            // The last byte read here exists: n*8 bits fit, and they span n+1 bytes.
            out.push_back(static_cast<std::uint8_t>((data_[first + i] << offset) |
                                                    (data_[first + i + 1] >> (8 - offset))));
        }
    }

    /// The bytes from the current (byte-aligned) position to the end, without copying.
    [[nodiscard]] ByteView rest_aligned() const noexcept { return data_.subspan(pos_ / 8); }

  private:
    [[nodiscard]] bool bit_at(std::size_t bit) const noexcept {
        return ((data_[bit / 8] >> (7 - bit % 8)) & 1U) != 0;
    }

    void need(std::size_t bits, std::string_view field) const {
        if (bits > remaining())
            truncated(field, bits);
    }

    [[noreturn]] void truncated(std::string_view field, std::size_t bits) const {
        throw ProtocolError(ErrorCode::truncated_frame,
                            "binary frame ends inside the " + std::string(field) + ": needs " +
                                std::to_string(bits) + " bits at bit " + std::to_string(pos_) +
                                ", only " + std::to_string(remaining()) + " left");
    }

    ByteView data_;
    std::size_t pos_ = 0;
};

} // namespace hivescope::protocol::detail
