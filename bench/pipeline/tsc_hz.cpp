// SPDX-License-Identifier: Apache-2.0
// Prints the TSC frequency in Hz (rdtsc against the monotonic clock over 200 ms), the clock
// the hub's cycle counts use; run_bench.py turns seconds into cycles per payload with it.
#include <x86intrin.h>

#include <chrono>
#include <cstdio>
#include <thread>

int main()
{
    auto const t0 = std::chrono::steady_clock::now();
    unsigned long long const c0 = __rdtsc();
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    unsigned long long const c1 = __rdtsc();
    auto const t1 = std::chrono::steady_clock::now();
    double const s = std::chrono::duration<double>(t1 - t0).count();
    std::printf("%.0f\n", static_cast<double>(c1 - c0) / s);
    return 0;
}
