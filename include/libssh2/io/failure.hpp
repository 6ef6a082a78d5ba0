// SPDX-License-Identifier: BSD-3-Clause
// How the calls of <libssh2/io.hpp> report a failure, each through detail::fail: libssh2's
// code and message, the SFTP server's status, the operating system's error, or a timeout.
// std::system_error appends the code's own message to what() ("connect to 127.0.0.1:22:
// Connection refused"), so `what` names only the operation.
#ifndef LIBSSH2_HPP_IO_FAILURE
#define LIBSSH2_HPP_IO_FAILURE

#include "../errors.hpp"

#include <cerrno>
#include <chrono>
#include <string>
#include <system_error>

namespace libssh2 {
namespace detail {

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

// code: what the libssh2 call returned, or the session's last_errno for a factory's null
// result. The session's message is copied out at once (it points into the session's buffer).
inline void fail_session(LIBSSH2_SESSION *session, int code, const std::string &what, std::error_code *ec) {
    const std::string message = last_error_message(session);
    fail({code, session_category()}, message.empty() ? what : what + ": " + message, ec);
}

// An SFTP call's failure: the server's status when it sent one, else the session's error.
inline void fail_sftp(LIBSSH2_SFTP *sftp, LIBSSH2_SESSION *session, int code, const std::string &what,
                      std::error_code *ec) {
    if (sftp && code == LIBSSH2_ERROR_SFTP_PROTOCOL)
        fail({static_cast<int>(libssh2_sftp_last_error(sftp)), sftp_category()}, what, ec);
    else
        fail_session(session, code, what, ec);
}

inline void fail_timeout(std::chrono::milliseconds timeout, const std::string &what, std::error_code *ec) {
    fail(make_error_code(errc::timeout), what + ": nothing within " + std::to_string(timeout.count()) + " ms", ec);
}

}  // namespace detail
}  // namespace libssh2

#endif  // LIBSSH2_HPP_IO_FAILURE
