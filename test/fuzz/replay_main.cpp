// SPDX-License-Identifier: Apache-2.0
// Replays fuzz corpora in ordinary (non-libFuzzer) builds: each argument is a file or a
// directory of files; every file is fed once to LLVMFuzzerTestOneInput. Under the sanitizer
// build this is how CI checks the corpora stay clean.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {
int run_file(const std::filesystem::path& p)
{
    std::ifstream in(p, std::ios::binary);
    std::vector<char> buf((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    // Copy into an exact-size heap block so ASan catches any read past the end.
    std::vector<std::uint8_t> exact(buf.begin(), buf.end());
    exact.shrink_to_fit();
    LLVMFuzzerTestOneInput(exact.data(), exact.size());
    return 1;
}
} // namespace

int main(int argc, char** argv)
{
    int n = 0;
    for (int i = 1; i < argc; ++i) {
        std::filesystem::path p(argv[i]);
        if (std::filesystem::is_directory(p)) {
            for (auto const& e : std::filesystem::recursive_directory_iterator(p)) {
                if (e.is_regular_file()) {
                    n += run_file(e.path());
                }
            }
        } else {
            n += run_file(p);
        }
    }
    std::printf("replayed %d inputs\n", n);
    return n > 0 ? 0 : 1;
}
