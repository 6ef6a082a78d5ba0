// API that libssh2 1.11 added, through the binding, against the fixture's sshd. Registered
// only when the build's libssh2 is 1.11.1 or newer (scripts/test builds one from Debian's
// source package for this); the libssh2::has_* flags must agree with the headers.
#include <catch2/catch_test_macros.hpp>

#include <libssh2/callbacks.hpp>

#include <atomic>
#include <cstring>
#include <string>
#include <sys/socket.h>
#include <sys/un.h>
#include <thread>
#include <unistd.h>

#include "support/connection.hpp"
#include "support/ssh_agent.hpp"

using test_support::sshd;

static_assert(libssh2::has_session_set_read_timeout && libssh2::has_channel_signal_ex &&
                  libssh2::has_sftp_posix_rename_ex && libssh2::has_sftp_open_ex_r,
              "built against libssh2 >= 1.11.1: its API must be there");

TEST_CASE("1.11: read timeout round trip") {
    auto c = test_support::login();
    c.session.set_read_timeout(42);
    CHECK(c.session.get_read_timeout() == 42);
}

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

TEST_CASE("1.11: crypto_engine names the backend, callback_set2 swaps callbacks") {
    CHECK(libssh2::crypto_engine() == libssh2_openssl);  // scripts/fetch-libssh2 builds with OpenSSL

    auto c = test_support::handshake();
    static std::atomic<int> ignored{0};
    struct ignore {
        static LIBSSH2_IGNORE_FUNC(callback) {
            (void)session, (void)message, (void)message_len, (void)abstract;
            ++ignored;
        }
    };
    auto *callback = reinterpret_cast<libssh2_cb_generic *>(&ignore::callback);
    CHECK(c.session.callback_set2(LIBSSH2_CALLBACK_IGNORE, callback) == nullptr);  // none before
    CHECK(c.session.callback_set2(LIBSSH2_CALLBACK_IGNORE, nullptr) == callback);  // it was set
}

TEST_CASE("1.11: userauth banner is missing when sshd has none") {
    auto c = test_support::login();
    char *banner = nullptr;
    CHECK(libssh2::userauth::banner(c.session, &banner) == LIBSSH2_ERROR_MISSING_USERAUTH_BANNER);
}

