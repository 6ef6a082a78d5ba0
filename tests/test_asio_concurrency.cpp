// <libssh2/asio.hpp>: the channels of one session run their commands at once. Four silent
// commands (`sleep 3; echo x`: nothing to read for 3 s) on one session start together: each
// writes the server's clock at its start to a file of its own (not to the channel, which stays
// silent), and the four start times lie within a bound of each other (one after the other
// they would be 3 s apart); they also end together. Run by
// `meson test -C build asio_concurrency` (suite sshd).
#include <catch2/catch_test_macros.hpp>

#include <libssh2/asio.hpp>

#include <asio/io_context.hpp>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <string>
#include <vector>

#include "support/asio_session.hpp"
#include "support/elapsed.hpp"

using namespace std::chrono_literals;
using test_support::clock_type;
using test_support::elapsed_ms;
using test_support::run_within;
namespace net = ::asio;
namespace la = libssh2::asio;

TEST_CASE("async_exec: four silent commands on one session start together") {
    net::io_context io;
    la::session s(io);
    REQUIRE_FALSE(test_support::asio_connect(io, s));
    constexpr int count = 4;
    // The server's clock at each command's start (ms since the epoch: date +%s%3N) in a file,
    // then 3 s of silence: the session has nothing to read from any channel meanwhile.
    std::vector<la::exec_result> results(count);
    std::vector<std::error_code> errors(count, make_error_code(std::errc::interrupted));
    const auto start = clock_type::now();
    std::vector<std::string> stamps;
    for (int i = 0; i < count; ++i) stamps.push_back(test_support::sshd().dir + "/started-" + std::to_string(i));
    for (int i = 0; i < count; ++i)
        la::async_exec(s, "date +%s%3N >" + stamps[static_cast<std::size_t>(i)] + "; sleep 3; echo x",
                       [&, i](std::error_code ec, la::exec_result r) {
            errors[static_cast<std::size_t>(i)] = ec;
            results[static_cast<std::size_t>(i)] = std::move(r);
        });
    REQUIRE(run_within(io, 60s));
    const long took = elapsed_ms(start);
    std::vector<long long> started;
    for (int i = 0; i < count; ++i) {
        const auto n = static_cast<std::size_t>(i);
        REQUIRE_FALSE(errors[n]);
        CHECK(results[n].exit_status == 0);
        CHECK(results[n].out == "x\n");
        std::ifstream stamp(stamps[n]);
        long long at = 0;
        REQUIRE(stamp >> at);
        started.push_back(at);
    }
    const long long spread = *std::max_element(started.begin(), started.end()) -
                             *std::min_element(started.begin(), started.end());
    INFO("start spread " << spread << " ms, all done in " << took << " ms");
    // Together: within a few round trips (50 ms on an idle machine; bounded generously, as the
    // machine may be loaded). One after the other they would start 3 s apart.
    CHECK(spread < 1000);
    CHECK(took < 3000 + 3000);  // one command's 3 s, plus a generous margin; serial: 12 s
}
