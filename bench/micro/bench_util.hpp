// SPDX-License-Identifier: Apache-2.0
#pragma once
// Minimal micro-benchmark harness: run a body in batches until a time budget is spent,
// report the best batch's ns/op (the least disturbed by the other core's load).

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace siehub::bench {

// Keeps the optimiser from discarding a computed value.
template <class T>
inline void keep(T const& v)
{
    asm volatile("" : : "r,m"(v) : "memory");
}

struct result {
    std::string name;
    double ns_per_op;
    std::uint64_t ops;
};

// Calls body() `batch` times per round; rounds run until budget_ms has elapsed.
template <class F>
result measure(const std::string& name, F&& body, std::uint64_t batch = 10000, int budget_ms = 300)
{
    using clock = std::chrono::steady_clock;
    double best = 1e300;
    std::uint64_t total = 0;
    auto const start = clock::now();
    do {
        auto const t0 = clock::now();
        for (std::uint64_t i = 0; i < batch; ++i) {
            body();
        }
        auto const t1 = clock::now();
        double ns = std::chrono::duration<double, std::nano>(t1 - t0).count() / double(batch);
        if (ns < best) {
            best = ns;
        }
        total += batch;
    } while (clock::now() - start < std::chrono::milliseconds(budget_ms));
    return {name, best, total};
}

inline void print(const result& r)
{
    std::printf("%-56s %10.1f ns/op  (%llu ops)\n", r.name.c_str(), r.ns_per_op,
                static_cast<unsigned long long>(r.ops));
}

inline void print_ratio(const char* what, const result& ours, const result& base)
{
    std::printf("%-56s %10.2fx  (%s %.1f ns vs %s %.1f ns)\n", what, base.ns_per_op / ours.ns_per_op,
                base.name.c_str(), base.ns_per_op, ours.name.c_str(), ours.ns_per_op);
}

} // namespace siehub::bench
