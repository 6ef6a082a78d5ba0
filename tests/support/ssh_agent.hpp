// SPDX-License-Identifier: BSD-3-Clause
// A throwaway OpenSSH ssh-agent for the tests, and a minimal client of its protocol
// (draft-miller-ssh-agent) to have it sign data. Header-only; no libssh2, no Catch2.
//
// The agent is `ssh-agent -D -a SOCKET` run as a child of the test process: it listens on
// SOCKET only (nobody's SSH_AUTH_SOCK changes), is stopped by the destructor (SIGTERM to
// its PID, then waitpid), and gets SIGTERM from the kernel if the test process dies first
// (PR_SET_PDEATHSIG).
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "bytes.hpp"
#include "sshd_server.hpp"

namespace test_support {

class ssh_agent {
public:
    // Starts an agent listening on socket_path (which must not exist yet and must fit a
    // sockaddr_un); throws std::runtime_error if it does not come up within 5 seconds.
    explicit ssh_agent(std::string socket_path) : socket_(std::move(socket_path)) {
        if (socket_.size() >= sizeof(sockaddr_un{}.sun_path)) {
            throw std::runtime_error("ssh_agent: socket path too long: " + socket_);
        }
        const pid_t parent = getpid();
        pid_ = fork();
        if (pid_ < 0) throw std::runtime_error(std::string("ssh_agent: fork: ") + std::strerror(errno));
        if (pid_ == 0) {
            // Child: no allocation, only async-signal-safe calls until exec.
            prctl(PR_SET_PDEATHSIG, SIGTERM);
            if (getppid() != parent) _exit(127);
            const int null_fd = open("/dev/null", O_RDWR);
            if (null_fd >= 0) {
                dup2(null_fd, 0);
                dup2(null_fd, 1);
            }
            execlp("ssh-agent", "ssh-agent", "-D", "-a", socket_.c_str(), static_cast<char *>(nullptr));
            _exit(127);
        }
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        for (;;) {
            const int fd = connect_socket();
            if (fd >= 0) {
                ::close(fd);
                return;
            }
            int status = 0;
            if (waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1;
                throw std::runtime_error("ssh_agent: ssh-agent exited at once (status " + std::to_string(status) +
                                         "); is openssh-client installed?");
            }
            if (std::chrono::steady_clock::now() > deadline) {
                stop();
                throw std::runtime_error("ssh_agent: no agent listening on " + socket_ + " after 5 s");
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
    }
    ssh_agent(const ssh_agent &) = delete;
    ssh_agent &operator=(const ssh_agent &) = delete;
    ~ssh_agent() { stop(); }

    const std::string &socket() const noexcept { return socket_; }
    pid_t pid() const noexcept { return pid_; }

    // `ssh-add FILE` against this agent: {exit status, stdout + stderr}.
    std::pair<int, std::string> add(const std::string &key_file) const {
        return run_command("SSH_AUTH_SOCK='" + socket_ + "' ssh-add '" + key_file + "' </dev/null 2>&1");
    }

    // SSH2_AGENTC_SIGN_REQUEST for the key with this public key blob: returns the
    // signature the agent sends (string algorithm name, string signature bytes). Throws
    // std::runtime_error if the agent refuses or the exchange fails.
    std::vector<unsigned char> sign(const unsigned char *key_blob, std::size_t key_blob_len, const unsigned char *data,
                                    std::size_t data_len, std::uint32_t flags = 0) const {
        std::vector<unsigned char> request;
        request.push_back(13);  // SSH2_AGENTC_SIGN_REQUEST
        put_string(request, key_blob, key_blob_len);
        put_string(request, data, data_len);
        put_u32(request, flags);
        const std::vector<unsigned char> reply = exchange(request);
        if (reply.empty() || reply[0] != 14) {  // SSH2_AGENT_SIGN_RESPONSE
            throw std::runtime_error("ssh_agent: sign request refused (reply type " +
                                     std::to_string(reply.empty() ? -1 : reply[0]) + ")");
        }
        return wire_reader{reply, 1}.string();  // after the message type: the signature
    }

private:
    int connect_socket() const {
        const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) return -1;
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        std::memcpy(address.sun_path, socket_.c_str(), socket_.size() + 1);
        if (::connect(fd, reinterpret_cast<const sockaddr *>(&address), sizeof address) != 0) {
            ::close(fd);
            return -1;
        }
        return fd;
    }

    static void write_all(int fd, const unsigned char *data, std::size_t length) {
        while (length > 0) {
            const ssize_t n = ::write(fd, data, length);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) throw std::runtime_error(std::string("ssh_agent: write: ") + std::strerror(errno));
            data += n;
            length -= static_cast<std::size_t>(n);
        }
    }
    static void read_all(int fd, unsigned char *data, std::size_t length) {
        while (length > 0) {
            const ssize_t n = ::read(fd, data, length);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) throw std::runtime_error("ssh_agent: read: connection closed or failed");
            data += n;
            length -= static_cast<std::size_t>(n);
        }
    }

    // Sends one message (length-prefixed) and returns the agent's reply message.
    std::vector<unsigned char> exchange(const std::vector<unsigned char> &message) const {
        const int fd = connect_socket();
        if (fd < 0) throw std::runtime_error("ssh_agent: cannot connect to " + socket_);
        try {
            std::vector<unsigned char> framed;
            put_u32(framed, static_cast<std::uint32_t>(message.size()));
            framed.insert(framed.end(), message.begin(), message.end());
            write_all(fd, framed.data(), framed.size());
            unsigned char header[4];
            read_all(fd, header, 4);
            const std::uint32_t length = get_u32(header);
            if (length > 256 * 1024) throw std::runtime_error("ssh_agent: oversized reply");
            std::vector<unsigned char> reply(length);
            read_all(fd, reply.data(), length);
            ::close(fd);
            return reply;
        } catch (...) {
            ::close(fd);
            throw;
        }
    }

    void stop() noexcept {
        if (pid_ > 0) {
            kill(pid_, SIGTERM);
            int status = 0;
            while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
            }
            pid_ = -1;
        }
        ::unlink(socket_.c_str());
    }

    std::string socket_;
    pid_t pid_ = -1;
};

}  // namespace test_support
