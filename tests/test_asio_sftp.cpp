// <libssh2/asio.hpp>: async_sftp_get and async_sftp_put over the caller's SFTP session (one SFTP
// session, many files), and what a transfer leaves when it is stopped mid-way: an operation
// timeout on a server that stopped (SIGSTOP), a cancellation the stopped server never answers
// (the teardown bound passes), a server killed (SIGKILL). Each completes in bounded time and the
// session frees everything: built with -Db_sanitize=address, LeakSanitizer fails the run if not
// (libssh2 up to 1.11.1 never frees an SFTP handle that was given up, 13-148 KB each).
// Run by `meson test -C build asio_sftp` (suite sshd).
#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>

#include <libssh2/asio.hpp>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/io_context.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "support/asio_session.hpp"
#include "support/bytes.hpp"
#include "support/elapsed.hpp"
#include "support/server_signal.hpp"

using namespace std::chrono_literals;
using test_support::asio_connect;
using test_support::clock_type;
using test_support::elapsed_ms;
using test_support::run_within;
using test_support::sshd;
namespace net = ::asio;
namespace la = libssh2::asio;

namespace {

std::string scratch(const std::string &name) { return sshd().dir + "/asio-sftp-" + name; }

std::string read_file(const std::string &path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A file of megabytes MiB; large enough that a transfer is still running when the test acts.
void write_big(const std::string &path, int megabytes) {
    std::ofstream out(path, std::ios::binary);
    const std::vector<char> chunk = test_support::pattern(1024 * 1024, 9);
    for (int i = 0; i < megabytes; ++i) out.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
}

// The sshd process serving s's connection (the parent of its commands' shell).
pid_t server_process(net::io_context &io, la::session &s) {
    std::error_code ec;
    const la::exec_result result = test_support::asio_exec(io, s, "echo $PPID", ec);
    REQUIRE_FALSE(ec);
    return static_cast<pid_t>(std::stol(result.out));
}

// Runs io until more than bytes of local have arrived (a get is in the middle of its file).
void run_until_arrived(net::io_context &io, const std::string &local, long bytes) {
    const auto start = clock_type::now();
    io.restart();
    for (;;) {
        struct stat st {};
        if (::stat(local.c_str(), &st) == 0 && st.st_size > bytes) return;
        REQUIRE(elapsed_ms(start) < 20000);
        io.run_for(5ms);
    }
}

// Resumes (SIGCONT) or reaps nothing: the test's signal is undone when it ends.
struct resume {
    pid_t pid;
    ~resume() { test_support::signal_server_process(pid, test_support::server_signal::resume); }
};

}  // namespace

TEST_CASE("async_sftp_get and async_sftp_put over one SFTP session: four files each way, byte for byte") {
    net::io_context io;
    la::session s(io);
    REQUIRE_FALSE(asio_connect(io, s));
    libssh2::sftp shared;
    la::async_call(s, [&] { return libssh2::sftp::init(s.ssh()); },
                   [&](std::error_code ec, libssh2::sftp opened) {
                       REQUIRE_FALSE(ec);
                       shared = std::move(opened);
                   });
    REQUIRE(run_within(io, 10s));
    REQUIRE(shared);

    std::vector<std::string> contents;
    for (unsigned i = 0; i < 4; ++i) {
        const std::vector<char> bytes = test_support::pattern(3 * 1024 * 1024 + i * 1001, 20 + i);
        contents.emplace_back(bytes.begin(), bytes.end());
        std::ofstream(scratch("source" + std::to_string(i)), std::ios::binary) << contents.back();
    }
    std::vector<std::error_code> errors(8, make_error_code(std::errc::interrupted));
    for (unsigned i = 0; i < 4; ++i) {
        const std::string n = std::to_string(i);
        la::async_sftp_get(s, shared, scratch("source" + n), scratch("got" + n),
                           [&, i](std::error_code ec, std::uint64_t) { errors[i] = ec; });
        la::async_sftp_put(s, shared, scratch("source" + n), scratch("put" + n), 0600,
                           [&, i](std::error_code ec, std::uint64_t) { errors[4 + i] = ec; });
    }
    REQUIRE(run_within(io, 60s));
    for (unsigned i = 0; i < 8; ++i) CHECK_FALSE(errors[i]);
    for (unsigned i = 0; i < 4; ++i) {
        const std::string n = std::to_string(i);
        CHECK(test_support::difference(read_file(scratch("got" + n)), contents[i]).empty());
        CHECK(test_support::difference(read_file(scratch("put" + n)), contents[i]).empty());
    }

    SECTION("a missing file: the server's status; the SFTP session goes on") {
        std::error_code missing;
        la::async_sftp_get(s, shared, scratch("missing"), scratch("never"),
                           [&](std::error_code ec, std::uint64_t) { missing = ec; });
        REQUIRE(run_within(io, 10s));
        CHECK(missing == libssh2::sftp_errc::no_such_file);
        std::error_code again = make_error_code(std::errc::interrupted);
        la::async_sftp_get(s, shared, scratch("source0"), scratch("again"),
                           [&](std::error_code ec, std::uint64_t) { again = ec; });
        REQUIRE(run_within(io, 10s));
        CHECK_FALSE(again);
        CHECK(read_file(scratch("again")) == contents[0]);
    }
}

TEST_CASE("async_sftp_get: the operation timeout on a server that stopped mid-transfer; nothing leaks") {
    const std::string big = scratch("big-timeout");
    write_big(big, 256);
    net::io_context io;
    auto s = std::make_unique<la::session>(io);
    REQUIRE_FALSE(asio_connect(io, *s));
    const pid_t server = server_process(io, *s);
    const bool shared_sftp = GENERATE(false, true);
    CAPTURE(shared_sftp);
    libssh2::sftp shared;
    if (shared_sftp) {
        la::async_call(*s, [&] { return libssh2::sftp::init(s->ssh()); },
                       [&](std::error_code, libssh2::sftp opened) { shared = std::move(opened); });
        REQUIRE(run_within(io, 10s));
        REQUIRE(shared);
    }
    s->set_operation_timeout(3s);
    std::error_code error = make_error_code(std::errc::interrupted);
    auto done = [&](std::error_code ec, std::uint64_t) { error = ec; };
    if (shared_sftp)
        la::async_sftp_get(*s, shared, big, scratch("partial-timeout"), done);
    else
        la::async_sftp_get(*s, big, scratch("partial-timeout"), done);
    run_until_arrived(io, scratch("partial-timeout"), 1024 * 1024);
    REQUIRE(test_support::signal_server_process(server, test_support::server_signal::stop));
    resume resumed{server};
    const auto start = clock_type::now();
    REQUIRE(run_within(io, 15s));
    CHECK(error == libssh2::errc::timeout);
    CHECK(elapsed_ms(start) < 8000);
    shared = libssh2::sftp();  // the connection is cut: freed at once
    s.reset();
    REQUIRE(run_within(io, 10s));
    ::unlink(big.c_str());
    ::unlink(scratch("partial-timeout").c_str());
}

TEST_CASE("async_sftp_get: cancelled while the server is stopped; given up after the teardown bound, freed") {
    const std::string big = scratch("big-cancel");
    write_big(big, 256);
    net::io_context io;
    auto s = std::make_unique<la::session>(io);
    REQUIRE_FALSE(asio_connect(io, *s));
    const pid_t server = server_process(io, *s);
    s->ssh().set_teardown_timeout(500);
    net::cancellation_signal signal;
    std::error_code error = make_error_code(std::errc::interrupted);
    la::async_sftp_get(*s, big, scratch("partial-cancel"),
                       net::bind_cancellation_slot(signal.slot(), [&](std::error_code ec, std::uint64_t) { error = ec; }));
    run_until_arrived(io, scratch("partial-cancel"), 1024 * 1024);
    REQUIRE(test_support::signal_server_process(server, test_support::server_signal::stop));
    resume resumed{server};
    signal.emit(net::cancellation_type::terminal);
    const auto start = clock_type::now();
    REQUIRE(run_within(io, 15s));  // the close goes unanswered: given up after 500 ms
    CHECK(error == net::error::operation_aborted);
    CHECK(elapsed_ms(start) < 5000);
    s.reset();
    REQUIRE(run_within(io, 10s));
    ::unlink(big.c_str());
    ::unlink(scratch("partial-cancel").c_str());
}

TEST_CASE("async_sftp_get and async_sftp_put: the server killed mid-transfer; an error at once, nothing leaks") {
    const bool upload = GENERATE(false, true);
    CAPTURE(upload);
    const std::string big = scratch("big-kill");
    write_big(big, 256);
    net::io_context io;
    auto s = std::make_unique<la::session>(io);
    REQUIRE_FALSE(asio_connect(io, *s));
    const pid_t server = server_process(io, *s);
    std::error_code error = make_error_code(std::errc::interrupted);
    std::uint64_t copied = 0;
    auto done = [&](std::error_code ec, std::uint64_t n) {
        error = ec;
        copied = n;
    };
    if (upload)
        la::async_sftp_put(*s, big, scratch("partial-kill"), 0600, done);
    else
        la::async_sftp_get(*s, big, scratch("partial-kill"), done);
    run_until_arrived(io, scratch("partial-kill"), 1024 * 1024);
    REQUIRE(test_support::signal_server_process(server, test_support::server_signal::kill));
    const auto start = clock_type::now();
    REQUIRE(run_within(io, 15s));
    CHECK(error);
    CHECK(copied < 256u * 1024 * 1024);
    CHECK(elapsed_ms(start) < 5000);
    s.reset();
    REQUIRE(run_within(io, 10s));
    ::unlink(big.c_str());
    ::unlink(scratch("partial-kill").c_str());
}
