#include "hivescope/record/recorder.hpp"

namespace hivescope::record {

const Record& Recorder::append(Record record) {
    record.sequence = log_->size();
    log_->push_back(std::move(record));
    return log_->back();
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
    for (const Record& record : *log_) {
        mix(record.to_line());
        if (record.frame)
            mix(record.frame->data());
    }
    return hash;
}

} // namespace hivescope::record
