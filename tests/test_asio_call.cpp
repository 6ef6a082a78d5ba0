// <libssh2/asio.hpp>: the engine and async_call, against the fixture's sshd. Any binding call
// (factories included) made asynchronous; ten channels of one session progressing together;
// results and errors as the thin layer gives them; cancellation before and during a call; the
// operation timeout and the teardown bound on a server that stopped (SIGSTOP); callbacks,
// use_future and deferred tokens; io_context::run on two threads. Run by
// `meson test -C build asio_call` (suite sshd).
#include <catch2/catch_test_macros.hpp>

#include <libssh2/asio.hpp>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/experimental/deferred.hpp>
#include <asio/io_context.hpp>
#include <asio/use_future.hpp>


#include <chrono>
#include <future>
#include <mutex>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "support/asio_session.hpp"
#include "support/elapsed.hpp"
#include "support/server_signal.hpp"

using namespace std::chrono_literals;
using test_support::asio_login;
using test_support::clock_type;
using test_support::elapsed_ms;
using test_support::run_within;
using test_support::sshd;
using test_support::sshd_port;
namespace net = ::asio;
namespace la = libssh2::asio;

namespace {

// Connects and logs in s, running io until done.
void connect(net::io_context &io, la::session &s) { REQUIRE_FALSE(test_support::asio_connect(io, s)); }

// The pid of the server process that serves s's connection: the parent of its commands.
long server_process(net::io_context &io, la::session &s) {
    std::error_code ec;
    const la::exec_result result = test_support::asio_exec(io, s, "echo $PPID", ec);
    REQUIRE_FALSE(ec);
    return std::stol(result.out);
}

}  // namespace

TEST_CASE("async_call: handshake, login, a channel factory and exec, each a thin call made asynchronous") {
    net::io_context io;
    la::session s(io);
    s.socket().connect({net::ip::make_address(sshd().host), sshd_port()});
    const libssh2_socket_t fd = s.socket().native_handle();
    int handshake = 1, login = 1, exec = 1;
    libssh2::channel channel;
    std::string output;
    char buffer[64];
    la::async_call(s, [&] { return s.ssh().handshake(fd); }, [&](std::error_code ec, int rc) {
        REQUIRE_FALSE(ec);
        handshake = rc;
        la::async_call(
            s,
            [&] {
                return libssh2::userauth::publickey_fromfile(s.ssh(), sshd().user, sshd().pubkey, sshd().key, nullptr);
            },
            [&](std::error_code ec, int rc) {
                REQUIRE_FALSE(ec);
                login = rc;
                la::async_call(
                    s, [&] { return libssh2::channel::open_session(s.ssh()); },
                    [&](std::error_code ec, libssh2::channel opened) {
                        REQUIRE_FALSE(ec);
                        channel = std::move(opened);
                        la::async_call(s, channel, [&] { return channel.exec("printf async"); },
                                       [&](std::error_code ec, int rc) {
                                           REQUIRE_FALSE(ec);
                                           exec = rc;
                                           la::async_read_some(s, channel, buffer, [&](std::error_code ec, ssize_t n) {
                                               REQUIRE_FALSE(ec);
                                               output.assign(buffer, static_cast<std::size_t>(n));
                                           });
                                       });
                    });
            });
    });
    REQUIRE(run_within(io, 10s));
    CHECK(handshake == 0);
    CHECK(login == 0);
    CHECK(exec == 0);
    CHECK(output == "async");
    CHECK(s.ssh().get_blocking() == 0);  // the engine runs the session non-blocking
}

