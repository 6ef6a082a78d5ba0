// tunnel: a local port forward, like ssh -L. Listens on 127.0.0.1:LOCALPORT and forwards
// each connection to REMOTEHOST:REMOTEPORT as seen from the server (a direct-tcpip
// channel). One thread, a non-blocking session, poll(2) on every socket.
//
//   tunnel [--max-connections N] [--time-limit SECONDS] [-i KEY] [-o KNOWN_HOSTS] [-p PORT]
//          [USER@]HOST[:PORT] LOCALPORT:REMOTEHOST:REMOTEPORT
//
// LOCALPORT 0 picks a free port. The first line on stdout says where it listens.
#include "common.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <list>
#include <string>
#include <vector>

namespace {

// One forwarded connection: a local client socket and its channel.
struct forward {
    int id = 0;
    int fd = -1;
    libssh2::channel channel;
    std::string to_channel, to_client;  // read from one side, not yet written to the other
    bool client_eof = false, eof_sent = false;        // client -> server direction closed
    bool channel_eof = false, client_shut = false;    // server -> client direction closed
    bool waiting_window = false;  // the last channel write stopped because the server's window was full
    bool failed = false;
    unsigned long long up = 0, down = 0;

    bool done() const { return failed || (eof_sent && client_shut); }
};

bool is_session_error(ssize_t rc) {
    return rc == LIBSSH2_ERROR_SOCKET_RECV || rc == LIBSSH2_ERROR_SOCKET_SEND || rc == LIBSSH2_ERROR_SOCKET_DISCONNECT ||
           rc == LIBSSH2_ERROR_SOCKET_TIMEOUT || rc == LIBSSH2_ERROR_TIMEOUT;
}

// Calls call() until it no longer stops halfway through sending a packet (EAGAIN with the
// socket full), waiting for the socket in between. libssh2 1.10 fails any other send
// (LIBSSH2_ERROR_BAD_USE) while one is half sent, so none may be left pending when we
// turn to another channel. Data left unsent for want of window space is not pending.
template <class Call>
ssize_t finish_sending(example::connection &c, Call call) {
    ssize_t rc;
    while ((rc = call()) == LIBSSH2_ERROR_EAGAIN && (c.session.block_directions() & LIBSSH2_SESSION_BLOCK_OUTBOUND))
        c.wait_socket();
    return rc;
}

// Moves data both ways as far as it goes without blocking. True if anything happened.
bool pump(example::connection &c, forward &f) {
    if (f.failed) return false;
    char buffer[32768];
    bool progress = false;
    // Client -> channel. One buffer at a time: a slow server slows the client down.
    if (!f.client_eof && f.to_channel.empty()) {
        const ssize_t n = ::recv(f.fd, buffer, sizeof buffer, 0);
        if (n > 0) f.to_channel.assign(buffer, static_cast<size_t>(n));
        if (n == 0) f.client_eof = true;
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) f.failed = true;
        progress |= n >= 0;
    }
    while (!f.to_channel.empty() && !f.failed) {
        const ssize_t n = finish_sending(c, [&] { return f.channel.write(f.to_channel.data(), f.to_channel.size()); });
        f.waiting_window = n == LIBSSH2_ERROR_EAGAIN && f.channel.window_write() == 0;
        if (n == LIBSSH2_ERROR_EAGAIN) break;
        if (is_session_error(n)) c.fail("connection to the server lost");
        if (n < 0) {
            f.failed = true;
            break;
        }
        f.to_channel.erase(0, static_cast<size_t>(n));
        f.up += static_cast<unsigned long long>(n);
        progress = true;
    }
    if (f.client_eof && f.to_channel.empty() && !f.eof_sent && !f.failed) {
        const ssize_t rc = finish_sending(c, [&] { return f.channel.send_eof(); });
        if (rc == 0) f.eof_sent = progress = true;
        else if (rc != LIBSSH2_ERROR_EAGAIN) f.failed = true;
    }
    // Channel -> client. Read returns 0 once the server has sent EOF.
    if (!f.channel_eof && f.to_client.empty() && !f.failed) {
        // Reading may send a window adjustment.
        const ssize_t n = finish_sending(c, [&] { return f.channel.read(buffer, sizeof buffer); });
        if (n > 0) f.to_client.assign(buffer, static_cast<size_t>(n));
        if (n == 0) f.channel_eof = true;
        if (is_session_error(n)) c.fail("connection to the server lost");
        if (n < 0 && n != LIBSSH2_ERROR_EAGAIN) f.failed = true;
        progress |= n >= 0;
    }
    if (!f.to_client.empty() && !f.failed) {
        const ssize_t n = ::send(f.fd, f.to_client.data(), f.to_client.size(), MSG_NOSIGNAL);
        if (n > 0) {
            f.to_client.erase(0, static_cast<size_t>(n));
            f.down += static_cast<unsigned long long>(n);
            progress = true;
        } else if (errno != EAGAIN && errno != EWOULDBLOCK) {
            f.failed = true;
        }
    }
    if (f.channel_eof && f.to_client.empty() && !f.client_shut && !f.failed) {
        ::shutdown(f.fd, SHUT_WR);
        f.client_shut = progress = true;
    }
    return progress;
}

