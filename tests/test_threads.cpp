// Threads: libssh2 allows separate sessions in separate threads (after libssh2_init in one
// thread); one session with its children is used by one thread at a time. This runs 8
// threads, each with its own session doing an exec and an SFTP round trip at the same time as
// the others. The test command runs it under ThreadSanitizer too (build-tsan), where a data
// race in the binding (its ownership nodes, the callables state) fails the test.
#include <catch2/catch_test_macros.hpp>

#include <libssh2.hpp>

#include <string>
#include <thread>
#include <vector>

#include "support/connection.hpp"

using test_support::sshd;

namespace {

struct outcome {
    std::string exec_output;
    std::string sftp_read_back;
    std::string failure;  // empty when every step worked
};

// One thread's work on its own session: nothing in it is shared with another thread.
outcome work(int index) {
    outcome result;
    try {
        auto c = test_support::login();
        const std::string tag = "thread-" + std::to_string(index);
        result.exec_output = test_support::run(c.session, "echo " + tag).out;

        libssh2::sftp sftp = libssh2::sftp::init(c.session);
        if (!sftp) throw std::runtime_error("sftp init: " + test_support::last_error(c.session));
        const std::string path = sshd().dir + "/" + tag;
        {
            libssh2::sftp_handle file = sftp.open(path.c_str(), LIBSSH2_FXF_WRITE | LIBSSH2_FXF_CREAT | LIBSSH2_FXF_TRUNC, 0600);
            if (!file || file.write(tag.data(), tag.size()) != static_cast<ssize_t>(tag.size()))
                throw std::runtime_error("sftp write: " + test_support::last_error(c.session));
        }
        libssh2::sftp_handle file = sftp.open(path.c_str(), LIBSSH2_FXF_READ, 0);
        char buffer[64];
        const ssize_t n = file ? file.read(buffer, sizeof buffer) : -1;
        if (n < 0) throw std::runtime_error("sftp read: " + test_support::last_error(c.session));
        result.sftp_read_back.assign(buffer, static_cast<size_t>(n));
    } catch (const std::exception &e) {
        result.failure = e.what();
    }
    return result;
}

}  // namespace

TEST_CASE("8 threads, each with its own session, exec and SFTP at the same time") {
    (void)sshd();            // the server, started once, before the threads
    REQUIRE(libssh2::init(0) == 0);  // libssh2_init is not thread-safe: once, before the threads
    constexpr int count = 8;
    std::vector<outcome> outcomes(count);
    std::vector<std::thread> threads;
    for (int i = 0; i < count; ++i) threads.emplace_back([&outcomes, i] { outcomes[static_cast<size_t>(i)] = work(i); });
    for (auto &t : threads) t.join();
    for (int i = 0; i < count; ++i) {
        const auto &o = outcomes[static_cast<size_t>(i)];
        const std::string tag = "thread-" + std::to_string(i);
        CAPTURE(i, o.failure);
        CHECK(o.failure.empty());
        CHECK(o.exec_output == tag + "\n");
        CHECK(o.sftp_read_back == tag);
    }
    libssh2::exit();
}
