// Compiled (never run) by tests/check-header-compiles with -fno-exceptions (and, like the
// other sources, with exceptions): <libssh2/errors.hpp> and <libssh2/callbacks.hpp> build
// without exceptions, and every std::error_code & twin instantiates under the warnings users
// build with.
#include <libssh2/callbacks.hpp>

#include <cstdlib>
#include <system_error>

int main() {
    std::error_code ec;
    libssh2::session session = libssh2::session_init_ex([](std::size_t count) { return std::malloc(count); },
                                                        [](void *ptr) { std::free(ptr); },
                                                        [](void *ptr, std::size_t count) { return std::realloc(ptr, count); },
                                                        ec);
    libssh2::rethrow_pending(session, ec);
    libssh2::callback_set(session, libssh2::callback::debug,
                          [](LIBSSH2_SESSION *, int, const char *, int, const char *, int) {}, ec);
    libssh2::trace::sethandler(session, [](LIBSSH2_SESSION *, const char *, std::size_t) {}, ec);
    const int rc = libssh2::userauth::keyboard_interactive(
        session, "user",
        [](const char *, int, const char *, int, int, const LIBSSH2_USERAUTH_KBDINT_PROMPT *,
           LIBSSH2_USERAUTH_KBDINT_RESPONSE *) {},
        ec);
    libssh2::channel channel = libssh2::channel::open_session(session);
    const std::optional<int> eof = libssh2::check(channel.eof(), session, ec);
    const std::optional<libssh2::channel> opened = libssh2::check(libssh2::channel::open_session(session), session, ec);
    libssh2::sftp sftp = libssh2::sftp::init(session);
    const std::optional<libssh2::sftp_handle> file = libssh2::check(sftp.open("x", LIBSSH2_FXF_READ, 0), sftp, ec);
    // The throwing forms still compile: without exceptions they print and abort.
    const std::optional<int> thrown = libssh2::check(channel.eof(), session);
    const bool portable = ec == std::errc::timed_out || ec == std::errc::no_such_file_or_directory;
    const char *name = libssh2::constant_name(libssh2::errc::timeout);
    return (rc == 0 && eof && opened && file && thrown && !portable && name[0] != '\0') ? 0 : 1;
}
