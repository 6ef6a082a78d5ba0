// libssh2::channel, listener and poll against the fixture's real sshd: exec, shell, pty, env, streams, EOF and
// exit, windows, extended data, TCP forwarding both ways, x11, subsystem. Run by `meson test` (suite sshd).
#include <catch2/catch_message.hpp>
#include <catch2/catch_test_macros.hpp>

#include <libssh2.hpp>

#include <poll.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "support/bytes.hpp"
#include "support/connection.hpp"
#include "support/sockets.hpp"
#include "support/deprecated_api.hpp"  // this file exercises deprecated API: libssh2::poll, poll_channel_read, handle_extended_data, ignore_extended_data, receive_window_adjust

using test_support::difference;
using test_support::pattern;
using test_support::sshd;

namespace {

using clock_type = std::chrono::steady_clock;

// Every blocking libssh2 call of these tests gives up after this long (LIBSSH2_ERROR_TIMEOUT).
constexpr long session_timeout_ms = 20000;

test_support::connection login() { return test_support::login(session_timeout_ms); }

// Reads stream_id until EOF (read returns 0); a negative return fails the test.
std::string read_all(libssh2::channel &channel, int stream_id) {
    std::string data;
    char buffer[16 * 1024];
    for (int i = 0; i < 100000; ++i) {
        const ssize_t n = channel.read_ex(stream_id, buffer, sizeof buffer);
        REQUIRE(n >= 0);
        if (n == 0) return data;
        data.append(buffer, static_cast<size_t>(n));
    }
    FAIL("no EOF after 100000 reads");
    return data;
}

void write_all(libssh2::channel &channel, int stream_id, const char *data, size_t size) {
    size_t sent = 0;
    for (int i = 0; sent < size && i < 100000; ++i) {
        const ssize_t n = channel.write_ex(stream_id, data + sent, size - sent);
        REQUIRE(n > 0);
        sent += static_cast<size_t>(n);
    }
    REQUIRE(sent == size);
}

libssh2::channel open_exec(libssh2::session &session, const char *command) {
    libssh2::channel channel = libssh2::channel::open_session(session);
    REQUIRE(channel);
    REQUIRE(channel.exec(command) == 0);
    return channel;
}

// wait_closed needs the remote's EOF (LIBSSH2_ERROR_INVAL before it), and sshd answers an
// early close with CLOSE alone: callers have read to EOF or waited for it.
void finish(libssh2::channel &channel) {
    REQUIRE(channel.eof() == 1);
    REQUIRE(channel.close() == 0);
    REQUIRE(channel.wait_closed() == 0);
}

// ---- plain TCP helpers for the forwarding tests (127.0.0.1 only) ----------------------------

int listen_loopback(int *port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) == 0);
    REQUIRE(::listen(fd, 8) == 0);
    test_support::address_length length = sizeof addr;
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr *>(&addr), &length) == 0);
    *port = ntohs(addr.sin_port);
    return fd;
}

// A port of 127.0.0.1 on which nobody listens right now.
int unused_port() {
    int port = 0;
    ::close(listen_loopback(&port));
    return port;
}

// connect() to 127.0.0.1:port; returns the fd or -errno.
int try_connect(int port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    if (::connect(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0) {
        const int error = errno;
        ::close(fd);
        return -error;
    }
    return fd;
}

void send_fd(int fd, const std::vector<char> &data) {
    size_t sent = 0;
    while (sent < data.size()) {
        const ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
        REQUIRE(n > 0);
        sent += static_cast<size_t>(n);
    }
}

// Reads from fd until `size` bytes or EOF, each wait bounded by 10 s.
std::vector<char> recv_fd(int fd, size_t size) {
    std::vector<char> data;
    char buffer[16 * 1024];
    while (data.size() < size) {
        pollfd p{fd, POLLIN, 0};
        REQUIRE(::poll(&p, 1, 10000) == 1);
        const ssize_t n = ::recv(fd, buffer, std::min(sizeof buffer, size - data.size()), 0);
        REQUIRE(n >= 0);
        if (n == 0) break;
        data.insert(data.end(), buffer, buffer + n);
    }
    return data;
}

// A TCP echo server on 127.0.0.1:port() in a thread: serves up to max_connections
// connections one after the other, each until the peer's EOF; gives up after 30 s.
class echo_server {
public:
    explicit echo_server(int max_connections) : fd_(listen_loopback(&port_)) {
        thread_ = std::thread([this, max_connections] { run(max_connections); });
    }
    ~echo_server() {
        stop_ = true;
        thread_.join();
        ::close(fd_);
    }
    int port() const { return port_; }
    int served() const { return served_; }

private:
    void run(int max_connections) {
        const auto deadline = clock_type::now() + std::chrono::seconds(30);
        while (served_ < max_connections && !stop_ && clock_type::now() < deadline) {
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, 50) != 1) continue;
            const int connection = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
            if (connection < 0) continue;
            char buffer[16 * 1024];
            while (!stop_ && clock_type::now() < deadline) {
                pollfd q{connection, POLLIN, 0};
                if (::poll(&q, 1, 50) != 1) continue;
                const ssize_t n = ::recv(connection, buffer, sizeof buffer, 0);
                if (n <= 0) break;
                ssize_t sent = 0;
                while (sent < n) {
                    const ssize_t m = ::send(connection, buffer + sent, static_cast<size_t>(n - sent), MSG_NOSIGNAL);
                    if (m <= 0) break;
                    sent += m;
                }
                if (sent < n) break;
            }
            ::close(connection);
            ++served_;
        }
    }

    int port_ = 0;
    int fd_;
    std::atomic<bool> stop_{false};
    std::atomic<int> served_{0};
    std::thread thread_;
};

