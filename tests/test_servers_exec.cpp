// Remote commands against three servers: OpenSSH's sshd, Dropbear and python3-asyncssh's server
// (tests/support/servers.hpp). What every server must give alike: stdout, stderr, the exit
// status, the signal that killed a command, and a command that closes its output long before
// it exits: through the thin layer with io.hpp (read to EOF, wait for the server's close, then
// the exit status), through io.hpp's run and finish, and through <libssh2/asio.hpp>'s
// async_exec. What differs by server is a test case of its own, named for it. Run by
// `meson test -C build servers_exec` (suite sshd).
#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>
#include <catch2/generators/catch_generators_range.hpp>

#include <libssh2.hpp>
#include <libssh2/asio.hpp>
#include <libssh2/io.hpp>

#include <asio/io_context.hpp>

#include <iterator>
#include <optional>
#include <string>

#include "support/asio_servers.hpp"
#include "support/elapsed.hpp"
#include "support/servers.hpp"

using test_support::server_kind;
namespace la = libssh2::asio;

namespace {

// Every server in turn, as a Catch2 generator; the server's name in every failure.
#define EACH_SERVER()                                                                                  \
    GENERATE(from_range(std::begin(test_support::every_server_kind), std::end(test_support::every_server_kind)))

// What a command gave, taken as a client must: output to EOF, then the server's close (the
// exit status and signal come before it), and only then the client's close.
struct finished_command {
    std::string out;
    std::string err;
    int exit_status = -1;
    std::optional<std::string> exit_signal;
    long eof_to_close_ms = 0;  // from the output's EOF to the server's close
};

finished_command run_to_close(server_kind kind, const std::string &command) {
    test_support::connection c = test_support::login(kind);
    c.session.set_timeout(30000);  // a server that never closes fails the test, not the suite
    libssh2::channel channel = libssh2::channel::open_session(c.session);
    REQUIRE(channel);
    REQUIRE(channel.exec(command) == 0);
    REQUIRE(channel.send_eof() == 0);
    libssh2::channel_output output = libssh2::read_all(channel, libssh2::streams::both);
    const auto eof = test_support::clock_type::now();
    finished_command result;
    REQUIRE(channel.wait_closed() == 0);
    result.eof_to_close_ms = test_support::elapsed_ms(eof);
    result.out = std::move(output.out);
    result.err = std::move(output.err);
    result.exit_status = channel.get_exit_status();
    result.exit_signal = libssh2::exit_signal(channel);
    CHECK(channel.close() == 0);
    return result;
}

la::exec_result async_run(server_kind kind, const std::string &command) {
    asio::io_context io;
    la::session s(io);
    REQUIRE_FALSE(test_support::asio_connect(io, s, kind));
    std::error_code ec;
    la::exec_result result = test_support::asio_exec(io, s, command, ec);
    REQUIRE_FALSE(ec);
    return result;
}

// Closes stdout and stderr at once, exits 0.3 s later: the server's EOF comes long before the
// exit status.
const std::string closes_output_first = "echo hi; exec >&- 2>&-; sleep 0.3; exit 3";

}  // namespace

TEST_CASE("every server: stdout, stderr and exit status, read to EOF and the server's close") {
    const server_kind kind = EACH_SERVER();
    INFO(test_support::name_of(kind));
    SECTION("an exit status with output on both streams") {
        const finished_command r = run_to_close(kind, "printf out; printf err >&2; exit 3");
        CHECK(r.out == "out");
        CHECK(r.err == "err");
        CHECK(r.exit_status == 3);
        CHECK_FALSE(r.exit_signal);
    }
    SECTION("3 MB of output, exit status 0") {
        const finished_command r = run_to_close(kind, "head -c 3000000 /dev/zero");
        CHECK(r.out == std::string(3000000, '\0'));
        CHECK(r.exit_status == 0);
    }
    SECTION("a command that closes its output 0.3 s before it exits") {
        const finished_command r = run_to_close(kind, closes_output_first);
        CHECK(r.out == "hi\n");
        CHECK(r.exit_status == 3);
        CHECK_FALSE(r.exit_signal);
    }
    SECTION("every server sends EOF as the output closes, the exit status and close when it exits") {
        const finished_command r = run_to_close(kind, "echo hi; exec >&- 2>&-; sleep 1; exit 3");
        CHECK(r.exit_status == 3);
        CHECK(r.eof_to_close_ms >= 400);  // a second less what a loaded machine may delay the EOF by
    }
    SECTION("a command killed by TERM: its exit signal, and no exit status (libssh2's 0)") {
        const finished_command r = run_to_close(kind, "echo before; kill -TERM $$; echo after");
        CHECK(r.out == "before\n");
        CHECK(r.exit_signal == std::optional<std::string>("TERM"));
        CHECK(r.exit_status == 0);
    }
}

