/* SPDX-License-Identifier: BSD-3-Clause */
/* bench/plain.c: the benchmarks' plain libssh2 C client. bench/binding.cpp is the same
 * program through <libssh2.hpp>, statement for statement, so that callgrind can compare the
 * two (bench/run, table 1); the bulk modes also make the same libssh2 calls, with the same
 * buffer sizes, as the examples (examples/sftp_get.cpp, sftp_put.cpp, scp_get.cpp,
 * ssh2_exec.cpp), so that they are the examples' baseline in table 3.
 *
 *   bench_plain [-H HOST] [-p PORT] [-u USER] -i KEY -o KNOWN_HOSTS MODE ARGS...
 *     exec COMMAND            as ssh2_exec: non-blocking, poll(2), 32 KiB reads of stdout and
 *                             stderr, written to ours; exit status = COMMAND's
 *     sftp-get REMOTE LOCAL   as sftp_get: 256 KiB reads, written to LOCAL.part, fsync, rename
 *     sftp-put LOCAL REMOTE   as sftp_put: 256 KiB writes to REMOTE.part, fsync, rename
 *     scp-get REMOTE LOCAL    as scp_get: libssh2_scp_recv2, 64 KiB reads, LOCAL.part, rename
 *     channels N              N times libssh2_channel_open_session + libssh2_channel_free
 *     get-blocking N          no connection: N calls of libssh2_session_get_blocking
 *     methods                 prints the negotiated kex, host key, cipher and MAC
 *
 * Every connection is as the examples make it (examples/common.cpp): TCP_NODELAY, a 30 s
 * session timeout, the host key checked against KNOWN_HOSTS, public key authentication.
 * Exit status: 0, or 1 with a message on stderr (exec: the command's status). */
#include <libssh2.h>
#include <libssh2_sftp.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *host = "127.0.0.1";
static int port = 22;
static const char *user = "root";
static const char *key = NULL;
static const char *known_hosts = NULL;

static void die(const char *what)
{
    fprintf(stderr, "bench_plain: %s\n", what);
    exit(1);
}

static void die_ssh(LIBSSH2_SESSION *session, const char *what)
{
    char *message = NULL;
    libssh2_session_last_error(session, &message, NULL, 0);
    fprintf(stderr, "bench_plain: %s: %s\n", what, message ? message : "");
    exit(1);
}

static void write_all(int fd, const char *data, size_t size)
{
    while(size > 0) {
        ssize_t n = write(fd, data, size);
        if(n < 0)
            die("local write failed");
        data += n;
        size -= (size_t)n;
    }
}

static int tcp_connect(void)
{
    struct sockaddr_in address;
    int one = 1;
    int sock = socket(AF_INET, SOCK_STREAM, 0);
    if(sock < 0)
        die("socket");
    memset(&address, 0, sizeof address);
    address.sin_family = AF_INET;
    address.sin_port = htons((unsigned short)port);
    if(inet_pton(AF_INET, host, &address.sin_addr) != 1)
        die("HOST must be an IPv4 address");
    if(connect(sock, (struct sockaddr *)&address, sizeof address) != 0)
        die("connect failed");
    setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return sock;
}