TEST_CASE("async_call: ten channels of one session progress together") {
    net::io_context io;
    la::session s(io);
    connect(io, s);
    constexpr int count = 10;
    std::vector<std::string> outputs(count);
    std::vector<std::shared_ptr<libssh2::channel>> channels;
    const auto start = clock_type::now();
    for (int i = 0; i < count; ++i) {
        auto channel = std::make_shared<libssh2::channel>();
        channels.push_back(channel);
        // Each command sleeps 0.5 s: one after the other they would take 5 s.
        la::async_call(s, [&] { return libssh2::channel::open_session(s.ssh()); },
                       [&, channel, i](std::error_code ec, libssh2::channel opened) {
                           REQUIRE_FALSE(ec);
                           *channel = std::move(opened);
                           const std::string command = "sleep 0.5; echo channel " + std::to_string(i);
                           la::async_call(s, *channel, [channel, command] { return channel->exec(command.c_str()); },
                                          [&, channel, i](std::error_code ec, int rc) {
                                              REQUIRE_FALSE(ec);
                                              REQUIRE(rc == 0);
                                              auto buffer = std::make_shared<std::vector<char>>(64);
                                              la::async_read_some(s, *channel, *buffer,
                                                                  [&, buffer, i](std::error_code ec, ssize_t n) {
                                                                      REQUIRE_FALSE(ec);
                                                                      outputs[static_cast<std::size_t>(i)].assign(
                                                                          buffer->data(), static_cast<std::size_t>(n));
                                                                  });
                                          });
                       });
    }
    REQUIRE(run_within(io, 20s));
    const long took = elapsed_ms(start);
    for (int i = 0; i < count; ++i) CHECK(outputs[static_cast<std::size_t>(i)] == "channel " + std::to_string(i) + "\n");
    CHECK(took < 3000);  // together: about 0.5 s plus the opens
}

TEST_CASE("async_call: a failure completes with its error code and the thin result unchanged") {
    net::io_context io;
    la::session s(io);
    connect(io, s);
    SECTION("an integer result: the LIBSSH2_ERROR_* in session_category()") {
        libssh2::channel channel;
        int rc = 0;
        std::error_code error;
        la::async_call(s, [&] { return libssh2::channel::open_session(s.ssh()); },
                       [&](std::error_code ec, libssh2::channel opened) {
                           REQUIRE_FALSE(ec);
                           channel = std::move(opened);
                           // No such subsystem: the server refuses the request.
                           la::async_call(s, channel, [&] { return channel.subsystem("no-such-subsystem"); },
                                          [&](std::error_code ec, int result) {
                                              error = ec;
                                              rc = result;
                                          });
                       });
        REQUIRE(run_within(io, 10s));
        CHECK(rc == LIBSSH2_ERROR_CHANNEL_REQUEST_DENIED);
        CHECK(error == libssh2::errc::channel_request_denied);
        CHECK(&error.category() == &libssh2::session_category());
    }
    SECTION("an empty object: the session's last error; SFTP's status in sftp_category()") {
        libssh2::sftp sftp;
        libssh2::sftp_handle file;
        std::error_code error;
        bool completed = false;
        la::async_call(s, [&] { return libssh2::sftp::init(s.ssh()); }, [&](std::error_code ec, libssh2::sftp opened) {
            REQUIRE_FALSE(ec);
            sftp = std::move(opened);
            la::async_call(s, sftp, [&] { return sftp.open("/no/such/file", LIBSSH2_FXF_READ, 0); },
                           [&](std::error_code ec, libssh2::sftp_handle handle) {
                               error = ec;
                               file = std::move(handle);
                               completed = true;
                           });
        });
        REQUIRE(run_within(io, 10s));
        REQUIRE(completed);
        CHECK_FALSE(file);
        CHECK(error == libssh2::sftp_errc::no_such_file);
        CHECK(error == std::errc::no_such_file_or_directory);
    }
}

TEST_CASE("async_call: a call cancelled before it began completes with operation_aborted and does nothing") {
    net::io_context io;
    la::session s(io);
    connect(io, s);
    // Two channel opens: the second waits for the first (libssh2 keeps one open state per
    // session), and is cancelled meanwhile.
    libssh2::channel first;
    net::cancellation_signal signal;
    std::error_code second_error;
    bool second_ran = false;
    la::async_call(s, [&] { return libssh2::channel::open_session(s.ssh()); },
                   [&](std::error_code ec, libssh2::channel opened) {
                       REQUIRE_FALSE(ec);
                       first = std::move(opened);
                   });
    la::async_call(
        s,
        [&] {
            second_ran = true;
            return libssh2::channel::open_session(s.ssh());
        },
        net::bind_cancellation_slot(signal.slot(), [&](std::error_code ec, libssh2::channel) { second_error = ec; }));
    net::post(s.get_executor(), [&] { signal.emit(net::cancellation_type::total); });  // after the first step
    REQUIRE(run_within(io, 10s));
    CHECK(first);
    CHECK(second_error == net::error::operation_aborted);
    CHECK_FALSE(second_ran);
}

