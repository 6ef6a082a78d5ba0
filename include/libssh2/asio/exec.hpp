// SPDX-License-Identifier: BSD-3-Clause
// libssh2::asio::async_exec: run a command on a channel of its own and collect what it writes
// to stdout and stderr, its exit status and exit signal. The channel ends as every layer ends
// it (io/finish_channel.hpp): output to EOF, the server's close (the exit status comes before
// it, maybe after EOF), then ours; other operations of the session progress meanwhile.
#ifndef LIBSSH2_HPP_ASIO_EXEC
#define LIBSSH2_HPP_ASIO_EXEC

#include "../io/finish_channel.hpp"
#include "call.hpp"

#include <string>
#include <string_view>
#include <utility>

namespace libssh2::asio {

// out, err, exit_status (-1 for a signal), exit_signal ("KILL"; empty if none): the blocking
// layer's libssh2::run gives the same.
using exec_result = libssh2::command_result;

namespace detail {

// Keeps the output in the result.
struct collect_output {
    exec_result *result = nullptr;
    void operator()(int stream_id, std::string_view data) const {
        (stream_id == 0 ? result->out : result->err).append(data);
    }
};

// Open a session channel, exec, send EOF, then finish the channel (detail::channel_finisher:
// output to its end, the server's close, ours, the exit status): stepped by the engine.
// Sink: void(int stream_id (0 stdout, 1 stderr), std::string_view data).
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
          result_(std::move(other.result_)), channel_(std::move(other.channel_)), finisher_(std::move(other.finisher_)),
          stage_(other.stage_) {
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
            stage_ = stage::finish;
            [[fallthrough]];
        case stage::finish:
            if (const int rc = finisher_.step(channel_, sink_); rc != 0) return failed(rc, ec);
            result_.exit_status = finisher_.exit().exit_status;
            result_.exit_signal = std::move(finisher_.exit().exit_signal);
            stage_ = stage::done;
            return true;
        case stage::done: return true;
        }
        return true;
    }

private:
    enum class stage { open, exec, send_eof, finish, done };

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
    libssh2::detail::channel_finisher finisher_;
    stage stage_ = stage::open;
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
