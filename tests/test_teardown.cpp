// Teardown never hangs and never leaks: the serving sshd process is stopped (SIGSTOP) or
// killed (SIGKILL) in the middle of an SFTP read, an SFTP write and an exec read, in blocking
// mode with and without a timeout and in non-blocking mode; a server accepts and never speaks.
// Each case asserts the error the transfer gets, that destroying the objects (or freeing them
// explicitly) takes no longer than the session's teardown bound (plus a margin for a loaded
// machine), and, run under AddressSanitizer by the test command (build-asan), that nothing
// leaks: LeakSanitizer fails the executable at exit. Also a Windows program under Wine
// (tests/windows), where the Linux side stops the server on request and the teardown cut is
// Winsock's shutdown().
#include <catch2/catch_test_macros.hpp>

#include <libssh2.hpp>

#ifndef _WIN32
#include <dirent.h>
#endif

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "support/connection.hpp"
#include "support/elapsed.hpp"
#include "support/sockets.hpp"
#include "support/server_signal.hpp"

using test_support::sshd;
using test_support::clock_type;
using test_support::elapsed_ms;

namespace {

constexpr long bound_ms = 1000;                  // the teardown bound these tests set
constexpr long teardown_limit_ms = bound_ms + 1500;  // plus a margin for a loaded machine

// Destroys each object (moved out of the caller's), in the order given; returns how long the
// teardown took, in milliseconds.
template <class... Owners>
long destroy_timed(Owners &...owners) {
    const auto start = clock_type::now();
    ([](auto &owner) { auto gone = std::move(owner); }(owners), ...);
    return elapsed_ms(start);
}

enum class fault { stop, kill };

#ifdef _WIN32
// Under Wine, the Linux side signals the serving processes for us (scripts/wine-test).
class stuck_server {
public:
    explicit stuck_server(fault f) {
        using test_support::server_signal;
        REQUIRE(test_support::request_server_signal(f == fault::stop ? server_signal::stop : server_signal::kill, "") != "");
    }
    stuck_server(const stuck_server &) = delete;
    stuck_server &operator=(const stuck_server &) = delete;
    ~stuck_server() {
        try {
            test_support::request_server_signal(test_support::server_signal::kill, "");
        } catch (...) {
            // The runner is gone: it stops the whole sshd itself when the test ends.
        }
    }
};
#else
// The processes serving connections to the fixture's sshd: every descendant of its listener.
std::vector<pid_t> serving_processes() {
    std::ifstream pid_file(sshd().dir + "/sshd.pid");
    pid_t listener = 0;
    pid_file >> listener;
    REQUIRE(listener > 0);
    std::set<pid_t> family{listener};
    std::vector<std::pair<pid_t, pid_t>> parents;  // (pid, ppid) of every process
    std::unique_ptr<DIR, int (*)(DIR *)> proc(opendir("/proc"), &closedir);
    REQUIRE(proc != nullptr);
    while (dirent *entry = readdir(proc.get())) {
        const pid_t pid = static_cast<pid_t>(std::atoi(entry->d_name));
        if (pid <= 0) continue;
        // A process may end while it is read: std::FILE reports that as a short read, no throw.
        std::unique_ptr<std::FILE, int (*)(std::FILE *)> stat(
            std::fopen(("/proc/" + std::string(entry->d_name) + "/stat").c_str(), "r"), &std::fclose);
        if (!stat) continue;
        char text[1024] = {};
        const size_t length = std::fread(text, 1, sizeof text - 1, stat.get());
        const char *close = static_cast<const char *>(memrchr(text, ')', length));
        char state = 0;
        int ppid = 0;
        if (close && std::sscanf(close + 1, " %c %d", &state, &ppid) == 2) parents.emplace_back(pid, ppid);
    }
    for (bool grew = true; grew;) {
        grew = false;
        for (const auto &[pid, ppid] : parents)
            if (family.count(ppid) && family.insert(pid).second) grew = true;
    }
    family.erase(listener);
    return {family.begin(), family.end()};
}

// Stops (or kills) the processes serving this test's connection; kills them all when it ends.
class stuck_server {
public:
    explicit stuck_server(fault f) : pids_(serving_processes()) {
        REQUIRE_FALSE(pids_.empty());
        for (pid_t pid : pids_)
            test_support::signal_server_process(pid, f == fault::stop ? test_support::server_signal::stop : test_support::server_signal::kill);
    }
    stuck_server(const stuck_server &) = delete;
    stuck_server &operator=(const stuck_server &) = delete;
    ~stuck_server() {
        for (pid_t pid : pids_) test_support::signal_server_process(pid, test_support::server_signal::kill);
    }

private:
    std::vector<pid_t> pids_;
};
#endif

enum class mode { blocking, blocking_with_timeout, non_blocking };

const char *name(mode m) {
    switch (m) {
    case mode::blocking: return "blocking, no timeout";
    case mode::blocking_with_timeout: return "blocking, set_timeout(1000)";
    case mode::non_blocking: return "non-blocking";
    }
    return "";
}

// What a transfer gets once the server is stuck, and how long until it got it: reads (or
// writes) until an error, in the given mode; in blocking mode without a timeout it would wait
// forever, so it does not try. With set_timeout(1000) the error must be the timeout.
struct stall {
    int rc = 0;
    long to_error_ms = 0;
};

template <class Transfer>
stall transfer_until_error(libssh2::session &session, mode m, Transfer transfer) {
    if (m == mode::blocking) return {};
    if (m == mode::blocking_with_timeout) session.set_timeout(1000);
    if (m == mode::non_blocking) session.set_blocking(0);
    const auto start = clock_type::now();
    long rc = 0;
    while (elapsed_ms(start) < 5000) {
        rc = transfer();
        if (rc < 0 && rc != LIBSSH2_ERROR_EAGAIN) break;
        if (rc == LIBSSH2_ERROR_EAGAIN && elapsed_ms(start) > 300) break;  // a program gives up
        if (rc == LIBSSH2_ERROR_EAGAIN) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (m == mode::blocking_with_timeout) CHECK(rc == LIBSSH2_ERROR_TIMEOUT);
    return {static_cast<int>(rc), elapsed_ms(start)};
}

// A channel running `yes` on the session, its output already flowing.
libssh2::channel running_yes(libssh2::session &session) {
    libssh2::channel channel = libssh2::channel::open_session(session);
    REQUIRE(channel);
    REQUIRE(channel.exec("yes") == 0);
    char buffer[4096];
    REQUIRE(channel.read(buffer, sizeof buffer) > 0);
    return channel;
}

// With TEARDOWN_REPORT set, one line per case on stdout: the figures of the closing note
// (fault, mode, what came back, time to the error, teardown time).
void report(const char *fault, const char *how, long rc, long to_error_ms, long teardown_ms) {
    if (std::getenv("TEARDOWN_REPORT"))
        std::printf("| %s | %s | %ld | %ld ms | %ld ms |\n", fault, how, rc, to_error_ms, teardown_ms);
}

std::string big_file() {
    const std::string path = sshd().dir + "/teardown-8MiB";
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    const std::string block(1 << 20, 'x');
    for (int i = 0; i < 8; ++i) out << block;
    return path;
}

}  // namespace

TEST_CASE("teardown bound: 10 s by default, settable per session") {
    libssh2::session session = libssh2::session::init();
    CHECK(session.teardown_timeout() == 10000);
    session.set_teardown_timeout(2500);
    CHECK(session.teardown_timeout() == 2500);
}

TEST_CASE("server stopped mid SFTP read: the read fails, teardown stays within the bound, nothing leaks") {
    const std::string path = big_file();
    for (mode m : {mode::blocking, mode::blocking_with_timeout, mode::non_blocking}) {
        CAPTURE(name(m));
        auto c = test_support::login();
        c.session.set_teardown_timeout(bound_ms);
        auto sftp = libssh2::sftp::init(c.session);
        REQUIRE(sftp);
        auto file = sftp.open(path.c_str(), LIBSSH2_FXF_READ, 0);
        REQUIRE(file);
        std::vector<char> buffer(32768);
        REQUIRE(file.read(buffer.data(), buffer.size()) > 0);
        stuck_server stopped(fault::stop);
        const stall got = transfer_until_error(c.session, m, [&] { return file.read(buffer.data(), buffer.size()); });
        if (m == mode::non_blocking) CHECK(got.rc == LIBSSH2_ERROR_EAGAIN);

        const long teardown = destroy_timed(file, sftp, c.session);
        CHECK(teardown < teardown_limit_ms);
        report("SIGSTOP mid SFTP read", name(m), got.rc, got.to_error_ms, teardown);
    }
}

TEST_CASE("server stopped mid SFTP write: an explicit close returns within the bound and frees the handle") {
    for (mode m : {mode::blocking, mode::blocking_with_timeout, mode::non_blocking}) {
        CAPTURE(name(m));
        auto c = test_support::login();
        c.session.set_teardown_timeout(bound_ms);
        auto sftp = libssh2::sftp::init(c.session);
        REQUIRE(sftp);
        const std::string path = sshd().dir + "/teardown-upload";
        auto file = sftp.open(path.c_str(), LIBSSH2_FXF_WRITE | LIBSSH2_FXF_CREAT | LIBSSH2_FXF_TRUNC, 0600);
        REQUIRE(file);
        const std::vector<char> data(1 << 20, 'y');
        REQUIRE(file.write(data.data(), data.size()) > 0);
        stuck_server stopped(fault::stop);
        const stall got = transfer_until_error(c.session, m, [&] { return file.write(data.data(), data.size()); });

        c.session.set_blocking(1);
        const auto start = clock_type::now();
        const int closed = file.close();
        const long close_time = elapsed_ms(start);
        CHECK(close_time < teardown_limit_ms);
        report("SIGSTOP mid SFTP write (then file.close())", name(m), got.rc, got.to_error_ms, close_time);
        CHECK(closed != 0);  // the server never answered
        CHECK_FALSE(file);   // freed all the same (after the cut), nothing left to leak
        CHECK(destroy_timed(sftp, c.session) < 1500);  // the connection is cut: no more waiting
    }
}

TEST_CASE("a teardown bound of 0 cuts at once: a stuck teardown returns immediately") {
    auto c = test_support::login();
    auto channel = running_yes(c.session);
    c.session.set_teardown_timeout(0);
    stuck_server stopped(fault::stop);
    const auto start = clock_type::now();
    CHECK(channel.free() == 0);  // freed after the cut, without waiting
    CHECK_FALSE(channel);
    CHECK(destroy_timed(c.session) + elapsed_ms(start) < 500);
}

TEST_CASE("server stopped mid exec read: teardown stays within the bound") {
    for (mode m : {mode::blocking, mode::blocking_with_timeout, mode::non_blocking}) {
        CAPTURE(name(m));
        auto c = test_support::login();
        c.session.set_teardown_timeout(bound_ms);
        auto channel = running_yes(c.session);
        char buffer[4096];
        stuck_server stopped(fault::stop);
        const stall got = transfer_until_error(c.session, m, [&] { return channel.read(buffer, sizeof buffer); });

        const long teardown = destroy_timed(channel, c.session);
        CHECK(teardown < teardown_limit_ms);
        report("SIGSTOP mid exec read", name(m), got.rc, got.to_error_ms, teardown);
    }
}

TEST_CASE("server killed mid SFTP read: the read fails at once, teardown is immediate") {
    const std::string path = big_file();
    for (mode m : {mode::blocking, mode::non_blocking}) {
        CAPTURE(name(m));
        auto c = test_support::login();
        auto sftp = libssh2::sftp::init(c.session);
        auto file = sftp.open(path.c_str(), LIBSSH2_FXF_READ, 0);
        REQUIRE(file);
        std::vector<char> buffer(32768);
        REQUIRE(file.read(buffer.data(), buffer.size()) > 0);
        stuck_server killed(fault::kill);
        if (m == mode::non_blocking) c.session.set_blocking(0);
        const auto failed = clock_type::now();
        long rc = 0;
        while (rc >= 0 && elapsed_ms(failed) < 5000) {
            rc = file.read(buffer.data(), buffer.size());
            if (rc == LIBSSH2_ERROR_EAGAIN) {
                std::this_thread::sleep_for(std::chrono::milliseconds(5));
                rc = 0;
            }
        }
        CHECK(rc < 0);
        const long to_error = elapsed_ms(failed);
        CHECK(to_error < 2000);
        const long teardown = destroy_timed(file, sftp, c.session);
        CHECK(teardown < 1000);
        report("SIGKILL mid SFTP read", name(m), rc, to_error, teardown);
    }
}

TEST_CASE("server stopped mid SCP get and SCP put: teardown stays within the bound") {
    const std::string path = big_file();
    for (bool upload : {false, true}) {
        for (mode m : {mode::blocking, mode::blocking_with_timeout, mode::non_blocking}) {
            CAPTURE(upload, name(m));
            auto c = test_support::login();
            c.session.set_teardown_timeout(bound_ms);
            libssh2_struct_stat info{};
            const std::string target = sshd().dir + "/teardown-scp-upload";
            libssh2::channel channel = upload ? libssh2::scp::send64(c.session, target.c_str(), 0600, 8 << 20, 0, 0)
                                              : libssh2::scp::recv2(c.session, path.c_str(), &info);
            REQUIRE(channel);
            std::vector<char> buffer(65536, 'z');
            REQUIRE((upload ? channel.write(buffer.data(), buffer.size()) : channel.read(buffer.data(), buffer.size())) > 0);
            stuck_server stopped(fault::stop);
            const stall got = transfer_until_error(c.session, m, [&] {
                return upload ? channel.write(buffer.data(), buffer.size()) : channel.read(buffer.data(), buffer.size());
            });

            const long teardown = destroy_timed(channel, c.session);
            CHECK(teardown < teardown_limit_ms);
            report(upload ? "SIGSTOP mid SCP put" : "SIGSTOP mid SCP get", name(m), got.rc, got.to_error_ms, teardown);
        }
    }
}

TEST_CASE("a server that accepts and never speaks: the handshake times out, teardown is immediate") {
    const test_support::native_socket listener = socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(listener != test_support::invalid_socket);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(bind(listener, reinterpret_cast<sockaddr *>(&address), sizeof address) == 0);
    REQUIRE(listen(listener, 1) == 0);
    test_support::address_length length = sizeof address;
    REQUIRE(getsockname(listener, reinterpret_cast<sockaddr *>(&address), &length) == 0);
    test_support::socket_fd client(test_support::connect_tcp(ntohs(address.sin_port)));
    const test_support::native_socket accepted = accept(listener, nullptr, nullptr);  // and then silence
    REQUIRE(accepted != test_support::invalid_socket);

    const auto start = clock_type::now();
    long to_error = 0;
    {
        libssh2::session session = libssh2::session::init();
        session.set_timeout(500);
        const int rc = session.handshake(client.get());
        CHECK(rc == LIBSSH2_ERROR_TIMEOUT);
        to_error = elapsed_ms(start);
        CHECK(to_error < 2000);
        report("server accepts and never speaks (handshake)", "blocking, set_timeout(500)", rc, to_error,
               destroy_timed(session));
    }
    CHECK(clock_type::now() - start < std::chrono::milliseconds(2500));
    test_support::close_socket(accepted);
    test_support::close_socket(listener);
}
