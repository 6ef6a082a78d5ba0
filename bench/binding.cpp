// SPDX-License-Identifier: BSD-3-Clause
// bench/binding.cpp: bench/plain.c through <libssh2.hpp>, statement for statement: the same
// modes, the same libssh2 calls in the same order, the same buffers. callgrind counts both
// (bench/run, table 1); what differs is what the binding costs. Owning classes free what
// plain.c frees by hand, in their destructors, at the same points.
//
//   bench_binding [-H HOST] [-p PORT] [-u USER] -i KEY -o KNOWN_HOSTS MODE ARGS...
//     the modes of bench/plain.c, and:
//     sizes                   sizeof of every class of <libssh2.hpp> (no connection)
#include <libssh2.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace {

const char *host = "127.0.0.1";
int port = 22;
const char *user = "root";
const char *key = nullptr;
const char *known_hosts = nullptr;

[[noreturn]] void die(const char *what) {
    std::fprintf(stderr, "bench_binding: %s\n", what);
    std::exit(1);
}

[[noreturn]] void die_ssh(libssh2::session &session, const char *what) {
    char *message = nullptr;
    session.last_error(&message, nullptr, 0);
    std::fprintf(stderr, "bench_binding: %s: %s\n", what, message ? message : "");
    std::exit(1);
}

void write_all(int fd, const char *data, size_t size) {
    while (size > 0) {
        const ssize_t n = ::write(fd, data, size);
        if (n < 0) die("local write failed");
        data += n;
        size -= static_cast<size_t>(n);
    }
}

int tcp_connect() {
    sockaddr_in address{};
    int one = 1;
    const int sock = ::socket(AF_INET, SOCK_STREAM, 0);
    if (sock < 0) die("socket");
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<unsigned short>(port));
    if (inet_pton(AF_INET, host, &address.sin_addr) != 1) die("HOST must be an IPv4 address");
    if (::connect(sock, reinterpret_cast<sockaddr *>(&address), sizeof address) != 0) die("connect failed");
    ::setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return sock;
}

// Connects, handshakes, checks the host key against known_hosts ([HOST]:PORT), authenticates.
libssh2::session connect_session(int sock) {
    libssh2::session session = libssh2::session::init();
    libssh2_knownhost *entry = nullptr;
    size_t host_key_length = 0;
    int host_key_type = 0;
    char public_key[4096];
    struct stat st {};

    if (!session) die("libssh2_session_init failed");
    session.set_timeout(30000);
    if (session.handshake(sock) != 0) die_ssh(session, "handshake");
    int check;
    {
        libssh2::knownhost hosts = libssh2::knownhost::init(session);
        if (!hosts || hosts.readfile(known_hosts, LIBSSH2_KNOWNHOST_FILE_OPENSSH) < 0)
            die_ssh(session, "cannot read known_hosts");
        const char *host_key = session.hostkey(&host_key_length, &host_key_type);
        if (!host_key) die_ssh(session, "no host key");
        check = hosts.checkp(host, port, host_key, host_key_length,
                             LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW, &entry);
    }
    if (check != LIBSSH2_KNOWNHOST_CHECK_MATCH) die("host key verification failed");
    std::snprintf(public_key, sizeof public_key, "%s.pub", key);
    if (libssh2::userauth::publickey_fromfile_ex(session, user, static_cast<unsigned int>(std::strlen(user)),
                                                 ::stat(public_key, &st) == 0 ? public_key : nullptr, key,
                                                 nullptr) != 0)
        die_ssh(session, "public key authentication");
    return session;
}

void disconnect_session(libssh2::session &session, int sock) {
    session.set_blocking(1);
    session.disconnect("bye");
    session.free();
    ::close(sock);
}

// Waits until the socket is ready in the direction libssh2 last blocked on.
void wait_socket(libssh2::session &session, int sock) {
    pollfd p{};
    const int directions = session.block_directions();
    p.fd = sock;
    p.events = static_cast<short>(((directions & LIBSSH2_SESSION_BLOCK_INBOUND) ? POLLIN : 0) |
                                  ((directions & LIBSSH2_SESSION_BLOCK_OUTBOUND) ? POLLOUT : 0));
    if (::poll(&p, 1, 30000) <= 0) die("no answer from the server");
}

