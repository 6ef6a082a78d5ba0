// <libssh2/io.hpp>: read_all, write_all and exit_signal against the fixture's sshd: several MiB
// of stdout, of stderr and of both; several MiB written to `cat > FILE` and over SFTP and read
// back; the signal that ended a command; each blocking and non-blocking, and the non-blocking
// timeout. Run by `meson test -C build io_transfer` (suite sshd).
#include <catch2/catch_test_macros.hpp>

#include <libssh2/io.hpp>

#include <chrono>
#include <string>
#include <system_error>

#include "support/bytes.hpp"
#include "support/connection.hpp"

using namespace std::chrono_literals;
using test_support::difference;
using test_support::sshd;
using clock_type = std::chrono::steady_clock;

namespace {

constexpr std::size_t MiB = 1024 * 1024;

std::string pattern_text(std::size_t size, unsigned seed) {
    const std::vector<char> bytes = test_support::pattern(size, seed);
    return {bytes.begin(), bytes.end()};
}

// A logged-in session, blocking or not; channels opened and started with retry() either way.
struct logged_in {
    explicit logged_in(bool blocking) : c(test_support::login()) {
        c.session.set_timeout(30000);  // a bound on every blocking wait, should the server stall
        if (!blocking) c.session.set_blocking(0);
    }

    libssh2::channel exec(const std::string &command) {
        libssh2::channel channel = libssh2::retry(
            c.session, c.socket.get(), [&] { return libssh2::channel::open_session(c.session); }, 10s);
        REQUIRE(channel);
        REQUIRE(libssh2::retry(
                    c.session, c.socket.get(), [&] { return channel.exec(command.c_str()); }, 10s) == 0);
        return channel;
    }

    // Closes the channel once the command has ended, so that its exit status and signal are in.
    void finish(libssh2::channel &channel) {
        REQUIRE(libssh2::retry(
                    c.session, c.socket.get(), [&] { return channel.close(); }, 10s) == 0);
        REQUIRE(libssh2::retry(
                    c.session, c.socket.get(), [&] { return channel.wait_closed(); }, 10s) == 0);
    }

    libssh2::channel_output read_all(libssh2::channel &channel, libssh2::streams which, bool blocking) {
        return blocking ? libssh2::read_all(channel, which) : libssh2::read_all(channel, which, c.socket.get(), 10s);
    }

    test_support::connection c;
};

}  // namespace

TEST_CASE("read_all: several MiB of stdout, of stderr, of both, to EOF") {
    for (const bool blocking : {true, false}) {
        DYNAMIC_SECTION((blocking ? "blocking" : "non-blocking")) {
            logged_in s(blocking);
            const std::string five_mib(5 * MiB, 'x');

            libssh2::channel out = s.exec("head -c 5M /dev/zero | tr '\\0' x");
            libssh2::channel_output got = s.read_all(out, libssh2::streams::out, blocking);
            CHECK(difference(got.out, five_mib) == "");
            CHECK(got.err.empty());
            s.finish(out);
            CHECK(out.get_exit_status() == 0);

            // 3 MiB of stderr is more than the channel's window: left unread it would stall the
            // command, so reading stdout alone must still drain it.
            libssh2::channel err = s.exec("head -c 3M /dev/zero | tr '\\0' e >&2; echo done");
            got = s.read_all(err, libssh2::streams::out, blocking);
            CHECK(got.out == "done\n");
            CHECK(got.err.empty());

            err = s.exec("head -c 3M /dev/zero | tr '\\0' e >&2; echo done");
            got = s.read_all(err, libssh2::streams::err, blocking);
            CHECK(got.out.empty());
            CHECK(difference(got.err, std::string(3 * MiB, 'e')) == "");

            libssh2::channel both = s.exec("head -c 3M /dev/zero | tr '\\0' e >&2; head -c 4M /dev/zero | tr '\\0' o; "
                                           "head -c 1M /dev/zero | tr '\\0' e >&2");
            got = s.read_all(both, libssh2::streams::both, blocking);
            CHECK(difference(got.out, std::string(4 * MiB, 'o')) == "");
            CHECK(difference(got.err, std::string(4 * MiB, 'e')) == "");
            s.finish(both);
            CHECK(both.get_exit_status() == 0);
        }
    }
}

TEST_CASE("read_all: a blocking read leaves the session blocking") {
    logged_in s(true);
    libssh2::channel channel = s.exec("echo hi");
    CHECK(libssh2::read_all(channel, libssh2::streams::both).out == "hi\n");
    CHECK(s.c.session.get_blocking() == 1);
}

TEST_CASE("write_all: several MiB into a command's stdin, the file it wrote compared") {
    for (const bool blocking : {true, false}) {
        DYNAMIC_SECTION((blocking ? "blocking" : "non-blocking")) {
            logged_in s(blocking);
            const std::string path = sshd().dir + "/io_write_all_" + (blocking ? "blocking" : "non_blocking");
            const std::string data = pattern_text(5 * MiB + 7, blocking ? 1 : 2);
            libssh2::channel channel = s.exec("cat > '" + path + "'");
            if (blocking)
                libssh2::write_all(channel, data);
            else
                libssh2::write_all(channel, data, s.c.socket.get(), 10s);
            REQUIRE(libssh2::retry(
                        s.c.session, s.c.socket.get(), [&] { return channel.send_eof(); }, 10s) == 0);
            s.read_all(channel, libssh2::streams::both, blocking);  // to EOF: cat has written all
            s.finish(channel);
            CHECK(channel.get_exit_status() == 0);
            CHECK(difference(test_support::read_file(path), data) == "");
        }
    }
}

