// SPDX-License-Identifier: BSD-3-Clause
// libssh2::sftp_streambuf: an open SFTP file as a std::streambuf, for reading, writing and
// seeking (seekg/seekp/tellg/tellp: one position, as the SFTP handle has one offset):
//
//     libssh2::sftp_handle file = sftp.open("notes.txt", LIBSSH2_FXF_READ, 0);
//     libssh2::sftp_streambuf buffer(file);
//     std::istream in(&buffer);
//     for (std::string line; std::getline(in, line);) ...
//
// The buffer refers to the sftp_handle object: keep it alive, and unmoved, while the buffer is
// used. libssh2::sftp_stream is the buffer and a std::iostream in one. Writing is buffered: flush
// (or destroy the buffer) before closing the file to see a failure. Errors: see
// buffered_streambuf.hpp; the server's status (sftp_errc) for LIBSSH2_ERROR_SFTP_PROTOCOL.
#ifndef LIBSSH2_HPP_IO_SFTP_STREAMBUF
#define LIBSSH2_HPP_IO_SFTP_STREAMBUF

#include "buffered_streambuf.hpp"

#include <cstddef>
#include <ios>
#include <istream>

namespace libssh2 {

class sftp_streambuf : public detail::buffered_streambuf {
public:
    explicit sftp_streambuf(sftp_handle &file, std::size_t buffer_size = 32 * 1024)
        : buffered_streambuf(buffer_size), file_(&file) {}
    ~sftp_streambuf() override { flush_quietly(); }

protected:
    int_type overflow(int_type ch) override {
        // The handle's offset is past what was read ahead: writing starts where the reader is.
        rewind_read_ahead();
        return buffered_streambuf::overflow(ch);
    }

    int sync() override {
        if (buffered_streambuf::sync() != 0) return -1;
        rewind_read_ahead();
        return 0;
    }

    pos_type seekoff(off_type offset, std::ios_base::seekdir dir, std::ios_base::openmode) override {
        const auto here = static_cast<off_type>(file_->tell64() - unread() + unwritten());
        if (dir == std::ios_base::cur && offset == 0) return pos_type(here);  // tellg, tellp: no I/O
        if (sync() != 0) return pos_type(off_type(-1));
        off_type base = 0;
        if (dir == std::ios_base::cur) base = here;
        if (dir == std::ios_base::end) {
            LIBSSH2_SFTP_ATTRIBUTES attributes{};
            const int rc = file_->fstat_ex(&attributes, 0);
            if (rc != 0 || !(attributes.flags & LIBSSH2_SFTP_ATTR_SIZE)) {
                report(rc, nullptr);
                return pos_type(off_type(-1));
            }
            base = static_cast<off_type>(attributes.filesize);
        }
        if (base + offset < 0) return pos_type(off_type(-1));
        file_->seek64(static_cast<libssh2_uint64_t>(base + offset));
        return pos_type(base + offset);
    }

    pos_type seekpos(pos_type position, std::ios_base::openmode which) override {
        return seekoff(off_type(position), std::ios_base::beg, which);
    }

private:
    ssize_t read_some(char *buffer, std::size_t size) override { return file_->read(buffer, size); }
    ssize_t write_some(const char *buffer, std::size_t size) override { return file_->write(buffer, size); }
    detail::call_failure failure_of(int rc) override {
        return detail::sftp_failure(detail::io_session_of(*file_), detail::io_sftp_of(*file_), rc,
                                    "libssh2::sftp_streambuf");
    }

    // Moves the handle back to the reader's position and forgets what was read ahead
    // (seek64 also drops libssh2's own read-ahead).
    void rewind_read_ahead() {
        if (unread() > 0) file_->seek64(file_->tell64() - unread());
        drop_input();
    }

    sftp_handle *file_;
};

// An sftp_streambuf and a std::iostream over it.
class sftp_stream : public std::iostream {
public:
    explicit sftp_stream(sftp_handle &file) : std::iostream(nullptr), buffer_(file) { rdbuf(&buffer_); }
    std::error_code error() const noexcept { return buffer_.error(); }

private:
    sftp_streambuf buffer_;
};

}  // namespace libssh2

#endif  // LIBSSH2_HPP_IO_SFTP_STREAMBUF
