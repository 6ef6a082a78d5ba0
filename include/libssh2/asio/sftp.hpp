// SPDX-License-Identifier: BSD-3-Clause
// libssh2::asio::async_sftp_get and async_sftp_put: copy a file from or to the server, over an
// SFTP session of their own or over one the caller opened (one SFTP session, many files: the
// transfers on it take turns, one step each). Each read or write asks for transfer_buffer bytes
// at once, which libssh2 splits into several SFTP requests in flight (its read-ahead and
// pipelined writes). A step copies for about detail::step_budget_us (engine.hpp), then yields
// to the io_context's other handlers. Complete with (error_code, bytes copied); a server's
// refusal is an sftp_errc (sftp_errc::no_such_file, ...), a local file's failure its errno
// (std::system_category()).
//
// Stopped (cancelled, timed out, or its session destroyed), a transfer closes its file and its
// own SFTP session without blocking, within the session's teardown bound; past it, it cuts the
// connection, as the thin layer's bounded free does, so that libssh2 fails at once and frees
// them: given up unfreed, libssh2 up to 1.11.1 would keep an SFTP handle (and its read-ahead)
// for ever, as libssh2_session_free frees channels but not SFTP handles.
#ifndef LIBSSH2_HPP_ASIO_SFTP
#define LIBSSH2_HPP_ASIO_SFTP

#include "call.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace libssh2::asio {
namespace detail {

inline constexpr std::size_t transfer_buffer = 1024 * 1024;

struct file_closer {
    void operator()(std::FILE *file) const noexcept { std::fclose(file); }
};

// sftp init, open, read or write to the end, close, shutdown: stepped by the engine. Over the
// caller's SFTP session (shared): open, copy, close only.
class sftp_transfer_operation {
public:
    using result_type = std::uint64_t;
    enum class direction { get, put };

    sftp_transfer_operation(session &s, direction d, std::string remote, std::string local, long mode,
                            sftp *shared = nullptr)
        : ssh_(&s.ssh()), direction_(d), remote_(std::move(remote)), local_(std::move(local)), mode_(mode),
          shared_(shared) {}

    // The session's (with its requests lock: sftp::init sends the "subsystem" request) until
    // the SFTP session is up, then that SFTP session's.
    lock_key key() const noexcept { return over() ? lock_key{over(), lane::whole} : key_of(*ssh_); }

    result_type take() { return copied_; }

    // After a stop (engine.hpp): the file and its own SFTP session, closed without blocking;
    // past the teardown bound, given up (give_up).
    bool opened() const noexcept { return static_cast<bool>(handle_) || static_cast<bool>(sftp_); }
    step_result close(std::error_code &) {
        channel_ = channel();
        if (handle_ && handle_.close() == LIBSSH2_ERROR_EAGAIN) return step_result::blocked;
        if (sftp_ && sftp_.shutdown() == LIBSSH2_ERROR_EAGAIN) return step_result::blocked;
        return step_result::done;
    }
    void give_up() noexcept {
        channel_ = channel();
        if (shared_) {
            // A file of the caller's SFTP session must go now: the caller may shut that down
            // before the session ends, and libssh2_sftp_shutdown leaves its files allocated.
            // The server left the close unanswered for the teardown bound: the connection is
            // cut, and the free then fails at once (the session is unusable anyway).
            ssh_->set_teardown_timeout(0);
            libssh2::detail::cut(libssh2::detail::access::node_of(*ssh_));
            handle_ = sftp_handle();
            return;
        }
        // Freed by the session's teardown, the file before its SFTP session (libssh2 frees
        // neither with the session).
        leave_to_teardown(ssh_->get(), handle_.release());
        leave_to_teardown(ssh_->get(), sftp_.release());
    }

