// SPDX-License-Identifier: BSD-3-Clause
// How the helpers of <libssh2/io.hpp> turn a failed libssh2 call into a libssh2::error or a
// std::error_code (through detail::fail, the one way the opt-in layers report failures):
// session errors in libssh2::session_category(), the SFTP server's status in
// libssh2::sftp_category() when libssh2 says LIBSSH2_ERROR_SFTP_PROTOCOL.
//
// The ranges, attributes and streams serve blocking sessions: in non-blocking mode a call
// that would block is a failure like any other (errc::eagain) to them. The operating
// system's errors are std::system_category()'s; a timeout is errc::timeout.
#ifndef LIBSSH2_HPP_IO_FAILURE
#define LIBSSH2_HPP_IO_FAILURE

#include "../errors.hpp"

#include <cerrno>
#include <chrono>
#include <string>
#include <system_error>

namespace libssh2::detail {

// The session a wrapper belongs to (null when empty).
template <class Wrapper>
LIBSSH2_SESSION *io_session_of(const Wrapper &wrapper) noexcept {
    const node *n = access::node_of(wrapper);
    return n ? n->session : nullptr;
}

// The sftp session an sftp_handle belongs to: its parent node's handle.
inline LIBSSH2_SFTP *io_sftp_of(const sftp_handle &handle) noexcept {
    const node *n = access::node_of(handle);
    return n && n->parent ? static_cast<LIBSSH2_SFTP *>(n->parent->handle) : nullptr;
}

// A failed call's code and message, for fail() or to keep (a streambuf keeps its last).
struct call_failure {
    std::error_code code;
    std::string message;
};

// The operating system's error behind a failed libssh2 call, if it has one: errno (a socket's
// error, WSAGetLastError(), on Windows) as libssh2 left it, for the failures that come from a
// system call: a socket's send or receive, a key or known_hosts file's open or read, and the
// generic -1 (a key exchange whose receive failed, for one). Only errors those calls give count,
// so that an older errno, left by a call that succeeded since, is not taken for the cause
// (callers that can, as the asio engine does, clear errno before the libssh2 call).
inline int system_error_behind(int rc) noexcept {
    const bool file = rc == LIBSSH2_ERROR_FILE;
    if (!file && rc != LIBSSH2_ERROR_SOCKET_RECV && rc != LIBSSH2_ERROR_SOCKET_SEND && rc != LIBSSH2_ERROR_SOCKET_NONE)
        return 0;
#ifdef _WIN32
    if (!file) {
        const int error = WSAGetLastError();
        return error != 0 && error != WSAEWOULDBLOCK && error != WSAEINTR && error != WSAEINPROGRESS ? error : 0;
    }
#endif
    const int error = errno;
    switch (error) {
    // What opening or reading a file and what a socket's send or receive fail with, both.
    case EMFILE: case ENFILE: case ENOMEM: case EIO:
        return error;
    // A file's.
    case ENOENT: case EACCES: case EPERM: case EISDIR: case ENOTDIR: case ELOOP: case ENAMETOOLONG:
        return file ? error : 0;
#ifndef _WIN32
    // A socket's.
    case ECONNRESET: case EPIPE: case ECONNREFUSED: case ECONNABORTED: case ETIMEDOUT: case ENOTCONN:
    case ENETDOWN: case ENETUNREACH: case EHOSTUNREACH: case ENOBUFS: case ENOTSOCK: case EBADF:
        return file ? 0 : error;
#endif
    }
    return 0;
}

// The failure of a call on session that returned rc (a LIBSSH2_ERROR_*; 0 for a call that
// says only "null": then the session's last errno). what names the call and its object, e.g.
// "libssh2::stat /tmp/x"; libssh2's message follows it (copied at once: it points into the
// session's buffer) when it is about rc: some failures (LIBSSH2_ERROR_BUFFER_TOO_SMALL from
// readdir) are returned without one, and the session still holds an older message.
//
// The code names the cause: a failure with an errno behind it (system_error_behind) is that
// errno, in std::system_category() (EMFILE compares equal to std::errc::too_many_files_open),
// with libssh2's message. libssh2's generic -1 (LIBSSH2_ERROR_SOCKET_NONE: libssh2.h says it
// means to retire it; in 1.10 to 1.11.1 the session's message is "Unable to exchange
// encryption keys" when the server sent what is no SSH packet or left during the key
// exchange) is errc::proto when no errno explains it.
inline call_failure session_failure(LIBSSH2_SESSION *session, int rc, const std::string &what) {
    if (rc == 0 && session) rc = libssh2_session_last_errno(session);
    if (rc == 0) rc = LIBSSH2_ERROR_BAD_USE;  // nothing says why: an empty object, say
    const int last = session ? libssh2_session_last_errno(session) : 0;
    if (rc == LIBSSH2_ERROR_SOCKET_NONE && last != 0 && last != rc && last != LIBSSH2_ERROR_EAGAIN)
        rc = last;  // the cause libssh2 recorded before it returned its generic -1
    const bool about_rc = last == rc;
    const std::string message = about_rc ? last_error_message(session) : std::string();
    const std::string described = message.empty() ? what : what.empty() ? message : what + ": " + message;
    if (const int error = system_error_behind(rc)) return {{error, std::system_category()}, described};
    if (rc == LIBSSH2_ERROR_SOCKET_NONE) rc = LIBSSH2_ERROR_PROTO;
    return {{rc, session_category()}, described};
}

// As session_failure, for SFTP calls: LIBSSH2_ERROR_SFTP_PROTOCOL becomes the server's status.
inline call_failure sftp_failure(LIBSSH2_SESSION *session, LIBSSH2_SFTP *sftp, int rc, const std::string &what) {
    if (rc == 0 && session) rc = libssh2_session_last_errno(session);
    if (rc != LIBSSH2_ERROR_SFTP_PROTOCOL || !sftp) return session_failure(session, rc, what);
    const std::string message = last_error_message(session);
    return {{static_cast<int>(libssh2_sftp_last_error(sftp)), sftp_category()},
            what.empty() ? message : what + ": " + message};
}

// Reports the failure through fail(): thrown, or into *ec.
inline void fail_session(LIBSSH2_SESSION *session, int rc, const std::string &what, std::error_code *ec) {
    const call_failure f = session_failure(session, rc, what);
    fail(f.code, f.message, ec);
}

inline void fail_sftp(LIBSSH2_SESSION *session, LIBSSH2_SFTP *sftp, int rc, const std::string &what,
                      std::error_code *ec) {
    const call_failure f = sftp_failure(session, sftp, rc, what);
    fail(f.code, f.message, ec);
}

// errno, or WSAGetLastError() for Windows sockets.
inline int last_socket_error() noexcept {
#ifdef _WIN32
    return WSAGetLastError();
#else
    return errno;
#endif
}

inline void fail_os(int error, const std::string &what, std::error_code *ec) {
    fail({error, std::system_category()}, what, ec);
}

inline void fail_timeout(std::chrono::milliseconds timeout, const std::string &what, std::error_code *ec) {
    fail(make_error_code(errc::timeout), what + ": nothing within " + std::to_string(timeout.count()) + " ms", ec);
}

}  // namespace libssh2::detail

#endif  // LIBSSH2_HPP_IO_FAILURE