// Sends payload through the channel, then EOF, and returns what comes back until EOF.
std::vector<char> echo_through(libssh2::channel &channel, const std::vector<char> &payload) {
    write_all(channel, 0, payload.data(), payload.size());
    REQUIRE(channel.send_eof() == 0);
    const std::string back = read_all(channel, 0);
    return std::vector<char>(back.begin(), back.end());
}

// Types `echo "<tag>$((0+1)):<expression>:Z"` into a shell on a pty and returns the expanded
// expression. The terminal's echo of the typed line shows `<tag>$((0+1))`, never `<tag>1:`, so
// the result comes from the shell; and since we wait for it, a later window-change request
// cannot overtake this command.
std::string shell_eval(libssh2::channel &channel, const std::string &tag, const std::string &expression) {
    const std::string line = "echo \"" + tag + "$((0+1)):" + expression + ":Z\"\n";
    write_all(channel, 0, line.data(), line.size());
    const std::string start = tag + "1:";
    std::string output;
    char buffer[4096];
    for (int i = 0; i < 10000; ++i) {
        const size_t begin = output.find(start);
        const size_t end = begin == std::string::npos ? begin : output.find(":Z", begin);
        if (end != std::string::npos) return output.substr(begin + start.size(), end - begin - start.size());
        const ssize_t n = channel.read(buffer, sizeof buffer);
        INFO(output);
        REQUIRE(n > 0);
        output.append(buffer, static_cast<size_t>(n));
    }
    FAIL("no " << start << " in the shell's output: " << output);
    return {};
}

// The terminal's echo flag, as stty -a shows it: "echo" or "-echo".
const std::string echo_flag = "$(stty -a | tr ' ;' '\\n\\n' | grep -x -e echo -e -echo)";

}  // namespace

TEST_CASE("exec runs a command; a second exec on the same channel is refused") {
    auto c = login();
    libssh2::channel channel = open_exec(c.session, "printf 'exec works'; exit 5");
    CHECK(read_all(channel, 0) == "exec works");
    // A channel runs one exec/shell/subsystem: libssh2 refuses a second one itself.
    CHECK(channel.exec("true") == LIBSSH2_ERROR_BAD_USE);
    finish(channel);
    CHECK(channel.get_exit_status() == 5);
}

TEST_CASE("process_startup sends the request and the message with their lengths") {
    auto c = login();
    libssh2::channel channel = libssh2::channel::open_session(c.session);
    REQUIRE(channel);
    const std::string request = "exec-and-more";
    const std::string message = "printf started; this part is cut off by the length";
    REQUIRE(channel.process_startup(request.data(), 4, message.data(), 14) == 0);  // "exec", "printf started"
    CHECK(read_all(channel, 0) == "started");
    finish(channel);
    CHECK(channel.get_exit_status() == 0);

    libssh2::channel unknown = libssh2::channel::open_session(c.session);
    REQUIRE(unknown);
    CHECK(unknown.process_startup("no-such-request@example.com", 27, nullptr, 0) == LIBSSH2_ERROR_CHANNEL_REQUEST_DENIED);
}

TEST_CASE("shell without a pty reads commands from stdin") {
    auto c = login();
    libssh2::channel channel = libssh2::channel::open_session(c.session);
    REQUIRE(channel);
    REQUIRE(channel.shell() == 0);
    const std::string script = "echo $((6 * 7))\necho \"tty: $(tty)\"\nexit 3\n";
    write_all(channel, 0, script.data(), script.size());
    REQUIRE(channel.send_eof() == 0);
    CHECK(read_all(channel, 0) == "42\ntty: not a tty\n");
    finish(channel);
    CHECK(channel.get_exit_status() == 3);
}

TEST_CASE("request_pty and request_pty_size set the terminal size the shell sees") {
    auto c = login();
    libssh2::channel channel = libssh2::channel::open_session(c.session);
    REQUIRE(channel);
    REQUIRE(channel.request_pty("vanilla") == 0);  // libssh2's default size: 80 columns, 24 rows
    REQUIRE(channel.shell() == 0);
    CHECK(shell_eval(channel, "A", "$(stty size):$TERM:" + echo_flag) == "24 80:vanilla:echo");
    REQUIRE(channel.request_pty_size(100, 30) == 0);  // width (columns), height (rows)
    CHECK(shell_eval(channel, "B", "$(stty size)") == "30 100");
    REQUIRE(channel.request_pty_size_ex(90, 20, 720, 400) == 0);
    CHECK(shell_eval(channel, "C", "$(stty size)") == "20 90");
    REQUIRE(channel.write("exit 4\n", 7) == 7);
    read_all(channel, 0);
    finish(channel);
    CHECK(channel.get_exit_status() == 4);
}

TEST_CASE("request_pty_ex passes the terminal type, modes and size") {
    auto c = login();
    libssh2::channel channel = libssh2::channel::open_session(c.session);
    REQUIRE(channel);
    const std::string term = "xterm-extra";
    // RFC 4254 encoded terminal modes: ECHO (53) = 0, then TTY_OP_END.
    const char modes[] = {53, 0, 0, 0, 0, 0};
    REQUIRE(channel.request_pty_ex(term.data(), 5, modes, sizeof modes, 132, 43, 1056, 688) == 0);
    REQUIRE(channel.shell() == 0);
    CHECK(shell_eval(channel, "A", "$(stty size):$TERM:" + echo_flag) == "43 132:xterm:-echo");
    REQUIRE(channel.write("exit\n", 5) == 5);
    read_all(channel, 0);
    finish(channel);
    CHECK(channel.get_exit_status() == 0);
}

