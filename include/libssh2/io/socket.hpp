// SPDX-License-Identifier: BSD-3-Clause
// libssh2::socket, an owning socket, and libssh2::tcp_connect: the connection a session runs
// on, opened within a time limit. On Windows, WSAStartup must have run first, as for any
// Winsock call.
#ifndef LIBSSH2_HPP_IO_SOCKET
#define LIBSSH2_HPP_IO_SOCKET

#include "failure.hpp"

#ifdef _WIN32
#include <winsock2.h>
#include <ws2tcpip.h>
#else
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#endif

#include <chrono>
#include <memory>
#include <string>
#include <system_error>
#include <utility>

namespace libssh2 {

// Owns a socket and closes it on destruction. Move-only, like the handle classes: get() gives
// the socket, release() gives up ownership, operator bool says whether it holds one.
// A session does not own the socket it runs on: declare the socket before the session, so
// that the session is freed (and says goodbye) before the socket closes.
class socket {
public:
    socket() noexcept = default;
    explicit socket(libssh2_socket_t handle) noexcept : handle_(handle) {}
    socket(socket &&other) noexcept : handle_(other.release()) {}
    socket &operator=(socket &&other) noexcept {
        if (this != &other) {
            close();
            handle_ = other.release();
        }
        return *this;
    }
    socket(const socket &) = delete;
    socket &operator=(const socket &) = delete;
    ~socket() { close(); }

    libssh2_socket_t get() const noexcept { return handle_; }
    libssh2_socket_t release() noexcept { return std::exchange(handle_, LIBSSH2_INVALID_SOCKET); }
    explicit operator bool() const noexcept { return handle_ != LIBSSH2_INVALID_SOCKET; }

private:
    void close() noexcept {
        if (handle_ == LIBSSH2_INVALID_SOCKET) return;
#ifdef _WIN32
        ::closesocket(handle_);
#else
        ::close(handle_);
#endif
        handle_ = LIBSSH2_INVALID_SOCKET;
    }

    libssh2_socket_t handle_ = LIBSSH2_INVALID_SOCKET;
};

namespace detail {

#ifdef _WIN32
using pollfd_type = WSAPOLLFD;
#else
using pollfd_type = pollfd;
#endif

// Waits until sock is ready for events, for at most timeout_ms (negative: without limit),
// through interruptions by signals. Returns the revents (never 0 when ready), 0 when the
// time ran out, -1 on an error (last_socket_error() says which).
inline int poll_socket(libssh2_socket_t sock, short events, long timeout_ms) noexcept {
    using clock = std::chrono::steady_clock;
    const auto deadline = clock::now() + std::chrono::milliseconds(timeout_ms < 0 ? 0 : timeout_ms);
    for (;;) {
        long left = -1;
        if (timeout_ms >= 0) {
            const auto remaining = std::chrono::ceil<std::chrono::milliseconds>(deadline - clock::now()).count();
            left = remaining > 0 ? static_cast<long>(remaining) : 0;
        }
        pollfd_type p{};
        p.fd = sock;
        p.events = events;
#ifdef _WIN32
        const int ready = ::WSAPoll(&p, 1, static_cast<INT>(left));
#else
        const int ready = ::poll(&p, 1, static_cast<int>(left));
        if (ready < 0 && errno == EINTR) continue;
#endif
        if (ready <= 0) return ready;
        return p.revents ? p.revents : events;
    }
}

inline bool set_non_blocking(libssh2_socket_t sock, bool non_blocking) noexcept {
#ifdef _WIN32
    u_long mode = non_blocking ? 1 : 0;
    return ::ioctlsocket(sock, static_cast<long>(FIONBIO), &mode) == 0;  // FIONBIO is unsigned in MinGW
#else
    const int flags = ::fcntl(sock, F_GETFL);
    return flags >= 0 && ::fcntl(sock, F_SETFL, non_blocking ? flags | O_NONBLOCK : flags & ~O_NONBLOCK) == 0;
#endif
}

#ifndef _WIN32
// getaddrinfo's own error numbers (EAI_*), with gai_strerror's words.
class resolver_error_category final : public std::error_category {
public:
    const char *name() const noexcept override { return "getaddrinfo"; }
    std::string message(int value) const override { return ::gai_strerror(value); }
};

inline const std::error_category &resolver_category() noexcept {
    static const resolver_error_category category;
    return category;
}
#endif

// Connects sock to address before deadline. Returns 0, the socket error, or -1 when the
// deadline passed first.
inline int connect_before(libssh2_socket_t sock, const addrinfo *address,
                          std::chrono::steady_clock::time_point deadline) noexcept {
    if (!set_non_blocking(sock, true)) return last_socket_error();
    if (::connect(sock, address->ai_addr, static_cast<socklen_t>(address->ai_addrlen)) == 0) return 0;
    const int error = last_socket_error();
#ifdef _WIN32
    if (error != WSAEWOULDBLOCK) return error;
#else
    if (error != EINPROGRESS) return error;
#endif
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    const int ready = poll_socket(sock, POLLOUT, left.count() > 0 ? static_cast<long>(left.count()) : 0);
    if (ready == 0) return -1;
    if (ready < 0) return last_socket_error();
    int result = 0;
    socklen_t length = sizeof result;
    if (::getsockopt(sock, SOL_SOCKET, SO_ERROR, reinterpret_cast<char *>(&result), &length) != 0)
        return last_socket_error();
    return result;
}

inline socket tcp_connect(const std::string &host, int port, std::chrono::milliseconds timeout, std::error_code *ec) {
    if (ec) ec->clear();
    const bool ipv6_literal = host.find(':') != std::string::npos;
    const std::string what = "connect to " + (ipv6_literal ? "[" + host + "]" : host) + ":" + std::to_string(port);
    if (port < 1 || port > 65535) {
        fail(std::make_error_code(std::errc::invalid_argument), what + ": invalid port", ec);
        return {};
    }
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;  // IPv4 and IPv6 alike
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    addrinfo *addresses = nullptr;
    if (const int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &addresses); rc != 0) {
#ifdef _WIN32
        fail_os(rc, "resolve " + host, ec);
#else
        if (rc == EAI_SYSTEM)
            fail_os(errno, "resolve " + host, ec);
        else
            fail({rc, resolver_category()}, "resolve " + host, ec);
#endif
        return {};
    }
    const std::unique_ptr<addrinfo, void (*)(addrinfo *)> owned(addresses, [](addrinfo *a) { ::freeaddrinfo(a); });