    step_result step(std::error_code &ec) {
        switch (stage_) {
        case stage::local:
            file_.reset(std::fopen(local_.c_str(), direction_ == direction::get ? "wb" : "rb"));
            if (!file_) {
                ec = {errno, std::system_category()};
                return step_result::done;
            }
            buffer_.resize(transfer_buffer);
            stage_ = shared_ ? stage::open : stage::init;
            return step(ec);
        case stage::init:
            sftp_ = sftp::init(*ssh_);
            if (!sftp_) return failed(ssh_->last_errno(), ec);
            stage_ = stage::open;
            return step_result::moved;  // from the session's lock to the SFTP session's
        case stage::open:
            handle_ = direction_ == direction::get
                          ? over_sftp().open(remote_, LIBSSH2_FXF_READ, 0)
                          : over_sftp().open(remote_, LIBSSH2_FXF_WRITE | LIBSSH2_FXF_CREAT | LIBSSH2_FXF_TRUNC, mode_);
            if (!handle_) {
                if (failed(ssh_->last_errno(), ec) == step_result::blocked) return step_result::blocked;
                return end_after_failure(ec);
            }
            stage_ = stage::copy;
            [[fallthrough]];
        case stage::copy: {
            const step_result copied = direction_ == direction::get ? get(ec) : put(ec);
            if (ec) return end_after_failure(ec);
            if (copied != step_result::done) return copied;
            stage_ = stage::close;
            [[fallthrough]];
        }
        case stage::close:
            if (const int rc = handle_.close(); rc != 0) return failed(rc, ec);
            if (shared_) return flushed(ec);
            stage_ = stage::send_eof;
            [[fallthrough]];
        // Our own SFTP session ends as a command does (io/finish_channel.hpp): our EOF, then
        // the server's EOF and CLOSE, and only then libssh2_sftp_shutdown, which sends our CLOSE
        // and frees it (libssh2_channel_close would free the SFTP session under it: its close
        // callback). libssh2's close alone returns at the first packet that comes in (up to
        // 1.11.1), before the server has reaped its sftp-server; Dropbear up to 2024.85, handling
        // that child's exit, closes every session channel without a process yet: the one opened
        // next (a next SFTP session), before its "subsystem" request, which libssh2 then waits
        // for ever to see answered (mkj/dropbear 71521d1b, issue 321). Dropbear sends its CLOSE
        // only once the child is reaped: a channel opened after it is safe.
        case stage::send_eof:
            if (!channel_) channel_ = sftp_.get_channel();
            if (const int rc = channel_.send_eof(); rc != 0) return failed(rc, ec);
            stage_ = stage::drain;
            [[fallthrough]];
        case stage::drain:  // what comes before the server's EOF (replies to reads given up), read
            for (;;) {      // and dropped, so that it never fills the window the server's end waits on
                const ssize_t n = channel_.read(buffer_.data(), buffer_.size());
                if (n == 0) break;  // the server's EOF (or nothing left: wait_eof tells)
                if (n < 0) return failed(static_cast<int>(n), ec);
            }
            stage_ = stage::wait_eof;
            [[fallthrough]];
        case stage::wait_eof:
            if (const int rc = channel_.wait_eof(); rc != 0) return failed(rc, ec);
            stage_ = stage::wait_closed;
            [[fallthrough]];
        case stage::wait_closed:
            if (const int rc = channel_.wait_closed(); rc != 0) return failed(rc, ec);
            channel_ = channel();
            stage_ = stage::shutdown;
            [[fallthrough]];
        case stage::shutdown:
            if (const int rc = sftp_.shutdown(); rc != 0) return failed(rc, ec);
            return flushed(ec);
        }
        return step_result::done;
    }

private:
    enum class stage { local, init, open, copy, close, send_eof, drain, wait_eof, wait_closed, shutdown };

    LIBSSH2_SFTP *over() const noexcept { return shared_ ? shared_->get() : sftp_.get(); }
    sftp &over_sftp() noexcept { return shared_ ? *shared_ : sftp_; }

    // Reads until the end of the remote file, or until the step's budget is spent.
    step_result get(std::error_code &ec) {
        const auto start = clock::now();
        for (;;) {
            const ssize_t n = handle_.read(buffer_.data(), buffer_.size());
            if (n == LIBSSH2_ERROR_EAGAIN) return step_result::blocked;
            if (n < 0) return failed(static_cast<int>(n), ec);
            if (n == 0) return step_result::done;
            if (std::fwrite(buffer_.data(), 1, static_cast<std::size_t>(n), file_.get()) != static_cast<std::size_t>(n)) {
                ec = {errno, std::system_category()};
                return step_result::done;
            }
            copied_ += static_cast<std::uint64_t>(n);
            if (over_budget(start)) return step_result::yielded;
        }
    }

    // Writes the local file to its end, or until the step's budget is spent; a write may take
    // part of the buffer.
    step_result put(std::error_code &ec) {
        const auto start = clock::now();
        for (;;) {
            if (offset_ == filled_) {
                filled_ = std::fread(buffer_.data(), 1, buffer_.size(), file_.get());
                offset_ = 0;
                if (filled_ == 0) {
                    if (std::ferror(file_.get())) ec = {errno, std::system_category()};
                    return step_result::done;
                }
            }
            const ssize_t n = handle_.write(buffer_.data() + offset_, write_size());
            if (n == LIBSSH2_ERROR_EAGAIN) return step_result::blocked;
            if (n < 0) return failed(static_cast<int>(n), ec);
            offset_ += static_cast<std::size_t>(n);
            copied_ += static_cast<std::uint64_t>(n);
            if (over_budget(start)) return step_result::yielded;
        }
    }

