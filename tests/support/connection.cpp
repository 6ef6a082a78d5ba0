#include "connection.hpp"

#include <chrono>
#include <stdexcept>
#include <thread>
#ifdef _WIN32
#include <winsock2.h>
#else
#include <unistd.h>
#endif

namespace test_support {

socket_fd::~socket_fd() {
#ifdef _WIN32
    // A Winsock socket is not a file descriptor: close() would not close it.
    if (fd_ >= 0) ::closesocket(static_cast<SOCKET>(fd_));
#else
    if (fd_ >= 0) ::close(fd_);
#endif
}

std::string last_error(libssh2::session &session) {
    char *message = nullptr;
    int length = 0;
    session.last_error(&message, &length, 0);
    return message ? std::string(message, static_cast<size_t>(length)) : std::string();
}

connection handshake(const sshd_server &server) {
    connection c{socket_fd(connect_tcp(server.port)), libssh2::session::init()};
    if (!c.session) throw std::runtime_error("libssh2_session_init failed");
    if (c.session.handshake(c.socket.get()) != 0)
        throw std::runtime_error("handshake failed: " + last_error(c.session));
    return c;
}

connection handshake() { return handshake(sshd()); }

connection login() {
    connection c = handshake();
    const sshd_server &server = sshd();
    const int rc = libssh2::userauth::publickey_fromfile(c.session, server.user.c_str(), server.pubkey.c_str(),
                                                          server.key.c_str(), nullptr);
    if (rc != 0) throw std::runtime_error("public key authentication failed: " + last_error(c.session));
    return c;
}

connection login(long timeout_ms) {
    connection c = login();
    c.session.set_timeout(timeout_ms);
    return c;
}

connection login(const sshd_password_server &server) {
    connection c = handshake(server);
    if (libssh2::userauth::password(c.session, server.password_user.c_str(), server.password.c_str()) != 0)
        throw std::runtime_error("password authentication failed: " + last_error(c.session));
    return c;
}

static std::string read_stream(libssh2::channel &channel, bool stderr_stream) {
    std::string data;
    char buffer[4096];
    for (;;) {
        const ssize_t n = stderr_stream ? channel.read_stderr(buffer, sizeof buffer)
                                        : channel.read(buffer, sizeof buffer);
        if (n < 0) throw std::runtime_error("channel read failed: " + std::to_string(n));
        if (n == 0) return data;
        data.append(buffer, static_cast<size_t>(n));
    }
}

command_result run(libssh2::session &session, const std::string &command) {
    libssh2::channel channel = libssh2::channel::open_session(session);
    if (!channel) throw std::runtime_error("channel open failed: " + last_error(session));
    if (channel.exec(command.c_str()) != 0) throw std::runtime_error("exec failed: " + last_error(session));
    command_result result{};
    result.out = read_stream(channel, false);
    result.err = read_stream(channel, true);
    if (channel.close() != 0 || channel.wait_closed() != 0)
        throw std::runtime_error("channel close failed: " + last_error(session));
    result.exit_status = channel.get_exit_status();
    return result;
}

std::string read_to_eof_serving(libssh2::session &session, libssh2::channel &channel,
                                const std::function<void()> &serve) {
    session.set_blocking(0);
    std::string out;
    char buffer[4096];
    for (int i = 0; i < 1000 && channel.eof() == 0; ++i) {
        const ssize_t n = channel.read(buffer, sizeof buffer);
        if (n > 0) out.append(buffer, static_cast<size_t>(n));
        serve();
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    session.set_blocking(1);
    return out;
}

}  // namespace test_support
