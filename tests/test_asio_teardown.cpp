// <libssh2/asio.hpp>: the end of sessions, off the io_context. Sessions whose server stopped
// (SIGSTOP) with a command running: destroying them gives the io_context back at once, and
// all of them are freed (memory, sockets) within one teardown bound in total, concurrently,
// while a healthy session on the same io_context keeps its pace; cancelling a running exec
// completes its handler at once and io_context::run returns within the bound, not when the
// command ends. SFTP transfers stopped so, and sessions whose server was killed, leave nothing
// behind (LSan, in the sanitizer build).
// Run by `meson test -C build asio_teardown` (suite sshd).
#include <catch2/catch_test_macros.hpp>

#include <libssh2/asio.hpp>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/io_context.hpp>

#include <dirent.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "support/asio_session.hpp"
#include "support/elapsed.hpp"
#include "support/server_signal.hpp"

using namespace std::chrono_literals;
using test_support::clock_type;
using test_support::elapsed_ms;
using test_support::run_within;
namespace net = ::asio;
namespace la = libssh2::asio;

namespace {

constexpr long bound_ms = 1000;  // the teardown bound of every session here

// The file descriptors this process has open: a freed session's socket is closed.
int open_descriptors() {
    int count = 0;
    if (DIR *dir = ::opendir("/proc/self/fd")) {
        while (::readdir(dir)) ++count;
        ::closedir(dir);
    }
    return count;
}

// Waits (up to limit) until no teardown is under way; the time it took.
long wait_for_teardowns(std::chrono::milliseconds limit) {
    const auto start = clock_type::now();
    while (la::detail::teardowns_in_progress() > 0 && clock_type::now() - start < limit)
        std::this_thread::sleep_for(5ms);
    return elapsed_ms(start);
}

// The pid of the server process that serves s's connection: the parent of its commands.
long server_process(net::io_context &io, la::session &s) {
    std::error_code ec;
    const la::exec_result result = test_support::asio_exec(io, s, "echo $PPID", ec);
    REQUIRE_FALSE(ec);
    return std::stol(result.out);
}

// Stopped server processes, resumed (SIGCONT) at the end of the test whatever happens.
struct stopped_servers {
    std::vector<long> pids;
    void stop(long pid) {
        REQUIRE(test_support::signal_server_process(pid, test_support::server_signal::stop));
        pids.push_back(pid);
    }
    ~stopped_servers() {
        for (long pid : pids) test_support::signal_server_process(pid, test_support::server_signal::resume);
    }
};

// Runs `true` on s count times, one after the other; the time they took.
long exec_chain(net::io_context &io, la::session &s, int count) {
    int left = count;
    std::error_code error;
    std::function<void()> next = [&] {
        la::async_exec(s, "true", [&](std::error_code ec, la::exec_result) {
            if (ec) error = ec;
            if (--left > 0 && !error) next();
        });
    };
    const auto start = clock_type::now();
    next();
    REQUIRE(run_within(io, 30s));
    REQUIRE_FALSE(error);
    REQUIRE(left == 0);
    return elapsed_ms(start);
}

}  // namespace

TEST_CASE("teardown: N sessions stuck on a stopped server end off the io_context, within one bound in total") {
    REQUIRE(wait_for_teardowns(30s) < 30000);  // none left by an earlier test
    net::io_context io;
    la::session healthy(io);
    REQUIRE_FALSE(test_support::asio_connect(io, healthy));
    const long alone = exec_chain(io, healthy, 10);  // the healthy session's pace, alone

    constexpr int count = 8;  // one after the other, their frees would take count bounds
    std::vector<std::unique_ptr<la::session>> stuck;
    std::vector<std::error_code> errors(count);
    stopped_servers servers;
    for (int i = 0; i < count; ++i) {
        stuck.push_back(std::make_unique<la::session>(io));
        REQUIRE_FALSE(test_support::asio_connect(io, *stuck.back()));
        stuck.back()->ssh().set_teardown_timeout(bound_ms);
        servers.stop(server_process(io, *stuck.back()));
    }
    // A command each, pending on its stopped server: its channel is open, and libssh2 would
    // wait for the server's close.
    for (int i = 0; i < count; ++i)
        la::async_exec(*stuck[static_cast<std::size_t>(i)], "sleep 30",
                       [&, i](std::error_code ec, la::exec_result) { errors[static_cast<std::size_t>(i)] = ec; });
    io.restart();
    io.run_for(200ms);

    const auto start = clock_type::now();
    stuck.clear();
    REQUIRE(run_within(io, 30s));
    const long loop_busy = elapsed_ms(start);
    for (const auto &ec : errors) CHECK(ec == net::error::operation_aborted);
    // The io_context is given back at once: well within one bound (inline: count bounds).
    CHECK(loop_busy < bound_ms / 2);

    // Meanwhile the healthy session keeps its pace.
    const long during = exec_chain(io, healthy, 10);
    INFO("healthy chain alone " << alone << " ms, during the teardowns " << during << " ms");
    CHECK(during < 3 * alone + 500);

    // All freed together: within the bound and the cut's second, not count bounds.
    wait_for_teardowns(30s);
    const long total = elapsed_ms(start);
    INFO("run() busy " << loop_busy << " ms, all freed after " << total << " ms");
    CHECK(la::detail::teardowns_in_progress() == 0);
    CHECK(total < 3 * bound_ms);
}

