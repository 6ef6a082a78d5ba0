// SPDX-License-Identifier: BSD-3-Clause
// libssh2::library: libssh2_init in the constructor, libssh2_exit in the destructor.
//
// libssh2_exit frees the crypto library's state that sessions use, so every session (and
// what was opened from it) must be gone before the guard is: declare it first in main(),
// before any session, and it is destroyed last.
#ifndef LIBSSH2_HPP_IO_LIBRARY
#define LIBSSH2_HPP_IO_LIBRARY

#include "../errors.hpp"

#include <system_error>

namespace libssh2 {

class library {
public:
    // libssh2_init(flags): 0, or LIBSSH2_INIT_NO_CRYPTO when the program initialises the
    // crypto library itself.
    explicit library(int flags = 0) { start(flags, nullptr); }
    // Never throws: on failure ec is set and the guard holds nothing (operator bool is false).
    library(int flags, std::error_code &ec) { start(flags, &ec); }
    ~library() {
        if (initialised_) libssh2_exit();
    }
    library(const library &) = delete;
    library &operator=(const library &) = delete;

    explicit operator bool() const noexcept { return initialised_; }

private:
    void start(int flags, std::error_code *ec) {
        if (ec) ec->clear();
        const int rc = libssh2_init(flags);
        initialised_ = rc == 0;
        if (!initialised_) detail::fail({rc, session_category()}, "libssh2_init failed", ec);
    }

    bool initialised_ = false;
};

}  // namespace libssh2

#endif  // LIBSSH2_HPP_IO_LIBRARY
