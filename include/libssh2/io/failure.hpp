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

// The failure of a call on session that returned rc (a LIBSSH2_ERROR_*; 0 for a call that
// says only "null": then the session's last errno). what names the call and its object, e.g.
// "libssh2::stat /tmp/x"; libssh2's message follows it (copied at once: it points into the
// session's buffer) when it is about rc: some failures (LIBSSH2_ERROR_BUFFER_TOO_SMALL from
// readdir) are returned without one, and the session still holds an older message.
inline call_failure session_failure(LIBSSH2_SESSION *session, int rc, const std::string &what) {
    if (rc == 0 && session) rc = libssh2_session_last_errno(session);
    if (rc == 0) rc = LIBSSH2_ERROR_BAD_USE;  // nothing says why: an empty object, say
    const bool about_rc = session && libssh2_session_last_errno(session) == rc;
    const std::string message = about_rc ? last_error_message(session) : std::string();
    return {{rc, session_category()}, message.empty() ? what : what + ": " + message};
}

// As session_failure, for SFTP calls: LIBSSH2_ERROR_SFTP_PROTOCOL becomes the server's status.
inline call_failure sftp_failure(LIBSSH2_SESSION *session, LIBSSH2_SFTP *sftp, int rc, const std::string &what) {
    if (rc == 0 && session) rc = libssh2_session_last_errno(session);
    if (rc != LIBSSH2_ERROR_SFTP_PROTOCOL || !sftp) return session_failure(session, rc, what);
    return {{static_cast<int>(libssh2_sftp_last_error(sftp)), sftp_category()},
            what + ": " + last_error_message(session)};
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