TEST_CASE("teardown: the sockets of sessions ended on a stopped server are closed") {
    REQUIRE(wait_for_teardowns(30s) < 30000);
    const int before = open_descriptors();
    {
        net::io_context io;
        std::vector<std::unique_ptr<la::session>> stuck;
        stopped_servers servers;
        for (int i = 0; i < 4; ++i) {
            stuck.push_back(std::make_unique<la::session>(io));
            REQUIRE_FALSE(test_support::asio_connect(io, *stuck.back()));
            stuck.back()->ssh().set_teardown_timeout(300);
            servers.stop(server_process(io, *stuck.back()));
        }
        for (auto &s : stuck) la::async_exec(*s, "sleep 30", [](std::error_code, la::exec_result) {});
        io.restart();
        io.run_for(200ms);
        CHECK(open_descriptors() > before);
        stuck.clear();
        REQUIRE(run_within(io, 30s));
        wait_for_teardowns(30s);
    }
    CHECK(la::detail::teardowns_in_progress() == 0);
    CHECK(open_descriptors() == before);
}

TEST_CASE("teardown: a cancelled running exec completes at once; run() returns within the bound") {
    net::io_context io;
    la::session s(io);
    REQUIRE_FALSE(test_support::asio_connect(io, s));
    s.ssh().set_teardown_timeout(bound_ms);
    // Four commands that run for 30 s; sshd closes their channels only when they end.
    constexpr int count = 4;
    std::vector<long> aborted_at(count, -1);
    std::vector<std::error_code> errors(count);
    const auto start = clock_type::now();
    for (int i = 0; i < count; ++i)
        la::async_exec(s, "sleep 30", [&, i](std::error_code ec, la::exec_result) {
            errors[static_cast<std::size_t>(i)] = ec;
            aborted_at[static_cast<std::size_t>(i)] = elapsed_ms(start);
        });
    net::steady_timer cancel(io);
    long cancelled_at = -1;
    cancel.expires_after(300ms);
    cancel.async_wait([&](std::error_code) {
        cancelled_at = elapsed_ms(start);
        s.cancel();
    });
    REQUIRE(run_within(io, 30s));
    const long returned = elapsed_ms(start) - cancelled_at;
    for (int i = 0; i < count; ++i) {
        CHECK(errors[static_cast<std::size_t>(i)] == net::error::operation_aborted);
        CHECK(aborted_at[static_cast<std::size_t>(i)] - cancelled_at < bound_ms / 2);  // at once
    }
    INFO("run() returned " << returned << " ms after the cancellation");
    CHECK(returned < 2 * bound_ms);  // the closing channels given up after the bound; not 30 s

    // The session goes on; its end frees the given-up channels off the io_context.
    std::error_code ec;
    CHECK(test_support::asio_exec(io, s, "echo next", ec).out == "next\n");
    CHECK_FALSE(ec);
}

TEST_CASE("teardown: a session destroyed with a command running: run() returns at once") {
    REQUIRE(wait_for_teardowns(30s) < 30000);
    net::io_context io;
    auto s = std::make_unique<la::session>(io);
    REQUIRE_FALSE(test_support::asio_connect(io, *s));
    s->ssh().set_teardown_timeout(bound_ms);
    std::error_code error;
    la::async_exec(*s, "sleep 30", [&](std::error_code ec, la::exec_result) { error = ec; });
    io.restart();
    io.run_for(300ms);
    const auto start = clock_type::now();
    s.reset();
    REQUIRE(run_within(io, 30s));
    CHECK(elapsed_ms(start) < bound_ms / 2);
    CHECK(error == net::error::operation_aborted);
    wait_for_teardowns(30s);
    INFO("freed after " << elapsed_ms(start) << " ms");
    CHECK(elapsed_ms(start) < 3 * bound_ms);
}

