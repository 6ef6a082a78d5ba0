// SPDX-License-Identifier: BSD-3-Clause
// libssh2::channel_streambuf: one of a channel's streams as a std::streambuf, so that
// std::getline, operator>> and operator<< work on it:
//
//     libssh2::channel_streambuf out(channel);                        // the command's stdout
//     libssh2::channel_streambuf err(channel, libssh2::stream::err);  // its stderr
//     std::istream lines(&out);
//     for (std::string line; std::getline(lines, line);) ...
//
//     std::ostream in(&out);  // writing: to the command's stdin
//     in << "text"; in.flush(); channel.send_eof();
//
// The buffer refers to the channel object: keep it alive, and unmoved, while the buffer is used.
// libssh2::channel_stream is the buffer and a std::iostream in one. Writing is buffered: flush
// (or destroy the buffer) before channel.send_eof(). Errors: see buffered_streambuf.hpp. In
// blocking mode, reading stderr waits while stdout's unread data fills the channel's window:
// read a command's stderr after its stdout, or keep its output small.
#ifndef LIBSSH2_HPP_IO_CHANNEL_STREAMBUF
#define LIBSSH2_HPP_IO_CHANNEL_STREAMBUF

#include "buffered_streambuf.hpp"

#include <cstddef>
#include <istream>

namespace libssh2 {

// A channel's stream id (libssh2_channel_read_ex, libssh2_channel_write_ex).
enum class stream : int { out = 0, err = SSH_EXTENDED_DATA_STDERR };

class channel_streambuf : public detail::buffered_streambuf {
public:
    explicit channel_streambuf(channel &ch, stream id = stream::out, std::size_t buffer_size = 32 * 1024)
        : buffered_streambuf(buffer_size), channel_(&ch), id_(static_cast<int>(id)) {}
    ~channel_streambuf() override { flush_quietly(); }

private:
    ssize_t read_some(char *buffer, std::size_t size) override { return channel_->read_ex(id_, buffer, size); }
    ssize_t write_some(const char *buffer, std::size_t size) override { return channel_->write_ex(id_, buffer, size); }
    detail::call_failure failure_of(int rc) override {
        return detail::session_failure(detail::io_session_of(*channel_), rc, "libssh2::channel_streambuf");
    }

    channel *channel_;
    int id_;
};

// A channel_streambuf and a std::iostream over it.
class channel_stream : public std::iostream {
public:
    explicit channel_stream(channel &ch, stream id = stream::out) : std::iostream(nullptr), buffer_(ch, id) {
        rdbuf(&buffer_);
    }
    std::error_code error() const noexcept { return buffer_.error(); }

private:
    channel_streambuf buffer_;
};

}  // namespace libssh2

#endif  // LIBSSH2_HPP_IO_CHANNEL_STREAMBUF
