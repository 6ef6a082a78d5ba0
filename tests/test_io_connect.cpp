// <libssh2/io.hpp>: libssh2::library and libssh2::tcp_connect against the fixture's sshd and
// against listening sockets the test makes itself (refused, full backlog, IPv6 ::1). Run by
// `meson test -C build io_connect` (suite sshd).
#include <catch2/catch_test_macros.hpp>

#include <libssh2/io.hpp>

#ifndef _WIN32
#include <fcntl.h>
#include <netinet/tcp.h>
#include <unistd.h>
#endif

#include <chrono>
#include <string>
#include <system_error>
#include <vector>

#include "support/elapsed.hpp"
#include "support/sshd_server.hpp"
#include "support/sockets.hpp"

using namespace std::chrono_literals;
using test_support::sshd;
using test_support::clock_type;
using test_support::elapsed_ms;

namespace {

// A TCP socket bound to a free port of address (family AF_INET or AF_INET6), listening with
// backlog unless backlog < 0; empty if the machine cannot (no IPv6).
libssh2::socket bound_socket(int family, int backlog) {
    libssh2::socket sock(::socket(family, SOCK_STREAM, 0));
    if (!sock) return {};
    sockaddr_storage address{};
    test_support::address_length length = 0;
    if (family == AF_INET6) {
        auto *in6 = reinterpret_cast<sockaddr_in6 *>(&address);
        in6->sin6_family = AF_INET6;
        in6->sin6_addr = in6addr_loopback;
        length = sizeof *in6;
    } else {
        auto *in = reinterpret_cast<sockaddr_in *>(&address);
        in->sin_family = AF_INET;
        in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        length = sizeof *in;
    }
    if (::bind(sock.get(), reinterpret_cast<sockaddr *>(&address), length) != 0) return {};
    if (backlog >= 0 && ::listen(sock.get(), backlog) != 0) return {};
    return sock;
}

// The system's code for a refused connection, as the binding reports it (system_category).
#ifdef _WIN32
constexpr int refused = WSAECONNREFUSED;
#else
constexpr int refused = ECONNREFUSED;
#endif

// Whether s is an open socket: getsockopt answers only for one.
bool is_open(libssh2_socket_t s) {
    int type = 0;
    test_support::address_length length = sizeof type;
    return ::getsockopt(s, SOL_SOCKET, SO_TYPE, reinterpret_cast<char *>(&type), &length) == 0;
}

int port_of(const libssh2::socket &sock) {
    sockaddr_storage address{};
    test_support::address_length length = sizeof address;
    REQUIRE(::getsockname(sock.get(), reinterpret_cast<sockaddr *>(&address), &length) == 0);
    return ntohs(address.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6 *>(&address)->sin6_port
                                               : reinterpret_cast<sockaddr_in *>(&address)->sin_port);
}

}  // namespace

TEST_CASE("library: libssh2_init in the constructor, libssh2_exit in the destructor") {
    const libssh2::library library;
    CHECK(static_cast<bool>(library));
    std::error_code ec = make_error_code(libssh2::errc::alloc);
    const libssh2::library nested(0, ec);  // libssh2 counts its inits: a second guard is harmless
    CHECK(static_cast<bool>(nested));
    CHECK_FALSE(ec);
}

TEST_CASE("socket: owns, moves and releases") {
    libssh2::socket sock(::socket(AF_INET, SOCK_STREAM, 0));
    REQUIRE(sock);
    const libssh2_socket_t fd = sock.get();
    libssh2::socket moved(std::move(sock));
    CHECK_FALSE(sock);
    CHECK(moved.get() == fd);
    const libssh2_socket_t released = moved.release();
    CHECK_FALSE(moved);
    CHECK(is_open(released));  // still open: the caller owns it
    { libssh2::socket again(released); }
    CHECK_FALSE(is_open(released));  // closed by the destructor
}

TEST_CASE("tcp_connect: to the sshd, blocking, TCP_NODELAY, close-on-exec, ready for a handshake") {
    const libssh2::library library;
    const libssh2::socket sock = libssh2::tcp_connect(sshd().host, sshd().port, 5s);
    REQUIRE(sock);
    int nodelay = 0;
    test_support::address_length length = sizeof nodelay;
    REQUIRE(::getsockopt(sock.get(), IPPROTO_TCP, TCP_NODELAY, reinterpret_cast<char *>(&nodelay), &length) == 0);
    CHECK(nodelay != 0);
#ifdef _WIN32
    WARN("Windows: Winsock has no query for a socket's blocking mode or inheritance; checked on Linux");
#else
    CHECK((::fcntl(sock.get(), F_GETFL) & O_NONBLOCK) == 0);
    CHECK((::fcntl(sock.get(), F_GETFD) & FD_CLOEXEC) != 0);
#endif

    libssh2::session session = libssh2::session::init();
    REQUIRE(session);
    CHECK(session.handshake(sock.get()) == 0);
}