TEST_CASE("sftp_handle: write_all then read_all, several MiB round trip") {
    for (const bool blocking : {true, false}) {
        DYNAMIC_SECTION((blocking ? "blocking" : "non-blocking")) {
            logged_in s(blocking);
            auto &session = s.c.session;
            const libssh2_socket_t sock = s.c.socket.get();
            libssh2::sftp sftp = libssh2::retry(
                session, sock, [&] { return libssh2::sftp::init(session); }, 10s);
            REQUIRE(sftp);
            const std::string path = sshd().dir + "/io_sftp_" + (blocking ? "blocking" : "non_blocking");
            const std::string data = pattern_text(6 * MiB + 3, blocking ? 3 : 4);
            {
                libssh2::sftp_handle file = libssh2::retry(
                    session, sock,
                    [&] {
                        return sftp.open(path.c_str(), LIBSSH2_FXF_WRITE | LIBSSH2_FXF_CREAT | LIBSSH2_FXF_TRUNC, 0600);
                    },
                    10s);
                REQUIRE(file);
                if (blocking)
                    libssh2::write_all(file, data);
                else
                    libssh2::write_all(file, data, sock, 10s);
                REQUIRE(libssh2::retry(
                            session, sock, [&] { return file.close(); }, 10s) == 0);
            }
            CHECK(difference(test_support::read_file(path), data) == "");
            libssh2::sftp_handle file = libssh2::retry(
                session, sock, [&] { return sftp.open(path.c_str(), LIBSSH2_FXF_READ, 0); }, 10s);
            REQUIRE(file);
            const std::string back = blocking ? libssh2::read_all(file) : libssh2::read_all(file, sock, 10s);
            CHECK(difference(back, data) == "");
        }
    }
}

TEST_CASE("exit_signal: the signal's name, or nullopt after a normal exit") {
    for (const bool blocking : {true, false}) {
        DYNAMIC_SECTION((blocking ? "blocking" : "non-blocking")) {
            logged_in s(blocking);
            libssh2::channel killed = s.exec("kill -TERM $$");
            s.read_all(killed, libssh2::streams::both, blocking);
            s.finish(killed);
            CHECK(libssh2::exit_signal(killed) == std::optional<std::string>("TERM"));

            libssh2::channel exited = s.exec("exit 3");
            s.read_all(exited, libssh2::streams::both, blocking);
            s.finish(exited);
            std::error_code ec = make_error_code(libssh2::errc::alloc);
            CHECK(libssh2::exit_signal(exited, ec) == std::nullopt);
            CHECK_FALSE(ec);
            CHECK(exited.get_exit_status() == 3);
        }
    }
}

TEST_CASE("read_all, non-blocking: errc::timeout when nothing moves for the timeout") {
    logged_in s(false);
    libssh2::channel channel = s.exec("echo early; sleep 5; echo late");
    const auto start = clock_type::now();
    std::error_code ec;
    const libssh2::channel_output got = libssh2::read_all(channel, libssh2::streams::both, s.c.socket.get(), 300ms, ec);
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - start).count();
    CHECK(ec == libssh2::errc::timeout);
    CHECK(got.out == "early\n");  // what came before the stall is kept
    CHECK(took >= 290);
    CHECK(took < 2500);
    CHECK_THROWS_AS(libssh2::read_all(channel, libssh2::streams::both, s.c.socket.get(), 100ms), libssh2::error);
}

TEST_CASE("sftp read_all: a failure carries the server's status") {
    logged_in s(true);
    libssh2::sftp sftp = libssh2::sftp::init(s.c.session);
    REQUIRE(sftp);
    // A directory opened as a file: OpenSSH's open succeeds, its read fails with a status.
    libssh2::sftp_handle file = sftp.open(sshd().dir.c_str(), LIBSSH2_FXF_READ, 0);
    if (!file) SKIP("this sftp-server refuses to open a directory as a file: no read to fail");
    std::error_code ec;
    libssh2::read_all(file, ec);
    CHECK(ec.category() == libssh2::sftp_category());
    CHECK(ec == libssh2::sftp_errc::failure);
}

TEST_CASE("read_all, blocking: a session whose socket the binding does not know is an error, not a spin") {
    const libssh2::socket sock = libssh2::tcp_connect(sshd().host, sshd().port, 5s);
    libssh2::session session = libssh2::session::init();
    REQUIRE(libssh2_session_handshake(session.get(), sock.get()) == 0);  // around the binding
    REQUIRE(libssh2::userauth::publickey_fromfile(session, sshd().user.c_str(), sshd().pubkey.c_str(),
                                                  sshd().key.c_str(), nullptr) == 0);
    libssh2::channel channel = libssh2::channel::open_session(session);
    REQUIRE(channel);
    REQUIRE(channel.exec("sleep 1; echo late") == 0);
    std::error_code ec;
    libssh2::read_all(channel, libssh2::streams::both, ec);
    CHECK(ec == libssh2::errc::bad_socket);
    // Given the socket, the same channel reads to the end.
    session.set_blocking(0);
    CHECK(libssh2::read_all(channel, libssh2::streams::both, sock.get(), 10s).out == "late\n");
}