TEST_CASE("teardown: SFTP transfers stopped on a stopped server are freed too (no leak under LSan)") {
    REQUIRE(wait_for_teardowns(30s) < 30000);
    const std::string big = test_support::sshd().dir + "/teardown-big";
    {
        std::ofstream out(big, std::ios::binary);
        const std::string chunk(1024 * 1024, 'x');
        for (int i = 0; i < 128; ++i) out << chunk;
    }
    net::io_context io;
    // Two sessions: one destroyed with its transfer pending, one whose transfer is cancelled
    // (its SFTP file and session left to the teardown after the bound), then destroyed.
    std::vector<std::unique_ptr<la::session>> sessions;
    stopped_servers servers;
    for (int i = 0; i < 2; ++i) {
        sessions.push_back(std::make_unique<la::session>(io));
        REQUIRE_FALSE(test_support::asio_connect(io, *sessions.back()));
        sessions.back()->ssh().set_teardown_timeout(300);
    }
    std::vector<long> pids;
    for (auto &s : sessions) pids.push_back(server_process(io, *s));
    std::vector<std::error_code> errors(2, make_error_code(std::errc::interrupted));
    net::cancellation_signal signal;
    const std::string local = test_support::sshd().dir + "/teardown-copy-";
    la::async_sftp_get(*sessions[0], big, local + "0", [&](std::error_code ec, std::uint64_t) { errors[0] = ec; });
    la::async_sftp_get(*sessions[1], big, local + "1",
                       net::bind_cancellation_slot(signal.slot(), [&](std::error_code ec, std::uint64_t) { errors[1] = ec; }));
    io.restart();
    io.run_for(20ms);  // the transfers are under way
    for (long pid : pids) servers.stop(pid);
    // A transfer that ended before its server stopped has nothing left to leak: not checked.
    const bool pending = errors[0] == std::errc::interrupted && errors[1] == std::errc::interrupted;
    if (!pending) WARN("a transfer ended before its server stopped (a fast machine): nothing stopped mid-way");
    signal.emit(net::cancellation_type::terminal);
    io.restart();
    io.run_for(1000ms);  // the cancelled one closes within the 300 ms bound, then gives up
    if (pending) CHECK(errors[1] == net::error::operation_aborted);
    const auto start = clock_type::now();
    sessions.clear();
    REQUIRE(run_within(io, 10s));
    if (pending) CHECK(errors[0] == net::error::operation_aborted);
    wait_for_teardowns(30s);
    CHECK(la::detail::teardowns_in_progress() == 0);
    CHECK(elapsed_ms(start) < 3000);
    ::unlink(big.c_str());
    ::unlink((local + "0").c_str());
    ::unlink((local + "1").c_str());
}

TEST_CASE("teardown: sessions whose server was killed mid-command end at once (no leak under LSan)") {
    REQUIRE(wait_for_teardowns(30s) < 30000);
    net::io_context io;
    std::vector<std::unique_ptr<la::session>> sessions;
    for (int i = 0; i < 2; ++i) {
        sessions.push_back(std::make_unique<la::session>(io));
        REQUIRE_FALSE(test_support::asio_connect(io, *sessions.back()));
        sessions.back()->ssh().set_teardown_timeout(bound_ms);
    }
    std::vector<long> pids;
    for (auto &s : sessions) pids.push_back(server_process(io, *s));
    std::vector<std::error_code> errors(2);
    la::async_exec(*sessions[0], "sleep 30", [&](std::error_code ec, la::exec_result) { errors[0] = ec; });
    la::async_exec(*sessions[1], "sleep 30", [&](std::error_code ec, la::exec_result) { errors[1] = ec; });
    io.restart();
    io.run_for(200ms);
    REQUIRE(test_support::signal_server_process(pids[0], test_support::server_signal::kill));  // the first fails on its own
    REQUIRE(test_support::signal_server_process(pids[1], test_support::server_signal::kill));  // the second is destroyed pending
    io.restart();
    io.run_for(200ms);
    const auto start = clock_type::now();
    sessions.clear();
    REQUIRE(run_within(io, 10s));
    CHECK(errors[0]);
    CHECK(errors[1]);
    wait_for_teardowns(30s);
    INFO("freed after " << elapsed_ms(start) << " ms");
    CHECK(elapsed_ms(start) < bound_ms);  // the connection is gone: nothing to wait for
}
