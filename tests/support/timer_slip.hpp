// SPDX-License-Identifier: BSD-3-Clause
// How late a timer runs on an io_context while SFTP transfers run on the same thread: the
// fairness test (tests/test_asio_fairness.cpp) and bench/fairness.cpp measure with this.
#pragma once

#include <libssh2/asio.hpp>

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

namespace test_support {

struct slip_figures {
    double max_ms = 0;      // the latest a 10 ms timer ran after its time
    double p99_ms = 0;      // its 99th percentile
    long ticks = 0;         // how often it ran
    double seconds = 0;     // from the first transfer's start to the last one's end
    std::uint64_t bytes = 0;  // copied, all transfers together
    double cpu_seconds = 0;  // this process's user + sys time meanwhile (the sshd's not included)
    std::error_code error;  // the first transfer's failure, if any
    double mb_per_s() const { return seconds > 0 ? static_cast<double>(bytes) / seconds / 1e6 : 0; }
};

// Runs one transfer per (remote, local) pair at once on s (gets, or puts when upload), and a
// timer every period on io, until the transfers are done or limit passes (then error is
// std::errc::timed_out). io must run only here (one thread).
inline slip_figures transfers_with_timer(::asio::io_context &io, libssh2::asio::session &s, bool upload,
                                         const std::vector<std::pair<std::string, std::string>> &files,
                                         std::chrono::milliseconds period = std::chrono::milliseconds(10),
                                         std::chrono::seconds limit = std::chrono::seconds(120)) {
    using clock = std::chrono::steady_clock;
    slip_figures figures;
    std::vector<double> slips;
    std::size_t left = files.size();
    const auto cpu_now = [] {
        rusage usage{};
        ::getrusage(RUSAGE_SELF, &usage);
        return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
               static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
    };
    const double cpu_start = cpu_now();
    const auto start = clock::now();
    auto end = start;
    for (const auto &[remote, local] : files) {
        auto done = [&](std::error_code ec, std::uint64_t n) {
            if (ec && !figures.error) figures.error = ec;
            figures.bytes += n;
            if (--left == 0) end = clock::now();
        };
        if (upload)
            libssh2::asio::async_sftp_put(s, local, remote, 0600, done);
        else
            libssh2::asio::async_sftp_get(s, remote, local, done);
    }
    ::asio::steady_timer timer(io);
    auto due = start + period;
    std::function<void(std::error_code)> tick = [&](std::error_code) {
        const auto now = clock::now();
        slips.push_back(std::chrono::duration<double, std::milli>(now - due).count());
        if (left == 0) return;
        due = std::max(due + period, now);  // a late tick does not make the next ones early
        timer.expires_at(due);
        timer.async_wait(tick);
    };
    timer.expires_at(due);
    timer.async_wait(tick);
    io.restart();
    io.run_for(limit);
    if (left != 0) {  // the handlers refer to this frame: they run before it returns
        end = clock::now();
        s.cancel();
        timer.cancel();
        io.restart();
        io.run_for(limit);
        figures.error = make_error_code(std::errc::timed_out);
    }
    figures.seconds = std::chrono::duration<double>(end - start).count();
    figures.cpu_seconds = cpu_now() - cpu_start;
    figures.ticks = static_cast<long>(slips.size());
    if (!slips.empty()) {
        std::sort(slips.begin(), slips.end());
        figures.max_ms = slips.back();
        figures.p99_ms = slips[std::min(slips.size() - 1, slips.size() * 99 / 100)];
    }
    return figures;
}

}  // namespace test_support
