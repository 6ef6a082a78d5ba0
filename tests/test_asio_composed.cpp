// <libssh2/asio.hpp>: the composed operations against the fixture's sshd. async_connect with
// the host key known, unknown and changed (distinct errors), a refused port, and out of file
// descriptors for the socket or the key file; async_exec's stdout, stderr, exit status and
// signal (also when the status comes long after EOF), and a sink; async_sftp_get and
// async_sftp_put of several MiB, a missing file, a transfer cancelled in the middle (the
// session stays usable); fifty sessions on one thread. Run by
// `meson test -C build asio_composed` (suite sshd).
#include <catch2/catch_test_macros.hpp>

#include <libssh2/asio.hpp>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/io_context.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "support/asio_session.hpp"
#include "support/bytes.hpp"
#include "support/elapsed.hpp"
#include "support/scratch_dir.hpp"
#include "support/ssh_agent.hpp"

using namespace std::chrono_literals;
using test_support::asio_connect;
using test_support::asio_login;
using test_support::clock_type;
using test_support::elapsed_ms;
using test_support::run_within;
using test_support::sshd;
using test_support::sshd_port;
namespace net = ::asio;
namespace la = libssh2::asio;

namespace {

std::string read_file(const std::string &path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_file(const std::string &path, const std::string &content) {
    std::ofstream(path, std::ios::binary) << content;
}

// A file name under the fixture's directory (the sshd runs on this machine: same files).
std::string scratch(const std::string &name) { return sshd().dir + "/asio-" + name; }

// The server's host key fingerprint as OpenSSH prints it: ssh-keygen -l's "SHA256:...".
std::string host_key_fingerprint() {
    const auto [status, printed] = test_support::run_command("ssh-keygen -lf '" + sshd().host_key_pub + "'");
    REQUIRE(status == 0);
    const auto begin = printed.find("SHA256:");
    REQUIRE(begin != std::string::npos);
    return printed.substr(begin, printed.find(' ', begin) - begin);
}

// Takes every free file descriptor (as many sessions at once would) until destroyed.
class descriptors_exhausted {
public:
    descriptors_exhausted() {
        for (int fd; (fd = ::dup(STDERR_FILENO)) >= 0;) taken_.push_back(fd);
        error_ = errno;
    }
    descriptors_exhausted(const descriptors_exhausted &) = delete;
    descriptors_exhausted &operator=(const descriptors_exhausted &) = delete;
    ~descriptors_exhausted() {
        for (const int fd : taken_) ::close(fd);
    }
    int error() const noexcept { return error_; }

private:
    std::vector<int> taken_;
    int error_ = 0;
};

}  // namespace

TEST_CASE("async_connect: logs in when the host key is known, refuses it unknown or changed") {
    net::io_context io;
    SECTION("known: logged in, the key's type and fingerprint in the result") {
        la::session s(io);
        libssh2::host_key_verification v;
        REQUIRE_FALSE(asio_connect(io, s, asio_login(), &v));
        CHECK(v.status == libssh2::host_key_status::match);
        CHECK(v.key_type == sshd().host_key_type);
        CHECK(v.fingerprint.rfind("SHA256:", 0) == 0);
        CHECK(libssh2::userauth::authenticated(s.ssh()) == 1);
    }
    SECTION("unknown: an empty known_hosts file") {
        const std::string empty = scratch("empty_known_hosts");
        write_file(empty, "");
        la::login_options options = asio_login();
        options.known_hosts = empty;
        la::session s(io);
        libssh2::host_key_verification v;
        const std::error_code ec = asio_connect(io, s, options, &v);
        CHECK(ec == libssh2::host_key_errc::unknown_host);
        CHECK(ec != libssh2::errc::known_hosts);  // libssh2's: it could not use the file
        CHECK(v.status == libssh2::host_key_status::unknown);
        CHECK(v.refusal() == v.host_entry + " is not in " + empty + " (it offers the " + sshd().host_key_type + " key " +
                                 host_key_fingerprint() + ")");
        CHECK(libssh2::userauth::authenticated(s.ssh()) == 0);  // no login tried
    }
    SECTION("changed: another key listed for the host") {
        const std::string other = scratch("other_known_hosts");
        // The user's key: of the host key's type (ed25519, or RSA with TEST_SSHD_KEYS=rsa-pem), not the host's.
        std::ifstream user_key(sshd().pubkey);
        std::string type, blob;
        user_key >> type >> blob;
        write_file(other, "[" + sshd().host + "]:" + std::to_string(sshd().port) + " " + type + " " + blob + "\n");
        la::login_options options = asio_login();
        options.known_hosts = other;
        la::session s(io);
        libssh2::host_key_verification v;
        const std::error_code ec = asio_connect(io, s, options, &v);
        CHECK(ec == libssh2::host_key_errc::changed_key);
        CHECK(ec != libssh2::host_key_errc::unknown_host);
        CHECK(v.status == libssh2::host_key_status::mismatch);
        CHECK(v.refusal() == "the " + sshd().host_key_type + " key " + host_key_fingerprint() + " of [" + sshd().host +
                                 "]:" + std::to_string(sshd().port) + " differs from the one in " + other);
        CHECK(libssh2::userauth::authenticated(s.ssh()) == 0);
    }
    SECTION("a refused port: Asio's error") {
        net::ip::tcp::acceptor closed(io, {net::ip::make_address("127.0.0.1"), 0});
        const unsigned short port = closed.local_endpoint().port();
        closed.close();
        la::session s(io);
        std::error_code error;
        la::async_connect(s, "127.0.0.1", port, asio_login(),
                          [&](std::error_code ec, libssh2::host_key_verification) { error = ec; });
        REQUIRE(run_within(io, 10s));
        CHECK(error == net::error::connection_refused);
    }
    SECTION("a wrong key: authentication fails") {
        la::login_options options = asio_login();
        options.private_key = scratch("not_a_key");
        options.public_key.clear();
        write_file(options.private_key, "not a key\n");
        la::session s(io);
        CHECK(asio_connect(io, s, options));
        CHECK(libssh2::userauth::authenticated(s.ssh()) == 0);
    }
}

TEST_CASE("async_connect: out of file descriptors is too_many_files_open, not a libssh2 failure") {
    net::io_context io;
    SECTION("no descriptor for the socket") {
        la::session s(io);
        std::error_code error;
        {
            descriptors_exhausted exhausted;
            REQUIRE(exhausted.error() == EMFILE);
            la::async_connect(s, sshd().host, sshd_port(), asio_login(),
                              [&](std::error_code ec, libssh2::host_key_verification) { error = ec; });
            REQUIRE(run_within(io, 10s));
        }
        INFO(error.message());
        CHECK(error == std::errc::too_many_files_open);
    }
    SECTION("connected, then no descriptor for the key file") {
        la::session s(io);
        std::error_code error = make_error_code(std::errc::interrupted);
        bool completed = false;
        la::async_connect(s, sshd().host, sshd_port(), asio_login(),
                          [&](std::error_code ec, libssh2::host_key_verification) {
                              error = ec;
                              completed = true;
                          });
        // One handler at a time until the TCP connection is up; the handshake needs no more
        // descriptors, the key file does.
        const auto give_up = clock_type::now() + 10s;
        std::error_code not_connected = make_error_code(std::errc::not_connected);
        while (not_connected && !completed && clock_type::now() < give_up) {
            io.run_one_for(100ms);
            s.socket().remote_endpoint(not_connected);
        }
        REQUIRE_FALSE(not_connected);
        {
            descriptors_exhausted exhausted;
            REQUIRE(exhausted.error() == EMFILE);
            while (!completed && clock_type::now() < give_up) io.run_one_for(100ms);
        }
        REQUIRE(completed);
        INFO(error.message());
        CHECK(error == std::errc::too_many_files_open);
    }
}

TEST_CASE("async_connect: the agent's keys in turn, and a password") {
    net::io_context io;
    SECTION("the agent: a key the server does not list, then one it does") {
        const std::string unlisted = test_support::scratch_dir("asio-agent-key") + "/unlisted";
        auto [made, made_out] =
            test_support::run_command("ssh-keygen -q -t ed25519 -N '' -f '" + unlisted + "' </dev/null 2>&1");
        INFO(made_out);
        REQUIRE(made == 0);
        test_support::ssh_agent agent(test_support::scratch_dir("asio-agent") + "/agent.sock");
        for (const std::string &key : {unlisted, sshd().key}) {
            auto [status, out] = agent.add(key);
            INFO(out);
            REQUIRE(status == 0);
        }
        la::login_options options = asio_login();
        options.private_key.clear();
        options.public_key.clear();
        options.agent_socket = agent.socket();
        la::session s(io);
        REQUIRE_FALSE(asio_connect(io, s, options));
        CHECK(libssh2::userauth::authenticated(s.ssh()) == 1);
    }
    SECTION("an agent without a key the server takes: authentication_failed") {
        test_support::ssh_agent agent(test_support::scratch_dir("asio-empty-agent") + "/agent.sock");
        la::login_options options = asio_login();
        options.private_key.clear();
        options.public_key.clear();
        options.agent_socket = agent.socket();
        la::session s(io);
        CHECK(asio_connect(io, s, options) == libssh2::errc::authentication_failed);
    }
}

TEST_CASE("async_connect: a password, against the password-user sshd") {
    const auto &server = test_support::sshd_password();
    if (!server.skip_reason.empty()) SKIP(server.skip_reason);
    net::io_context io;
    la::login_options options;
    options.user = server.password_user;
    options.known_hosts = server.known_hosts;
    for (const bool right : {false, true}) {
        options.password = right ? server.password : "not-the-password";
        la::session s(io);
        std::error_code error = make_error_code(std::errc::interrupted);
        la::async_connect(s, server.host, static_cast<unsigned short>(server.port), options,
                          [&](std::error_code ec, libssh2::host_key_verification) { error = ec; });
        REQUIRE(run_within(io, 10s));
        if (right)
            CHECK_FALSE(error);
        else
            CHECK(error == libssh2::errc::authentication_failed);
        CHECK(libssh2::userauth::authenticated(s.ssh()) == (right ? 1 : 0));
    }
}

TEST_CASE("async_exec: stdout, stderr, exit status and signal") {
    net::io_context io;
    la::session s(io);
    REQUIRE_FALSE(asio_connect(io, s, asio_login()));
    std::vector<la::exec_result> results(3);
    const char *commands[] = {"printf out; printf err >&2; exit 3", "head -c 3000000 /dev/zero", "kill -TERM $$"};
    for (std::size_t i = 0; i < 3; ++i)
        la::async_exec(s, commands[i], [&, i](std::error_code ec, la::exec_result r) {
            REQUIRE_FALSE(ec);
            results[i] = std::move(r);
        });
    REQUIRE(run_within(io, 20s));
    CHECK(results[0].out == "out");
    CHECK(results[0].err == "err");
    CHECK(results[0].exit_status == 3);
    CHECK(results[0].exit_signal.empty());
    CHECK(results[1].out == std::string(3000000, '\0'));
    CHECK(results[1].exit_status == 0);
    CHECK(results[2].exit_signal == "TERM");
    CHECK(results[2].exit_status == -1);

    SECTION("a sink takes the output as it comes") {
        std::string out, err;
        int chunks = 0;
        la::async_exec(
            s, "echo a; sleep 0.2; echo b >&2; sleep 0.2; echo c",
            [&](int stream_id, std::string_view data) {
                (stream_id == 0 ? out : err).append(data);
                ++chunks;
            },
            [&](std::error_code ec, la::exec_result r) {
                REQUIRE_FALSE(ec);
                CHECK(r.out.empty());
                CHECK(r.exit_status == 0);
            });
        REQUIRE(run_within(io, 10s));
        CHECK(out == "a\nc\n");
        CHECK(err == "b\n");
        CHECK(chunks == 3);
    }
}

TEST_CASE("async_exec: the exit status and signal are never lost, even long after EOF") {
    // The second command closes its output (the server sends EOF) and exits 0.3 s later: an
    // exec that closed the channel at EOF could miss the status (asyncssh's server sends none
    // after the client's close). Several at once on one session, each against the others.
    net::io_context io;
    la::session s(io);
    REQUIRE_FALSE(asio_connect(io, s, asio_login()));
    const char *commands[] = {"echo hi; exit 3", "echo hi; exec >&- 2>&-; sleep 0.3; exit 3", "kill -TERM $$",
                              "head -c 2M /dev/zero >&2 & head -c 3M /dev/zero; wait; exit 4"};
    std::vector<la::exec_result> results(std::size(commands));
    std::vector<std::error_code> errors(std::size(commands), make_error_code(std::errc::interrupted));
    for (std::size_t i = 0; i < std::size(commands); ++i)
        la::async_exec(s, commands[i], [&, i](std::error_code ec, la::exec_result r) {
            errors[i] = ec;
            results[i] = std::move(r);
        });
    REQUIRE(run_within(io, 30s));
    for (const std::error_code &ec : errors) CHECK_FALSE(ec);
    CHECK(results[0].out == "hi\n");
    CHECK(results[0].exit_status == 3);
    CHECK(results[1].out == "hi\n");
    CHECK(results[1].exit_status == 3);
    CHECK(results[1].exit_signal.empty());
    CHECK(results[2].exit_signal == "TERM");
    CHECK(results[2].exit_status == -1);
    CHECK(results[3].out.size() == 3 * 1024 * 1024);
    CHECK(results[3].err.size() == 2 * 1024 * 1024);
    CHECK(results[3].exit_status == 4);
}

TEST_CASE("async_sftp_get and async_sftp_put: several MiB each way, byte for byte") {
    net::io_context io;
    la::session s(io);
    REQUIRE_FALSE(asio_connect(io, s, asio_login()));
    const std::vector<char> bytes = test_support::pattern(5 * 1024 * 1024 + 17, 1);
    const std::string content(bytes.begin(), bytes.end());
    write_file(scratch("source"), content);
    std::uint64_t got = 0, put = 0;
    la::async_sftp_get(s, scratch("source"), scratch("got"), [&](std::error_code ec, std::uint64_t n) {
        REQUIRE_FALSE(ec);
        got = n;
    });
    la::async_sftp_put(s, scratch("source"), scratch("put"), 0600, [&](std::error_code ec, std::uint64_t n) {
        REQUIRE_FALSE(ec);
        put = n;
    });
    REQUIRE(run_within(io, 30s));
    CHECK(got == content.size());
    CHECK(put == content.size());
    CHECK(read_file(scratch("got")) == content);
    CHECK(read_file(scratch("put")) == content);
    struct stat st {};
    REQUIRE(::stat(scratch("put").c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);

    SECTION("a missing file: the server's status") {
        std::error_code error;
        la::async_sftp_get(s, scratch("missing"), scratch("never"),
                           [&](std::error_code ec, std::uint64_t) { error = ec; });
        REQUIRE(run_within(io, 10s));
        CHECK(error == libssh2::sftp_errc::no_such_file);
    }
}

TEST_CASE("a 2 KiB socket send buffer: an upload and eight commands at once, every packet whole") {
    net::io_context io;
    la::session s(io);
    REQUIRE_FALSE(asio_connect(io, s, asio_login()));
    // The socket takes little at a time: libssh2's packets are sent in parts, among them the
    // EOF and close packets it builds on its own stack (the outbox keeps them whole).
    s.socket().set_option(net::socket_base::send_buffer_size(2048));
    const std::vector<char> bytes = test_support::pattern(4 * 1024 * 1024 + 3, 3);
    const std::string content(bytes.begin(), bytes.end());
    write_file(scratch("small_buffer_source"), content);
    std::error_code put_error = make_error_code(std::errc::interrupted);
    la::async_sftp_put(s, scratch("small_buffer_source"), scratch("small_buffer_put"), 0600,
                       [&](std::error_code ec, std::uint64_t) { put_error = ec; });
    std::vector<std::string> outputs(8, "not run");
    for (std::size_t i = 0; i < outputs.size(); ++i)
        la::async_exec(s, "echo " + std::to_string(i), [&, i](std::error_code ec, la::exec_result r) {
            outputs[i] = ec ? ec.message() : r.out;
        });
    REQUIRE(run_within(io, 60s));
    CHECK_FALSE(put_error);
    CHECK(read_file(scratch("small_buffer_put")) == content);
    for (std::size_t i = 0; i < outputs.size(); ++i) CHECK(outputs[i] == std::to_string(i) + "\n");
}

TEST_CASE("async_sftp_get: cancelled in the middle of a transfer; the session goes on") {
    net::io_context io;
    la::session s(io);
    REQUIRE_FALSE(asio_connect(io, s, asio_login()));
    const std::string big = scratch("big");
    {
        std::ofstream out(big, std::ios::binary);
        const std::vector<char> chunk = test_support::pattern(1024 * 1024, 2);
        for (int i = 0; i < 256; ++i) out.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));  // 256 MiB: longer than the test waits
    }
    net::cancellation_signal signal;
    std::error_code error;
    la::async_sftp_get(s, big, scratch("partial"),
                       net::bind_cancellation_slot(signal.slot(), [&](std::error_code ec, std::uint64_t) { error = ec; }));
    // Cancel once some of the file has arrived.
    net::steady_timer poll(io);
    std::function<void(std::error_code)> check = [&](std::error_code) {
        struct stat st {};
        if (::stat(scratch("partial").c_str(), &st) == 0 && st.st_size > 1024 * 1024) {
            signal.emit(net::cancellation_type::terminal);
            return;
        }
        poll.expires_after(5ms);
        poll.async_wait(check);
    };
    poll.expires_after(5ms);
    poll.async_wait(check);
    const auto start = clock_type::now();
    REQUIRE(run_within(io, 20s));
    CHECK(error == net::error::operation_aborted);
    struct stat st {};
    REQUIRE(::stat(scratch("partial").c_str(), &st) == 0);
    CHECK(st.st_size < 256 * 1024 * 1024);
    CHECK(elapsed_ms(start) < 10000);
    ::unlink(big.c_str());