TEST_CASE("setenv and setenv_ex: names accepted by AcceptEnv reach the command, others are refused") {
    auto c = login();
    libssh2::channel channel = libssh2::channel::open_session(c.session);
    REQUIRE(channel);
    CHECK(channel.setenv("LIBSSH2_TEST_VAR", "value one") == 0);
    const std::string name = "LIBSSH2_TEST_EXTRA_IGNORED";
    const std::string value = "value two and junk";
    CHECK(channel.setenv_ex(name.data(), 18, value.data(), 9) == 0);  // LIBSSH2_TEST_EXTRA=value two
    CHECK(channel.setenv("NOT_ACCEPTED_VAR", "nope") == LIBSSH2_ERROR_CHANNEL_REQUEST_DENIED);
    REQUIRE(channel.exec("printf '%s|%s|%s' \"$LIBSSH2_TEST_VAR\" \"$LIBSSH2_TEST_EXTRA\" \"${NOT_ACCEPTED_VAR-unset}\"") == 0);
    CHECK(read_all(channel, 0) == "value one|value two|unset");
    finish(channel);
}

TEST_CASE("read, read_stderr, read_ex, write, write_stderr, write_ex") {
    auto c = login();
    libssh2::channel channel = open_exec(c.session, "cat; printf 'to stderr' >&2");
    const std::string first = "written with write, ";
    const std::string second = "written with write_ex(0)";
    REQUIRE(channel.write(first.data(), first.size()) == static_cast<ssize_t>(first.size()));
    REQUIRE(channel.write_ex(0, second.data(), second.size()) == static_cast<ssize_t>(second.size()));
    // Extended data from client to server: libssh2 sends it, OpenSSH drops it (it is not stdin).
    const std::string ignored = "extended data";
    CHECK(channel.write_stderr(ignored.data(), ignored.size()) == static_cast<ssize_t>(ignored.size()));
    CHECK(channel.write_ex(SSH_EXTENDED_DATA_STDERR, ignored.data(), ignored.size()) == static_cast<ssize_t>(ignored.size()));
    REQUIRE(channel.send_eof() == 0);

    std::string out;
    char buffer[7];  // small: several reads per stream
    for (ssize_t n; (n = channel.read(buffer, sizeof buffer)) > 0;) out.append(buffer, static_cast<size_t>(n));
    CHECK(out == first + second);
    std::string err;
    for (ssize_t n; (n = channel.read_stderr(buffer, sizeof buffer)) > 0;) err.append(buffer, static_cast<size_t>(n));
    CHECK(err == "to stderr");
    CHECK(channel.read(buffer, sizeof buffer) == 0);
    CHECK(channel.read_ex(SSH_EXTENDED_DATA_STDERR, buffer, sizeof buffer) == 0);
    finish(channel);
    CHECK(channel.get_exit_status() == 0);
}

TEST_CASE("send_eof, wait_eof, eof, close, wait_closed, get_exit_status") {
    auto c = login();
    libssh2::channel channel = open_exec(c.session, "cat >/dev/null; printf done; exit 9");
    CHECK(channel.eof() == 0);  // cat waits for our EOF
    REQUIRE(channel.send_eof() == 0);
    REQUIRE(channel.wait_eof() == 0);  // the server's EOF has arrived: all output is queued
    CHECK(channel.eof() == 0);         // but eof() says 1 only once nothing is left to read
    char buffer[16];
    REQUIRE(channel.read(buffer, sizeof buffer) == 4);
    CHECK(std::string(buffer, 4) == "done");
    CHECK(channel.eof() == 1);
    CHECK(channel.read(buffer, sizeof buffer) == 0);
    REQUIRE(channel.close() == 0);
    REQUIRE(channel.wait_closed() == 0);
    CHECK(channel.get_exit_status() == 9);
    char *signal = nullptr;
    size_t signal_length = 99;
    REQUIRE(channel.get_exit_signal(&signal, &signal_length, nullptr, nullptr, nullptr, nullptr) == 0);
    CHECK(signal == nullptr);
    CHECK(signal_length == 0);
    // Writing after close fails.
    CHECK(channel.write("x", 1) < 0);
}

TEST_CASE("get_exit_signal names the signal that killed the command") {
    auto c = login();
    libssh2::channel channel = open_exec(c.session, "kill -TERM $$");
    CHECK(read_all(channel, 0).empty());
    finish(channel);
    char *signal = nullptr;
    size_t signal_length = 0;
    char *message = reinterpret_cast<char *>(1);
    size_t message_length = 99;
    char *language = reinterpret_cast<char *>(1);
    size_t language_length = 99;
    REQUIRE(channel.get_exit_signal(&signal, &signal_length, &message, &message_length, &language, &language_length) == 0);
    REQUIRE(signal != nullptr);
    CHECK(std::string(signal) == "TERM");
    CHECK(signal_length == 4);
    // libssh2 1.10.0 does not report the error message and language tag (a TODO in channel.c).
    CHECK(message == nullptr);
    CHECK(message_length == 0);
    CHECK(language == nullptr);
    CHECK(language_length == 0);
    libssh2::free(c.session, signal);
    // No exit-status message came: libssh2 reports 0.
    CHECK(channel.get_exit_status() == 0);
}

