// readme_thin: the README's program ("Conveniences: <libssh2/io.hpp>") with the thin API alone:
// connect (within 10 s), verify the host key against a known_hosts file, log in with a key,
// run `uname -a` and print all its output, download a file over SFTP. readme_io.cpp is the
// same program on <libssh2/io.hpp>; examples/tests/readme.sh runs both against an sshd.
//
//   readme_thin HOST PORT USER KNOWN_HOSTS KEY REMOTE_FILE LOCAL_FILE
#include <libssh2.hpp>

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

namespace {

int fail(const std::string &what, libssh2::session *session = nullptr) {
    char *message = nullptr;
    if (session) session->last_error(&message, nullptr, 0);
    std::fprintf(stderr, "readme_thin: %s%s%s\n", what.c_str(), message ? ": " : "", message ? message : "");
    return 1;
}

// A TCP connection within timeout_ms, trying each address of host; -1 with errno set if none.
int connect_tcp(const char *host, const char *port, int timeout_ms) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo *addresses = nullptr;
    if (getaddrinfo(host, port, &hints, &addresses) != 0) return -1;
    int fd = -1, error = 0;
    for (const addrinfo *a = addresses; a && fd < 0; a = a->ai_next) {
        fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0) continue;
        // Non-blocking, so that connect() gives up after timeout_ms.
        const int flags = fcntl(fd, F_GETFL);
        fcntl(fd, F_SETFL, flags | O_NONBLOCK);
        error = ::connect(fd, a->ai_addr, a->ai_addrlen) == 0 ? 0 : errno;
        if (error == EINPROGRESS) {
            pollfd p{fd, POLLOUT, 0};
            socklen_t length = sizeof error;
            if (::poll(&p, 1, timeout_ms) != 1)
                error = ETIMEDOUT;
            else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0)
                error = errno;
        }
        fcntl(fd, F_SETFL, flags);
        if (error != 0) {
            ::close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(addresses);
    const int on = 1;  // SSH waits on its own small packets: do not hold them back
    if (fd >= 0) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    errno = error;
    return fd;
}

// Whether known_hosts lists the session's host key for host:port, as OpenSSH writes it.
bool host_key_is_known(libssh2::session &session, const std::string &host, int port, const char *known_hosts) {
    libssh2::knownhost hosts = libssh2::knownhost::init(session);
    if (!hosts || hosts.readfile(known_hosts, LIBSSH2_KNOWNHOST_FILE_OPENSSH) < 0) return false;
    size_t length = 0;
    int type = 0;
    const char *key = session.hostkey(&length, &type);
    if (!key) return false;
    int key_type = LIBSSH2_KNOWNHOST_KEY_UNKNOWN;
    switch (type) {
    case LIBSSH2_HOSTKEY_TYPE_RSA: key_type = LIBSSH2_KNOWNHOST_KEY_SSHRSA; break;
    case LIBSSH2_HOSTKEY_TYPE_ECDSA_256: key_type = LIBSSH2_KNOWNHOST_KEY_ECDSA_256; break;
    case LIBSSH2_HOSTKEY_TYPE_ECDSA_384: key_type = LIBSSH2_KNOWNHOST_KEY_ECDSA_384; break;
    case LIBSSH2_HOSTKEY_TYPE_ECDSA_521: key_type = LIBSSH2_KNOWNHOST_KEY_ECDSA_521; break;
    case LIBSSH2_HOSTKEY_TYPE_ED25519: key_type = LIBSSH2_KNOWNHOST_KEY_ED25519; break;
    }
    const std::string name = port == 22 ? host : "[" + host + "]:" + std::to_string(port);
    return hosts.checkp(name.c_str(), -1, key, length,
                        LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW | key_type,
                        nullptr) == LIBSSH2_KNOWNHOST_CHECK_MATCH;
}

// Everything after connecting: the session is freed on return, before the socket closes.
int run(int fd, char **argv) {
    const std::string host = argv[1], key = argv[5], public_key = key + ".pub";
    const int port = std::atoi(argv[2]);
    libssh2::session session = libssh2::session::init();
    if (!session) return fail("cannot create a session");
    session.set_timeout(10000);
    if (session.handshake(fd) != 0) return fail("SSH handshake failed", &session);
    if (!host_key_is_known(session, host, port, argv[4]))
        return fail("host key verification failed: " + host + " is not in " + argv[4] + " with this key");
    if (libssh2::userauth::publickey_fromfile(session, argv[3], public_key.c_str(), key.c_str(), nullptr) != 0)
        return fail("authentication failed", &session);

    libssh2::channel channel = libssh2::channel::open_session(session);
    if (!channel) return fail("cannot open a channel", &session);
    if (channel.exec("uname -a") != 0) return fail("the server refused to run the command", &session);
    // stdout to EOF, then stderr (a command that filled its stderr window first would stall).
    char buffer[32768];
    ssize_t n;
    while ((n = channel.read(buffer, sizeof buffer)) > 0) std::fwrite(buffer, 1, static_cast<size_t>(n), stdout);
    if (n < 0) return fail("reading the command's output failed", &session);
    while ((n = channel.read_stderr(buffer, sizeof buffer)) > 0) std::fwrite(buffer, 1, static_cast<size_t>(n), stderr);
    if (n < 0) return fail("reading the command's output failed", &session);

    libssh2::sftp sftp = libssh2::sftp::init(session);
    if (!sftp) return fail("cannot start SFTP", &session);
    libssh2::sftp_handle file = sftp.open(argv[6], LIBSSH2_FXF_READ, 0);
    if (!file) return fail(std::string("cannot open ") + argv[6], &session);
    std::ofstream local(argv[7], std::ios::binary);
    while ((n = file.read(buffer, sizeof buffer)) > 0) local.write(buffer, n);
    if (n < 0) return fail(std::string("cannot read ") + argv[6], &session);
    local.close();
    if (!local) return fail(std::string("cannot write ") + argv[7]);
    return 0;
}

}  // namespace

int main(int argc, char **argv) {
    if (argc != 8) {
        std::fprintf(stderr, "usage: readme_thin HOST PORT USER KNOWN_HOSTS KEY REMOTE_FILE LOCAL_FILE\n");
        return 2;
    }
    if (libssh2::init(0) != 0) return fail("libssh2_init failed");
    const int fd = connect_tcp(argv[1], argv[2], 10000);
    if (fd < 0)
        return fail(std::string("cannot connect to ") + argv[1] + " port " + argv[2] + ": " + std::strerror(errno));
    const int status = run(fd, argv);
    ::close(fd);
    libssh2::exit();
    return status;
}
