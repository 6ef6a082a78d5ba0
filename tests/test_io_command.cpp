// <libssh2/io.hpp>: run (a command's stdout, stderr, exit status and signal in one result) and
// finish (the end of a channel whose output the caller streamed) against the fixture's sshd:
// an exit status, an exit status sent long after EOF, a signal, several MiB on both streams,
// a channel whose output was never read; each blocking and non-blocking; failures through
// exceptions and error codes. Run by `meson test -C build io_command` (suite sshd); to show
// that no exit status is lost, `meson test -C build io_command --repeat 20`.
#include <catch2/catch_test_macros.hpp>

#include <libssh2/io.hpp>

#include <chrono>
#include <string>
#include <system_error>

#include "support/connection.hpp"

using namespace std::chrono_literals;

namespace {

constexpr std::size_t MiB = 1024 * 1024;

// A logged-in session, blocking or not, with run and finish in the matching form.
struct logged_in {
    explicit logged_in(bool blocking_mode) : blocking(blocking_mode), c(test_support::login()) {
        c.session.set_timeout(30000);  // a bound on every blocking wait, should the server stall
        if (!blocking) c.session.set_blocking(0);
    }

    libssh2::command_result run(const std::string &command) {
        return blocking ? libssh2::run(c.session, command) : libssh2::run(c.session, command, c.socket.get(), 30s);
    }

    libssh2::command_exit finish(libssh2::channel &channel) {
        return blocking ? libssh2::finish(channel) : libssh2::finish(channel, c.socket.get(), 30s);
    }

    // A channel running command, its output left to the caller.
    libssh2::channel exec(const std::string &command) {
        libssh2::channel channel = libssh2::retry(
            c.session, c.socket.get(), [&] { return libssh2::channel::open_session(c.session); }, 10s);
        REQUIRE(channel);
        REQUIRE(libssh2::retry(c.session, c.socket.get(), [&] { return channel.exec(command); }, 10s) == 0);
        return channel;
    }

    bool blocking;
    test_support::connection c;
};

}  // namespace

TEST_CASE("run: stdout, stderr and the exit status") {
    for (const bool blocking : {true, false}) {
        DYNAMIC_SECTION((blocking ? "blocking" : "non-blocking")) {
            logged_in s(blocking);
            const libssh2::command_result result = s.run("echo hi; echo oops >&2; exit 3");
            CHECK(result.out == "hi\n");
            CHECK(result.err == "oops\n");
            CHECK(result.exit_status == 3);
            CHECK(result.exit_signal.empty());
            CHECK(s.run("true").exit_status == 0);
            CHECK(s.c.session.get_blocking() == (blocking ? 1 : 0));  // the mode the session had
        }
    }
}

TEST_CASE("run: an exit status sent long after EOF is not lost") {
    // The command closes its output (the server sends EOF) and exits 0.3 s later: a client
    // that closes the channel at EOF may never see the status (asyncssh's server sends none
    // after the client's close; OpenSSH still does).
    for (const bool blocking : {true, false}) {
        DYNAMIC_SECTION((blocking ? "blocking" : "non-blocking")) {
            logged_in s(blocking);
            const libssh2::command_result result = s.run("echo hi; exec >&- 2>&-; sleep 0.3; exit 3");
            CHECK(result.out == "hi\n");
            CHECK(result.exit_status == 3);
            CHECK(result.exit_signal.empty());
        }
    }
}

TEST_CASE("run: a command killed by a signal") {
    for (const bool blocking : {true, false}) {
        DYNAMIC_SECTION((blocking ? "blocking" : "non-blocking")) {
            logged_in s(blocking);
            const libssh2::command_result result = s.run("echo before; kill -TERM $$; echo after");
            CHECK(result.out == "before\n");
            CHECK(result.exit_signal == "TERM");
            CHECK(result.exit_status == -1);
        }
    }
}

TEST_CASE("run: several MiB on both streams at once, byte for byte") {
    // Each stream is more than the channel's window: neither may stall the other.
    for (const bool blocking : {true, false}) {
        DYNAMIC_SECTION((blocking ? "blocking" : "non-blocking")) {
            logged_in s(blocking);
            const libssh2::command_result result =
                s.run("head -c 3M /dev/zero | tr '\\0' e >&2 & head -c 5M /dev/zero | tr '\\0' o; wait; exit 5");
            CHECK(result.out == std::string(5 * MiB, 'o'));
            CHECK(result.err == std::string(3 * MiB, 'e'));
            CHECK(result.exit_status == 5);
        }
    }
}

