// SPDX-License-Identifier: BSD-3-Clause
// stat, lstat, fstat, setstat and fsetstat with libssh2::file_attributes. Each throws
// libssh2::error on failure; its twin taking std::error_code & last never throws (ec is
// cleared on success). A missing path is sftp_errc::no_such_file, as the server says.
// For blocking sessions (see failure.hpp).
#ifndef LIBSSH2_HPP_IO_SFTP_STAT
#define LIBSSH2_HPP_IO_SFTP_STAT

#include "failure.hpp"
#include "file_attributes.hpp"

#include <string>
#include <system_error>

namespace libssh2 {

namespace detail {

inline file_attributes stat_path(sftp &s, const std::string &path, int stat_type, const char *function,
                                 std::error_code *ec) {
    LIBSSH2_SFTP_ATTRIBUTES raw{};
    const int rc = s.stat_ex(path.c_str(), static_cast<unsigned int>(path.size()), stat_type, &raw);
    if (rc != 0) {
        fail_sftp(io_session_of(s), s.get(), rc, std::string(function) + " " + path, ec);
        return {};
    }
    if (ec) ec->clear();
    return file_attributes::from_raw(raw);
}

inline file_attributes fstat_handle(sftp_handle &handle, std::error_code *ec) {
    LIBSSH2_SFTP_ATTRIBUTES raw{};
    const int rc = handle.fstat_ex(&raw, 0);
    if (rc != 0) {
        fail_sftp(io_session_of(handle), io_sftp_of(handle), rc, "libssh2::fstat", ec);
        return {};
    }
    if (ec) ec->clear();
    return file_attributes::from_raw(raw);
}

// A pair with one half would be left out by to_raw: say so rather than set less than asked.
inline bool refuse_half_pair(const file_attributes &attributes, const char *function, std::error_code *ec) {
    if (!attributes.has_half_pair()) return false;
    fail(make_error_code(errc::inval), std::string(function) + ": SFTP sets uid with gid and atime with mtime", ec);
    return true;
}

inline void setstat_path(sftp &s, const std::string &path, const file_attributes &attributes, std::error_code *ec) {
    if (refuse_half_pair(attributes, "libssh2::setstat", ec)) return;
    LIBSSH2_SFTP_ATTRIBUTES raw = attributes.to_raw();
    const int rc = s.stat_ex(path.c_str(), static_cast<unsigned int>(path.size()), LIBSSH2_SFTP_SETSTAT, &raw);
    if (rc != 0) return fail_sftp(io_session_of(s), s.get(), rc, "libssh2::setstat " + path, ec);
    if (ec) ec->clear();
}

inline void fsetstat_handle(sftp_handle &handle, const file_attributes &attributes, std::error_code *ec) {
    if (refuse_half_pair(attributes, "libssh2::fsetstat", ec)) return;
    LIBSSH2_SFTP_ATTRIBUTES raw = attributes.to_raw();
    const int rc = handle.fstat_ex(&raw, 1);
    if (rc != 0) return fail_sftp(io_session_of(handle), io_sftp_of(handle), rc, "libssh2::fsetstat", ec);
    if (ec) ec->clear();
}

}  // namespace detail

// libssh2_sftp_stat_ex(LIBSSH2_SFTP_STAT): follows symbolic links.
inline file_attributes stat(sftp &s, const std::string &path) {
    return detail::stat_path(s, path, LIBSSH2_SFTP_STAT, "libssh2::stat", nullptr);
}
inline file_attributes stat(sftp &s, const std::string &path, std::error_code &ec) {
    return detail::stat_path(s, path, LIBSSH2_SFTP_STAT, "libssh2::stat", &ec);
}

// libssh2_sftp_stat_ex(LIBSSH2_SFTP_LSTAT): a symbolic link itself.
inline file_attributes lstat(sftp &s, const std::string &path) {
    return detail::stat_path(s, path, LIBSSH2_SFTP_LSTAT, "libssh2::lstat", nullptr);
}
inline file_attributes lstat(sftp &s, const std::string &path, std::error_code &ec) {
    return detail::stat_path(s, path, LIBSSH2_SFTP_LSTAT, "libssh2::lstat", &ec);
}

// libssh2_sftp_fstat_ex: an open file or directory.
inline file_attributes fstat(sftp_handle &handle) { return detail::fstat_handle(handle, nullptr); }
inline file_attributes fstat(sftp_handle &handle, std::error_code &ec) { return detail::fstat_handle(handle, &ec); }

// libssh2_sftp_stat_ex(LIBSSH2_SFTP_SETSTAT): sets the fields that are present.
inline void setstat(sftp &s, const std::string &path, const file_attributes &attributes) {
    detail::setstat_path(s, path, attributes, nullptr);
}
inline void setstat(sftp &s, const std::string &path, const file_attributes &attributes, std::error_code &ec) {
    detail::setstat_path(s, path, attributes, &ec);
}

// libssh2_sftp_fstat_ex(setstat = 1).
inline void fsetstat(sftp_handle &handle, const file_attributes &attributes) {
    detail::fsetstat_handle(handle, attributes, nullptr);
}
inline void fsetstat(sftp_handle &handle, const file_attributes &attributes, std::error_code &ec) {
    detail::fsetstat_handle(handle, attributes, &ec);
}

}  // namespace libssh2

#endif  // LIBSSH2_HPP_IO_SFTP_STAT