TEST_CASE("flush, flush_stderr and flush_ex discard queued data") {
    auto c = login();
    // All output is queued once the server's EOF arrived (wait_eof reads, but does not consume).
    SECTION("flush_stderr, then flush") {
        libssh2::channel channel = open_exec(c.session, "printf 'OUT-DATA'; printf 'ERR-DATA-9' >&2");
        REQUIRE(channel.wait_eof() == 0);
        unsigned long queued = 0;
        channel.window_read_ex(&queued, nullptr);
        CHECK(queued == 18);
        CHECK(channel.flush_stderr() == 10);
        channel.window_read_ex(&queued, nullptr);
        CHECK(queued == 8);
        char buffer[32];
        CHECK(channel.read_stderr(buffer, sizeof buffer) == 0);
        CHECK(channel.flush() == 8);
        CHECK(channel.read(buffer, sizeof buffer) == 0);
        finish(channel);
    }
    SECTION("flush_ex(stream 0) keeps stderr") {
        libssh2::channel channel = open_exec(c.session, "printf 'OUT-DATA'; printf 'ERR-DATA-9' >&2");
        REQUIRE(channel.wait_eof() == 0);
        CHECK(channel.flush_ex(0) == 8);
        CHECK(read_all(channel, 0).empty());
        CHECK(read_all(channel, SSH_EXTENDED_DATA_STDERR) == "ERR-DATA-9");
        finish(channel);
    }
    SECTION("flush_ex(LIBSSH2_CHANNEL_FLUSH_EXTENDED_DATA) keeps stdout") {
        libssh2::channel channel = open_exec(c.session, "printf 'OUT-DATA'; printf 'ERR-DATA-9' >&2");
        REQUIRE(channel.wait_eof() == 0);
        CHECK(channel.flush_ex(LIBSSH2_CHANNEL_FLUSH_EXTENDED_DATA) == 10);
        CHECK(read_all(channel, 0) == "OUT-DATA");
        CHECK(read_all(channel, SSH_EXTENDED_DATA_STDERR).empty());
        finish(channel);
    }
    SECTION("flush_ex(LIBSSH2_CHANNEL_FLUSH_ALL)") {
        libssh2::channel channel = open_exec(c.session, "printf 'OUT-DATA'; printf 'ERR-DATA-9' >&2");
        REQUIRE(channel.wait_eof() == 0);
        CHECK(channel.flush_ex(LIBSSH2_CHANNEL_FLUSH_ALL) == 18);
        CHECK(read_all(channel, 0).empty());
        CHECK(read_all(channel, SSH_EXTENDED_DATA_STDERR).empty());
        finish(channel);
    }
}

TEST_CASE("open_ex sets the receive window: window_read, window_read_ex, window_write, window_write_ex") {
    auto c = login();
    constexpr unsigned int window = 64 * 1024;
    constexpr size_t output_size = 300 * 1000;
    const std::string type = "session-and-junk";
    libssh2::channel channel = libssh2::channel::open_ex(c.session, type.data(), 7, window, 16 * 1024, nullptr, 0);
    REQUIRE(channel);
    unsigned long initial = 0;
    unsigned long queued = 99;
    CHECK(channel.window_read_ex(&queued, &initial) == window);
    CHECK(initial == window);
    CHECK(queued == 0);
    CHECK(channel.window_read() == window);

    // OpenSSH confirms a session channel with a zero window and grants one when the command
    // starts (channel_set_fds); libssh2 keeps the confirmation's value as the initial window.
    unsigned long write_initial = 99;
    CHECK(channel.window_write_ex(&write_initial) == 0);
    CHECK(write_initial == 0);
    CHECK(channel.window_write() == 0);

    REQUIRE(channel.exec(("head -c " + std::to_string(output_size) + " /dev/zero; cat >/dev/null").c_str()) == 0);
    const unsigned long granted = channel.window_write();
    CHECK(granted > 0);
    // A few bytes to cat: the window shrinks by exactly that (too little for sshd to adjust it).
    REQUIRE(channel.write("12345", 5) == 5);
    CHECK(channel.window_write() == granted - 5);
    CHECK(channel.window_write_ex(&write_initial) == granted - 5);
    CHECK(write_initial == 0);

    // The server may send no more than our window: spin the transport (libssh2::poll) until it
    // is used up. libssh2 counts the window down as data is read, not as it arrives.
    LIBSSH2_POLLFD fd{};
    fd.type = LIBSSH2_POLLFD_CHANNEL;
    fd.fd.channel = channel.get();
    fd.events = LIBSSH2_POLLFD_POLLIN;
    const auto deadline = clock_type::now() + std::chrono::seconds(10);
    while (clock_type::now() < deadline) {
        channel.window_read_ex(&queued, nullptr);
        if (queued >= window) break;
        REQUIRE(libssh2::poll(&fd, 1, 100) >= 0);
    }
    // Give the server a moment to overshoot, if it would.
    for (int i = 0; i < 3; ++i) REQUIRE(libssh2::poll(&fd, 1, 50) >= 0);
    channel.window_read_ex(&queued, nullptr);
    CHECK(queued == window);
    CHECK(channel.window_read() == window);  // nothing consumed yet
    char byte[100];
    REQUIRE(channel.read(byte, sizeof byte) == sizeof byte);
    channel.window_read_ex(&queued, nullptr);
    CHECK(queued == window - sizeof byte);

    // Reading adjusts the window, so the whole output arrives.
    REQUIRE(channel.send_eof() == 0);
    const std::string output = read_all(channel, 0);
    CHECK(difference(output, std::string(output_size - sizeof byte, '\0')) == "");
    finish(channel);
    CHECK(channel.get_exit_status() == 0);

    // An unknown channel type is refused by the server: empty wrapper, the session says why.
    libssh2::channel refused = libssh2::channel::open_ex(c.session, "nonexistent@example.com", 23, window, 16 * 1024, nullptr, 0);
    CHECK_FALSE(refused);
    CHECK(c.session.last_errno() == LIBSSH2_ERROR_CHANNEL_FAILURE);
}

