// SPDX-License-Identifier: BSD-3-Clause
// A remote command from start to end: libssh2::run gives its stdout, stderr, exit status and
// exit signal in one result; libssh2::finish ends a channel whose output the caller streamed
// and says how its command ended. Both end the channel in the order that keeps the exit status
// (finish_channel.hpp): output to EOF, the server's CLOSE, then ours.
//
// Each has a blocking form (the session in blocking mode; switched to non-blocking meanwhile,
// as read_all does) and a non-blocking one, given the session's socket and a timeout: it waits
// on the socket whenever libssh2 would block, and gives up with errc::timeout when nothing
// moves for that long.
#ifndef LIBSSH2_HPP_IO_COMMAND
#define LIBSSH2_HPP_IO_COMMAND

#include "finish_channel.hpp"
#include "transfer.hpp"

#include <chrono>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

namespace libssh2 {
namespace detail {

// Waits on the socket as w says; a failure names what waited ("run `sleep 9`: nothing from the
// server within 10000 ms").
inline bool wait_for(LIBSSH2_SESSION *session, waiting w, const std::string &what, std::error_code *ec) {
    std::error_code waited;
    if (wait_socket(session, w.socket, w.timeout_ms, &waited)) return true;
    if (waited == errc::timeout)
        fail(waited, what + ": nothing from the server within " + std::to_string(w.timeout_ms) + " ms", ec);
    else
        fail(waited, what + ": wait for the server", ec);
    return false;
}

// Calls op() until it no longer would block, waiting on the socket in between. op returns 0
// when done, LIBSSH2_ERROR_EAGAIN, or libssh2's failure, reported as "what: libssh2's message".
template <class Op>
bool complete(LIBSSH2_SESSION *session, waiting w, const std::string &what, std::error_code *ec, Op &&op) {
    for (;;) {
        const int rc = op();
        if (rc == 0) return true;
        if (rc != LIBSSH2_ERROR_EAGAIN) {
            fail_session(session, rc, what, ec);
            return false;
        }
        if (!wait_for(session, w, what, ec)) return false;
    }
}

// Steps a channel_finisher to the end, output to sink; false after a failure (reported).
template <class Sink>
bool finish_channel(channel &ch, Sink &sink, command_exit &exit, const std::string &what, waiting w,
                    std::error_code *ec) {
    LIBSSH2_SESSION *session = io_session_of(ch);
    channel_finisher finisher;
    for (;;) {
        const int rc = finisher.step(ch, sink);
        if (rc == 0) break;
        if (rc != LIBSSH2_ERROR_EAGAIN) {
            fail_session(session, rc, what + ": " + finisher.doing(), ec);
            return false;
        }
        if (!wait_for(session, w, what, ec)) return false;
    }
    exit = std::move(finisher.exit());
    return true;
}

// Output left unread: dropped (it was read all the same, so the command never stalls).
struct discard_output {
    void operator()(int, std::string_view) const noexcept {}
};

inline command_exit finish(channel &ch, waiting w, std::error_code *ec) {
    if (ec) ec->clear();
    command_exit exit;
    discard_output discard;
    finish_channel(ch, discard, exit, "finish the channel", w, ec);
    return exit;
}

inline command_result run(session &s, std::string_view command, waiting w, std::error_code *ec) {
    if (ec) ec->clear();
    command_result result;
    const std::string what = "run `" + std::string(command) + "`";
    channel ch;
    if (!complete(s.get(), w, what + ": open a channel", ec, [&] {
            ch = channel::open_session(s);
            if (ch) return 0;
            const int rc = libssh2_session_last_errno(s.get());
            return rc != 0 ? rc : LIBSSH2_ERROR_CHANNEL_FAILURE;
        }))
        return result;
    if (!complete(s.get(), w, what, ec, [&] { return ch.exec(command); })) return result;
    // Nothing on its stdin, as `ssh -n`: a command that reads it ends.
    if (!complete(s.get(), w, what + ": send EOF", ec, [&] { return ch.send_eof(); })) return result;
    auto keep = [&](int stream_id, std::string_view data) { (stream_id == 0 ? result.out : result.err).append(data); };
    command_exit exit;
    if (!finish_channel(ch, keep, exit, what, w, ec)) return result;
    result.exit_status = exit.exit_status;
    result.exit_signal = std::move(exit.exit_signal);
    return result;
}

}  // namespace detail

// Runs command on a new channel of the session (nothing on its stdin, as `ssh -n`) and returns
// its stdout, stderr, exit status and exit signal (-1 and "TERM" for a command killed by TERM)
// once the server has closed the channel. A failure to start it throws (or sets ec); a
// command that fails is not a failure: look at exit_status and exit_signal.
// Blocking session: waits as long as the session's timeout (session.set_timeout; 0: no limit)
// each time libssh2 would block, on the socket given to handshake().
inline command_result run(session &s, std::string_view command) {
    const detail::non_blocking_scope scope(s.get());
    return detail::run(s, command, detail::session_waiting(s), nullptr);
}
inline command_result run(session &s, std::string_view command, std::error_code &ec) {
    const detail::non_blocking_scope scope(s.get());
    return detail::run(s, command, detail::session_waiting(s), &ec);
}
// Non-blocking session: waits on sock for at most timeout at a time.
inline command_result run(session &s, std::string_view command, libssh2_socket_t sock,
                          std::chrono::milliseconds timeout) {
    return detail::run(s, command, {sock, static_cast<long>(timeout.count())}, nullptr);
}
inline command_result run(session &s, std::string_view command, libssh2_socket_t sock,
                          std::chrono::milliseconds timeout, std::error_code &ec) {
    return detail::run(s, command, {sock, static_cast<long>(timeout.count())}, &ec);
}

// Ends a channel whose command is running or done, and says how the command ended: reads its
// output to EOF, DISCARDING what the caller left unread (read_all first to keep it: the rest
// may be unbounded, and reading keeps the command from stalling on a full window), waits for
// the server to close the channel (exit status and signal come before that), then closes it.
// It sends no EOF: a command that reads its stdin ends only after send_eof().
inline command_exit finish(channel &ch) {
    const detail::non_blocking_scope scope(detail::io_session_of(ch));
    return detail::finish(ch, detail::session_waiting(ch), nullptr);
}
inline command_exit finish(channel &ch, std::error_code &ec) {
    const detail::non_blocking_scope scope(detail::io_session_of(ch));
    return detail::finish(ch, detail::session_waiting(ch), &ec);
}
inline command_exit finish(channel &ch, libssh2_socket_t sock, std::chrono::milliseconds timeout) {
    return detail::finish(ch, {sock, static_cast<long>(timeout.count())}, nullptr);
}
inline command_exit finish(channel &ch, libssh2_socket_t sock, std::chrono::milliseconds timeout, std::error_code &ec) {
    return detail::finish(ch, {sock, static_cast<long>(timeout.count())}, &ec);
}

}  // namespace libssh2

#endif  // LIBSSH2_HPP_IO_COMMAND