TEST_CASE("1.11: agent sign makes a signature the agent's key verifies") {
    test_support::ssh_agent agent(sshd().dir + "/agent-1-11-" + std::to_string(getpid()) + ".sock");
    REQUIRE(agent.add(sshd().key).first == 0);
    auto c = test_support::handshake();
    libssh2::agent handle = libssh2::agent::init(c.session);
    REQUIRE(handle);
    handle.set_identity_path(agent.socket().c_str());
    REQUIRE(handle.connect() == 0);
    REQUIRE(handle.list_identities() == 0);
    struct libssh2_agent_publickey *identity = nullptr;
    REQUIRE(handle.get_identity(&identity, nullptr) == 0);
    const unsigned char data[] = "signed by the agent through libssh2::agent::sign";
    unsigned char *signature = nullptr;
    size_t length = 0;
    REQUIRE(handle.sign(identity, &signature, &length, data, sizeof data, "ssh-ed25519", 11) == 0);
    REQUIRE(signature != nullptr);
    // The same request straight to the agent gives the same (deterministic ed25519)
    // signature, there wrapped as string "ssh-ed25519", string signature.
    const std::vector<unsigned char> direct = agent.sign(identity->blob, identity->blob_len, data, sizeof data);
    REQUIRE(length == 64);
    REQUIRE(direct.size() == 4 + 11 + 4 + length);
    CHECK(std::vector<unsigned char>(signature, signature + length) ==
          std::vector<unsigned char>(direct.end() - static_cast<long>(length), direct.end()));
    libssh2::free(c.session, signature);
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

TEST_CASE("1.11: sftp posix_rename and open_r") {
    auto c = test_support::login();
    libssh2::sftp sftp = libssh2::sftp::init(c.session);
    REQUIRE(sftp);
    const std::string from = sshd().dir + "/posix-rename-from", to = sshd().dir + "/posix-rename-to";
    {
        LIBSSH2_SFTP_ATTRIBUTES attrs{};
        libssh2::sftp_handle file = sftp.open_r(from.c_str(), LIBSSH2_FXF_WRITE | LIBSSH2_FXF_CREAT, 0600, &attrs);
        REQUIRE(file);
        REQUIRE(file.write("abc", 3) == 3);
    }
    REQUIRE(sftp.posix_rename(from.c_str(), to.c_str()) == 0);
    // The _ex forms with explicit lengths: back again, and open_ex_r of the renamed file.
    REQUIRE(sftp.posix_rename_ex(to.c_str(), to.size(), from.c_str(), from.size()) == 0);
    REQUIRE(sftp.posix_rename_ex(from.c_str(), from.size(), to.c_str(), to.size()) == 0);
    {
        LIBSSH2_SFTP_ATTRIBUTES opened{};
        libssh2::sftp_handle file = sftp.open_ex_r(to.c_str(), to.size(), LIBSSH2_FXF_READ, 0, LIBSSH2_SFTP_OPENFILE, &opened);
        REQUIRE(file);
        char buffer[8];
        CHECK(file.read(buffer, sizeof buffer) == 3);
    }
    LIBSSH2_SFTP_ATTRIBUTES attrs{};
    REQUIRE(sftp.stat(to.c_str(), &attrs) == 0);
    CHECK(attrs.filesize == 3);
    CHECK(sftp.stat(from.c_str(), &attrs) != 0);
    CHECK(sftp.unlink(to.c_str()) == 0);
}

TEST_CASE("1.11: an AUTHAGENT lambda gets the forwarded agent's channel and answers ssh-add for real") {
    auto c = test_support::login();
    LIBSSH2_CHANNEL *agent_channel = nullptr;
    c.session.callback_set(libssh2::callback::authagent,
                           [&](LIBSSH2_SESSION *session, LIBSSH2_CHANNEL *channel) {
                               CHECK(session == c.session.get());
                               agent_channel = channel;
                           });
    libssh2::channel channel = libssh2::channel::open_session(c.session);
    REQUIRE(channel);
    REQUIRE(channel.request_auth_agent() == 0);
    // ssh-add connects to the forwarded SSH_AUTH_SOCK: sshd opens an auth-agent channel to us.
    REQUIRE(channel.exec("ssh-add -l; echo \"exit $?\"") == 0);

    // The command's output waits on our answer as the agent.
    std::string request;
    bool answered = false;
    const std::string out = test_support::read_to_eof_serving(c.session, channel, [&] {
        if (!agent_channel || answered) return;
        // The request: uint32 length 1, byte SSH2_AGENTC_REQUEST_IDENTITIES (11).
        char buffer[256];
        for (ssize_t n; (n = libssh2_channel_read(agent_channel, buffer, sizeof buffer)) > 0;)
            request.append(buffer, static_cast<size_t>(n));
        if (request.size() >= 5) {
            // The answer: uint32 length 5, byte SSH2_AGENT_IDENTITIES_ANSWER (12), uint32 0 keys.
            const char none[9] = {0, 0, 0, 5, 12, 0, 0, 0, 0};
            REQUIRE(libssh2_channel_write(agent_channel, none, sizeof none) == 9);
            answered = true;
        }
    });
    REQUIRE(agent_channel != nullptr);
    CHECK(request == std::string("\0\0\0\1\13", 5));
    CHECK(out == "The agent has no identities.\nexit 1\n");
}

TEST_CASE("1.11: userauth banner reads back the banner sshd sends before authentication") {
    const auto &server = test_support::sshd_password();  // the server with a Banner
    if (!server.skip_reason.empty()) SKIP(server.skip_reason);
    auto c = test_support::handshake(server);
    char *banner = nullptr;
    CHECK(libssh2::userauth::banner(c.session, &banner) == LIBSSH2_ERROR_MISSING_USERAUTH_BANNER);  // none yet
    REQUIRE(libssh2::userauth::list(c.session, server.password_user.c_str(),
                                    static_cast<unsigned>(server.password_user.size())) != nullptr);
    REQUIRE(libssh2::userauth::banner(c.session, &banner) == 0);
    REQUIRE(banner != nullptr);
    CHECK(std::string(banner) == "libssh2-hpp test banner\n");
}
