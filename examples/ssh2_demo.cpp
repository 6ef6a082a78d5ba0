// ssh2_demo: connect, verify the host key against a known_hosts file, authenticate with a
// key, run a command (printing its output and exit status), and make an SFTP round trip.
//
//   ssh2_demo HOST PORT USER PUBLIC_KEY PRIVATE_KEY KNOWN_HOSTS [REMOTE_DIR [COMMAND]]
//
// The SFTP round trip writes, reads back and removes REMOTE_DIR/.ssh2_demo.txt
// (default REMOTE_DIR: the remote home directory).
//
// scripts/demo builds it and runs it against a throwaway local sshd.
#include <libssh2/io.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>

namespace {

void run_command(libssh2::session &session, const char *command) {
    // Output, exit status and signal once the server has closed the channel.
    const libssh2::command_result result = libssh2::run(session, command);
    std::fwrite(result.out.data(), 1, result.out.size(), stdout);
    std::fflush(stdout);  // keep the command's stdout ahead of its stderr
    std::fwrite(result.err.data(), 1, result.err.size(), stderr);
    if (!result.exit_signal.empty())
        std::printf("killed by signal %s\n", result.exit_signal.c_str());
    else
        std::printf("exit status: %d\n", result.exit_status);
}

void sftp_round_trip(libssh2::session &session, const char *remote_dir) {
    libssh2::sftp sftp = *libssh2::check(libssh2::sftp::init(session), session);
    char directory[1024];
    const int length = *libssh2::check(sftp.realpath(remote_dir, directory, sizeof directory), sftp);
    const std::string path = std::string(directory, static_cast<size_t>(length)) + "/.ssh2_demo.txt";
    const std::string text = "written and read back through libssh2-hpp\n";
    {
        const int flags = LIBSSH2_FXF_WRITE | LIBSSH2_FXF_CREAT | LIBSSH2_FXF_TRUNC;
        libssh2::sftp_handle file = *libssh2::check(sftp.open(path.c_str(), flags, 0600), sftp);
        libssh2::write_all(file, text);
    }
    libssh2::sftp_handle file = *libssh2::check(sftp.open(path.c_str(), LIBSSH2_FXF_READ, 0), sftp);
    const std::string back = libssh2::read_all(file);
    sftp.unlink(path.c_str());
    if (back != text) throw std::runtime_error("SFTP read back different bytes");
    std::printf("sftp round trip: %zu bytes written to %s, read back identical, removed\n", text.size(), path.c_str());
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
    try {
        // Destroyed in reverse order: the session before its socket, both before libssh2_exit.
        const libssh2::library library;
        const libssh2::socket sock = libssh2::tcp_connect(host, port, std::chrono::seconds(10));
        libssh2::session session = libssh2::session::init();
        libssh2::check(session.handshake(sock.get()), session);
        if (libssh2::verify_host_key(session, argv[6], host, port).status != libssh2::host_key_status::match)
            throw std::runtime_error("host key not found in known_hosts: refusing to continue");
        libssh2::check(libssh2::userauth::publickey_fromfile(session, user, public_key, private_key, nullptr), session);
        std::printf("connected to %s:%d as %s, host key verified\n", host, port, user);
        run_command(session, command);
        sftp_round_trip(session, remote_dir);
        session.disconnect("bye");
        return 0;
    } catch (const std::exception &e) {
        std::fprintf(stderr, "ssh2_demo: %s\n", e.what());
        return 1;
    }
}