TEST_CASE("receive_window_adjust2 and the deprecated receive_window_adjust") {
    auto c = login();
    libssh2::channel channel = open_exec(c.session, "cat");
    const unsigned long before = channel.window_read();
    unsigned int stored = 0;
    // Below LIBSSH2_CHANNEL_MINADJUST (1024) and not forced: queued, the window is unchanged.
    CHECK(channel.receive_window_adjust2(100, 0, &stored) == 0);
    CHECK(stored == before);
    CHECK(channel.window_read() == before);
    // Forced: sent together with the queued 100.
    CHECK(channel.receive_window_adjust2(1000, 1, &stored) == 0);
    CHECK(stored == before);
    CHECK(channel.window_read() == before + 1100);
#if !defined(LIBSSH2_NO_DEPRECATED)
    // Returns the window before the adjustment (kept that way for backwards compatibility).
    CHECK(channel.receive_window_adjust(5000, 1) == before + 1100);
#else
    CHECK(channel.receive_window_adjust2(5000, 1, &stored) == 0);
    WARN("LIBSSH2_NO_DEPRECATED: receive_window_adjust not declared, receive_window_adjust2 used instead");
#endif
    CHECK(channel.window_read() == before + 6100);
    // The server accepted the adjustments: the channel still carries data.
    const std::vector<char> payload = pattern(100 * 1000, 1);
    const std::vector<char> back = echo_through(channel, payload);
    CHECK(difference(back, payload) == "");
    finish(channel);
}

TEST_CASE("handle_extended_data2: MERGE puts stderr on stdout, IGNORE drops it") {
    auto c = login();
    SECTION("merge") {
        libssh2::channel channel = libssh2::channel::open_session(c.session);
        REQUIRE(channel);
        REQUIRE(channel.handle_extended_data2(LIBSSH2_CHANNEL_EXTENDED_DATA_MERGE) == 0);
        REQUIRE(channel.exec("printf 'OUT'; printf 'ERR' >&2") == 0);
        const std::string out = read_all(channel, 0);
        CHECK((out == "OUTERR" || out == "ERROUT"));
        CHECK(read_all(channel, SSH_EXTENDED_DATA_STDERR).empty());
        finish(channel);
    }
    SECTION("ignore") {
        libssh2::channel channel = libssh2::channel::open_session(c.session);
        REQUIRE(channel);
        REQUIRE(channel.handle_extended_data2(LIBSSH2_CHANNEL_EXTENDED_DATA_IGNORE) == 0);
        REQUIRE(channel.exec("printf 'OUT'; printf 'ERR' >&2") == 0);
        REQUIRE(channel.wait_eof() == 0);
        unsigned long queued = 0;
        channel.window_read_ex(&queued, nullptr);
        CHECK(queued == 3);  // stderr was dropped on arrival
        CHECK(read_all(channel, 0) == "OUT");
        CHECK(read_all(channel, SSH_EXTENDED_DATA_STDERR).empty());
        finish(channel);
    }
    SECTION("normal") {
        libssh2::channel channel = libssh2::channel::open_session(c.session);
        REQUIRE(channel);
        REQUIRE(channel.handle_extended_data2(LIBSSH2_CHANNEL_EXTENDED_DATA_NORMAL) == 0);
        REQUIRE(channel.exec("printf 'OUT'; printf 'ERR' >&2") == 0);
        CHECK(read_all(channel, 0) == "OUT");
        CHECK(read_all(channel, SSH_EXTENDED_DATA_STDERR) == "ERR");
        finish(channel);
    }
}

#if defined(LIBSSH2_NO_DEPRECATED)
TEST_CASE("deprecated handle_extended_data and ignore_extended_data") {
    SKIP("libssh2 was built with LIBSSH2_NO_DEPRECATED: the deprecated functions are not declared");
}
#else
TEST_CASE("deprecated handle_extended_data and ignore_extended_data") {
    auto c = login();
    SECTION("handle_extended_data(MERGE)") {
        libssh2::channel channel = libssh2::channel::open_session(c.session);
        REQUIRE(channel);
        channel.handle_extended_data(LIBSSH2_CHANNEL_EXTENDED_DATA_MERGE);
        REQUIRE(channel.exec("printf 'OUT'; printf 'ERR' >&2") == 0);
        const std::string out = read_all(channel, 0);
        CHECK((out == "OUTERR" || out == "ERROUT"));
        finish(channel);
    }
    SECTION("ignore_extended_data(1)") {
        libssh2::channel channel = libssh2::channel::open_session(c.session);
        REQUIRE(channel);
        channel.ignore_extended_data(1);
        REQUIRE(channel.exec("printf 'OUT'; printf 'ERR' >&2") == 0);
        CHECK(read_all(channel, 0) == "OUT");
        CHECK(read_all(channel, SSH_EXTENDED_DATA_STDERR).empty());
        finish(channel);
    }
    SECTION("ignore_extended_data(0) after 1 restores normal handling") {
        libssh2::channel channel = libssh2::channel::open_session(c.session);
        REQUIRE(channel);
        channel.ignore_extended_data(1);
        channel.ignore_extended_data(0);
        REQUIRE(channel.exec("printf 'OUT'; printf 'ERR' >&2") == 0);
        CHECK(read_all(channel, 0) == "OUT");
        CHECK(read_all(channel, SSH_EXTENDED_DATA_STDERR) == "ERR");
        finish(channel);
    }
}
#endif  // LIBSSH2_NO_DEPRECATED