/* Connects, handshakes, checks the host key against known_hosts ([HOST]:PORT), authenticates. */
static LIBSSH2_SESSION *connect_session(int sock)
{
    LIBSSH2_SESSION *session = libssh2_session_init();
    LIBSSH2_KNOWNHOSTS *hosts;
    struct libssh2_knownhost *entry = NULL;
    const char *host_key;
    size_t host_key_length = 0;
    int host_key_type = 0, check;
    char public_key[4096];
    struct stat st;

    if(!session)
        die("libssh2_session_init failed");
    libssh2_session_set_timeout(session, 30000);
    if(libssh2_session_handshake(session, sock) != 0)
        die_ssh(session, "handshake");
    hosts = libssh2_knownhost_init(session);
    if(!hosts || libssh2_knownhost_readfile(hosts, known_hosts, LIBSSH2_KNOWNHOST_FILE_OPENSSH) < 0)
        die_ssh(session, "cannot read known_hosts");
    host_key = libssh2_session_hostkey(session, &host_key_length, &host_key_type);
    if(!host_key)
        die_ssh(session, "no host key");
    check = libssh2_knownhost_checkp(hosts, host, port, host_key, host_key_length,
                                     LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW, &entry);
    libssh2_knownhost_free(hosts);
    if(check != LIBSSH2_KNOWNHOST_CHECK_MATCH)
        die("host key verification failed");
    snprintf(public_key, sizeof public_key, "%s.pub", key);
    if(libssh2_userauth_publickey_fromfile_ex(session, user, (unsigned int)strlen(user),
                                              stat(public_key, &st) == 0 ? public_key : NULL, key, NULL) != 0)
        die_ssh(session, "public key authentication");
    return session;
}

static void disconnect_session(LIBSSH2_SESSION *session, int sock)
{
    libssh2_session_set_blocking(session, 1);
    libssh2_session_disconnect(session, "bye");
    libssh2_session_free(session);
    close(sock);
}

/* Waits until the socket is ready in the direction libssh2 last blocked on. */
static void wait_socket(LIBSSH2_SESSION *session, int sock)
{
    struct pollfd p;
    int directions = libssh2_session_block_directions(session);
    p.fd = sock;
    p.events = (short)(((directions & LIBSSH2_SESSION_BLOCK_INBOUND) ? POLLIN : 0) |
                       ((directions & LIBSSH2_SESSION_BLOCK_OUTBOUND) ? POLLOUT : 0));
    p.revents = 0;
    if(poll(&p, 1, 30000) <= 0)
        die("no answer from the server");
}

static int do_exec(LIBSSH2_SESSION *session, int sock, const char *command)
{
    LIBSSH2_CHANNEL *channel;
    char buffer[32768];
    int rc, stream;
    static const int streams[2] = {0, SSH_EXTENDED_DATA_STDERR};

    libssh2_session_set_blocking(session, 0);
    while(!(channel = libssh2_channel_open_session(session)) &&
          libssh2_session_last_errno(session) == LIBSSH2_ERROR_EAGAIN)
        wait_socket(session, sock);
    if(!channel)
        die_ssh(session, "cannot open a channel");
    while((rc = libssh2_channel_exec(channel, command)) == LIBSSH2_ERROR_EAGAIN)
        wait_socket(session, sock);
    if(rc != 0)
        die_ssh(session, "exec");
    while(libssh2_channel_send_eof(channel) == LIBSSH2_ERROR_EAGAIN)
        wait_socket(session, sock);
    for(;;) {
        int got_data = 0;
        for(stream = 0; stream < 2; ++stream) {
            ssize_t n = libssh2_channel_read_ex(channel, streams[stream], buffer, sizeof buffer);
            if(n > 0) {
                write_all(stream == 0 ? STDOUT_FILENO : STDERR_FILENO, buffer, (size_t)n);
                got_data = 1;
            }
            else if(n < 0 && n != LIBSSH2_ERROR_EAGAIN)
                die_ssh(session, "read");
        }
        if(got_data || libssh2_poll_channel_read(channel, 1))
            continue;
        if(libssh2_channel_eof(channel))
            break;
        wait_socket(session, sock);
    }
    while(libssh2_channel_close(channel) == LIBSSH2_ERROR_EAGAIN)
        wait_socket(session, sock);
    while(libssh2_channel_wait_closed(channel) == LIBSSH2_ERROR_EAGAIN)
        wait_socket(session, sock);
    rc = libssh2_channel_get_exit_status(channel);
    while(libssh2_channel_free(channel) == LIBSSH2_ERROR_EAGAIN)
        wait_socket(session, sock);
    return rc;
}