int do_exec(libssh2::session &session, int sock, const char *command) {
    char buffer[32768];
    int rc;
    static const int streams[2] = {0, SSH_EXTENDED_DATA_STDERR};

    session.set_blocking(0);
    libssh2::channel channel;
    while (!(channel = libssh2::channel::open_session(session)) && session.last_errno() == LIBSSH2_ERROR_EAGAIN)
        wait_socket(session, sock);
    if (!channel) die_ssh(session, "cannot open a channel");
    while ((rc = channel.exec(command)) == LIBSSH2_ERROR_EAGAIN) wait_socket(session, sock);
    if (rc != 0) die_ssh(session, "exec");
    while (channel.send_eof() == LIBSSH2_ERROR_EAGAIN) wait_socket(session, sock);
    for (;;) {
        bool got_data = false;
        for (int stream = 0; stream < 2; ++stream) {
            const ssize_t n = channel.read_ex(streams[stream], buffer, sizeof buffer);
            if (n > 0) {
                write_all(stream == 0 ? STDOUT_FILENO : STDERR_FILENO, buffer, static_cast<size_t>(n));
                got_data = true;
            } else if (n < 0 && n != LIBSSH2_ERROR_EAGAIN) {
                die_ssh(session, "read");
            }
        }
        if (got_data || channel.poll_channel_read(1)) continue;
        if (channel.eof()) break;
        wait_socket(session, sock);
    }
    while (channel.close() == LIBSSH2_ERROR_EAGAIN) wait_socket(session, sock);
    while (channel.wait_closed() == LIBSSH2_ERROR_EAGAIN) wait_socket(session, sock);
    rc = channel.get_exit_status();
    while (channel.free() == LIBSSH2_ERROR_EAGAIN) wait_socket(session, sock);
    return rc;
}

// LOCAL.part, opened for writing; renamed to LOCAL by commit_local after an fsync.
int create_local(const char *local, char *part, size_t part_size) {
    std::snprintf(part, part_size, "%s.part", local);
    const int fd = ::open(part, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) die("cannot create the local file");
    return fd;
}

void commit_local(int fd, const char *part, const char *local) {
    if (::fsync(fd) != 0 || ::close(fd) != 0 || std::rename(part, local) != 0) die("cannot write the local file");
}

void do_sftp_get(libssh2::session &session, const char *remote, const char *local) {
    const size_t buffer_size = 256 * 1024;
    const std::unique_ptr<char[]> buffer(new char[buffer_size]);
    char part[4096];

    libssh2::sftp sftp = libssh2::sftp::init(session);
    if (!sftp) die_ssh(session, "sftp_init");
    libssh2::sftp_handle file = sftp.open(remote, LIBSSH2_FXF_READ, 0);
    if (!file) die_ssh(session, "sftp_open");
    LIBSSH2_SFTP_ATTRIBUTES attrs{};
    if (file.fstat(&attrs) != 0) die_ssh(session, "sftp_fstat");
    const int fd = create_local(local, part, sizeof part);
    for (;;) {
        const ssize_t n = file.read(buffer.get(), buffer_size);
        if (n == 0) break;
        if (n < 0) die_ssh(session, "sftp_read");
        write_all(fd, buffer.get(), static_cast<size_t>(n));
    }
    commit_local(fd, part, local);
}

void do_sftp_put(libssh2::session &session, const char *local, const char *remote) {
    const size_t buffer_size = 256 * 1024;
    const std::unique_ptr<char[]> buffer(new char[buffer_size]);
    char part[4096];
    const int in = ::open(local, O_RDONLY | O_CLOEXEC);

    if (in < 0) die("cannot open the local file");
    libssh2::sftp sftp = libssh2::sftp::init(session);
    if (!sftp) die_ssh(session, "sftp_init");
    LIBSSH2_SFTP_ATTRIBUTES attrs{};
    sftp.stat(remote, &attrs);
    std::snprintf(part, sizeof part, "%s.part", remote);
    libssh2::sftp_handle file = sftp.open(part, LIBSSH2_FXF_WRITE | LIBSSH2_FXF_CREAT | LIBSSH2_FXF_TRUNC, 0644);
    if (!file) die_ssh(session, "sftp_open");
    for (;;) {
        size_t written = 0;
        const ssize_t n = ::read(in, buffer.get(), buffer_size);
        if (n < 0) die("local read failed");
        if (n == 0) break;
        while (written < static_cast<size_t>(n)) {
            const ssize_t w = file.write(buffer.get() + written, static_cast<size_t>(n) - written);
            if (w < 0) die_ssh(session, "sftp_write");
            written += static_cast<size_t>(w);
        }
    }
    file.fsync();
    if (file.close_handle() != 0) die_ssh(session, "sftp_close");
#if LIBSSH2_VERSION_NUM >= 0x010b01
    if (sftp.posix_rename(part, remote) != 0)
#endif
        if (sftp.rename(part, remote) != 0 && (sftp.unlink(remote) != 0 || sftp.rename(part, remote) != 0))
            die_ssh(session, "sftp_rename");
    ::close(in);
}

