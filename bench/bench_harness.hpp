#pragma once
// A minimal timing harness: each benchmark calibrates its batch size until a batch takes a few
// milliseconds, then reports the median ns/op of several batches. Hand-written because the
// project's dependency list has no benchmark library; wall-clock medians are enough for the
// per-operation targets we track.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

namespace hivescope::bench {

/// Keeps the optimiser from discarding a result.
template <class T> inline void keep(const T& value) {
    asm volatile("" : : "g"(&value) : "memory");
}

struct Result {
    std::string name;
    double ns_per_op;
    std::size_t bytes; ///< size of the message the operation handled (0 if not applicable)
};

class Runner {
  public:
    /// Times `op` and records the result under `name`.
    void run(const std::string& name, std::size_t bytes, const std::function<void()>& op) {
        using clock = std::chrono::steady_clock;
        std::size_t batch = 1;
        for (;;) {
            const auto start = clock::now();
            for (std::size_t i = 0; i < batch; ++i)
                op();
            const auto elapsed = clock::now() - start;
            if (elapsed > std::chrono::milliseconds(20) || batch > (1u << 26))
                break;
            batch *= 2;
        }
        std::vector<double> samples;
        for (int round = 0; round < 9; ++round) {
            const auto start = clock::now();
            for (std::size_t i = 0; i < batch; ++i)
                op();
            const std::chrono::duration<double, std::nano> elapsed = clock::now() - start;
            samples.push_back(elapsed.count() / static_cast<double>(batch));
        }
        std::nth_element(samples.begin(), samples.begin() + 4, samples.end());
        results_.push_back({name, samples[4], bytes});
        std::printf("%-58s %12.1f ns/op  %6zu B\n", name.c_str(), samples[4], bytes);
        std::fflush(stdout);
    }

    [[nodiscard]] const std::vector<Result>& results() const { return results_; }

  private:
    std::vector<Result> results_;
};

} // namespace hivescope::bench
