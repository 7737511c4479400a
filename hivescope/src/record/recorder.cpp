#include "hivescope/record/recorder.hpp"

#include <algorithm>
#include <new>
#include <type_traits>

namespace hivescope::record {

static_assert(std::is_nothrow_move_constructible_v<Record>,
              "RecordLog::push_back moves a record into place without a rollback");

RecordLog::~RecordLog() {
    for (std::size_t block = 0; block < blocks_.size(); ++block) {
        const std::size_t first = first_of(block);
        if (first < size_)
            std::destroy_n(blocks_[block], std::min(capacity_of(block), size_ - first));
        ::operator delete(blocks_[block]);
    }
}

const Record& RecordLog::push_back(Record&& record) {
    Record* stored = new (next_slot()) Record(std::move(record));
    ++size_;
    return *stored;
}

Record& RecordLog::emplace_back() {
    Record* stored = new (next_slot()) Record();
    ++size_;
    return *stored;
}

void* RecordLog::next_slot() {
    const Slot slot = locate(size_);
    if (slot.block == blocks_.size()) {
        auto* block =
            static_cast<Record*>(::operator new(capacity_of(slot.block) * sizeof(Record)));
        try {
            blocks_.push_back(block);
        } catch (...) {
            ::operator delete(block);
            throw;
        }
    }
    return blocks_[slot.block] + slot.offset;
}

Record& Recorder::append_new() {
    Record& record = log_->emplace_back();
    record.sequence = log_->size() - 1;
    return record;
}

const Record& Recorder::append(Record&& record) {
    record.sequence = log_->size();
    return log_->push_back(std::move(record));
}

std::string RecordView::transcript(std::size_t n) const {
    std::string out;
    const std::size_t shown = std::min(n, size());
    if (shown < size())
        out += "(… " + std::to_string(size() - shown) + " earlier records)\n";
    for (std::size_t i = size() - shown; i < size(); ++i)
        out += (*this)[i].to_line() + "\n";
    return out;
}

std::uint64_t Recorder::digest() const {
    // FNV-1a over each record's line and raw frame bytes: cheap, stable across runs and builds.
    std::uint64_t hash = 14695981039346656037ull;
    const auto mix = [&hash](std::string_view bytes) {
        for (const char c : bytes) {
            hash ^= static_cast<unsigned char>(c);
            hash *= 1099511628211ull;
        }
        hash ^= 0xff;
        hash *= 1099511628211ull;
    };
    for (const Record& record : *this) {
        mix(record.to_line());
        if (record.frame)
            mix(record.frame->data());
    }
    return hash;
}

} // namespace hivescope::record