/* LOCAL.part, opened for writing; renamed to LOCAL by commit_local after an fsync. */
static int create_local(const char *local, char *part, size_t part_size)
{
    int fd;
    snprintf(part, part_size, "%s.part", local);
    fd = open(part, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if(fd < 0)
        die("cannot create the local file");
    return fd;
}

static void commit_local(int fd, const char *part, const char *local)
{
    if(fsync(fd) != 0 || close(fd) != 0 || rename(part, local) != 0)
        die("cannot write the local file");
}

static void do_sftp_get(LIBSSH2_SESSION *session, const char *remote, const char *local)
{
    LIBSSH2_SFTP *sftp;
    LIBSSH2_SFTP_HANDLE *file;
    LIBSSH2_SFTP_ATTRIBUTES attrs;
    const size_t buffer_size = 256 * 1024;
    char *buffer = malloc(buffer_size);
    char part[4096];
    int fd;

    sftp = libssh2_sftp_init(session);
    if(!sftp)
        die_ssh(session, "sftp_init");
    file = libssh2_sftp_open(sftp, remote, LIBSSH2_FXF_READ, 0);
    if(!file)
        die_ssh(session, "sftp_open");
    memset(&attrs, 0, sizeof attrs);
    if(libssh2_sftp_fstat(file, &attrs) != 0)
        die_ssh(session, "sftp_fstat");
    fd = create_local(local, part, sizeof part);
    for(;;) {
        ssize_t n = libssh2_sftp_read(file, buffer, buffer_size);
        if(n == 0)
            break;
        if(n < 0)
            die_ssh(session, "sftp_read");
        write_all(fd, buffer, (size_t)n);
    }
    commit_local(fd, part, local);
    libssh2_sftp_close_handle(file);
    libssh2_sftp_shutdown(sftp);
    free(buffer);
}

static void do_sftp_put(LIBSSH2_SESSION *session, const char *local, const char *remote)
{
    LIBSSH2_SFTP *sftp;
    LIBSSH2_SFTP_HANDLE *file;
    LIBSSH2_SFTP_ATTRIBUTES attrs;
    const size_t buffer_size = 256 * 1024;
    char *buffer = malloc(buffer_size);
    char part[4096];
    int in = open(local, O_RDONLY | O_CLOEXEC);

    if(in < 0)
        die("cannot open the local file");
    sftp = libssh2_sftp_init(session);
    if(!sftp)
        die_ssh(session, "sftp_init");
    memset(&attrs, 0, sizeof attrs);
    libssh2_sftp_stat(sftp, remote, &attrs);
    snprintf(part, sizeof part, "%s.part", remote);
    file = libssh2_sftp_open(sftp, part, LIBSSH2_FXF_WRITE | LIBSSH2_FXF_CREAT | LIBSSH2_FXF_TRUNC, 0644);
    if(!file)
        die_ssh(session, "sftp_open");
    for(;;) {
        size_t written = 0;
        ssize_t n = read(in, buffer, buffer_size);
        if(n < 0)
            die("local read failed");
        if(n == 0)
            break;
        while(written < (size_t)n) {
            ssize_t w = libssh2_sftp_write(file, buffer + written, (size_t)n - written);
            if(w < 0)
                die_ssh(session, "sftp_write");
            written += (size_t)w;
        }
    }
    libssh2_sftp_fsync(file);
    if(libssh2_sftp_close_handle(file) != 0)
        die_ssh(session, "sftp_close");
#if LIBSSH2_VERSION_NUM >= 0x010b01
    if(libssh2_sftp_posix_rename(sftp, part, remote) != 0)
#endif
        if(libssh2_sftp_rename(sftp, part, remote) != 0 &&
           (libssh2_sftp_unlink(sftp, remote) != 0 || libssh2_sftp_rename(sftp, part, remote) != 0))
            die_ssh(session, "sftp_rename");
    libssh2_sftp_shutdown(sftp);
    close(in);
    free(buffer);
}

static void do_scp_get(LIBSSH2_SESSION *session, const char *remote, const char *local)
{
    libssh2_struct_stat st;
    LIBSSH2_CHANNEL *channel;
    char buffer[65536];
    char part[4096];
    unsigned long long size, received = 0;
    int fd;

    memset(&st, 0, sizeof st);
    channel = libssh2_scp_recv2(session, remote, &st);
    if(!channel)
        die_ssh(session, "scp_recv2");
    fd = create_local(local, part, sizeof part);
    size = (unsigned long long)st.st_size;
    while(received < size) {
        size_t want = size - received < sizeof buffer ? (size_t)(size - received) : sizeof buffer;
        ssize_t n = libssh2_channel_read(channel, buffer, want);
        if(n < 0)
            die_ssh(session, "channel_read");
        if(n == 0)
            die("connection closed early");
        write_all(fd, buffer, (size_t)n);
        received += (unsigned long long)n;
    }
    commit_local(fd, part, local);
    libssh2_channel_free(channel);
}

static void do_channels(LIBSSH2_SESSION *session, long count)
{
    long i;
    for(i = 0; i < count; ++i) {
        LIBSSH2_CHANNEL *channel = libssh2_channel_open_session(session);
        if(!channel)
            die_ssh(session, "channel_open_session");
        libssh2_channel_free(channel);
    }
}

/* Not inlined, in both programs: the loop callgrind counts is this function's. */
__attribute__((noinline)) static long do_get_blocking(LIBSSH2_SESSION *session, long count)
{
    long i, sum = 0;
    for(i = 0; i < count; ++i)
        sum += libssh2_session_get_blocking(session);
    return sum;
}

int main(int argc, char **argv)
{
    int opt, sock, rc = 0;
    const char *mode;
    LIBSSH2_SESSION *session;

    while((opt = getopt(argc, argv, "H:p:u:i:o:")) != -1) {
        switch(opt) {
        case 'H': host = optarg; break;
        case 'p': port = atoi(optarg); break;
        case 'u': user = optarg; break;
        case 'i': key = optarg; break;
        case 'o': known_hosts = optarg; break;
        default: return 2;
        }
    }
    if(optind >= argc) {
        fprintf(stderr, "usage: bench_plain [-H HOST] [-p PORT] [-u USER] -i KEY -o KNOWN_HOSTS MODE ARGS...\n");
        return 2;
    }
    mode = argv[optind++];
    if(libssh2_init(0) != 0)
        die("libssh2_init");
    if(!strcmp(mode, "get-blocking") && optind < argc) {
        session = libssh2_session_init();
        if(!session)
            die("libssh2_session_init");
        printf("%ld\n", do_get_blocking(session, atol(argv[optind])));
        libssh2_session_free(session);
        libssh2_exit();
        return rc;
    }
    if(!key || !known_hosts)
        die("-i KEY and -o KNOWN_HOSTS are required");
    sock = tcp_connect();
    session = connect_session(sock);
    if(!strcmp(mode, "exec") && optind < argc)
        rc = do_exec(session, sock, argv[optind]);
    else if(!strcmp(mode, "sftp-get") && optind + 1 < argc)
        do_sftp_get(session, argv[optind], argv[optind + 1]);
    else if(!strcmp(mode, "sftp-put") && optind + 1 < argc)
        do_sftp_put(session, argv[optind], argv[optind + 1]);
    else if(!strcmp(mode, "scp-get") && optind + 1 < argc)
        do_scp_get(session, argv[optind], argv[optind + 1]);
    else if(!strcmp(mode, "channels") && optind < argc)
        do_channels(session, atol(argv[optind]));
    else if(!strcmp(mode, "methods"))
        printf("kex=%s hostkey=%s cipher=%s mac=%s\n", libssh2_session_methods(session, LIBSSH2_METHOD_KEX),
               libssh2_session_methods(session, LIBSSH2_METHOD_HOSTKEY),
               libssh2_session_methods(session, LIBSSH2_METHOD_CRYPT_CS),
               libssh2_session_methods(session, LIBSSH2_METHOD_MAC_CS));
    else
        die("unknown MODE or missing operands");
    disconnect_session(session, sock);
    libssh2_exit();
    return rc;
}
