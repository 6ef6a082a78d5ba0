// Compiled (never run) by tests/check-header-compiles against every supported header set:
// uses every owning class and instantiates the templates of the opt-in layers
// (<libssh2/errors.hpp>, <libssh2/callbacks.hpp>) and every call of <libssh2/io.hpp>, so that
// their bodies meet the warnings users build with.
#include <libssh2/callbacks.hpp>
#include <libssh2/io.hpp>

#include <cstdlib>

int main() {
    libssh2::session session = libssh2::session::init_ex([](std::size_t count) { return std::malloc(count); },
                                                         [](void *ptr) { std::free(ptr); },
                                                         [](void *ptr, std::size_t count) { return std::realloc(ptr, count); });
    libssh2::channel channel = libssh2::channel::open_session(session);
    libssh2::sftp sftp = libssh2::sftp::init(session);
    libssh2::sftp_handle file = sftp.open("x", LIBSSH2_FXF_READ, 0);
    libssh2::listener listener = libssh2::channel::forward_listen(session, 0);
    libssh2::agent agent = libssh2::agent::init(session);
    libssh2::knownhost hosts = libssh2::knownhost::init(session);
    libssh2::publickey pkey = libssh2::publickey::init(session);

    session.callback_set(libssh2::callback::debug, [](LIBSSH2_SESSION *, int, const char *, int, const char *, int) {});
    libssh2::trace::sethandler(session, [](LIBSSH2_SESSION *, const char *, std::size_t) {});
    libssh2::userauth::keyboard_interactive(session, "user",
                                            [](const char *, int, const char *, int, int,
                                               const LIBSSH2_USERAUTH_KBDINT_PROMPT *,
                                               LIBSSH2_USERAUTH_KBDINT_RESPONSE *) {});
    const std::optional<int> checked = libssh2::check(channel.eof(), session);
    const std::error_code code = session.last_error_code();
    // <libssh2/io.hpp>: each call and its error_code twin.
    using std::chrono::milliseconds;
    std::error_code ec;
    const libssh2::library library(0, ec);
    libssh2::socket sock = libssh2::tcp_connect("localhost", 22, milliseconds(1), ec);
    const libssh2::host_key_verification verified =
        libssh2::verify_host_key(session, "known_hosts", "localhost", 22, ec);
    libssh2::wait(session, sock.get(), milliseconds(1), ec);
    const int handshaken = libssh2::retry(
        session, sock.get(), [&] { return session.handshake(sock.get()); }, milliseconds(1), ec);
    libssh2::channel opened = libssh2::retry(
        session, sock.get(), [&] { return libssh2::channel::open_session(session); }, milliseconds(1));
    const libssh2::channel_output output =
        libssh2::read_all(channel, libssh2::streams::both, sock.get(), milliseconds(1), ec);
    libssh2::write_all(channel, output.out, ec);
    libssh2::write_all(file, libssh2::read_all(file, ec), sock.get(), milliseconds(1));
    const std::optional<std::string> signal = libssh2::exit_signal(channel, ec);
    const libssh2::command_result ran = libssh2::run(session, "true", sock.get(), milliseconds(1), ec);
    const libssh2::command_exit finished = libssh2::finish(channel, ec);

    return (channel && file && listener && agent && hosts && pkey && checked && !code && library &&
            verified.status == libssh2::host_key_status::match && handshaken == 0 && opened && signal &&
            ran.exit_status == finished.exit_status)
               ? 0
               : 1;
}
