// SPDX-License-Identifier: BSD-3-Clause
// bench/fairness: how late a 10 ms timer runs on a single-threaded io_context while four SFTP
// transfers run on it (one session, four SFTP sessions), and their throughput, with the
// engine's step budget (libssh2::asio::detail::step_budget_us, 1 ms) against no budget (a step
// copied until libssh2 would block, as before 0.1.0), in one run: interleaved rounds, medians,
// ratios. Starts its own sshd (scripts/test-sshd, as the tests do). Build it -O2:
//     scripts/configure build-release --buildtype=release && ninja -C build-release bench/bench_fairness
//     build-release/bench/bench_fairness [MB per transfer, default 50] [rounds, default 3]
// Prints a markdown table (bench/README.md, "Fair steps").
#include <libssh2/asio.hpp>

#include <asio/io_context.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "../tests/support/asio_session.hpp"
#include "../tests/support/timer_slip.hpp"

namespace {

double median(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    return values.empty() ? 0 : values[values.size() / 2];
}

struct mode {
    const char *name;
    long budget_us;
};

}  // namespace

int main(int argc, char **argv) {
    const long mb = argc > 1 ? std::atol(argv[1]) : 50;
    const int rounds = argc > 2 ? std::atoi(argv[2]) : 3;
    const std::string dir = (::access("/dev/shm", W_OK) == 0 ? std::string("/dev/shm") : test_support::sshd().dir) +
                            "/libssh2-hpp-fairness-" + std::to_string(::getpid());
    ::mkdir(dir.c_str(), 0700);
    const std::string source = dir + "/source";
    {
        std::ofstream out(source, std::ios::binary);
        std::vector<char> chunk(1024 * 1024);
        for (std::size_t i = 0; i < chunk.size(); ++i) chunk[i] = static_cast<char>(i * 7 + i / 251);
        for (long i = 0; i < mb; ++i) out.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    }
    const mode modes[] = {{"no budget (before)", 0}, {"1 ms budget (now)", 1000}};
    // (direction, mode) -> per-round figures
    std::map<std::pair<int, int>, std::vector<test_support::slip_figures>> runs;
    for (int round = 0; round < rounds; ++round)
        for (int upload = 0; upload < 2; ++upload)
            for (int m = 0; m < 2; ++m) {
                const int which = (round % 2) ? 1 - m : m;  // alternate the order per round
                libssh2::asio::detail::step_budget_us = modes[which].budget_us;
                asio::io_context io;
                libssh2::asio::session s(io);
                if (const auto ec = test_support::asio_connect(io, s)) {
                    std::fprintf(stderr, "connect: %s\n", ec.message().c_str());
                    return 1;
                }
                std::vector<std::pair<std::string, std::string>> files;
                for (int i = 0; i < 4; ++i) {
                    const std::string copy = dir + "/copy" + std::to_string(i);
                    files.emplace_back(upload ? copy : source, upload ? source : copy);
                }
                const test_support::slip_figures f = test_support::transfers_with_timer(io, s, upload != 0, files);
                if (f.error) {
                    std::fprintf(stderr, "transfer: %s\n", f.error.message().c_str());
                    return 1;
                }
                runs[{upload, which}].push_back(f);
            }
    std::printf("Four SFTP transfers of %ld MB at once on one session, one thread; a 10 ms timer on the same "
                "io_context. Medians of %d rounds.\n\n",
                mb, rounds);
    std::printf("| direction | step | timer slip, max (ms) | p99 (ms) | MB/s | client CPU (ms/MB) | slip max, now/before | "
                "MB/s, now/before | CPU, now/before |\n");
    std::printf("|---|---|---:|---:|---:|---:|---:|---:|---:|\n");
    for (int upload = 0; upload < 2; ++upload) {
        double before_max = 0, before_rate = 0, before_cpu = 0;
        for (int m = 0; m < 2; ++m) {
            std::vector<double> max, p99, rate, cpu;
            for (const auto &f : runs[{upload, m}]) {
                max.push_back(f.max_ms);
                p99.push_back(f.p99_ms);
                rate.push_back(f.mb_per_s());
                cpu.push_back(f.cpu_seconds * 1e3 / (static_cast<double>(f.bytes) / 1e6));
            }
            const double max_ms = median(max), rate_mb = median(rate), cpu_ms = median(cpu);
            if (m == 0) {
                before_max = max_ms;
                before_rate = rate_mb;
                before_cpu = cpu_ms;
                std::printf("| %s | %s | %.1f | %.1f | %.0f | %.2f | | | |\n", upload ? "put" : "get", modes[m].name,
                            max_ms, median(p99), rate_mb, cpu_ms);
            } else {
                std::printf("| %s | %s | %.1f | %.1f | %.0f | %.2f | %.3f | %.3f | %.3f |\n", upload ? "put" : "get",
                            modes[m].name, max_ms, median(p99), rate_mb, cpu_ms, max_ms / before_max,
                            rate_mb / before_rate, cpu_ms / before_cpu);
            }
        }
    }
    for (int i = 0; i < 4; ++i) ::unlink((dir + "/copy" + std::to_string(i)).c_str());
    ::unlink(source.c_str());
    ::rmdir(dir.c_str());
    return 0;
}