TEST_CASE("finish: a channel whose output was never read") {
    // 5 MiB fill the channel's window many times over: finish reads and drops them, so the
    // command ends; libssh2_channel_wait_closed alone would refuse (no EOF yet).
    for (const bool blocking : {true, false}) {
        DYNAMIC_SECTION((blocking ? "blocking" : "non-blocking")) {
            logged_in s(blocking);
            libssh2::channel channel = s.exec("head -c 5M /dev/zero; head -c 1M /dev/zero >&2; exit 4");
            const libssh2::command_exit end = s.finish(channel);
            CHECK(end.exit_status == 4);
            CHECK(end.exit_signal.empty());
            CHECK(s.run("echo still usable").out == "still usable\n");
        }
    }
}

TEST_CASE("finish: after the caller streamed part of the output") {
    for (const bool blocking : {true, false}) {
        DYNAMIC_SECTION((blocking ? "blocking" : "non-blocking")) {
            logged_in s(blocking);
            libssh2::channel channel = s.exec("echo first; exec >&-; sleep 0.3; exit 6");
            std::string first;
            char buffer[6];
            while (first.size() < sizeof buffer) {
                const ssize_t n = libssh2::retry(
                    s.c.session, s.c.socket.get(),
                    [&] { return channel.read(buffer, sizeof buffer - first.size()); }, 10s);
                REQUIRE(n > 0);
                first.append(buffer, static_cast<std::size_t>(n));
            }
            CHECK(first == "first\n");
            CHECK(s.finish(channel).exit_status == 6);
        }
    }
}

TEST_CASE("finish: a command killed by a signal, and one that read its stdin") {
    for (const bool blocking : {true, false}) {
        DYNAMIC_SECTION((blocking ? "blocking" : "non-blocking")) {
            logged_in s(blocking);
            libssh2::channel killed = s.exec("kill -TERM $$");
            const libssh2::command_exit end = s.finish(killed);
            CHECK(end.exit_signal == "TERM");
            CHECK(end.exit_status == -1);

            // finish sends no EOF: the caller's send_eof() ends the command's input.
            libssh2::channel reader = s.exec("cat >/dev/null; exit 7");
            REQUIRE(libssh2::retry(s.c.session, s.c.socket.get(), [&] { return reader.send_eof(); }, 10s) == 0);
            CHECK(s.finish(reader).exit_status == 7);
        }
    }
}

TEST_CASE("run and finish: failures are exceptions, or error codes") {
    SECTION("a disconnected session cannot open a channel") {
        logged_in s(true);
        REQUIRE(s.c.session.disconnect("test over") == 0);
        try {
            (void)libssh2::run(s.c.session, "true");
            FAIL("run did not throw");
        } catch (const libssh2::error &e) {
            INFO(e.what());
            CHECK(std::string(e.what()).rfind("run `true`: open a channel", 0) == 0);
            CHECK(e.code().category() == libssh2::session_category());
        }
        std::error_code ec;
        (void)libssh2::run(s.c.session, "true", ec);
        CHECK(ec.category() == libssh2::session_category());
    }
    SECTION("non-blocking: errc::timeout when nothing moves for the timeout") {
        logged_in s(false);
        std::error_code ec;
        const libssh2::command_result result = libssh2::run(s.c.session, "sleep 2", s.c.socket.get(), 200ms, ec);
        CHECK(ec == libssh2::errc::timeout);
        CHECK(result.exit_status == -1);

        libssh2::channel channel = s.exec("sleep 2");
        (void)libssh2::finish(channel, s.c.socket.get(), 200ms, ec);
        CHECK(ec == libssh2::errc::timeout);
        try {
            (void)libssh2::finish(channel, s.c.socket.get(), 200ms);
            FAIL("finish did not throw");
        } catch (const libssh2::error &e) {
            CHECK(e.code() == libssh2::errc::timeout);
            CHECK(std::string(e.what()).rfind("finish the channel: nothing from the server within 200 ms", 0) == 0);
        }
    }
}
