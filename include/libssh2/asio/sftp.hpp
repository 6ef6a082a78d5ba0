// SPDX-License-Identifier: BSD-3-Clause
// libssh2::asio::async_sftp_get and async_sftp_put: copy a file from or to the server over an
// SFTP session of their own. Each read or write asks for transfer_buffer bytes at once, which
// libssh2 splits into several SFTP requests in flight (its read-ahead and pipelined writes).
// Complete with (error_code, bytes copied); a server's refusal is an sftp_errc
// (sftp_errc::no_such_file, ...), a local file's failure its errno (std::system_category()).
#ifndef LIBSSH2_HPP_ASIO_SFTP
#define LIBSSH2_HPP_ASIO_SFTP

#include "call.hpp"

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

// sftp init, open, read or write to the end, close, shutdown: stepped by the engine.
class sftp_transfer_operation {
public:
    using result_type = std::uint64_t;
    enum class direction { get, put };

    sftp_transfer_operation(session &s, direction d, std::string remote, std::string local, long mode)
        : ssh_(&s.ssh()), direction_(d), remote_(std::move(remote)), local_(std::move(local)), mode_(mode) {}

    // The session's (with its requests lock: sftp::init sends the "subsystem" request) until
    // the SFTP session is up, then that SFTP session's.
    lock_key key() const noexcept { return sftp_ ? lock_key{sftp_.get(), lane::whole} : key_of(*ssh_); }

    result_type take() { return copied_; }

    // After a stop (engine.hpp): the file and the SFTP session, closed without blocking, or
    // left to libssh2.
    bool opened() const noexcept { return static_cast<bool>(sftp_); }
    step_result close(std::error_code &) {
        if (handle_ && handle_.close() == LIBSSH2_ERROR_EAGAIN) return step_result::blocked;
        return sftp_.shutdown() == LIBSSH2_ERROR_EAGAIN ? step_result::blocked : step_result::done;
    }
    void give_up() noexcept {  // freed by the session's teardown (libssh2 would not free them)
        leave_to_teardown(ssh_->get(), handle_.release());
        leave_to_teardown(ssh_->get(), sftp_.release());
    }
    step_result step(std::error_code &ec) { return advance(ec) ? step_result::done : step_result::blocked; }

private:
    // One step of the stages; false: would block; true: finished, with ec set for a failure.
    bool advance(std::error_code &ec) {
        switch (stage_) {
        case stage::local:
            file_.reset(std::fopen(local_.c_str(), direction_ == direction::get ? "wb" : "rb"));
            if (!file_) {
                ec = {errno, std::system_category()};
                return true;
            }
            buffer_.resize(transfer_buffer);
            stage_ = stage::init;
            [[fallthrough]];
        case stage::init:
            sftp_ = sftp::init(*ssh_);
            if (!sftp_) return failed(ssh_->last_errno(), ec);
            stage_ = stage::open;
            [[fallthrough]];
        case stage::open:
            handle_ = direction_ == direction::get
                          ? sftp_.open(remote_, LIBSSH2_FXF_READ, 0)
                          : sftp_.open(remote_, LIBSSH2_FXF_WRITE | LIBSSH2_FXF_CREAT | LIBSSH2_FXF_TRUNC, mode_);
            if (!handle_) return failed(ssh_->last_errno(), ec);
            stage_ = stage::copy;
            [[fallthrough]];
        case stage::copy:
            if (!(direction_ == direction::get ? get(ec) : put(ec))) return false;
            if (ec) return true;
            stage_ = stage::close;
            [[fallthrough]];
        case stage::close:
            if (const int rc = handle_.close(); rc != 0) return failed(rc, ec);
            stage_ = stage::shutdown;
            [[fallthrough]];
        case stage::shutdown:
            if (const int rc = sftp_.shutdown(); rc != 0) return failed(rc, ec);
            if (direction_ == direction::get && std::fflush(file_.get()) != 0) ec = {errno, std::system_category()};
            return true;
        }
        return true;
    }

private:
    enum class stage { local, init, open, copy, close, shutdown };

    // Reads until the end of the remote file. false: would block.
    bool get(std::error_code &ec) {
        for (;;) {
            const ssize_t n = handle_.read(buffer_.data(), buffer_.size());
            if (n == LIBSSH2_ERROR_EAGAIN) return false;
            if (n < 0) return failed(static_cast<int>(n), ec);
            if (n == 0) return true;
            if (std::fwrite(buffer_.data(), 1, static_cast<std::size_t>(n), file_.get()) != static_cast<std::size_t>(n)) {
                ec = {errno, std::system_category()};
                return true;
            }
            copied_ += static_cast<std::uint64_t>(n);
        }
    }

    // Writes the local file to its end; a write may take part of the buffer. false: would block.
    bool put(std::error_code &ec) {
        for (;;) {
            if (offset_ == filled_) {
                filled_ = std::fread(buffer_.data(), 1, buffer_.size(), file_.get());
                offset_ = 0;
                if (filled_ == 0) {
                    if (std::ferror(file_.get())) ec = {errno, std::system_category()};
                    return true;
                }
            }
            const ssize_t n = handle_.write(buffer_.data() + offset_, filled_ - offset_);
            if (n == LIBSSH2_ERROR_EAGAIN) return false;
            if (n < 0) return failed(static_cast<int>(n), ec);
            offset_ += static_cast<std::size_t>(n);
            copied_ += static_cast<std::uint64_t>(n);
        }
    }

    bool failed(int rc, std::error_code &ec) {
        if (rc == LIBSSH2_ERROR_EAGAIN) return false;
        if (rc != 0) ec = libssh2::detail::sftp_failure(ssh_->get(), sftp_.get(), rc, std::string()).code;
        return true;
    }

    libssh2::session *ssh_;
    direction direction_;
    std::string remote_;
    std::string local_;
    long mode_;
    stage stage_ = stage::local;
    std::unique_ptr<std::FILE, file_closer> file_;
    std::vector<char> buffer_;
    std::size_t filled_ = 0;
    std::size_t offset_ = 0;
    std::uint64_t copied_ = 0;
    // Declared last: closed (if still open) before the file, by the bounded teardown.
    sftp sftp_;
    sftp_handle handle_;
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

// Copies the local file local_path to the server's remote_path (created with mode, or
// truncated).
template <class Token>
auto async_sftp_put(session &s, std::string local_path, std::string remote_path, long mode, Token &&token) {
    return detail::start_operation(s,
                                   detail::sftp_transfer_operation(s, detail::sftp_transfer_operation::direction::put,
                                                                   std::move(remote_path), std::move(local_path), mode),
                                   std::forward<Token>(token));
}

}  // namespace libssh2::asio

#endif  // LIBSSH2_HPP_ASIO_SFTP