    // What one write hands libssh2: it encrypts all of it at once, several milliseconds for the
    // whole buffer; with a step budget, a quarter of it (still many requests in flight).
    std::size_t write_size() const noexcept {
        const std::size_t left = filled_ - offset_;
        return step_budget_us.load(std::memory_order_relaxed) > 0 ? std::min(left, transfer_buffer / 4) : left;
    }

    step_result flushed(std::error_code &ec) {
        if (!ec && direction_ == direction::get && std::fflush(file_.get()) != 0) ec = {errno, std::system_category()};
        return step_result::done;
    }

    // A failure ends the operation (the first one is the one reported).
    step_result failed(int rc, std::error_code &ec) {
        if (rc == LIBSSH2_ERROR_EAGAIN) return step_result::blocked;
        if (rc != 0 && !ec) ec = libssh2::detail::sftp_failure(ssh_->get(), over(), rc, std::string()).code;
        return step_result::done;
    }

    // After the server refused (a missing file) or the local file failed, the connection is
    // sound: our own SFTP session ends as after a success (its file closed first), not in its
    // destructor's bounded free, which blocks and ends it as abruptly as libssh2's close does.
    step_result end_after_failure(std::error_code &ec) {
        const bool sound = ec.category() == libssh2::sftp_category() || ec.category() == std::system_category();
        if (shared_ || !sftp_ || !sound) return step_result::done;
        stage_ = handle_ ? stage::close : stage::send_eof;
        return step(ec);
    }

    libssh2::session *ssh_;
    direction direction_;
    std::string remote_;
    std::string local_;
    long mode_;
    sftp *shared_;  // the caller's SFTP session, or null: the operation opens its own
    stage stage_ = stage::local;
    std::unique_ptr<std::FILE, file_closer> file_;
    std::vector<char> buffer_;
    std::size_t filled_ = 0;
    std::size_t offset_ = 0;
    std::uint64_t copied_ = 0;
    // Declared last: closed (if still open) before the file, by the bounded teardown.
    sftp sftp_;
    sftp_handle handle_;
    channel channel_;  // sftp_'s own channel, borrowed while it ends
};

}  // namespace detail

// Copies the server's remote_path into the local file local_path (created or truncated).
template <class Token>
auto async_sftp_get(session &s, std::string remote_path, std::string local_path, Token &&token) {
    return detail::start_operation(s,
                                   detail::sftp_transfer_operation(s, detail::sftp_transfer_operation::direction::get,
                                                                   std::move(remote_path), std::move(local_path), 0),
                                   std::forward<Token>(token));
}

// The same over over, an SFTP session of s (sftp::init, for instance through async_call),
// which must outlive the operation; the transfers on it take turns, one step each.
template <class Token>
auto async_sftp_get(session &s, sftp &over, std::string remote_path, std::string local_path, Token &&token) {
    return detail::start_operation(
        s,
        detail::sftp_transfer_operation(s, detail::sftp_transfer_operation::direction::get, std::move(remote_path),
                                        std::move(local_path), 0, &over),
        std::forward<Token>(token));
}

// Copies the local file local_path to the server's remote_path (created with mode, or
// truncated).
template <class Token>
auto async_sftp_put(session &s, std::string local_path, std::string remote_path, long mode, Token &&token) {
    return detail::start_operation(s,
                                   detail::sftp_transfer_operation(s, detail::sftp_transfer_operation::direction::put,
                                                                   std::move(remote_path), std::move(local_path), mode),
                                   std::forward<Token>(token));
}

// The same over over, an SFTP session of s, which must outlive the operation.
template <class Token>
auto async_sftp_put(session &s, sftp &over, std::string local_path, std::string remote_path, long mode,
                    Token &&token) {
    return detail::start_operation(
        s,
        detail::sftp_transfer_operation(s, detail::sftp_transfer_operation::direction::put, std::move(remote_path),
                                        std::move(local_path), mode, &over),
        std::forward<Token>(token));
}

}  // namespace libssh2::asio

#endif  // LIBSSH2_HPP_ASIO_SFTP
