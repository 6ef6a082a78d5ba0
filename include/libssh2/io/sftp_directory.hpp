// SPDX-License-Identifier: BSD-3-Clause
// libssh2::directory: the entries of a remote directory as a range,
//
//     for (const libssh2::directory_entry &entry : libssh2::directory(sftp, "/tmp")) ...
//
// each with its name, its long entry (the server's `ls -l` line) and its attributes, "." and
// ".." included, in the server's order. The directory handle is closed when the range is
// destroyed. Opening throws libssh2::error; so does an error while iterating (from the
// iterator's ++). With a std::error_code & last, nothing throws: a failed open leaves the
// range empty, a failed read ends it, and ec says why (so ec must outlive the range; it is
// cleared when the directory opens). For blocking sessions (see failure.hpp).
#ifndef LIBSSH2_HPP_IO_SFTP_DIRECTORY
#define LIBSSH2_HPP_IO_SFTP_DIRECTORY

#include "failure.hpp"
#include "file_attributes.hpp"

#include <cstddef>
#include <iterator>
#include <string>
#include <system_error>
#include <vector>

namespace libssh2 {

struct directory_entry {
    std::string name;
    std::string long_entry;  // e.g. "-rw-r--r--    1 me  me  42 Dec  1 04:00 notes.txt"
    file_attributes attributes;
};

class directory {
public:
    class iterator;

    directory(sftp &s, const std::string &path) : directory(s, path, nullptr) {}
    directory(sftp &s, const std::string &path, std::error_code &ec) : directory(s, path, &ec) {}
    directory(directory &&) = default;  // iterators of the moved-from range are then invalid
    directory &operator=(directory &&) = default;

    // The first unread entry: an input range, read once.
    iterator begin();
    iterator end() noexcept;

private:
    directory(sftp &s, const std::string &path, std::error_code *ec) : ec_(ec), path_(path) {
        handle_ = s.opendir(path.c_str());
        if (handle_) {
            if (ec) ec->clear();
        } else {
            detail::fail_sftp(detail::io_session_of(s), s.get(), 0, "libssh2::directory " + path, ec);
        }
    }

    // Reads the next entry into current_; false at the end or after an error (reported).
    bool next() {
        if (!handle_) return false;
        // libssh2_sftp_readdir_ex consumes an entry that does not fit its buffers (it returns
        // LIBSSH2_ERROR_BUFFER_TOO_SMALL and moves on), so growing them and asking again would
        // skip it. Instead they hold anything an SFTP packet can: libssh2 (1.9.0 to 1.11.1)
        // refuses packets over 256 KiB, and a name and a long entry are parts of one.
        if (name_.empty()) {
            name_.resize(max_packet);
            long_entry_.resize(max_packet);
        }
        LIBSSH2_SFTP_ATTRIBUTES raw{};
        const int rc = handle_.readdir_ex(name_.data(), name_.size(), long_entry_.data(), long_entry_.size(), &raw);
        if (rc <= 0) {
            // 0: the end (the server's LIBSSH2_FX_EOF). The handle is closed now, not at the
            // range's end of life: a finished listing holds nothing open on the server.
            if (rc < 0) {
                detail::fail_sftp(detail::io_session_of(handle_), detail::io_sftp_of(handle_), rc,
                                  "libssh2::directory " + path_, ec_);
            }
            handle_ = sftp_handle();
            return false;
        }
        current_.name.assign(name_.data(), static_cast<std::size_t>(rc));
        current_.long_entry.assign(long_entry_.data());
        current_.attributes = file_attributes::from_raw(raw);
        return true;
    }

    static constexpr std::size_t max_packet = 256 * 1024;

    sftp_handle handle_;
    std::error_code *ec_;
    std::string path_;
    std::vector<char> name_;
    std::vector<char> long_entry_;
    directory_entry current_;
    bool started_ = false;
};

class directory::iterator {
public:
    using iterator_category = std::input_iterator_tag;
    using value_type = directory_entry;
    using difference_type = std::ptrdiff_t;
    using pointer = const directory_entry *;
    using reference = const directory_entry &;

    iterator() noexcept = default;

    reference operator*() const noexcept { return range_->current_; }
    pointer operator->() const noexcept { return &range_->current_; }
    iterator &operator++() {
        if (!range_->next()) range_ = nullptr;
        return *this;
    }
    // An input iterator's post-increment: the old position is not kept.
    void operator++(int) { ++*this; }

    friend bool operator==(const iterator &a, const iterator &b) noexcept { return a.range_ == b.range_; }
    friend bool operator!=(const iterator &a, const iterator &b) noexcept { return !(a == b); }

private:
    friend class directory;
    explicit iterator(directory *range) noexcept : range_(range) {}

    directory *range_ = nullptr;  // null: the end
};

inline directory::iterator directory::begin() {
    if (!started_) {
        started_ = true;
        if (!next()) return end();
    } else if (!handle_) {
        return end();
    }
    return iterator(this);
}

inline directory::iterator directory::end() noexcept { return iterator(); }

}  // namespace libssh2

#endif  // LIBSSH2_HPP_IO_SFTP_DIRECTORY
