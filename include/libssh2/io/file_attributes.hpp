// SPDX-License-Identifier: BSD-3-Clause
// libssh2::file_attributes: LIBSSH2_SFTP_ATTRIBUTES as a typed value. A field the server did
// not send (its LIBSSH2_SFTP_ATTR_* flag clear) is an empty std::optional, not a zero.
#ifndef LIBSSH2_HPP_IO_FILE_ATTRIBUTES
#define LIBSSH2_HPP_IO_FILE_ATTRIBUTES

#include "../errors.hpp"

#include <chrono>
#include <cstdint>
#include <optional>

namespace libssh2 {

// An SFTP time stamp. SFTP version 3 carries whole seconds since the Unix epoch, and the
// system clock counts from that epoch too, so this is a system_clock time point at exactly
// the wire's resolution: it compares with system_clock::now() and std::filesystem's times
// after a time_point_cast, and storing one loses nothing silently.
using sftp_time = std::chrono::time_point<std::chrono::system_clock, std::chrono::seconds>;

struct file_attributes {
    std::optional<std::uint64_t> size;
    // st_mode: the type bits (LIBSSH2_SFTP_S_IFMT) and the permission bits (07777).
    std::optional<std::uint32_t> permissions;
    // SFTP sends and sets uid and gid together, atime and mtime together (setstat refuses one
    // of a pair without the other).
    std::optional<std::uint32_t> uid;
    std::optional<std::uint32_t> gid;
    std::optional<sftp_time> atime;
    std::optional<sftp_time> mtime;

    bool is_directory() const noexcept { return has_type(LIBSSH2_SFTP_S_IFDIR); }
    bool is_regular() const noexcept { return has_type(LIBSSH2_SFTP_S_IFREG); }
    bool is_symlink() const noexcept { return has_type(LIBSSH2_SFTP_S_IFLNK); }

    // The fields raw's flags say are there.
    static file_attributes from_raw(const LIBSSH2_SFTP_ATTRIBUTES &raw) noexcept {
        file_attributes attributes;
        if (raw.flags & LIBSSH2_SFTP_ATTR_SIZE) attributes.size = raw.filesize;
        if (raw.flags & LIBSSH2_SFTP_ATTR_PERMISSIONS)
            attributes.permissions = static_cast<std::uint32_t>(raw.permissions);
        if (raw.flags & LIBSSH2_SFTP_ATTR_UIDGID) {
            attributes.uid = static_cast<std::uint32_t>(raw.uid);
            attributes.gid = static_cast<std::uint32_t>(raw.gid);
        }
        if (raw.flags & LIBSSH2_SFTP_ATTR_ACMODTIME) {
            attributes.atime = from_seconds(raw.atime);
            attributes.mtime = from_seconds(raw.mtime);
        }
        return attributes;
    }

    // For setstat: each present field with its flag; a pair (uid/gid, atime/mtime) only when
    // both halves are present.
    LIBSSH2_SFTP_ATTRIBUTES to_raw() const noexcept {
        LIBSSH2_SFTP_ATTRIBUTES raw{};
        if (size) {
            raw.flags |= LIBSSH2_SFTP_ATTR_SIZE;
            raw.filesize = *size;
        }
        if (permissions) {
            raw.flags |= LIBSSH2_SFTP_ATTR_PERMISSIONS;
            raw.permissions = *permissions;
        }
        if (uid && gid) {
            raw.flags |= LIBSSH2_SFTP_ATTR_UIDGID;
            raw.uid = *uid;
            raw.gid = *gid;
        }
        if (atime && mtime) {
            raw.flags |= LIBSSH2_SFTP_ATTR_ACMODTIME;
            raw.atime = static_cast<unsigned long>(atime->time_since_epoch().count());
            raw.mtime = static_cast<unsigned long>(mtime->time_since_epoch().count());
        }
        return raw;
    }

    // True when a pair has one half only: to_raw would leave it out.
    bool has_half_pair() const noexcept {
        return uid.has_value() != gid.has_value() || atime.has_value() != mtime.has_value();
    }

private:
    bool has_type(unsigned long type) const noexcept {
        return permissions && (*permissions & LIBSSH2_SFTP_S_IFMT) == type;
    }
    static sftp_time from_seconds(unsigned long seconds) noexcept {
        return sftp_time(std::chrono::seconds(static_cast<std::chrono::seconds::rep>(seconds)));
    }
};

}  // namespace libssh2

#endif  // LIBSSH2_HPP_IO_FILE_ATTRIBUTES