void do_scp_get(libssh2::session &session, const char *remote, const char *local) {
    libssh2_struct_stat st{};
    char buffer[65536];
    char part[4096];
    unsigned long long received = 0;

    libssh2::channel channel = libssh2::scp::recv2(session, remote, &st);
    if (!channel) die_ssh(session, "scp_recv2");
    const int fd = create_local(local, part, sizeof part);
    const auto size = static_cast<unsigned long long>(st.st_size);
    while (received < size) {
        const size_t want = size - received < sizeof buffer ? static_cast<size_t>(size - received) : sizeof buffer;
        const ssize_t n = channel.read(buffer, want);
        if (n < 0) die_ssh(session, "channel_read");
        if (n == 0) die("connection closed early");
        write_all(fd, buffer, static_cast<size_t>(n));
        received += static_cast<unsigned long long>(n);
    }
    commit_local(fd, part, local);
}

void do_channels(libssh2::session &session, long count) {
    for (long i = 0; i < count; ++i) {
        libssh2::channel channel = libssh2::channel::open_session(session);
        if (!channel) die_ssh(session, "channel_open_session");
    }
}

// Not inlined, in both programs: the loop callgrind counts is this function's.
__attribute__((noinline)) long do_get_blocking(libssh2::session &session, long count) {
    long sum = 0;
    for (long i = 0; i < count; ++i) sum += session.get_blocking();
    return sum;
}

void print_sizes() {
    std::printf("session %zu\nchannel %zu\nlistener %zu\nsftp %zu\nsftp_handle %zu\nagent %zu\nknownhost %zu\n"
                "publickey %zu\ndetail::node %zu\ntext_view %zu\nc_string %zu\nspan<char> %zu\n",
                sizeof(libssh2::session), sizeof(libssh2::channel), sizeof(libssh2::listener), sizeof(libssh2::sftp),
                sizeof(libssh2::sftp_handle), sizeof(libssh2::agent), sizeof(libssh2::knownhost),
                sizeof(libssh2::publickey), sizeof(libssh2::detail::node), sizeof(libssh2::text_view),
                sizeof(libssh2::c_string), sizeof(libssh2::span<char>));
}

}  // namespace

int main(int argc, char **argv) {
    int opt, rc = 0;

    while ((opt = getopt(argc, argv, "H:p:u:i:o:")) != -1) {
        switch (opt) {
        case 'H': host = optarg; break;
        case 'p': port = std::atoi(optarg); break;
        case 'u': user = optarg; break;
        case 'i': key = optarg; break;
        case 'o': known_hosts = optarg; break;
        default: return 2;
        }
    }
    if (optind >= argc) {
        std::fprintf(stderr,
                     "usage: bench_binding [-H HOST] [-p PORT] [-u USER] -i KEY -o KNOWN_HOSTS MODE ARGS...\n");
        return 2;
    }
    const char *mode = argv[optind++];
    if (!std::strcmp(mode, "sizes")) {
        print_sizes();
        return 0;
    }
    if (libssh2::init(0) != 0) die("libssh2_init");
    if (!std::strcmp(mode, "get-blocking") && optind < argc) {
        libssh2::session session = libssh2::session::init();
        if (!session) die("libssh2_session_init");
        std::printf("%ld\n", do_get_blocking(session, std::atol(argv[optind])));
        session.free();
        libssh2::exit();
        return rc;
    }
    if (!key || !known_hosts) die("-i KEY and -o KNOWN_HOSTS are required");
    const int sock = tcp_connect();
    libssh2::session session = connect_session(sock);
    if (!std::strcmp(mode, "exec") && optind < argc)
        rc = do_exec(session, sock, argv[optind]);
    else if (!std::strcmp(mode, "sftp-get") && optind + 1 < argc)
        do_sftp_get(session, argv[optind], argv[optind + 1]);
    else if (!std::strcmp(mode, "sftp-put") && optind + 1 < argc)
        do_sftp_put(session, argv[optind], argv[optind + 1]);
    else if (!std::strcmp(mode, "scp-get") && optind + 1 < argc)
        do_scp_get(session, argv[optind], argv[optind + 1]);
    else if (!std::strcmp(mode, "channels") && optind < argc)
        do_channels(session, std::atol(argv[optind]));
    else if (!std::strcmp(mode, "methods"))
        std::printf("kex=%s hostkey=%s cipher=%s mac=%s\n", session.methods(LIBSSH2_METHOD_KEX),
                    session.methods(LIBSSH2_METHOD_HOSTKEY), session.methods(LIBSSH2_METHOD_CRYPT_CS),
                    session.methods(LIBSSH2_METHOD_MAC_CS));
    else
        die("unknown MODE or missing operands");
    disconnect_session(session, sock);
    libssh2::exit();
    return rc;
}
