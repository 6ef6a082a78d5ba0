// Errors that name their cause (include/libssh2/io/failure.hpp, the one place a libssh2 result
// becomes an error, for <libssh2/io.hpp> and <libssh2/asio.hpp>): a server that sends garbage
// after its banner is a protocol error with libssh2's message, not libssh2's generic -1 ("the
// socket is invalid"); a failure with an errno behind it (a key file that cannot be opened
// because the process ran out of file descriptors) keeps that errno, so that it compares equal
// to std::errc::too_many_files_open. Through the thin layer and through the asio engine.
// Run by `meson test -C build io_failure` (suite sshd).
#include <catch2/catch_test_macros.hpp>

#include <libssh2/asio.hpp>

#include <asio/io_context.hpp>

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "support/asio_session.hpp"
#include "support/connection.hpp"

using namespace std::chrono_literals;
using test_support::run_within;
using test_support::sshd;
namespace net = ::asio;
namespace la = libssh2::asio;

namespace {

// A TCP listener on 127.0.0.1 that answers its one connection with an SSH banner and then
// bytes that are no SSH packet, and closes it after a second.
class garbage_server {
public:
    garbage_server() : listener_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
        REQUIRE(listener_ >= 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t length = sizeof address;
        REQUIRE(::bind(listener_, reinterpret_cast<sockaddr *>(&address), length) == 0);
        REQUIRE(::getsockname(listener_, reinterpret_cast<sockaddr *>(&address), &length) == 0);
        REQUIRE(::listen(listener_, 1) == 0);
        port_ = ntohs(address.sin_port);
        thread_ = std::thread([this] {
            const int peer = ::accept(listener_, nullptr, nullptr);
            if (peer < 0) return;
            std::string junk = "SSH-2.0-garbage_server\r\n";
            for (int i = 0; i < 200; ++i) junk += "\x7f\x13 this is no SSH packet\n";
            (void)!::write(peer, junk.data(), junk.size());
            std::this_thread::sleep_for(1s);
            ::close(peer);
        });
    }
    garbage_server(const garbage_server &) = delete;
    garbage_server &operator=(const garbage_server &) = delete;
    ~garbage_server() {
        ::shutdown(listener_, SHUT_RDWR);  // wakes an accept that never got its connection
        thread_.join();
        ::close(listener_);
    }
    unsigned short port() const noexcept { return port_; }

private:
    int listener_;
    unsigned short port_ = 0;
    std::thread thread_;
};

// While it lives, the process has no file descriptor left: its limit is lowered to the
// highest one open and the free ones below are taken. Restored on destruction.
class out_of_descriptors {
public:
    out_of_descriptors() {
        REQUIRE(::getrlimit(RLIMIT_NOFILE, &saved_) == 0);
        int highest = 2;
        if (DIR *fds = ::opendir("/proc/self/fd")) {
            while (dirent *entry = ::readdir(fds)) highest = std::max(highest, std::atoi(entry->d_name));
            ::closedir(fds);
        }
        rlimit lowered = saved_;
        lowered.rlim_cur = static_cast<rlim_t>(highest) + 1;
        REQUIRE(::setrlimit(RLIMIT_NOFILE, &lowered) == 0);
        for (int fd; (fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0;) taken_.push_back(fd);
        REQUIRE(errno == EMFILE);
    }
    out_of_descriptors(const out_of_descriptors &) = delete;
    out_of_descriptors &operator=(const out_of_descriptors &) = delete;
    ~out_of_descriptors() {
        for (int fd : taken_) ::close(fd);
        ::setrlimit(RLIMIT_NOFILE, &saved_);
    }

private:
    rlimit saved_{};
    std::vector<int> taken_;
};

}  // namespace

TEST_CASE("a server that sends garbage after its banner: a protocol error, with libssh2's message") {
    garbage_server server;
    const int fd = test_support::connect_tcp(server.port());
    libssh2::session session = libssh2::session::init();
    const int rc = session.handshake(fd);
    REQUIRE(rc < 0);
    const libssh2::detail::call_failure f = libssh2::detail::session_failure(session.get(), rc, "handshake");
    CHECK(f.code == libssh2::errc::proto);
    CHECK(f.code == std::errc::protocol_error);
    INFO(f.message);
    CHECK(f.message.rfind("handshake: ", 0) == 0);  // libssh2's own words follow
    CHECK(f.message.size() > std::string("handshake: ").size());
    ::close(fd);
}

TEST_CASE("async_connect to a server that sends garbage: errc::proto, not \"the socket is invalid\"") {
    garbage_server server;
    net::io_context io;
    la::session s(io);
    std::error_code error = make_error_code(std::errc::interrupted);
    la::async_connect(s, "127.0.0.1", server.port(), test_support::asio_login(),
                      [&](std::error_code ec, libssh2::host_key_verification) { error = ec; });
    REQUIRE(run_within(io, 10s));
    INFO(error.message());
    CHECK(error == libssh2::errc::proto);
    CHECK(error != libssh2::errc::socket_none);
}

TEST_CASE("out of file descriptors: a key file's failure keeps its errno (too_many_files_open)") {
    test_support::connection c = test_support::handshake();
    int rc = 0;
    {
        out_of_descriptors none_left;
        rc = libssh2::userauth::publickey_fromfile(c.session, sshd().user, sshd().pubkey, sshd().key, nullptr);
        const libssh2::detail::call_failure f = libssh2::detail::session_failure(c.session.get(), rc, "log in");
        CHECK(rc == LIBSSH2_ERROR_FILE);
        CHECK(f.code == std::errc::too_many_files_open);
        INFO(f.message);
        CHECK(f.message.rfind("log in: ", 0) == 0);
    }
    // With descriptors again, the same call logs in.
    CHECK(libssh2::userauth::publickey_fromfile(c.session, sshd().user, sshd().pubkey, sshd().key, nullptr) == 0);
}

TEST_CASE("out of file descriptors, through the asio engine: the call completes with too_many_files_open") {
    net::io_context io;
    la::session s(io);
    s.socket().connect({net::ip::make_address(sshd().host), test_support::sshd_port()});
    const libssh2_socket_t fd = s.socket().native_handle();
    int handshake = 1;
    la::async_call(s, [&] { return s.ssh().handshake(fd); }, [&](std::error_code, int rc) { handshake = rc; });
    REQUIRE(run_within(io, 10s));
    REQUIRE(handshake == 0);
    std::error_code error;
    {
        out_of_descriptors none_left;
        la::async_call(
            s, [&] { return libssh2::userauth::publickey_fromfile(s.ssh(), sshd().user, sshd().pubkey, sshd().key, nullptr); },
            [&](std::error_code ec, int) { error = ec; });
        REQUIRE(run_within(io, 10s));
    }
    INFO(error.message());
    CHECK(error == std::errc::too_many_files_open);
}