TEST_CASE("async_call: terminal cancellation stops a read that waits; total cancellation does not") {
    net::io_context io;
    la::session s(io);
    connect(io, s);
    libssh2::channel channel;
    la::async_call(s, [&] { return libssh2::channel::open_session(s.ssh()); },
                   [&](std::error_code ec, libssh2::channel opened) {
                       REQUIRE_FALSE(ec);
                       channel = std::move(opened);
                       la::async_call(s, channel, [&] { return channel.exec("sleep 1; echo late"); },
                                      [](std::error_code ec, int) { REQUIRE_FALSE(ec); });
                   });
    REQUIRE(run_within(io, 10s));

    net::cancellation_signal signal;
    std::error_code error;
    ssize_t read = -1;
    char buffer[64];
    la::async_read_some(s, channel, buffer,
                        net::bind_cancellation_slot(signal.slot(), [&](std::error_code ec, ssize_t n) {
                            error = ec;
                            read = n;
                        }));
    net::steady_timer timer(io);
    const auto start = clock_type::now();
    timer.expires_after(150ms);
    timer.async_wait([&](std::error_code) { signal.emit(net::cancellation_type::total); });
    net::steady_timer terminal(io);
    terminal.expires_after(300ms);
    terminal.async_wait([&](std::error_code) { signal.emit(net::cancellation_type::terminal); });
    REQUIRE(run_within(io, 10s));
    CHECK(error == net::error::operation_aborted);
    const long took = elapsed_ms(start);
    CHECK(took >= 290);  // the total cancellation at 150 ms did not stop it: libssh2 had begun
    CHECK(took < 900);   // the terminal one did, before the output came
}

TEST_CASE("async_call: a cancelled exec of a long command: its handler runs at once, the session goes on") {
    net::io_context io;
    la::session s(io);
    connect(io, s);
    s.ssh().set_teardown_timeout(800);
    net::cancellation_signal signal;
    std::error_code error;
    long aborted_at = -1, timer_at = -1;
    const auto start = clock_type::now();
    // sshd closes the channel of a command only once the command has ended: 30 s from now.
    la::async_exec(s, "sleep 30", net::bind_cancellation_slot(signal.slot(), [&](std::error_code ec, la::exec_result) {
                       error = ec;
                       aborted_at = elapsed_ms(start);
                   }));
    net::steady_timer cancel(io), other(io);
    cancel.expires_after(200ms);
    cancel.async_wait([&](std::error_code) { signal.emit(net::cancellation_type::terminal); });
    other.expires_after(400ms);  // other work on the thread is not held up by the closing channel
    other.async_wait([&](std::error_code) { timer_at = elapsed_ms(start); });
    REQUIRE(run_within(io, 10s));
    CHECK(error == net::error::operation_aborted);
    CHECK(aborted_at < 400);
    CHECK(timer_at < 700);
    CHECK(elapsed_ms(start) < 2500);  // the channel given up after the 800 ms teardown bound

    std::error_code ec;
    const la::exec_result next = test_support::asio_exec(io, s, "echo next", ec);
    REQUIRE_FALSE(ec);
    CHECK(next.out == "next\n");
}

TEST_CASE("async_exec: the command's stdin is at its end, as with ssh -n") {
    net::io_context io;
    la::session s(io);
    connect(io, s);
    std::error_code ec;
    const la::exec_result result = test_support::asio_exec(io, s, "cat; echo after", ec);
    REQUIRE_FALSE(ec);
    CHECK(result.out == "after\n");
}

TEST_CASE("async_call: the operation timeout on a server that stopped, then the teardown bound") {
    net::io_context io;
    auto s = std::make_unique<la::session>(io);
    connect(io, *s);
    const long server = server_process(io, *s);
    REQUIRE(server > 1);
    REQUIRE(test_support::signal_server_process(server, test_support::server_signal::stop));
    struct resume {
        long pid;
        ~resume() { test_support::signal_server_process(pid, test_support::server_signal::resume); }
    } resume_server{server};

    s->set_operation_timeout(400ms);
    s->ssh().set_teardown_timeout(300);
    std::error_code exec_error, other_error;
    const auto start = clock_type::now();
    long exec_done = -1, other_done = -1;
    la::async_exec(*s, "true", [&](std::error_code ec, la::exec_result) {
        exec_error = ec;
        exec_done = elapsed_ms(start);
    });
    REQUIRE(run_within(io, 5s));
    CHECK(exec_error == libssh2::errc::timeout);
    CHECK(exec_error == std::errc::timed_out);
    CHECK(exec_done >= 390);
    CHECK(exec_done < 1500);

    // The timeout cut the connection: what comes next fails at once instead of waiting.
    const auto again = clock_type::now();
    la::async_call(*s, [&] { return libssh2::channel::open_session(s->ssh()); },
                   [&](std::error_code ec, libssh2::channel) {
                       other_error = ec;
                       other_done = elapsed_ms(again);
                   });
    REQUIRE(run_within(io, 5s));
    CHECK(other_error);
    CHECK(other_done < 200);

    // Destroying the session frees it within the teardown bound, the server still stopped.
    const auto teardown = clock_type::now();
    s.reset();
    REQUIRE(run_within(io, 5s));
    CHECK(elapsed_ms(teardown) < 1000);
}

