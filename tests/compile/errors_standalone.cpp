// SPDX-License-Identifier: BSD-3-Clause
// Compiled (never run) by tests/check-header-compiles: the hand-written part of
// <libssh2/errors.hpp> (templates/cpp/errors.hpp, copied into it by the generator) on its own,
// with its stand-ins for the generated enums and categories, so that it stays a real C++ file
// a compiler and a reader see as such.
#include "../../templates/cpp/errors.hpp"

int main() {
    libssh2::session session;
    std::error_code ec;
    const std::optional<int> eof = libssh2::check(-1, session, ec);
    libssh2::rethrow_pending(session, ec);
    const std::error_code would_block = libssh2::make_error_code(libssh2::errc::eagain);
    const std::error_code missing = libssh2::make_error_code(libssh2::sftp_errc::no_such_file);
    return (!eof && ec && would_block != missing && session.last_error_code().value() == 0) ? 0 : 1;
}
