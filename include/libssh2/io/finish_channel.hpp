// SPDX-License-Identifier: BSD-3-Clause
// The end of a remote command, written once for every layer (libssh2::run and finish in
// command.hpp, libssh2::asio::async_exec): a non-blocking step that reads stdout and stderr to
// the server's EOF, waits for the server's CLOSE, closes the channel, and takes the exit status
// and signal.
//
// The order is what keeps the exit status. A server sends exit-status (or exit-signal) before
// its CLOSE, but may send it after its EOF: python3-asyncssh's server does, and so does OpenSSH
// when the command closes its output before it exits (`exec >&-; sleep 1; exit 3`). Once a
// server has our CLOSE it owes us nothing more, so a client that closes at EOF may never see
// the status, and libssh2 then answers 0: a failed command reads as a success.
// libssh2_channel_wait_closed (which needs the remote EOF) reads until the server's CLOSE;
// only then do we send ours (libssh2_channel_close).
#ifndef LIBSSH2_HPP_IO_FINISH_CHANNEL
#define LIBSSH2_HPP_IO_FINISH_CHANNEL

#include "failure.hpp"

#include <cstddef>
#include <string>
#include <string_view>

namespace libssh2 {

// How a remote command ended.
struct command_exit {
    int exit_status = -1;     // its exit status; -1 when it sent none (ended by a signal)
    std::string exit_signal;  // the signal that ended it, without "SIG" ("TERM"); empty if none
};

// A command's output and how it ended: libssh2::run's and libssh2::asio::async_exec's result.
struct command_result {
    std::string out;          // stdout (empty when a sink took it)
    std::string err;          // stderr (the same)
    int exit_status = -1;     // as command_exit's
    std::string exit_signal;  // as command_exit's
};

namespace detail {

// The name of the signal that ended ch's command into name (empty if none); 0 or libssh2's
// failure. The string is libssh2's, allocated by its allocator: freed by it.
inline int exit_signal_name(channel &ch, std::string &name) {
    name.clear();
    char *signal = nullptr;
    std::size_t length = 0;
    if (const int rc = ch.get_exit_signal(&signal, &length, nullptr, nullptr, nullptr, nullptr); rc != 0) return rc;
    if (signal) {
        name.assign(signal, length);
        libssh2::free(io_session_of(ch), signal);
    }
    return 0;
}

// Finishes a channel whose command was started, one step at a time, whatever the session's
// mode (give it a non-blocking one: a blocking read of one stream could wait for ever on a
// command stalled writing the other). Output still unread is handed to the sink as it is read:
// reading it keeps the channel's window open, so a command with more to say never stalls.
// It does not send EOF: a command that reads its stdin ends only once the caller did.
class channel_finisher {
public:
    // One step. Sink: void(int stream_id (0 stdout, 1 stderr), std::string_view data).
    // Returns 0 once finished (exit() says how the command ended), LIBSSH2_ERROR_EAGAIN when
    // libssh2 would block (wait on the socket, call again), else libssh2's failure (doing()
    // says in which stage).
    template <class Sink>
    int step(channel &ch, Sink &sink) {
        switch (stage_) {
        case stage::read:
            if (const int rc = read_to_eof(ch, sink); rc != 0) return rc;
            stage_ = stage::wait_closed;
            [[fallthrough]];
        case stage::wait_closed:  // exit-status and exit-signal come before the server's CLOSE
            if (const int rc = ch.wait_closed(); rc != 0) return rc;
            stage_ = stage::close;
            [[fallthrough]];
        case stage::close:
            if (const int rc = ch.close(); rc != 0) return rc;
            stage_ = stage::exit_signal;
            [[fallthrough]];
        case stage::exit_signal:
            if (const int rc = exit_signal_name(ch, exit_.exit_signal); rc != 0) return rc;
            exit_.exit_status = exit_.exit_signal.empty() ? ch.get_exit_status() : -1;
            stage_ = stage::done;
            [[fallthrough]];
        case stage::done: return 0;
        }
        return 0;
    }

    const command_exit &exit() const noexcept { return exit_; }
    command_exit &exit() noexcept { return exit_; }

    // The stage a failure came from, for its message.
    const char *doing() const noexcept {
        switch (stage_) {
        case stage::read: return "read the command's output";
        case stage::wait_closed: return "wait for the server to close the channel";
        case stage::close: return "close the channel";
        case stage::exit_signal: return "get the exit signal";
        case stage::done: break;
        }
        return "finish the channel";
    }

private:
    enum class stage { read, wait_closed, close, exit_signal, done };

    // Both streams until the server's EOF: 0 at EOF, LIBSSH2_ERROR_EAGAIN, or a failure.
    template <class Sink>
    int read_to_eof(channel &ch, Sink &sink) {
        bool looked_again = false;
        for (;;) {
            bool got_data = false;
            for (const int stream : {0, SSH_EXTENDED_DATA_STDERR}) {
                const ssize_t n = ch.read_ex(stream, buffer_, sizeof buffer_);
                if (n > 0) {
                    got_data = true;
                    sink(stream == 0 ? 0 : 1, std::string_view(buffer_, static_cast<std::size_t>(n)));
                } else if (n < 0 && n != LIBSSH2_ERROR_EAGAIN) {
                    return static_cast<int>(n);
                }
            }
            if (got_data) {
                looked_again = false;
                continue;
            }
            // Reading stderr can queue stdout's data, which the socket would not announce: look
            // once more while libssh2 holds some (once: data of no stream we read would spin).
            unsigned long queued = 0;
            ch.window_read_ex(&queued, nullptr);
            if (queued > 0 && !looked_again) {
                looked_again = true;
                continue;
            }
            const int eof = ch.eof();  // 1 once the server's EOF is in and no data is left
            return eof < 0 ? eof : eof == 1 ? 0 : LIBSSH2_ERROR_EAGAIN;
        }
    }

    stage stage_ = stage::read;
    command_exit exit_;
    char buffer_[32768];
};

}  // namespace detail
}  // namespace libssh2

#endif  // LIBSSH2_HPP_IO_FINISH_CHANNEL
