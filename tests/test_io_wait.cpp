// <libssh2/io.hpp>: libssh2::wait and libssh2::retry drive a non-blocking session against the
// fixture's sshd (handshake, login, a channel factory, exec, reads); their timeouts against an
// idle command and a server that accepts but never speaks. Run by
// `meson test -C build io_wait` (suite sshd).
#include <catch2/catch_test_macros.hpp>

#include <libssh2/io.hpp>


#include <chrono>
#include <string>
#include <system_error>

#include "support/elapsed.hpp"
#include "support/sshd_server.hpp"
#include "support/sockets.hpp"

using namespace std::chrono_literals;
using test_support::sshd;
using test_support::clock_type;
using test_support::elapsed_ms;

namespace {

// A non-blocking session on the fixture's sshd, logged in by retry() alone. The socket is
// declared first: it outlives the session.
struct non_blocking_login {
    libssh2::socket sock = libssh2::tcp_connect(sshd().host, sshd().port, 5s);
    libssh2::session session = libssh2::session::init();

    non_blocking_login() {
        REQUIRE(session);
        session.set_blocking(0);
        REQUIRE(libssh2::retry(
                    session, sock.get(), [&] { return session.handshake(sock.get()); }, 10s) == 0);
        REQUIRE(libssh2::verify_host_key(session, sshd().known_hosts, sshd().host, sshd().port).status ==
                libssh2::host_key_status::match);
        const int rc = libssh2::retry(
            session, sock.get(),
            [&] {
                return libssh2::userauth::publickey_fromfile(session, sshd().user.c_str(), sshd().pubkey.c_str(),
                                                             sshd().key.c_str(), nullptr);
            },
            10s);
        REQUIRE(rc == 0);
    }

    libssh2::channel exec(const std::string &command) {
        libssh2::channel channel = libssh2::retry(
            session, sock.get(), [&] { return libssh2::channel::open_session(session); }, 10s);
        REQUIRE(channel);
        REQUIRE(libssh2::retry(
                    session, sock.get(), [&] { return channel.exec(command.c_str()); }, 10s) == 0);
        return channel;
    }
};

}  // namespace

TEST_CASE("retry: a non-blocking session's handshake, login, channel, exec and reads") {
    non_blocking_login c;
    CHECK(c.session.get_blocking() == 0);
    libssh2::channel channel = c.exec("echo one; sleep 0.2; echo two");
    std::string out;
    char buffer[256];
    int reads = 0;
    for (ssize_t n; (n = libssh2::retry(
                         c.session, c.sock.get(), [&] { return channel.read(buffer, sizeof buffer); }, 10s)) != 0;) {
        REQUIRE(n > 0);
        out.append(buffer, static_cast<std::size_t>(n));
        ++reads;
    }
    CHECK(out == "one\ntwo\n");
    CHECK(reads >= 2);  // the sleep splits the output: retry waited in between
}

TEST_CASE("retry: returns a failure unchanged, for the caller to look at") {
    non_blocking_login c;
    // A raw-pointer factory that fails: the SFTP subsystem is there, the file is not.
    libssh2::sftp sftp = libssh2::retry(
        c.session, c.sock.get(), [&] { return libssh2::sftp::init(c.session); }, 10s);
    REQUIRE(sftp);
    LIBSSH2_SFTP_HANDLE *missing = libssh2::retry(
        c.session, c.sock.get(), [&] { return libssh2_sftp_open(sftp.get(), "/no/such/file", LIBSSH2_FXF_READ, 0); },
        10s);
    CHECK(missing == nullptr);
    CHECK(c.session.last_errno() == LIBSSH2_ERROR_SFTP_PROTOCOL);
    CHECK(sftp.last_error() == LIBSSH2_FX_NO_SUCH_FILE);
}

TEST_CASE("wait: ready when the server sends, errc::timeout when it does not") {
    non_blocking_login c;
    libssh2::channel channel = c.exec("sleep 3; echo late");
    char buffer[64];
    REQUIRE(channel.read(buffer, sizeof buffer) == LIBSSH2_ERROR_EAGAIN);

    auto start = clock_type::now();
    std::error_code ec;
    libssh2::wait(c.session, c.sock.get(), 200ms, ec);
    CHECK(ec == libssh2::errc::timeout);
    CHECK(elapsed_ms(start) >= 190);
    CHECK(elapsed_ms(start) < 1500);

    start = clock_type::now();
    try {
        libssh2::wait(c.session, c.sock.get(), 200ms);
        FAIL("no exception");
    } catch (const libssh2::error &e) {
        CHECK(e.code() == libssh2::errc::timeout);
        CHECK(std::string(e.what()).find("wait for the server: nothing within 200 ms") == 0);
    }
    CHECK(elapsed_ms(start) < 1500);

    // The output comes after 3 s: a long enough wait returns once it is there.
    start = clock_type::now();
    ssize_t n;
    while ((n = channel.read(buffer, sizeof buffer)) == LIBSSH2_ERROR_EAGAIN) {
        libssh2::wait(c.session, c.sock.get(), 10s, ec);
        REQUIRE_FALSE(ec);
    }
    CHECK(std::string(buffer, static_cast<std::size_t>(n > 0 ? n : 0)) == "late\n");
    CHECK(elapsed_ms(start) < 8000);
}

TEST_CASE("retry: errc::timeout for all the tries together, against a server that never speaks") {
    // Accepted by the kernel into the backlog, never read from, never answered.
    libssh2::socket listener(::socket(AF_INET, SOCK_STREAM, 0));
    REQUIRE(listener);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(listener.get(), reinterpret_cast<sockaddr *>(&address), sizeof address) == 0);
    REQUIRE(::listen(listener.get(), 4) == 0);
    test_support::address_length length = sizeof address;
    REQUIRE(::getsockname(listener.get(), reinterpret_cast<sockaddr *>(&address), &length) == 0);

    libssh2::socket sock = libssh2::tcp_connect("127.0.0.1", ntohs(address.sin_port), 5s);
    libssh2::session session = libssh2::session::init();
    REQUIRE(session);
    session.set_blocking(0);
    session.set_teardown_timeout(0);  // nothing to say goodbye to

    auto start = clock_type::now();
    std::error_code ec;
    const int rc = libssh2::retry(
        session, sock.get(), [&] { return session.handshake(sock.get()); }, 300ms, ec);
    CHECK(ec == libssh2::errc::timeout);
    CHECK(rc == LIBSSH2_ERROR_EAGAIN);  // the last try's result
    CHECK(elapsed_ms(start) >= 290);
    CHECK(elapsed_ms(start) < 1500);

    start = clock_type::now();
    try {
        libssh2::retry(
            session, sock.get(), [&] { return session.handshake(sock.get()); }, 200ms);
        FAIL("no exception");
    } catch (const libssh2::error &e) {
        CHECK(e.code() == libssh2::errc::timeout);
        CHECK(std::string(e.what()).find("nothing within 200 ms") != std::string::npos);
    }
    CHECK(elapsed_ms(start) < 1500);
}