// True if libssh2 already holds something for f that poll(2) on the socket would not
// announce: data or EOF queued while reading for another channel, or window space that
// arrived while we were not writing.
bool ready_without_socket(forward &f) {
    if (f.done()) return true;
    if (!f.channel_eof && f.to_client.empty() && (f.channel.poll_channel_read(0) || f.channel.eof())) return true;
    return f.waiting_window && f.channel.window_write() > 0;
}

double now() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

int listen_on(int port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr *>(&address), sizeof address) != 0 || ::listen(fd, 16) != 0)
        throw example::error("cannot listen on 127.0.0.1:" + std::to_string(port) + ": " + std::strerror(errno));
    return fd;
}

int tunnel(example::target &t, long max_connections, double time_limit) {
    // LOCALPORT:REMOTEHOST:REMOTEPORT (REMOTEHOST may be [IPv6]).
    const std::string spec = t.operands[0];
    const auto first = spec.find(':'), last = spec.rfind(':');
    if (first == std::string::npos || first == last) throw example::error("expected LOCALPORT:REMOTEHOST:REMOTEPORT, got " + spec);
    const int local_port = std::atoi(spec.substr(0, first).c_str());
    std::string remote_host = spec.substr(first + 1, last - first - 1);
    if (remote_host.size() > 2 && remote_host.front() == '[' && remote_host.back() == ']')
        remote_host = remote_host.substr(1, remote_host.size() - 2);
    const int remote_port = std::atoi(spec.substr(last + 1).c_str());
    if (local_port < 0 || local_port > 65535 || remote_port < 1 || remote_port > 65535 || remote_host.empty())
        throw example::error("invalid forward " + spec);

    signal(SIGPIPE, SIG_IGN);
    example::connection c(t);
    c.authenticate_with_key(t);
    int listener = listen_on(local_port);
    sockaddr_in bound{};
    socklen_t bound_length = sizeof bound;
    getsockname(listener, reinterpret_cast<sockaddr *>(&bound), &bound_length);
    std::printf("listening on 127.0.0.1:%d, forwarding to %s:%d through %s\n", ntohs(bound.sin_port),
                remote_host.c_str(), remote_port, t.host.c_str());
    std::fflush(stdout);

    c.session.set_blocking(0);
    std::list<forward> forwards;
    long accepted = 0;
    const double deadline = time_limit > 0 ? now() + time_limit : 0;
    for (;;) {
        // Move what can be moved, then drop the connections that are finished.
        bool progress = false;
        for (forward &f : forwards) progress |= pump(c, f);
        for (auto it = forwards.begin(); it != forwards.end();) {
            if (!it->done()) {
                ++it;
                continue;
            }
            std::fprintf(stderr, "connection %d %s: %llu bytes sent, %llu received\n", it->id,
                         it->failed ? "aborted" : "closed", it->up, it->down);
            ::close(it->fd);
            it = forwards.erase(it);  // the channel is closed and freed (the binding does it in blocking mode)
        }
        if (listener < 0 && forwards.empty()) break;
        if (deadline && now() >= deadline) {
            std::fprintf(stderr, "time limit reached, closing %zu connection(s)\n", forwards.size());
            break;
        }

        // Wait for a new connection, a client, or the server.
        std::vector<pollfd> fds;
        const int ssh_events = (c.session.block_directions() & LIBSSH2_SESSION_BLOCK_OUTBOUND) ? POLLIN | POLLOUT : POLLIN;
        fds.push_back({c.socket(), static_cast<short>(ssh_events), 0});
        if (listener >= 0) fds.push_back({listener, POLLIN, 0});
        // Without waiting while data moves: new connections and clients get their turn.
        int timeout = progress ? 0 : deadline ? static_cast<int>((deadline - now()) * 1000) + 1 : -1;
        for (forward &f : forwards) {
            short events = 0;
            if (!f.client_eof && f.to_channel.empty()) events |= POLLIN;
            if (!f.to_client.empty()) events |= POLLOUT;
            fds.push_back({f.fd, events, 0});
            if (!f.to_channel.empty() && !f.waiting_window) fds[0].events |= POLLOUT;
            if (ready_without_socket(f)) timeout = 0;
        }
        if (::poll(fds.data(), fds.size(), timeout) < 0 && errno != EINTR) throw example::error("poll failed");
        if (fds[0].revents & (POLLERR | POLLHUP | POLLNVAL)) throw example::error("connection to the server lost");

        if (listener >= 0 && (fds[1].revents & POLLIN)) {
            sockaddr_in peer{};
            socklen_t peer_length = sizeof peer;
            const int fd = ::accept4(listener, reinterpret_cast<sockaddr *>(&peer), &peer_length, SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (fd < 0) continue;
            ++accepted;
            if (max_connections > 0 && accepted >= max_connections) {
                ::close(listener);  // the last connection we take: stop listening
                listener = -1;
            }
            // Opens the channel; the server connects to REMOTEHOST:REMOTEPORT. Meanwhile
            // the other connections wait (one round trip).
            char peer_host[INET_ADDRSTRLEN] = "";
            inet_ntop(AF_INET, &peer.sin_addr, peer_host, sizeof peer_host);
            libssh2::channel channel;
            while (!(channel = libssh2::channel::direct_tcpip_ex(c.session, remote_host.c_str(), remote_port, peer_host,
                                                                 ntohs(peer.sin_port))) &&
                   c.session.last_errno() == LIBSSH2_ERROR_EAGAIN)
                c.wait_socket();
            if (!channel) {
                if (is_session_error(c.session.last_errno())) c.fail("connection to the server lost");
                char *message = nullptr;
                c.session.last_error(&message, nullptr, 0);
                std::fprintf(stderr, "connection %ld refused: the server cannot open %s:%d: %s\n", accepted,
                             remote_host.c_str(), remote_port, message ? message : "");
                ::close(fd);
                continue;
            }
            std::fprintf(stderr, "connection %ld from %s:%d\n", accepted, peer_host, ntohs(peer.sin_port));
            forward &f = forwards.emplace_back();
            f.id = static_cast<int>(accepted);
            f.fd = fd;
            f.channel = std::move(channel);
        }
    }
    for (forward &f : forwards) ::close(f.fd);
    if (listener >= 0) ::close(listener);
    return 0;
}

}  // namespace

int main(int argc, char **argv) {
    std::string max_connections, time_limit;
    const example::usage usage{
        "LOCALPORT:REMOTEHOST:REMOTEPORT",
        "Listens on 127.0.0.1:LOCALPORT (0: any free port) and forwards each connection through\n"
        "the SSH server to REMOTEHOST:REMOTEPORT, as ssh -L does. The first line on stdout says\n"
        "where it listens. Runs until interrupted, unless limited:",
        1, 1,
        {{"--max-connections", "N", "stop accepting after N connections; exit once they are closed", &max_connections},
         {"--time-limit", "SECONDS", "exit after SECONDS, closing open connections", &time_limit}}};
    return example::run(argc, argv, usage, [&](example::target &t) {
        const long max = max_connections.empty() ? 0 : std::strtol(max_connections.c_str(), nullptr, 10);
        const double limit = time_limit.empty() ? 0 : std::strtod(time_limit.c_str(), nullptr);
        if (max < 0 || limit < 0) throw example::error("--max-connections and --time-limit take positive numbers");
        return tunnel(t, max, limit);
    });
}