TEST_CASE("direct_tcpip and direct_tcpip_ex reach a TCP server through sshd") {
    auto c = login();
    echo_server server(2);
    SECTION("direct_tcpip") {
        libssh2::channel channel = libssh2::channel::direct_tcpip(c.session, "127.0.0.1", server.port());
        REQUIRE(channel);
        // Unlike a session channel, a direct-tcpip channel comes with its window at once.
        unsigned long initial = 0;
        CHECK(channel.window_write_ex(&initial) > 0);
        CHECK(channel.window_write() == initial);
        const std::vector<char> payload = pattern(256 * 1024 + 7, 2);
        CHECK(difference(echo_through(channel, payload), payload) == "");
        finish(channel);
    }
    SECTION("direct_tcpip_ex with an originator") {
        libssh2::channel channel = libssh2::channel::direct_tcpip_ex(c.session, "127.0.0.1", server.port(), "127.0.0.1", 4242);
        REQUIRE(channel);
        const std::vector<char> payload = pattern(10 * 1024 + 1, 3);
        CHECK(difference(echo_through(channel, payload), payload) == "");
        finish(channel);
    }
    SECTION("raw-session overload returns a raw channel") {
        LIBSSH2_CHANNEL *raw = libssh2::channel::direct_tcpip(c.session.get(), "127.0.0.1", server.port());
        REQUIRE(raw != nullptr);
        libssh2::channel channel(c.session, raw);  // adopt it
        const std::vector<char> payload = pattern(1000, 4);
        CHECK(difference(echo_through(channel, payload), payload) == "");
        finish(channel);
    }
    SECTION("a closed port: sshd refuses the channel") {
        const int port = unused_port();
        libssh2::channel channel = libssh2::channel::direct_tcpip(c.session, "127.0.0.1", port);
        CHECK_FALSE(channel);
        CHECK(c.session.last_errno() == LIBSSH2_ERROR_CHANNEL_FAILURE);
    }
}

TEST_CASE("forward_listen_ex, forward_accept (both spellings), forward_cancel: a remote forward") {
    auto c = login();
    int bound_port = 0;
    libssh2::listener listener = libssh2::channel::forward_listen_ex(c.session, "127.0.0.1", 0, &bound_port, 4);
    REQUIRE(listener);
    REQUIRE(bound_port > 0);

    for (int round = 0; round < 2; ++round) {
        INFO("round " << round);
        const int client = try_connect(bound_port);  // sshd listens for us on 127.0.0.1:bound_port
        REQUIRE(client >= 0);
        libssh2::channel channel = round == 0 ? listener.forward_accept() : libssh2::channel::forward_accept(listener);
        REQUIRE(channel);
        const std::vector<char> up = pattern(64 * 1024 + 5, 10 + round);
        const std::vector<char> down = pattern(32 * 1024 + 3, 20 + round);
        send_fd(client, up);
        REQUIRE(::shutdown(client, SHUT_WR) == 0);
        const std::string received = read_all(channel, 0);  // until the client's EOF
        CHECK(difference(received, up) == "");
        CHECK(channel.eof() == 1);
        write_all(channel, 0, down.data(), down.size());
        REQUIRE(channel.send_eof() == 0);
        CHECK(difference(recv_fd(client, down.size() + 1), down) == "");  // then EOF
        ::close(client);
        finish(channel);
    }

    CHECK(libssh2::channel::forward_cancel(listener) == 0);
    CHECK_FALSE(listener);
    // The cancel request wants no reply; an exec round trip makes sure sshd has processed it.
    CHECK(test_support::run(c.session, "true").exit_status == 0);
    CHECK(try_connect(bound_port) == -ECONNREFUSED);
}

TEST_CASE("forward_listen on a given port, listener.forward_cancel") {
    auto c = login();
    libssh2::listener listener;
    int port = 0;
    for (int attempt = 0; attempt < 3 && !listener; ++attempt) {
        port = unused_port();
        listener = libssh2::channel::forward_listen(c.session, port);  // on the loopback (GatewayPorts no)
    }
    REQUIRE(listener);
    const int client = try_connect(port);
    REQUIRE(client >= 0);
    libssh2::channel channel = listener.forward_accept();
    REQUIRE(channel);
    const std::vector<char> payload = pattern(5000, 30);
    write_all(channel, 0, payload.data(), payload.size());
    CHECK(difference(recv_fd(client, payload.size()), payload) == "");
    ::close(client);
    CHECK(read_all(channel, 0).empty());  // the client closed: EOF
    finish(channel);

    CHECK(listener.forward_cancel() == 0);
    CHECK_FALSE(listener);
    CHECK(test_support::run(c.session, "true").exit_status == 0);
    CHECK(try_connect(port) == -ECONNREFUSED);
}