    // One deadline for all the addresses: the call as a whole takes at most timeout.
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    int error = 0;
    for (const addrinfo *address = addresses; address; address = address->ai_next) {
        socket sock(::socket(address->ai_family, address->ai_socktype, address->ai_protocol));
        if (!sock) {
            error = last_socket_error();
            continue;
        }
#ifndef _WIN32
        ::fcntl(sock.get(), F_SETFD, FD_CLOEXEC);  // not inherited by programs this one runs
#endif
        error = connect_before(sock.get(), address, deadline);
        if (error == -1) break;
        if (error != 0) continue;
        // SSH waits on its own small packets (the handshake, SFTP requests): without
        // TCP_NODELAY, Nagle's algorithm holds them back (examples/sftp_get measured at 0.24x
        // OpenSSH's speed without it, 0.72x with it).
        const int on = 1;
        ::setsockopt(sock.get(), IPPROTO_TCP, TCP_NODELAY, reinterpret_cast<const char *>(&on), sizeof on);
        if (!set_non_blocking(sock.get(), false)) {
            error = last_socket_error();
            continue;
        }
        return sock;
    }
    if (error == -1)
        fail_timeout(timeout, what, ec);
    else
        fail_os(error, what, ec);
    return {};
}

}  // namespace detail

// A TCP connection to host (a name, an IPv4 or an IPv6 address) on port: tries each address
// getaddrinfo gives until one accepts, all within timeout. The socket is blocking, close-on-exec
// and has TCP_NODELAY. Throws libssh2::error: the resolver's or the last connect's error, or
// errc::timeout.
inline socket tcp_connect(const std::string &host, int port, std::chrono::milliseconds timeout) {
    return detail::tcp_connect(host, port, timeout, nullptr);
}
// The same; never throws: on failure sets ec and returns an empty socket.
inline socket tcp_connect(const std::string &host, int port, std::chrono::milliseconds timeout, std::error_code &ec) {
    return detail::tcp_connect(host, port, timeout, &ec);
}

}  // namespace libssh2

#endif  // LIBSSH2_HPP_IO_SOCKET
