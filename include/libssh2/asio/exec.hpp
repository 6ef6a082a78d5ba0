// SPDX-License-Identifier: BSD-3-Clause
// libssh2::asio::async_exec: run a command on a channel of its own and collect what it writes
// to stdout and stderr, its exit status and exit signal. The channel is closed when the
// command is done; other operations of the session progress meanwhile.
#ifndef LIBSSH2_HPP_ASIO_EXEC
#define LIBSSH2_HPP_ASIO_EXEC

#include "call.hpp"

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

namespace libssh2::asio {

struct exec_result {
    std::string out;          // stdout (empty when a sink took it)
    std::string err;          // stderr (the same)
    int exit_status = -1;     // the command's exit status; -1 when it sent none (a signal)
    std::string exit_signal;  // the signal that ended it, without "SIG" ("KILL"); empty if none
};

namespace detail {

// Keeps the output in the result.
struct collect_output {
    exec_result *result = nullptr;
    void operator()(int stream_id, std::string_view data) const {
        (stream_id == 0 ? result->out : result->err).append(data);
    }
};

// Open a session channel, exec, read stdout and stderr to their end, close, wait for the
// server's close, take the exit status: stepped by the engine. Sink: void(int stream_id
// (0 stdout, 1 stderr), std::string_view data).
template <class Sink>
class exec_operation {
public:
    using result_type = exec_result;

    exec_operation(session &s, std::string command, Sink sink)
        : ssh_(&s.ssh()), command_(std::move(command)), sink_(std::move(sink)) {}
    // The collecting sink points into this object's result: never copied, moved before the
    // first step only (by the engine's initiation), so re-pointed there.
    exec_operation(exec_operation &&other) noexcept
        : ssh_(other.ssh_), command_(std::move(other.command_)), sink_(std::move(other.sink_)),
          result_(std::move(other.result_)), channel_(std::move(other.channel_)), stage_(other.stage_) {
        if constexpr (std::is_same_v<Sink, collect_output>) sink_.result = &result_;
    }

    // The session's (channel open) until the channel is open, then the channel's, with the
    // session's requests lock for the exec request.
    lock_key key() const noexcept {
        if (!channel_) return key_of(*ssh_);
        return {channel_.get(), lane::whole, stage_ == stage::exec ? ssh_->get() : nullptr};
    }

    result_type take() { return std::move(result_); }

    // After a stop (engine.hpp): the channel, closed without blocking, or left to libssh2.
    bool opened() const noexcept { return static_cast<bool>(channel_); }
    step_result close(std::error_code &) {
        return channel_.free() == LIBSSH2_ERROR_EAGAIN ? step_result::blocked : step_result::done;
    }
    void give_up() noexcept { (void)channel_.release(); }
    step_result step(std::error_code &ec) {
        if (stage_ == stage::open) {  // the exec takes the session's requests lock: step again for it
            if (!advance(ec)) return step_result::blocked;
            return ec || stage_ == stage::done ? step_result::done : step_result::moved;
        }
        return advance(ec) ? step_result::done : step_result::blocked;
    }

private:
    // The stages from the current one on; false: would block; true: finished (ec set for a
    // failure), or, from the open stage, opened.
    bool advance(std::error_code &ec) {
        if constexpr (std::is_same_v<Sink, collect_output>) sink_.result = &result_;
        switch (stage_) {
        case stage::open:
            channel_ = channel::open_session(*ssh_);
            if (!channel_) return failed(ssh_->last_errno(), ec);
            stage_ = stage::exec;
            return true;
        case stage::exec:
            if (const int rc = channel_.exec(command_); rc != 0) return failed(rc, ec);
            stage_ = stage::send_eof;
            [[fallthrough]];
        case stage::send_eof:  // nothing on its stdin, as `ssh -n`: a command that reads it ends
            if (const int rc = channel_.send_eof(); rc != 0) return failed(rc, ec);
            stage_ = stage::read;
            [[fallthrough]];
        case stage::read:
            for (;;) {
                const ssize_t out = channel_.read(buffer_, sizeof buffer_);
                if (out > 0) {
                    sink_(0, std::string_view(buffer_, static_cast<std::size_t>(out)));
                    continue;
                }
                const ssize_t err = channel_.read_stderr(buffer_, sizeof buffer_);
                if (err > 0) {
                    sink_(1, std::string_view(buffer_, static_cast<std::size_t>(err)));
                    continue;
                }
                if (out < 0 && out != LIBSSH2_ERROR_EAGAIN) return failed(static_cast<int>(out), ec);
                if (err < 0 && err != LIBSSH2_ERROR_EAGAIN) return failed(static_cast<int>(err), ec);
                if (out == LIBSSH2_ERROR_EAGAIN || err == LIBSSH2_ERROR_EAGAIN) return false;
                break;  // both at their end
            }
            stage_ = stage::close;
            [[fallthrough]];
        case stage::close:
            if (const int rc = channel_.close(); rc != 0) return failed(rc, ec);
            stage_ = stage::wait_closed;
            [[fallthrough]];
        case stage::wait_closed: {
            if (const int rc = channel_.wait_closed(); rc != 0) return failed(rc, ec);
            result_.exit_status = channel_.get_exit_status();
            char *signal = nullptr;
            std::size_t length = 0;
            if (channel_.get_exit_signal(&signal, &length, nullptr, nullptr, nullptr, nullptr) == 0 && signal) {
                result_.exit_signal.assign(signal, length);
                result_.exit_status = -1;
                libssh2_free(ssh_->get(), signal);
            }
            stage_ = stage::done;
            return true;
        }
        case stage::done: return true;
        }
        return true;
    }

private:
    enum class stage { open, exec, send_eof, read, close, wait_closed, done };

    bool failed(int rc, std::error_code &ec) {
        if (rc == LIBSSH2_ERROR_EAGAIN) return false;
        if (rc != 0) ec = libssh2::detail::session_failure(ssh_->get(), rc, std::string()).code;
        return true;
    }

    libssh2::session *ssh_;
    std::string command_;
    Sink sink_;
    exec_result result_;
    channel channel_;
    stage stage_ = stage::open;
    char buffer_[32768];
};

}  // namespace detail

// Runs command; completes with (error_code, exec_result) once the channel is closed.
template <class Token>
auto async_exec(session &s, std::string command, Token &&token) {
    return detail::start_operation(
        s, detail::exec_operation<detail::collect_output>(s, std::move(command), detail::collect_output{}),
        std::forward<Token>(token));
}

// The same, handing the output to sink as it comes, called as sink(int stream_id (0 stdout,
// 1 stderr), std::string_view data) on the session's strand; the result's out and err stay
// empty.
template <class Sink, class Token>
auto async_exec(session &s, std::string command, Sink sink, Token &&token) {
    return detail::start_operation(s, detail::exec_operation<Sink>(s, std::move(command), std::move(sink)),
                                   std::forward<Token>(token));
}

}  // namespace libssh2::asio

#endif  // LIBSSH2_HPP_ASIO_EXEC