TEST_CASE("async_call: the teardown of a session whose server stopped mid-command is bounded") {
    net::io_context io;
    auto s = std::make_unique<la::session>(io);
    connect(io, *s);
    const long server = server_process(io, *s);
    s->ssh().set_teardown_timeout(300);
    std::error_code error;
    la::async_exec(*s, "sleep 30", [&](std::error_code ec, la::exec_result) { error = ec; });
    io.restart();
    io.run_for(300ms);  // the command runs
    REQUIRE(test_support::signal_server_process(server, test_support::server_signal::stop));
    struct resume {
        long pid;
        ~resume() { test_support::signal_server_process(pid, test_support::server_signal::resume); }
    } resume_server{server};
    const auto start = clock_type::now();
    s.reset();  // the pending exec completes with operation_aborted, its channel freed in bound
    REQUIRE(run_within(io, 5s));
    CHECK(error == net::error::operation_aborted);
    CHECK(elapsed_ms(start) < 1500);  // 300 ms for the channel, then the cut connection fails fast
}

TEST_CASE("async_call: use_future and deferred completion tokens") {
    net::io_context io;
    la::session s(io);
    connect(io, s);
    io.restart();
    auto work = net::make_work_guard(io);
    std::thread runner([&] { io.run(); });
    struct join {
        std::thread &t;
        net::executor_work_guard<net::io_context::executor_type> &w;
        ~join() {
            w.reset();
            t.join();
        }
    } joined{runner, work};

    std::future<libssh2::channel> opened =
        la::async_call(s, [&] { return libssh2::channel::open_session(s.ssh()); }, net::use_future);
    REQUIRE(opened.wait_for(10s) == std::future_status::ready);
    libssh2::channel channel = opened.get();
    CHECK(channel);

    auto exec = la::async_call(s, channel, [&] { return channel.exec("exit 7"); }, net::experimental::deferred);
    std::promise<int> status;
    exec([&](std::error_code ec, int rc) { status.set_value(ec ? -1000 : rc); });  // launched only now
    auto done = status.get_future();
    REQUIRE(done.wait_for(10s) == std::future_status::ready);
    CHECK(done.get() == 0);
}

TEST_CASE("async_call: eight sessions of four channels each, io_context::run on two threads") {
    net::io_context io;
    constexpr int sessions = 8, channels = 4;
    std::vector<std::unique_ptr<la::session>> all;
    // Written by the handlers (each its own element), checked once both threads are done:
    // Catch2's assertions are not for other threads.
    std::vector<std::string> outputs(sessions * channels, "not run");
    for (int i = 0; i < sessions; ++i) {
        all.push_back(std::make_unique<la::session>(io));
        la::session &s = *all.back();
        la::async_connect(s, sshd().host, sshd_port(), asio_login(),
                          [&, i](std::error_code ec, const libssh2::host_key_verification &) {
                              for (int j = 0; j < channels; ++j) {
                                  const int n = i * channels + j;
                                  if (ec) {
                                      outputs[static_cast<std::size_t>(n)] = "connect: " + ec.message();
                                      continue;
                                  }
                                  la::async_exec(s, "echo " + std::to_string(n),
                                                 [&, n](std::error_code ec, la::exec_result r) {
                                                     outputs[static_cast<std::size_t>(n)] =
                                                         ec ? "exec: " + ec.message() : r.out;
                                                 });
                              }
                          });
    }
    std::thread second([&] { io.run_for(30s); });
    io.run_for(30s);
    second.join();
    for (int n = 0; n < sessions * channels; ++n)
        CHECK(outputs[static_cast<std::size_t>(n)] == std::to_string(n) + "\n");
}
