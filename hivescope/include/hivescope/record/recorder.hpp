#pragma once
// Every node owns a Recorder. It is append-only and never drops anything; snapshots and marks
// are O(1) views onto a prefix, so a test can take one per WHEN without copying.

#include "hivescope/record/record.hpp"

#include <cstddef>
#include <deque>
#include <iterator>
#include <memory>
#include <string>

namespace hivescope::record {

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
        iterator(const std::deque<Record>* log, std::size_t index) : log_(log), index_(index) {}
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
        const std::deque<Record>* log_ = nullptr;
        std::size_t index_ = 0;
    };
    using const_iterator = iterator;
    using value_type = Record;

    RecordView() = default;
    RecordView(std::shared_ptr<const std::deque<Record>> log, std::size_t first, std::size_t last)
        : log_(std::move(log)), first_(first), last_(last) {}

    [[nodiscard]] iterator begin() const { return {log_.get(), first_}; }
    [[nodiscard]] iterator end() const { return {log_.get(), last_}; }
    [[nodiscard]] std::size_t size() const noexcept { return last_ - first_; }
    [[nodiscard]] bool empty() const noexcept { return first_ == last_; }
    [[nodiscard]] const Record& operator[](std::size_t i) const { return (*log_)[first_ + i]; }

    /// The last `n` records as lines, preceded by `(… N earlier records)` when cut.
    [[nodiscard]] std::string transcript(std::size_t n = 20) const;

  private:
    std::shared_ptr<const std::deque<Record>> log_;
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
    Recorder() : log_(std::make_shared<std::deque<Record>>()) {}
    Recorder(const Recorder&) = delete;
    Recorder& operator=(const Recorder&) = delete;

    /// Appends `record`, stamping its sequence number; returns the stored record.
    const Record& append(Record record);

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
    std::shared_ptr<std::deque<Record>> log_;
};

} // namespace hivescope::record