    std::error_code ec;
    const la::exec_result after = test_support::asio_exec(io, s, "echo still here", ec);
    REQUIRE_FALSE(ec);
    CHECK(after.out == "still here\n");
}

TEST_CASE("fifty sessions on one thread: connect, exec, disconnect") {
    net::io_context io;
    constexpr int count = 50;
    std::vector<std::unique_ptr<la::session>> sessions;
    std::vector<std::string> outputs(count);
    const la::login_options options = asio_login();
    for (int i = 0; i < count; ++i) {
        sessions.push_back(std::make_unique<la::session>(io));
        la::session &s = *sessions.back();
        la::async_connect(s, sshd().host, sshd_port(), options, [&, i](std::error_code ec, libssh2::host_key_verification) {
            if (ec) {
                outputs[static_cast<std::size_t>(i)] = "connect: " + ec.message();
                return;
            }
            la::async_exec(s, "echo " + std::to_string(i), [&, i](std::error_code ec, la::exec_result r) {
                outputs[static_cast<std::size_t>(i)] = ec ? "exec: " + ec.message() : r.out;
                la::async_disconnect(s, [](std::error_code, int) {});
            });
        });
    }
    REQUIRE(run_within(io, 60s));
    for (int i = 0; i < count; ++i) CHECK(outputs[static_cast<std::size_t>(i)] == std::to_string(i) + "\n");
}