TEST_CASE("tcp_connect: a refused connection is an error, thrown or in the error_code") {
    // Bound but not listening: the kernel answers a SYN with RST at once.
    const libssh2::socket closed_port = bound_socket(AF_INET, -1);
    REQUIRE(closed_port);
    const int port = port_of(closed_port);

    std::error_code ec;
    const libssh2::socket sock = libssh2::tcp_connect("127.0.0.1", port, 5s, ec);
    CHECK_FALSE(sock);
    CHECK(ec == std::errc::connection_refused);
    CHECK(ec.category() == std::system_category());

    try {
        libssh2::tcp_connect("127.0.0.1", port, 5s);
        FAIL("no exception");
    } catch (const libssh2::error &e) {
        CHECK(e.code() == std::errc::connection_refused);
        CHECK(std::string(e.what()) ==
              "connect to 127.0.0.1:" + std::to_string(port) + ": " + std::system_category().message(refused));
    }

    CHECK_THROWS_AS(libssh2::tcp_connect("127.0.0.1", 0, 1s), libssh2::error);
    libssh2::tcp_connect("127.0.0.1", 70000, 1s, ec);
    CHECK(ec == std::errc::invalid_argument);
}

TEST_CASE("tcp_connect: gives up after the timeout when the server does not answer") {
    // A listener that never accepts, its backlog full: Linux then drops further SYNs, so a
    // connection attempt stays unanswered (until SYN retransmission, after a second or more).
    const libssh2::socket listener = bound_socket(AF_INET, 0);
    REQUIRE(listener);
    const int port = port_of(listener);
    std::vector<libssh2::socket> fillers;
    bool full = false;
    for (int i = 0; i < 16 && !full; ++i) {
        std::error_code ec;
        libssh2::socket filler = libssh2::tcp_connect("127.0.0.1", port, 200ms, ec);
        if (ec == libssh2::errc::timeout)
            full = true;
        else
            fillers.push_back(std::move(filler));
    }
    if (!full) SKIP("this kernel completes connections beyond a full backlog: no unanswered connect to time out");

    std::error_code ec;
    auto start = clock_type::now();
    const libssh2::socket sock = libssh2::tcp_connect("127.0.0.1", port, 300ms, ec);
    const long took = elapsed_ms(start);
    CHECK_FALSE(sock);
    CHECK(ec == libssh2::errc::timeout);
    CHECK(took >= 290);
    CHECK(took < 1000);

    start = clock_type::now();
    try {
        libssh2::tcp_connect("127.0.0.1", port, 200ms);
        FAIL("no exception");
    } catch (const libssh2::error &e) {
        CHECK(e.code() == libssh2::errc::timeout);
        CHECK(std::string(e.what()).find("connect to 127.0.0.1:" + std::to_string(port)) == 0);
    }
    CHECK(elapsed_ms(start) < 1000);
}

TEST_CASE("tcp_connect: IPv6, to a listener on ::1") {
    const libssh2::socket listener = bound_socket(AF_INET6, 4);
    if (!listener) SKIP("no IPv6 loopback (::1) on this machine");
    const int port = port_of(listener);
    const libssh2::socket sock = libssh2::tcp_connect("::1", port, 5s);
    REQUIRE(sock);
    const libssh2::socket accepted(::accept(listener.get(), nullptr, nullptr));
    CHECK(accepted);
    sockaddr_storage peer{};
    test_support::address_length length = sizeof peer;
    REQUIRE(::getpeername(sock.get(), reinterpret_cast<sockaddr *>(&peer), &length) == 0);
    CHECK(peer.ss_family == AF_INET6);

    // Refused: the message spells the address as [::1]:PORT.
    const libssh2::socket closed_port = bound_socket(AF_INET6, -1);
    REQUIRE(closed_port);
    const int closed = port_of(closed_port);
    try {
        libssh2::tcp_connect("::1", closed, 5s);
        FAIL("no exception");
    } catch (const libssh2::error &e) {
        CHECK(std::string(e.what()).find("connect to [::1]:" + std::to_string(closed) + ": ") == 0);
    }
}
