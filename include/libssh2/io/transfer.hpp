// SPDX-License-Identifier: BSD-3-Clause
// Whole transfers: a channel's output to EOF, all of a buffer into a channel, a whole remote
// file, all of a buffer into a remote file; and the signal that ended a remote command.
//
// Each has a blocking form (the session in blocking mode) and a non-blocking one, given the
// session's socket and a timeout: it waits on the socket (libssh2::wait) whenever libssh2
// would block, and gives up with errc::timeout when nothing moves for that long.
#ifndef LIBSSH2_HPP_IO_TRANSFER
#define LIBSSH2_HPP_IO_TRANSFER

#include "failure.hpp"
#include "finish_channel.hpp"
#include "wait.hpp"

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

namespace libssh2 {

// Which of a command's output streams read_all keeps. The other is read and dropped all the
// same: left unread, it would fill the channel's window and stall the command.
enum class streams { out, err, both };

struct channel_output {
    std::string out;  // stdout (stream 0)
    std::string err;  // stderr (SSH_EXTENDED_DATA_STDERR)
};

namespace detail {

// Where and how long to wait when libssh2 would block; timeout_ms < 0: no limit.
struct waiting {
    libssh2_socket_t socket;
    long timeout_ms;
};

// The blocking forms' waiting: the socket the session was handshaken on, and the session's
// own timeout (0: none), as libssh2 itself would wait in blocking mode.
template <class Wrapper>
waiting session_waiting(const Wrapper &wrapper) noexcept {
    node *session_node = root(access::node_of(wrapper));
    const long timeout = libssh2_session_get_timeout(io_session_of(wrapper));
    return {session_node ? session_node->socket : LIBSSH2_INVALID_SOCKET, timeout > 0 ? timeout : -1};
}

// Non-blocking for its lifetime, then the session's mode as it was.
class non_blocking_scope {
public:
    explicit non_blocking_scope(LIBSSH2_SESSION *session) noexcept
        : session_(session), was_blocking_(libssh2_session_get_blocking(session)) {
        libssh2_session_set_blocking(session, 0);
    }
    ~non_blocking_scope() { libssh2_session_set_blocking(session_, was_blocking_); }
    non_blocking_scope(const non_blocking_scope &) = delete;
    non_blocking_scope &operator=(const non_blocking_scope &) = delete;

private:
    LIBSSH2_SESSION *session_;
    int was_blocking_;
};

// Reads both streams until the server's EOF, in non-blocking mode: one stream's reads may
// need the other's data read first (each has its own window), so neither is read blocking.
inline channel_output read_all(channel &ch, streams which, waiting w, std::error_code *ec) {
    if (ec) ec->clear();
    LIBSSH2_SESSION *session = io_session_of(ch);
    channel_output output;
    char buffer[32768];
    for (;;) {
        bool got_data = false;
        for (const int stream : {0, SSH_EXTENDED_DATA_STDERR}) {
            const ssize_t n = ch.read_ex(stream, buffer, sizeof buffer);
            if (n > 0) {
                got_data = true;
                if (stream == 0 && which != streams::err) output.out.append(buffer, static_cast<std::size_t>(n));
                if (stream != 0 && which != streams::out) output.err.append(buffer, static_cast<std::size_t>(n));
            } else if (n < 0 && n != LIBSSH2_ERROR_EAGAIN) {
                fail_session(session, static_cast<int>(n), "read from the channel", ec);
                return output;
            }
        }
        // Reading one stream can queue data for the other, which libssh2 holds and poll(2)
        // would not see: wait on the socket only when libssh2 holds nothing for either
        // (window_read_ex counts both; poll_channel_read would too, but is deprecated).
        unsigned long queued = 0;
        ch.window_read_ex(&queued, nullptr);
        if (got_data || queued > 0) continue;
        if (ch.eof()) return output;
        if (!wait_socket(session, w.socket, w.timeout_ms, ec)) return output;
    }
}

inline void write_all(channel &ch, std::string_view data, waiting w, std::error_code *ec) {
    if (ec) ec->clear();
    LIBSSH2_SESSION *session = io_session_of(ch);
    while (!data.empty()) {
        const ssize_t n = ch.write(data.data(), data.size());
        if (n > 0) {
            data.remove_prefix(static_cast<std::size_t>(n));
        } else if (n < 0 && n != LIBSSH2_ERROR_EAGAIN) {
            fail_session(session, static_cast<int>(n), "write to the channel", ec);
            return;
        } else if (!wait_socket(session, w.socket, w.timeout_ms, ec)) {
            return;
        }
    }
}

inline std::string read_all(sftp_handle &file, waiting w, std::error_code *ec) {
    if (ec) ec->clear();
    LIBSSH2_SESSION *session = io_session_of(file);
    std::string data;
    // A large read lets libssh2 keep several requests in flight.
    const std::size_t chunk = 256 * 1024;
    for (;;) {
        const std::size_t size = data.size();
        data.resize(size + chunk);
        const ssize_t n = file.read(&data[size], chunk);
        data.resize(size + static_cast<std::size_t>(n > 0 ? n : 0));
        if (n == 0) return data;
        if (n == LIBSSH2_ERROR_EAGAIN) {
            if (!wait_socket(session, w.socket, w.timeout_ms, ec)) return data;
        } else if (n < 0) {
            fail_sftp(session, io_sftp_of(file), static_cast<int>(n), "read the remote file", ec);
            return data;
        }
    }
}

inline void write_all(sftp_handle &file, std::string_view data, waiting w, std::error_code *ec) {
    if (ec) ec->clear();
    LIBSSH2_SESSION *session = io_session_of(file);
    while (!data.empty()) {
        const ssize_t n = file.write(data.data(), data.size());
        if (n > 0) {
            data.remove_prefix(static_cast<std::size_t>(n));
        } else if (n < 0 && n != LIBSSH2_ERROR_EAGAIN) {
            fail_sftp(session, io_sftp_of(file), static_cast<int>(n), "write the remote file", ec);
            return;
        } else if (!wait_socket(session, w.socket, w.timeout_ms, ec)) {
            return;
        }
    }
}

inline std::optional<std::string> exit_signal(channel &ch, std::error_code *ec) {
    if (ec) ec->clear();
    std::string name;
    if (const int rc = exit_signal_name(ch, name); rc != 0) {
        fail_session(io_session_of(ch), rc, "get the exit signal", ec);
        return std::nullopt;
    }
    if (name.empty()) return std::nullopt;
    return name;
}

}  // namespace detail

// A command's output until the server's EOF: stdout in .out, stderr in .err, as `which` asks.
// Blocking session: waits as long as the session's timeout (session.set_timeout; 0: no limit)
// on the socket given to handshake(); the session is switched to non-blocking meanwhile.
inline channel_output read_all(channel &ch, streams which) {
    LIBSSH2_SESSION *session = detail::io_session_of(ch);
    const detail::non_blocking_scope scope(session);
    return detail::read_all(ch, which, detail::session_waiting(ch), nullptr);
}
inline channel_output read_all(channel &ch, streams which, std::error_code &ec) {
    LIBSSH2_SESSION *session = detail::io_session_of(ch);
    const detail::non_blocking_scope scope(session);
    return detail::read_all(ch, which, detail::session_waiting(ch), &ec);
}
// Non-blocking session: waits on sock for at most timeout at a time.
inline channel_output read_all(channel &ch, streams which, libssh2_socket_t sock, std::chrono::milliseconds timeout) {
    return detail::read_all(ch, which, {sock, static_cast<long>(timeout.count())}, nullptr);
}
inline channel_output read_all(channel &ch, streams which, libssh2_socket_t sock, std::chrono::milliseconds timeout,
                               std::error_code &ec) {
    return detail::read_all(ch, which, {sock, static_cast<long>(timeout.count())}, &ec);
}

// All of data into the channel's stdin (libssh2 may take it a part at a time). The channel
// stays open: send_eof() tells the command there is no more.
inline void write_all(channel &ch, std::string_view data) {
    detail::write_all(ch, data, detail::session_waiting(ch), nullptr);
}
inline void write_all(channel &ch, std::string_view data, std::error_code &ec) {
    detail::write_all(ch, data, detail::session_waiting(ch), &ec);
}
inline void write_all(channel &ch, std::string_view data, libssh2_socket_t sock, std::chrono::milliseconds timeout) {
    detail::write_all(ch, data, {sock, static_cast<long>(timeout.count())}, nullptr);
}
inline void write_all(channel &ch, std::string_view data, libssh2_socket_t sock, std::chrono::milliseconds timeout,
                      std::error_code &ec) {
    detail::write_all(ch, data, {sock, static_cast<long>(timeout.count())}, &ec);
}

// The rest of a remote file, to its end. A failure the server reports carries its status
// (an sftp_errc).
inline std::string read_all(sftp_handle &file) {
    return detail::read_all(file, detail::session_waiting(file), nullptr);
}
inline std::string read_all(sftp_handle &file, std::error_code &ec) {
    return detail::read_all(file, detail::session_waiting(file), &ec);
}
inline std::string read_all(sftp_handle &file, libssh2_socket_t sock, std::chrono::milliseconds timeout) {
    return detail::read_all(file, {sock, static_cast<long>(timeout.count())}, nullptr);
}
inline std::string read_all(sftp_handle &file, libssh2_socket_t sock, std::chrono::milliseconds timeout,
                            std::error_code &ec) {
    return detail::read_all(file, {sock, static_cast<long>(timeout.count())}, &ec);
}

// All of data into a remote file, at its current offset.
inline void write_all(sftp_handle &file, std::string_view data) {
    detail::write_all(file, data, detail::session_waiting(file), nullptr);
}
inline void write_all(sftp_handle &file, std::string_view data, std::error_code &ec) {
    detail::write_all(file, data, detail::session_waiting(file), &ec);
}
inline void write_all(sftp_handle &file, std::string_view data, libssh2_socket_t sock,
                      std::chrono::milliseconds timeout) {
    detail::write_all(file, data, {sock, static_cast<long>(timeout.count())}, nullptr);
}
inline void write_all(sftp_handle &file, std::string_view data, libssh2_socket_t sock,
                      std::chrono::milliseconds timeout, std::error_code &ec) {
    detail::write_all(file, data, {sock, static_cast<long>(timeout.count())}, &ec);
}

// The name of the signal that ended the channel's command ("TERM", "KILL", ...), without
// "SIG"; std::nullopt when it exited normally, or when the signal has not arrived yet: a
// server may send it after EOF, so read_all alone is not enough. It is in once the server
// has closed the channel: libssh2::finish (command.hpp) waits for that and returns it.
inline std::optional<std::string> exit_signal(channel &ch) { return detail::exit_signal(ch, nullptr); }
inline std::optional<std::string> exit_signal(channel &ch, std::error_code &ec) { return detail::exit_signal(ch, &ec); }

}  // namespace libssh2

#endif  // LIBSSH2_HPP_IO_TRANSFER
