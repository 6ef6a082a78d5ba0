// SPDX-License-Identifier: BSD-3-Clause
// The buffering behind channel_streambuf and sftp_streambuf, written once: a get area filled
// by read_some, a put area emptied by write_some until all of it is written (libssh2 writes
// part of a buffer at a time: a channel's window, an SFTP packet).
//
// A failure is kept (error()) and thrown as libssh2::error: a std::istream or std::ostream
// over the buffer catches it and sets badbit, and rethrows it if exceptions(badbit) is set.
// Built without exceptions, the failure is only kept and the stream sees end of file (reading)
// or a failed write. The end of the data (read_some gives 0) is end of file. For blocking
// sessions (see failure.hpp).
#ifndef LIBSSH2_HPP_IO_BUFFERED_STREAMBUF
#define LIBSSH2_HPP_IO_BUFFERED_STREAMBUF

#include "failure.hpp"

#include <cstddef>
#include <streambuf>
#include <system_error>
#include <vector>

namespace libssh2::detail {

class buffered_streambuf : public std::streambuf {
public:
    // The last failure, if any.
    std::error_code error() const noexcept { return error_; }

protected:
    explicit buffered_streambuf(std::size_t buffer_size) : input_(buffer_size), output_(buffer_size) {}

    // Bytes read or written (0 from read_some: the end of the data), or a negative libssh2 error.
    virtual ssize_t read_some(char *buffer, std::size_t size) = 0;
    virtual ssize_t write_some(const char *buffer, std::size_t size) = 0;
    // The failure of a read or write that returned rc.
    virtual call_failure failure_of(int rc) = 0;

    int_type underflow() override {
        if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
        // What was written goes first: the peer may be waiting for it before it answers.
        if (!write_pending(nullptr)) return traits_type::eof();
        const ssize_t n = read_some(input_.data(), input_.size());
        if (n < 0) {
            report(static_cast<int>(n), nullptr);
            return traits_type::eof();
        }
        setg(input_.data(), input_.data(), input_.data() + n);
        return n == 0 ? traits_type::eof() : traits_type::to_int_type(*gptr());
    }

    int_type overflow(int_type ch) override {
        if (!write_pending(nullptr)) return traits_type::eof();
        setp(output_.data(), output_.data() + output_.size());
        if (traits_type::eq_int_type(ch, traits_type::eof())) return traits_type::not_eof(ch);
        *pptr() = traits_type::to_char_type(ch);
        pbump(1);
        return ch;
    }

    int sync() override { return write_pending(nullptr) ? 0 : -1; }

    // Writes the put area out, all of it; false after a failure (thrown unless ec). The put
    // area is then empty, so that the next write goes through overflow (sftp_streambuf moves
    // the handle back to the reader's position there).
    bool write_pending(std::error_code *ec) {
        const char *next = pbase();
        while (next < pptr()) {
            const ssize_t n = write_some(next, static_cast<std::size_t>(pptr() - next));
            if (n <= 0) return report(static_cast<int>(n), ec);
            next += n;
        }
        setp(nullptr, nullptr);
        return true;
    }

    // For a derived destructor (while its device is still there): writes what is pending and
    // throws nothing; error() keeps a failure.
    void flush_quietly() noexcept {
        std::error_code ignored;
        write_pending(&ignored);
    }

    // The number of read-ahead bytes (read from the device, not yet taken by the reader).
    std::size_t unread() const noexcept { return static_cast<std::size_t>(egptr() - gptr()); }
    std::size_t unwritten() const noexcept { return static_cast<std::size_t>(pptr() - pbase()); }
    void drop_input() noexcept { setg(nullptr, nullptr, nullptr); }

    bool report(int rc, std::error_code *ec) {
        const call_failure f = failure_of(rc);
        error_ = f.code;
#if defined(__cpp_exceptions) || defined(_CPPUNWIND)
        fail(f.code, f.message, ec);
#else
        (void)ec;
#endif
        return false;
    }

private:
    std::vector<char> input_;
    std::vector<char> output_;
    std::error_code error_;
};

}  // namespace libssh2::detail

#endif  // LIBSSH2_HPP_IO_BUFFERED_STREAMBUF
