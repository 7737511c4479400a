#pragma once
// Every node owns a Recorder. It is append-only and never drops anything; snapshots and marks
// are O(1) views onto a prefix, so a test can take one per WHEN without copying.

#include "hivescope/record/record.hpp"

#include <bit>
#include <cstddef>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

namespace hivescope::node {
class NodeCore;
} // namespace hivescope::node

namespace hivescope::record {

/// The storage of a recorder: records in blocks that never move, so a reference to one stays
/// valid while later ones are appended. Blocks double from 4 records up to 128, so a quiet node
/// keeps little and a busy one allocates once per 128 records.
class RecordLog {
  public:
    RecordLog() = default;
    RecordLog(const RecordLog&) = delete;
    RecordLog& operator=(const RecordLog&) = delete;
    ~RecordLog();

    [[nodiscard]] std::size_t size() const noexcept { return size_; }
    [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
    /// Undefined for `i >= size()`, as a std::deque's.
    [[nodiscard]] const Record& operator[](std::size_t i) const noexcept {
        const Slot slot = locate(i);
        return blocks_[slot.block][slot.offset];
    }
    [[nodiscard]] const Record& back() const noexcept { return (*this)[size_ - 1]; }
    /// Appends `record`; returns the stored one.
    const Record& push_back(Record&& record);
    const Record& push_back(const Record& record) { return push_back(Record(record)); }
    /// Appends a default record and returns it, to be filled where it is kept.
    Record& emplace_back();

  private:
    static constexpr std::size_t first_block = 4;
    static constexpr std::size_t largest_block = 128;
    // Records in the doubling blocks 4, 8, ..., 128 together.
    static constexpr std::size_t doubling_records = 2 * largest_block - first_block;
    static constexpr std::size_t doubling_blocks = std::bit_width(largest_block / first_block);

    struct Slot {
        std::size_t block;
        std::size_t offset;
    };
    /// Raw storage for record number size_, its block allocated if need be.
    void* next_slot();
    /// The index of a block's first record.
    [[nodiscard]] static std::size_t first_of(std::size_t block) noexcept {
        return block < doubling_blocks
                   ? first_block * ((std::size_t{1} << block) - 1) // 4·(2^b − 1)
                   : doubling_records + (block - doubling_blocks) * largest_block;
    }
    [[nodiscard]] static Slot locate(std::size_t i) noexcept {
        const std::size_t block = i < doubling_records
                                      ? std::bit_width((i + first_block) / first_block) - 1
                                      : doubling_blocks + (i - doubling_records) / largest_block;
        return {block, i - first_of(block)};
    }
    [[nodiscard]] static std::size_t capacity_of(std::size_t block) noexcept {
        return block < doubling_blocks ? first_block << block : largest_block;
    }

    std::vector<Record*> blocks_; ///< raw storage, the first size_ records constructed
    std::size_t size_ = 0;
};

/// A read-only range over records [first, last) of a recorder's log.
class RecordView {
  public:
    class iterator {
      public:
        using iterator_category = std::random_access_iterator_tag;
        using value_type = Record;
        using difference_type = std::ptrdiff_t;
        using pointer = const Record*;
        using reference = const Record&;

        iterator() = default;
        iterator(const RecordLog* log, std::size_t index) : log_(log), index_(index) {}
        reference operator*() const { return (*log_)[index_]; }
        pointer operator->() const { return &(*log_)[index_]; }
        reference operator[](difference_type n) const {
            return (*log_)[index_ + static_cast<std::size_t>(n)];
        }
        iterator& operator++() {
            ++index_;
            return *this;
        }
        iterator operator++(int) {
            auto copy = *this;
            ++index_;
            return copy;
        }
        iterator& operator--() {
            --index_;
            return *this;
        }
        iterator operator--(int) {
            auto copy = *this;
            --index_;
            return copy;
        }
        iterator& operator+=(difference_type n) {
            index_ = static_cast<std::size_t>(static_cast<difference_type>(index_) + n);
            return *this;
        }
        iterator& operator-=(difference_type n) { return *this += -n; }
        friend iterator operator+(iterator it, difference_type n) { return it += n; }
        friend iterator operator+(difference_type n, iterator it) { return it += n; }
        friend iterator operator-(iterator it, difference_type n) { return it -= n; }
        friend difference_type operator-(const iterator& a, const iterator& b) {
            return static_cast<difference_type>(a.index_) - static_cast<difference_type>(b.index_);
        }
        friend bool operator==(const iterator& a, const iterator& b) {
            return a.index_ == b.index_;
        }
        friend auto operator<=>(const iterator& a, const iterator& b) {
            return a.index_ <=> b.index_;
        }

      private:
        const RecordLog* log_ = nullptr;
        std::size_t index_ = 0;
    };
    using const_iterator = iterator;
    using value_type = Record;

    RecordView() = default;
    RecordView(std::shared_ptr<const RecordLog> log, std::size_t first, std::size_t last)
        : log_(std::move(log)), first_(first), last_(last) {}

    [[nodiscard]] iterator begin() const { return {log_.get(), first_}; }
    [[nodiscard]] iterator end() const { return {log_.get(), last_}; }
    [[nodiscard]] std::size_t size() const noexcept { return last_ - first_; }
    [[nodiscard]] bool empty() const noexcept { return first_ == last_; }
    [[nodiscard]] const Record& operator[](std::size_t i) const { return (*log_)[first_ + i]; }

    /// The last `n` records as lines, preceded by `(… N earlier records)` when cut.
    [[nodiscard]] std::string transcript(std::size_t n = 20) const;

  private:
    std::shared_ptr<const RecordLog> log_;
    std::size_t first_ = 0;
    std::size_t last_ = 0;
};

/// A position in a recorder, to look only at what came after it.
struct Mark {
    std::size_t position = 0;
};

/// The append-only record log of one node.
class Recorder {
  public:
    Recorder() : log_(std::make_shared<RecordLog>()) {}
    Recorder(const Recorder&) = delete;
    Recorder& operator=(const Recorder&) = delete;

    /// Appends `record`, stamping its sequence number; returns the stored record. A record
    /// passed as an rvalue is moved into place once, however deep the call chain above.
    const Record& append(Record&& record);
    const Record& append(const Record& record) { return append(Record(record)); }

    using iterator = RecordView::iterator;
    [[nodiscard]] iterator begin() const { return {log_.get(), 0}; }
    [[nodiscard]] iterator end() const { return {log_.get(), log_->size()}; }
    [[nodiscard]] std::size_t size() const noexcept { return log_->size(); }
    [[nodiscard]] bool empty() const noexcept { return log_->empty(); }
    [[nodiscard]] const Record& operator[](std::size_t i) const { return (*log_)[i]; }

    /// Everything recorded so far, as a view that later appends do not change.
    [[nodiscard]] RecordView snapshot() const { return {log_, 0, log_->size()}; }
    /// The current end, for `since()`.
    [[nodiscard]] Mark mark() const noexcept { return {log_->size()}; }
    /// What was recorded after `mark`, up to now.
    [[nodiscard]] RecordView since(Mark mark) const { return {log_, mark.position, log_->size()}; }

    /// A digest of every record's line and raw frame: equal digests mean equal traces.
    [[nodiscard]] std::uint64_t digest() const;

  private:
    friend class node::NodeCore;
    /// Appends an empty record, stamped with its sequence number, for the owning node to fill
    /// in place (a record is a few hundred bytes of strings: moving it in costs more than
    /// filling it). Nothing else reads it before the node's handler returns.
    Record& append_new();

    std::shared_ptr<RecordLog> log_;
};

} // namespace hivescope::record
