// SPDX-License-Identifier: BSD-3-Clause
// libssh2::wait and libssh2::retry: a non-blocking session's loop, written once. After a call
// says LIBSSH2_ERROR_EAGAIN, wait on the socket in the directions libssh2 names, then call
// again, until it no longer would block or the time runs out.
#ifndef LIBSSH2_HPP_IO_WAIT
#define LIBSSH2_HPP_IO_WAIT

#include "failure.hpp"
#include "socket.hpp"

#include <chrono>
#include <system_error>
#include <type_traits>
#include <utility>

namespace libssh2 {
namespace detail {

// Returns true when sock is ready (or in error: the next libssh2 call says which); false
// when the time ran out or poll failed, reported through ec. timeout_ms < 0: no limit.
inline bool wait_socket(LIBSSH2_SESSION *session, libssh2_socket_t sock, long timeout_ms, std::error_code *ec) {
    if (sock == LIBSSH2_INVALID_SOCKET) {
        // A blocking transfer on a session handshaken without the binding (the raw
        // libssh2_session_handshake): it does not know the socket. Pass it instead.
        fail(make_error_code(errc::bad_socket), "wait for the server: the session's socket is unknown", ec);
        return false;
    }
    const int directions = session ? libssh2_session_block_directions(session) : 0;
    short events = 0;
    if (directions & LIBSSH2_SESSION_BLOCK_INBOUND) events |= POLLIN;
    if (directions & LIBSSH2_SESSION_BLOCK_OUTBOUND) events |= POLLOUT;
    if (!events) events = POLLIN;  // no direction recorded: what the server sends next unblocks
    const int ready = poll_socket(sock, events, timeout_ms);
    if (ready > 0 && (ready & POLLNVAL)) {
        fail_os(EBADF, "wait for the server", ec);  // not an open socket: waiting again would spin
        return false;
    }
    if (ready > 0) return true;
    if (ready == 0)
        fail_timeout(std::chrono::milliseconds(timeout_ms), "wait for the server", ec);
    else
        fail_os(last_socket_error(), "wait for the server", ec);
    return false;
}

// Whether op's result means "would block": LIBSSH2_ERROR_EAGAIN from a call returning an
// integer; from a factory, an empty result (null pointer, empty owning class) with EAGAIN as
// the session's last error.
template <class Result>
bool would_block(const Result &result, LIBSSH2_SESSION *session) noexcept {
    if constexpr (std::is_integral_v<Result>) {
        return result == LIBSSH2_ERROR_EAGAIN;
    } else {
        return !result && libssh2_session_last_errno(session) == LIBSSH2_ERROR_EAGAIN;
    }
}

template <class Op>
auto retry(session &s, libssh2_socket_t sock, Op &op, std::chrono::milliseconds timeout, std::error_code *ec)
    -> decltype(op()) {
    if (ec) ec->clear();
    using clock = std::chrono::steady_clock;
    const auto deadline = clock::now() + timeout;
    for (;;) {
        auto result = op();
        if (!would_block(result, s.get())) return result;
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - clock::now()).count();
        if (left <= 0) {
            fail_timeout(timeout, "wait for the server", ec);
            return result;
        }
        if (!wait_socket(s.get(), sock, static_cast<long>(left), ec)) {
            // wait_socket reports the time left, not the caller's: report the whole timeout.
            if (ec && *ec == errc::timeout) fail_timeout(timeout, "wait for the server", ec);
            return result;
        }
    }
}

}  // namespace detail

// Waits until sock (the session's socket) is ready in the directions the session last
// blocked in (session.block_directions()), at most timeout. Throws libssh2::error with
// errc::timeout when the time runs out.
inline void wait(session &s, libssh2_socket_t sock, std::chrono::milliseconds timeout) {
    detail::wait_socket(s.get(), sock, static_cast<long>(timeout.count()), nullptr);
}
// The same; never throws: sets ec instead.
inline void wait(session &s, libssh2_socket_t sock, std::chrono::milliseconds timeout, std::error_code &ec) {
    ec.clear();
    detail::wait_socket(s.get(), sock, static_cast<long>(timeout.count()), &ec);
}

// Calls op() until it no longer would block, waiting on sock in between, and returns its
// final result unchanged: the thin layer's value, a failure included (a negative integer, an
// empty object) for the caller to look at. "Would block": an integer result
// LIBSSH2_ERROR_EAGAIN, or an empty result (null pointer, empty owning class) with
// session.last_errno() LIBSSH2_ERROR_EAGAIN. Throws libssh2::error with errc::timeout when
// timeout (for all the tries together) runs out.
//     libssh2::channel channel = libssh2::retry(session, sock.get(), [&] { return channel::open_session(session); },
//     10s);
template <class Op>
auto retry(session &s, libssh2_socket_t sock, Op &&op, std::chrono::milliseconds timeout) -> decltype(op()) {
    return detail::retry(s, sock, op, timeout, nullptr);
}
// The same; never throws: on a timeout sets ec and returns the last (would-block) result.
template <class Op>
auto retry(session &s, libssh2_socket_t sock, Op &&op, std::chrono::milliseconds timeout, std::error_code &ec)
    -> decltype(op()) {
    return detail::retry(s, sock, op, timeout, &ec);
}

}  // namespace libssh2

#endif  // LIBSSH2_HPP_IO_WAIT
