// <libssh2/asio.hpp>: fair steps. While four SFTP transfers run on one session and one thread, a
// 10 ms timer on the same io_context still runs about on time: a step copies for about
// detail::step_budget_us and receives at most detail::step_receive_limit, then the engine
// posts its next round. Before, one step read until libssh2 would block and the timer slipped
// by the whole transfer (seconds here); bench/fairness measures both. The bound asserted is
// generous (two busy cores, debug and sanitizer builds): what it catches is a step without end.
// Run by `meson test -C build asio_fairness` (suite sshd).
#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>

#include <libssh2/asio.hpp>

#include <asio/io_context.hpp>

#include <unistd.h>

#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "support/asio_session.hpp"
#include "support/bytes.hpp"
#include "support/timer_slip.hpp"

using test_support::asio_connect;
using test_support::sshd;
namespace net = ::asio;
namespace la = libssh2::asio;

namespace {

constexpr std::size_t megabytes = 32;
constexpr double slip_bound_ms = 1000;  // expected: tens of ms, 100 to 500 on two cores under load 20

std::string scratch(const std::string &name) { return sshd().dir + "/fairness-" + name; }

void write_source(const std::string &path) {
    std::ofstream out(path, std::ios::binary);
    const std::vector<char> chunk = test_support::pattern(1024 * 1024, 5);
    for (std::size_t i = 0; i < megabytes; ++i) out.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
}

}  // namespace

TEST_CASE("fair steps: a 10 ms timer on the thread of four SFTP transfers runs about on time") {
    const long budget = la::detail::step_budget_us;
    REQUIRE(budget > 0);
    const std::string source = scratch("source");
    write_source(source);
    const bool upload = GENERATE(false, true);
    CAPTURE(upload);
    std::vector<std::pair<std::string, std::string>> files;  // (remote, local)
    for (int i = 0; i < 4; ++i) {
        const std::string copy = scratch("copy" + std::to_string(i));
        files.emplace_back(upload ? copy : source, upload ? source : copy);
    }
    // Without a budget (as before), then with: the same transfers, the same machine's load.
    test_support::slip_figures unbounded, bounded;
    struct restore_budget {
        long budget;
        ~restore_budget() { la::detail::step_budget_us = budget; }
    } restored{budget};
    for (const long step_budget : {0L, budget}) {
        la::detail::step_budget_us = step_budget;
        net::io_context io;
        la::session s(io);
        REQUIRE_FALSE(asio_connect(io, s));
        (step_budget ? bounded : unbounded) = test_support::transfers_with_timer(io, s, upload, files);
    }
    REQUIRE_FALSE(unbounded.error);
    REQUIRE_FALSE(bounded.error);
    CHECK(bounded.bytes == 4 * megabytes * 1024 * 1024);
    INFO("without a budget: slip max " << unbounded.max_ms << " ms, " << unbounded.ticks << " ticks in "
                                       << unbounded.seconds << " s; with: slip max " << bounded.max_ms << " ms, p99 "
                                       << bounded.p99_ms << " ms, " << bounded.ticks << " ticks in " << bounded.seconds
                                       << " s");
    CHECK(bounded.max_ms < slip_bound_ms);
    CHECK(bounded.max_ms < unbounded.max_ms / 2);
    for (const auto &[remote, local] : files) ::unlink((upload ? remote : local).c_str());
    ::unlink(source.c_str());
}
