// A program that uses libssh2-hpp from outside this repository (tests/consumers/README.md):
// connects, accepts the server only if its host key is in KNOWN_HOSTS, authenticates with a
// key, runs COMMAND, prints its output, and exits with its exit status.
//
//   consumer HOST PORT USER PRIVATE_KEY KNOWN_HOSTS COMMAND
#include <libssh2.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

static int fail(const char *what, libssh2::session &session) {
    char *message = nullptr;
    if (session) session.last_error(&message, nullptr, 0);
    std::fprintf(stderr, "consumer: %s%s%s\n", what, message ? ": " : "", message ? message : "");
    return 255;
}

static int run(int fd, char **argv) {
    const char *host = argv[1], *user = argv[3], *key = argv[4], *known_hosts = argv[5], *command = argv[6];
    const int port = std::atoi(argv[2]);
    libssh2::session session = libssh2::session::init();
    if (!session || session.handshake(fd) != 0) return fail("handshake failed", session);

    libssh2::knownhost known = libssh2::knownhost::init(session);
    size_t length = 0;
    int type = 0;
    const char *host_key = session.hostkey(&length, &type);
    const std::string name = port == 22 ? host : "[" + std::string(host) + "]:" + argv[2];
    if (!known || known.readfile(known_hosts, LIBSSH2_KNOWNHOST_FILE_OPENSSH) < 0 || !host_key ||
        known.checkp(name.c_str(), -1, host_key, length, LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW,
                     nullptr) != LIBSSH2_KNOWNHOST_CHECK_MATCH)
        return fail("host key not in known_hosts", session);

    const std::string public_key = std::string(key) + ".pub";
    if (libssh2::userauth::publickey_fromfile(session, user, public_key.c_str(), key, nullptr) != 0)
        return fail("authentication failed", session);

    libssh2::channel channel = libssh2::channel::open_session(session);
    if (!channel || channel.exec(command) != 0) return fail("cannot run the command", session);
    char buffer[4096];
    for (ssize_t n; (n = channel.read(buffer, sizeof buffer)) > 0;) std::fwrite(buffer, 1, static_cast<size_t>(n), stdout);
    channel.close();
    channel.wait_closed();
    std::fprintf(stderr, "consumer: libssh2 %s, host key verified, exit status %d\n", libssh2::version(0),
                 channel.get_exit_status());
    return channel.get_exit_status();
}

int main(int argc, char **argv) {
    if (argc != 7) {
        std::fprintf(stderr, "usage: consumer HOST PORT USER PRIVATE_KEY KNOWN_HOSTS COMMAND\n");
        return 2;
    }
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(std::atoi(argv[2])));
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (inet_pton(AF_INET, argv[1], &address.sin_addr) != 1 ||
        connect(fd, reinterpret_cast<sockaddr *>(&address), sizeof address) != 0) {
        std::fprintf(stderr, "consumer: cannot connect to %s port %s\n", argv[1], argv[2]);
        return 255;
    }
    libssh2::init(0);
    const int status = run(fd, argv);  // the session is freed in run(), before its socket is closed
    close(fd);
    libssh2::exit();
    return status;
}