TEST_CASE("x11_req and x11_req_ex are refused (X11Forwarding no)") {
    auto c = login();
    libssh2::channel channel = libssh2::channel::open_session(c.session);
    REQUIRE(channel);
    CHECK(channel.x11_req(0) == LIBSSH2_ERROR_CHANNEL_REQUEST_DENIED);
    CHECK(channel.x11_req_ex(1, "MIT-MAGIC-COOKIE-1", "0123456789abcdef0123456789abcdef", 0) ==
          LIBSSH2_ERROR_CHANNEL_REQUEST_DENIED);
    // The channel is still usable, without a DISPLAY.
    REQUIRE(channel.exec("printf '%s' \"${DISPLAY-no display}\"") == 0);
    CHECK(read_all(channel, 0) == "no display");
    finish(channel);
}

TEST_CASE("subsystem(\"sftp\") answers SSH_FXP_INIT with SSH_FXP_VERSION") {
    auto c = login();
    libssh2::channel channel = libssh2::channel::open_session(c.session);
    REQUIRE(channel);
    REQUIRE(channel.subsystem("sftp") == 0);
    // uint32 length 5, byte SSH_FXP_INIT (1), uint32 version 3.
    const char init[9] = {0, 0, 0, 5, 1, 0, 0, 0, 3};
    REQUIRE(channel.write(init, sizeof init) == 9);
    std::vector<unsigned char> reply;
    char buffer[1024];
    size_t expected = 9;
    while (reply.size() < expected) {
        const ssize_t n = channel.read(buffer, sizeof buffer);
        REQUIRE(n > 0);
        reply.insert(reply.end(), buffer, buffer + n);
        if (reply.size() >= 4)
            expected = 4 + (size_t{reply[0]} << 24 | size_t{reply[1]} << 16 | size_t{reply[2]} << 8 | size_t{reply[3]});
    }
    CHECK(reply.size() == expected);
    CHECK(reply[4] == 2);  // SSH_FXP_VERSION
    CHECK((reply[5] == 0 && reply[6] == 0 && reply[7] == 0 && reply[8] == 3));  // version 3
    REQUIRE(channel.send_eof() == 0);
    REQUIRE(channel.wait_eof() == 0);  // sftp-server exits on our EOF
    finish(channel);
}

TEST_CASE("poll_channel_read and libssh2::poll see pending output") {
    auto c = login();
    libssh2::channel channel = open_exec(c.session, "read line; printf 'got %s' \"$line\"; printf 'E' >&2");
    LIBSSH2_POLLFD fd{};
    fd.type = LIBSSH2_POLLFD_CHANNEL;
    fd.fd.channel = channel.get();
    fd.events = LIBSSH2_POLLFD_POLLIN;

    // The command waits for its input: nothing can be pending.
    CHECK(channel.poll_channel_read(0) == 0);
    CHECK(libssh2::poll(&fd, 1, 200) == 0);
    CHECK((fd.revents & LIBSSH2_POLLFD_POLLIN) == 0);

    REQUIRE(channel.write("go\n", 3) == 3);
    int ready = 0;
    for (int i = 0; i < 100 && ready == 0; ++i) ready = libssh2::poll(&fd, 1, 100);
    CHECK(ready == 1);
    CHECK((fd.revents & LIBSSH2_POLLFD_POLLIN) != 0);
    // The convenience overload: the descriptors as a range.
    std::array<LIBSSH2_POLLFD, 1> fds{fd};
    CHECK(libssh2::poll(fds, 0) == 1);
    CHECK((fds[0].revents & LIBSSH2_POLLFD_POLLIN) != 0);
    CHECK(channel.poll_channel_read(0) == 1);
    REQUIRE(channel.wait_eof() == 0);
    CHECK(channel.poll_channel_read(1) == 1);  // extended data (or any data) queued
    CHECK(read_all(channel, 0) == "got go");
    CHECK(channel.poll_channel_read(0) == 0);  // all stdout consumed
    CHECK(channel.poll_channel_read(1) == 1);  // stderr still queued
    CHECK(read_all(channel, SSH_EXTENDED_DATA_STDERR) == "E");
    CHECK(channel.poll_channel_read(1) == 0);
    finish(channel);
}

TEST_CASE("channel set_blocking switches the session's mode") {
    auto c = login();
    libssh2::channel channel = open_exec(c.session, "read line; printf '%s' \"$line\"");
    CHECK(c.session.get_blocking() == 1);
    channel.set_blocking(0);
    CHECK(c.session.get_blocking() == 0);
    char buffer[16];
    // Nothing to read until we write: a non-blocking read says so at once.
    CHECK(channel.read(buffer, sizeof buffer) == LIBSSH2_ERROR_EAGAIN);
    channel.set_blocking(1);
    CHECK(c.session.get_blocking() == 1);
    REQUIRE(channel.write("blocking again\n", 15) == 15);
    CHECK(read_all(channel, 0) == "blocking again");
    finish(channel);
}

TEST_CASE("request_auth_agent: OpenSSH sets up SSH_AUTH_SOCK once per connection") {
    auto c = login();
    libssh2::channel channel = libssh2::channel::open_session(c.session);
    REQUIRE(channel);
    // AllowAgentForwarding defaults to yes: the first request succeeds.
    REQUIRE(channel.request_auth_agent() == 0);
    REQUIRE(channel.exec("test -S \"$SSH_AUTH_SOCK\" && printf 'socket %s' \"$SSH_AUTH_SOCK\"") == 0);
    const std::string out = read_all(channel, 0);
    CHECK(out.rfind("socket /", 0) == 0);
    finish(channel);
    CHECK(channel.get_exit_status() == 0);

    // sshd grants agent forwarding once per connection (session.c: `static int called`); libssh2
    // then also tries the draft's "auth-agent-req", which OpenSSH does not know.
    libssh2::channel second = libssh2::channel::open_session(c.session);
    REQUIRE(second);
    CHECK(second.request_auth_agent() == LIBSSH2_ERROR_CHANNEL_REQUEST_DENIED);
}