TEST_CASE("every server: io.hpp's run, and finish for a streamed channel") {
    const server_kind kind = EACH_SERVER();
    INFO(test_support::name_of(kind));
    test_support::connection c = test_support::login(kind);
    c.session.set_timeout(30000);
    SECTION("run: output, exit status, signal") {
        const libssh2::command_result status = libssh2::run(c.session, "printf out; printf err >&2; exit 3");
        CHECK(status.out == "out");
        CHECK(status.err == "err");
        CHECK(status.exit_status == 3);
        CHECK(status.exit_signal.empty());
        const libssh2::command_result late = libssh2::run(c.session, closes_output_first);
        CHECK(late.out == "hi\n");
        CHECK(late.exit_status == 3);
        const libssh2::command_result killed = libssh2::run(c.session, "echo before; kill -TERM $$");
        CHECK(killed.out == "before\n");
        CHECK(killed.exit_signal == "TERM");
        CHECK(killed.exit_status == -1);
    }
    SECTION("finish: the caller read part of the output; the rest is dropped, the status kept") {
        libssh2::channel channel = libssh2::channel::open_session(c.session);
        REQUIRE(channel);
        REQUIRE(channel.exec("echo first; sleep 0.2; head -c 100000 /dev/zero; exit 4") == 0);
        REQUIRE(channel.send_eof() == 0);
        char buffer[6];
        REQUIRE(channel.read(buffer, sizeof buffer) == 6);
        CHECK(std::string(buffer, 6) == "first\n");
        const libssh2::command_exit exit = libssh2::finish(channel);
        CHECK(exit.exit_status == 4);
        CHECK(exit.exit_signal.empty());
    }
}

TEST_CASE("every server: async_exec's output, exit status and exit signal") {
    const server_kind kind = EACH_SERVER();
    INFO(test_support::name_of(kind));
    SECTION("an exit status with output on both streams") {
        const la::exec_result r = async_run(kind, "printf out; printf err >&2; exit 3");
        CHECK(r.out == "out");
        CHECK(r.err == "err");
        CHECK(r.exit_status == 3);
        CHECK(r.exit_signal.empty());
    }
    SECTION("a command that closes its output 0.3 s before it exits: its exit status still") {
        const la::exec_result r = async_run(kind, closes_output_first);
        CHECK(r.out == "hi\n");
        CHECK(r.exit_status == 3);
    }
    SECTION("a command killed by TERM: the signal, no exit status") {
        const la::exec_result r = async_run(kind, "echo before; kill -TERM $$; echo after");
        CHECK(r.out == "before\n");
        CHECK(r.exit_signal == "TERM");
        CHECK(r.exit_status == -1);
    }
}

TEST_CASE("by server: a signal request stops the command on Dropbear and asyncssh; OpenSSH refuses it for root") {
    const server_kind kind = EACH_SERVER();
    INFO(test_support::name_of(kind));
#if LIBSSH2_VERSION_NUM >= 0x010b00
    test_support::connection c = test_support::login(kind);
    c.session.set_timeout(30000);
    libssh2::channel channel = libssh2::channel::open_session(c.session);
    REQUIRE(channel);
    // No EOF sent: asyncssh's server hands signals to the reader of the command's stdin.
    REQUIRE(channel.exec("echo started; exec sleep 3") == 0);
    char buffer[64];
    REQUIRE(channel.read(buffer, sizeof buffer) > 0);  // the command runs: there is a process to signal
    REQUIRE(channel.signal("TERM") == 0);               // no reply is asked for: 0 means it was sent
    REQUIRE(channel.send_eof() == 0);
    (void)libssh2::read_all(channel, libssh2::streams::both);
    REQUIRE(channel.wait_closed() == 0);
    const std::optional<std::string> signal = libssh2::exit_signal(channel);
    if (kind == server_kind::openssh && test_support::server(kind).user == "root") {
        // sshd runs root's sessions without privilege separation and drops their signal
        // requests ("session signalling requires privilege separation"): sleep ran its 3 s.
        CHECK_FALSE(signal);
        CHECK(channel.get_exit_status() == 0);
    } else {
        CHECK(signal == std::optional<std::string>("TERM"));
    }
#else
    SKIP("libssh2_channel_signal_ex is libssh2 1.11's (this build has " LIBSSH2_VERSION ")");
#endif
}
