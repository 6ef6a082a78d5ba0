// direct-tcpip (what `ssh -L` opens) against three servers: OpenSSH's sshd, Dropbear and
// python3-asyncssh's server (tests/support/servers.hpp), each connecting to an echo server this
// test runs on 127.0.0.1. Bytes through and back, the client's EOF going across as a half-close
// (the echo server sees its end of stream, sends the rest and closes: the channel's EOF), and a
// target nothing listens at; through the thin layer in blocking mode (io.hpp's read_all and
// write_all) and through <libssh2/asio.hpp>'s async_call. Run by
// `meson test -C build servers_forward` (suite sshd).
#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>
#include <catch2/generators/catch_generators_range.hpp>

#include <libssh2.hpp>
#include <libssh2/asio.hpp>
#include <libssh2/io.hpp>

#include <asio/io_context.hpp>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <iterator>
#include <random>
#include <string>
#include <thread>

#include "support/asio_servers.hpp"
#include "support/servers.hpp"

using namespace std::chrono_literals;
using test_support::server_kind;
namespace la = libssh2::asio;

namespace {

#define EACH_SERVER()                                                                                  \
    GENERATE(from_range(std::begin(test_support::every_server_kind), std::end(test_support::every_server_kind)))

std::string random_bytes(std::size_t size, unsigned seed) {
    std::mt19937 generator(seed);
    std::string bytes(size, '\0');
    for (char &c : bytes) c = static_cast<char>(generator() & 0xff);
    return bytes;
}

// A TCP echo server on 127.0.0.1, on a thread of its own, for one connection at a time: sends
// back what it reads; at the client's end of stream shuts its sending side down, after the
// last byte. Counts the connections it saw end that way.
class echo_server {
public:
    echo_server() : listener_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
        REQUIRE(listener_ >= 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t length = sizeof address;
        REQUIRE(::bind(listener_, reinterpret_cast<sockaddr *>(&address), sizeof address) == 0);
        REQUIRE(::listen(listener_, 8) == 0);
        REQUIRE(::getsockname(listener_, reinterpret_cast<sockaddr *>(&address), &length) == 0);
        port_ = ntohs(address.sin_port);
        thread_ = std::thread([this] { serve(); });
    }
    ~echo_server() {
        ::shutdown(listener_, SHUT_RDWR);  // ends accept()
        thread_.join();
        ::close(listener_);
    }
    echo_server(const echo_server &) = delete;
    echo_server &operator=(const echo_server &) = delete;

    int port() const { return port_; }
    int ended_by_client() const { return ended_by_client_; }

private:
    void serve() {
        for (;;) {
            const int fd = ::accept(listener_, nullptr, nullptr);
            if (fd < 0) return;
            char buffer[65536];
            ssize_t n;
            while ((n = ::read(fd, buffer, sizeof buffer)) > 0)
                for (ssize_t sent = 0, w; sent < n; sent += w)
                    if ((w = ::write(fd, buffer + sent, static_cast<std::size_t>(n - sent))) <= 0) break;
            if (n == 0) {
                ++ended_by_client_;
                ::shutdown(fd, SHUT_WR);
            }
            ::close(fd);
        }
    }

    int listener_;
    int port_ = 0;
    std::atomic<int> ended_by_client_{0};
    std::thread thread_;
};

}  // namespace

TEST_CASE("every server: direct-tcpip to an echo server, the client's EOF a half-close") {
    const server_kind kind = EACH_SERVER();
    INFO(test_support::name_of(kind));
    echo_server echo;
    test_support::connection c = test_support::login(kind);
    c.session.set_timeout(30000);
    libssh2::channel channel = libssh2::channel::direct_tcpip(c.session, "127.0.0.1", echo.port());
    REQUIRE(channel);

    // More than a channel window (2 MiB in libssh2, less in Dropbear) each way, and the whole of
    // it written before anything is read back: the echo's replies wait in windows meanwhile.
    const std::string data = random_bytes(512 * 1024, 3);
    libssh2::write_all(channel, data);
    REQUIRE(channel.send_eof() == 0);
    const libssh2::channel_output back = libssh2::read_all(channel, libssh2::streams::out);
    CHECK(back.out.size() == data.size());
    CHECK(back.out == data);
    CHECK(channel.eof() == 1);
    CHECK(channel.close() == 0);
    CHECK(channel.wait_closed() == 0);
    CHECK(echo.ended_by_client() == 1);
}

TEST_CASE("every server: direct-tcpip to a port nothing listens at is refused, the session goes on") {
    const server_kind kind = EACH_SERVER();
    INFO(test_support::name_of(kind));
    int closed_port;
    {
        echo_server gone;
        closed_port = gone.port();
    }
    test_support::connection c = test_support::login(kind);
    c.session.set_timeout(30000);
    libssh2::channel refused = libssh2::channel::direct_tcpip(c.session, "127.0.0.1", closed_port);
    CHECK_FALSE(refused);
    CHECK(c.session.last_errno() == LIBSSH2_ERROR_CHANNEL_FAILURE);

    echo_server echo;
    libssh2::channel channel = libssh2::channel::direct_tcpip(c.session, "127.0.0.1", echo.port());
    CHECK(channel);
}

TEST_CASE("every server: direct-tcpip through async_call, bytes there and back") {
    const server_kind kind = EACH_SERVER();
    INFO(test_support::name_of(kind));
    echo_server echo;
    asio::io_context io;
    la::session s(io);
    REQUIRE_FALSE(test_support::asio_connect(io, s, kind));

    libssh2::channel channel;
    la::async_call(s, [&] { return libssh2::channel::direct_tcpip(s.ssh(), "127.0.0.1", echo.port()); },
                   [&](std::error_code ec, libssh2::channel opened) {
                       REQUIRE_FALSE(ec);
                       channel = std::move(opened);
                   });
    REQUIRE(test_support::run_within(io, 20s));
    REQUIRE(channel);

    const std::string data = random_bytes(100000, 5);
    std::size_t written = 0;
    while (written < data.size()) {
        la::async_call(s, [&] { return channel.write(data.data() + written, data.size() - written); },
                       [&](std::error_code ec, ssize_t n) {
                           REQUIRE_FALSE(ec);
                           written += static_cast<std::size_t>(n);
                       });
        REQUIRE(test_support::run_within(io, 20s));
    }
    la::async_call(s, [&] { return channel.send_eof(); }, [&](std::error_code ec, int) { REQUIRE_FALSE(ec); });
    REQUIRE(test_support::run_within(io, 20s));
    std::string back;
    for (bool end = false; !end;) {
        char buffer[32768];
        la::async_call(s, [&] { return channel.read(buffer, sizeof buffer); }, [&](std::error_code ec, ssize_t n) {
            REQUIRE_FALSE(ec);
            if (n == 0) end = true;
            back.append(buffer, static_cast<std::size_t>(n));
        });
        REQUIRE(test_support::run_within(io, 20s));
    }
    CHECK(back == data);
    CHECK(echo.ended_by_client() == 1);
}