TEST_CASE("exec returns stdout, stderr and the exit status") {
    auto c = test_support::login();
    auto result = test_support::run(c.session, "printf 'out line\\n'; printf 'err line\\n' >&2; exit 7");
    CHECK(result.out == "out line\n");
    CHECK(result.err == "err line\n");
    CHECK(result.exit_status == 7);
}

TEST_CASE("channel methods forward the handle implicitly") {
    auto c = test_support::login();
    libssh2::channel channel = libssh2::channel::open_session(c.session);
    REQUIRE(channel);
    REQUIRE(channel.exec("cat") == 0);
    const std::string payload = "echo through cat\n";
    REQUIRE(channel.write(payload.data(), payload.size()) == static_cast<ssize_t>(payload.size()));
    REQUIRE(channel.send_eof() == 0);
    std::string echoed;
    char buffer[256];
    for (ssize_t n; (n = channel.read(buffer, sizeof buffer)) > 0;) echoed.append(buffer, static_cast<size_t>(n));
    CHECK(echoed == payload);
    CHECK(channel.eof() == 1);
    REQUIRE(channel.wait_closed() == 0);
    CHECK(channel.get_exit_status() == 0);

    char *signal = nullptr;
    size_t signal_length = 0;
    REQUIRE(channel.get_exit_signal(&signal, &signal_length, nullptr, nullptr, nullptr, nullptr) == 0);
    CHECK(signal == nullptr);  // exited normally
    CHECK(channel.free() == 0);
    CHECK_FALSE(channel);  // freed explicitly: the destructor has nothing left to do
}

#if LIBSSH2_VERSION_NUM >= 0x010b01  // API libssh2 1.11 added (scripts/test builds a 1.11.1)
namespace {

// Runs "sleep 30" on a new channel, sends it a signal with send(channel), and returns the
// exit signal the server reports.
template <class Send>
std::string exit_signal_after(libssh2::session &session, Send send) {
    libssh2::channel channel = libssh2::channel::open_session(session);
    REQUIRE(channel);
    REQUIRE(channel.exec("echo started; exec sleep 30") == 0);
    char buffer[64];
    REQUIRE(channel.read(buffer, sizeof buffer) > 0);  // the command runs: there is a process to signal
    REQUIRE(send(channel) == 0);                       // no reply is asked for: 0 means it was sent
    REQUIRE(channel.wait_eof() == 0);
    REQUIRE(channel.close() == 0);
    REQUIRE(channel.wait_closed() == 0);
    char *signal = nullptr;
    size_t length = 0;
    REQUIRE(channel.get_exit_signal(&signal, &length, nullptr, nullptr, nullptr, nullptr) == 0);
    REQUIRE(signal != nullptr);
    std::string name(signal, length);
    libssh2::free(session, signal);
    return name;
}

}  // namespace

TEST_CASE("1.11: channel signal and signal_ex stop a remote command") {
    // sshd runs root's sessions without privilege separation and refuses their signal
    // requests ("session signalling requires privilege separation"), so this logs in as the
    // password server's own unprivileged user.
    const auto &server = test_support::sshd_password();
    if (!server.skip_reason.empty()) SKIP(server.skip_reason);
    auto c = test_support::login(server);

    CHECK(exit_signal_after(c.session, [](libssh2::channel &channel) { return channel.signal("TERM"); }) == "TERM");
    // signal_ex sends the first signame_len bytes only.
    CHECK(exit_signal_after(c.session, [](libssh2::channel &channel) { return channel.signal_ex("KILLED", 4); }) ==
          "KILL");
}

TEST_CASE("1.11: direct_streamlocal_ex reaches a Unix socket on the server") {
    const std::string path = sshd().dir + "/echo-" + std::to_string(getpid()) + ".sock";
    const int listener = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
    REQUIRE(bind(listener, reinterpret_cast<sockaddr *>(&address), sizeof address) == 0);
    REQUIRE(listen(listener, 1) == 0);
    std::thread echo([listener] {  // one connection, echoed until EOF
        const int fd = accept(listener, nullptr, nullptr);
        char buffer[4096];
        for (ssize_t n; fd >= 0 && (n = read(fd, buffer, sizeof buffer)) > 0;)
            if (write(fd, buffer, static_cast<size_t>(n)) != n) break;
        if (fd >= 0) close(fd);
    });
    {
        auto c = test_support::login();
        libssh2::channel channel = libssh2::channel::direct_streamlocal_ex(c.session, path.c_str(), "127.0.0.1", 0);
        REQUIRE(channel);
        const std::string text = "through a Unix socket on the server\n";
        REQUIRE(channel.write(text.data(), text.size()) == static_cast<ssize_t>(text.size()));
        std::string back;
        char buffer[256];
        while (back.size() < text.size()) {
            const ssize_t n = channel.read(buffer, sizeof buffer);
            REQUIRE(n > 0);
            back.append(buffer, static_cast<size_t>(n));
        }
        CHECK(back == text);
        channel.send_eof();
    }
    echo.join();
    close(listener);
    unlink(path.c_str());
}
#endif
