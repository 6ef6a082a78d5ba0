// ssh2_demo: connect, verify the host key against a known_hosts file, authenticate with a
// key, run a command (printing its output and exit status), and make an SFTP round trip.
//
//   ssh2_demo HOST PORT USER PUBLIC_KEY PRIVATE_KEY KNOWN_HOSTS [REMOTE_DIR [COMMAND]]
//
// The SFTP round trip writes, reads back and removes REMOTE_DIR/.ssh2_demo.txt
// (default REMOTE_DIR: the remote home directory).
//
// scripts/demo builds it and runs it against a throwaway local sshd.
#include <libssh2.hpp>

#include <arpa/inet.h>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <netinet/in.h>
#include <string>
#include <sys/socket.h>
#include <unistd.h>

namespace {

int fail(const char *what, libssh2::session *session = nullptr) {
    char *message = nullptr;
    if (session && *session) session->last_error(&message, nullptr, 0);
    std::fprintf(stderr, "ssh2_demo: %s%s%s\n", what, message ? ": " : "", message ? message : "");
    return 1;
}

int connect_to(const char *host, int port) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    if (inet_pton(AF_INET, host, &address.sin_addr) != 1) return -1;
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd >= 0 && connect(fd, reinterpret_cast<sockaddr *>(&address), sizeof address) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

// Accepts the server only if its key is the one known_hosts lists for host:port.
bool host_key_is_known(libssh2::session &session, const char *host, int port, const char *known_hosts) {
    libssh2::knownhost hosts = libssh2::knownhost::init(session);
    if (!hosts || hosts.readfile(known_hosts, LIBSSH2_KNOWNHOST_FILE_OPENSSH) < 0) return false;
    size_t length = 0;
    int type = 0;
    const char *key = session.hostkey(&length, &type);
    if (!key) return false;
    const int check = hosts.checkp(host, port, key, length,
                                   LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW, nullptr);
    return check == LIBSSH2_KNOWNHOST_CHECK_MATCH;
}

int run_command(libssh2::session &session, const char *command) {
    libssh2::channel channel = libssh2::channel::open_session(session);
    if (!channel) return fail("cannot open a channel", &session);
    if (channel.exec(command) != 0) return fail("exec refused", &session);
    char buffer[4096];
    for (ssize_t n; (n = channel.read(buffer, sizeof buffer)) > 0;) std::fwrite(buffer, 1, static_cast<size_t>(n), stdout);
    std::fflush(stdout);  // keep the command's stdout ahead of its stderr
    for (ssize_t n; (n = channel.read_stderr(buffer, sizeof buffer)) > 0;) std::fwrite(buffer, 1, static_cast<size_t>(n), stderr);
    channel.close();
    channel.wait_closed();
    std::printf("exit status: %d\n", channel.get_exit_status());
    return 0;
}

int sftp_round_trip(libssh2::session &session, const char *remote_dir) {
    libssh2::sftp sftp = libssh2::sftp::init(session);
    if (!sftp) return fail("cannot start SFTP", &session);
    char directory[1024];
    const int length = sftp.realpath(remote_dir, directory, sizeof directory);
    if (length <= 0) return fail("realpath failed", &session);
    const std::string path = std::string(directory, static_cast<size_t>(length)) + "/.ssh2_demo.txt";
    const std::string text = "written and read back through libssh2-hpp\n";
    {
        libssh2::sftp_handle file = sftp.open(path.c_str(), LIBSSH2_FXF_WRITE | LIBSSH2_FXF_CREAT | LIBSSH2_FXF_TRUNC, 0600);
        if (!file || file.write(text.data(), text.size()) != static_cast<ssize_t>(text.size()))
            return fail("SFTP write failed", &session);
    }
    std::string back;
    {
        libssh2::sftp_handle file = sftp.open(path.c_str(), LIBSSH2_FXF_READ, 0);
        char buffer[256];
        for (ssize_t n; file && (n = file.read(buffer, sizeof buffer)) > 0;) back.append(buffer, static_cast<size_t>(n));
    }
    sftp.unlink(path.c_str());
    if (back != text) return fail("SFTP read back different bytes");
    std::printf("sftp round trip: %zu bytes written to %s, read back identical, removed\n", text.size(), path.c_str());
    return 0;
}

}  // namespace

int main(int argc, char **argv) {
    if (argc < 7 || argc > 9) {
        const bool help = argc == 2 && std::strcmp(argv[1], "--help") == 0;
        std::fprintf(help ? stdout : stderr,
                     "usage: %s HOST PORT USER PUBLIC_KEY PRIVATE_KEY KNOWN_HOSTS [REMOTE_DIR [COMMAND]]\n", argv[0]);
        return help ? 0 : 2;
    }
    const char *host = argv[1], *user = argv[3], *public_key = argv[4], *private_key = argv[5];
    const int port = std::atoi(argv[2]);
    const char *remote_dir = argc >= 8 ? argv[7] : ".";
    const char *command = argc == 9 ? argv[8] : "uname -sr; echo to-stderr >&2; exit 3";

    if (libssh2::init(0) != 0) return fail("libssh2_init failed");
    const int fd = connect_to(host, port);
    if (fd < 0) return fail("cannot connect");
    int status = 1;
    {
        libssh2::session session = libssh2::session::init();
        if (!session || session.handshake(fd) != 0) {
            status = fail("handshake failed", &session);
        } else if (!host_key_is_known(session, host, port, argv[6])) {
            status = fail("host key not found in known_hosts: refusing to continue");
        } else if (libssh2::userauth::publickey_fromfile(session, user, public_key, private_key, nullptr) != 0) {
            status = fail("authentication failed", &session);
        } else {
            std::printf("connected to %s:%d as %s, host key verified\n", host, port, user);
            status = run_command(session, command) || sftp_round_trip(session, remote_dir);
            session.disconnect("bye");
        }
    }  // the session is freed here, before its socket is closed
    close(fd);
    libssh2::exit();
    return status;
}
