// readme_io: the README's program ("Conveniences: <libssh2/io.hpp>") on <libssh2/io.hpp>:
// connect (within 10 s), verify the host key against a known_hosts file, log in with a key,
// run `uname -a` and print all its output, download a file over SFTP. readme_thin.cpp is the
// same program with the thin API alone; examples/tests/readme.sh runs both against an sshd.
//
//   readme_io HOST PORT USER KNOWN_HOSTS KEY REMOTE_FILE LOCAL_FILE
#include <libssh2/io.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

int main(int argc, char **argv) {
    if (argc != 8) {
        std::fprintf(stderr, "usage: readme_io HOST PORT USER KNOWN_HOSTS KEY REMOTE_FILE LOCAL_FILE\n");
        return 2;
    }
    const std::string host = argv[1], key = argv[5];
    const int port = std::atoi(argv[2]);
    try {
        const libssh2::library library;  // first: sessions must be gone before libssh2_exit
        const libssh2::socket sock = libssh2::tcp_connect(host, port, std::chrono::seconds(10));
        libssh2::session session = libssh2::session::init();
        session.set_timeout(10000);
        libssh2::check(session.handshake(sock.get()), session);
        if (libssh2::verify_host_key(session, argv[4], host, port).status != libssh2::host_key_status::match)
            throw std::runtime_error("host key verification failed: " + host + " is not in " + argv[4] +
                                     " with this key");
        libssh2::check(libssh2::userauth::publickey_fromfile(session, argv[3], key + ".pub", key, nullptr), session);

        // stdout, stderr, exit status and signal, the channel ended after the server's close
        const libssh2::command_result uname = libssh2::run(session, "uname -a");
        std::fwrite(uname.out.data(), 1, uname.out.size(), stdout);
        std::fwrite(uname.err.data(), 1, uname.err.size(), stderr);
        if (uname.exit_status != 0) throw std::runtime_error("uname -a failed");

        libssh2::sftp sftp = *libssh2::check(libssh2::sftp::init(session), session);
        libssh2::sftp_handle file = *libssh2::check(sftp.open(argv[6], LIBSSH2_FXF_READ, 0), sftp);
        std::ofstream local(argv[7], std::ios::binary);
        local << libssh2::read_all(file);
        local.close();
        if (!local) throw std::runtime_error(std::string("cannot write ") + argv[7]);
        return 0;
    } catch (const std::exception &e) {
        std::fprintf(stderr, "readme_io: %s\n", e.what());
        return 1;
    }
}
