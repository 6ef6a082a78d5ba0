// libssh2::scp against the fixture's real sshd: send, send_ex, send64, recv (deprecated), recv2 with 0, 1 and
// 1 MiB + 1 bytes; content, mode and times checked on the local disk and in recv's stat. Run by `meson test` (suite sshd).
#include <catch2/catch_message.hpp>
#include <catch2/catch_test_macros.hpp>

#include <libssh2.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <fstream>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "support/bytes.hpp"
#include "support/connection.hpp"
#include "support/deprecated_api.hpp"  // this file exercises deprecated API: scp::recv, scp::send, scp::send_ex

using test_support::sshd;
using test_support::difference;
using test_support::pattern;

namespace {

enum class sender { send, send_ex, send64 };

const char *name_of(sender how) {
    switch (how) {
    case sender::send: return "send";
    case sender::send_ex: return "send_ex";
    case sender::send64: return "send64";
    }
    return "?";
}

const size_t sizes[] = {0, 1, 1024 * 1024 + 1};

test_support::connection login() { return test_support::login(30000); }  // no blocking call waits longer

// The umask of the server's sessions: scp -t creates files with mode & ~umask.
mode_t remote_umask(libssh2::session &session) {
    const auto result = test_support::run(session, "umask");
    REQUIRE(result.exit_status == 0);
    return static_cast<mode_t>(std::stoul(result.out, nullptr, 8));
}

struct local_stat {
    off_t size;
    mode_t mode;
    time_t mtime;
    time_t atime;
};

local_stat stat_local(const std::string &path) {
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    return {st.st_size, st.st_mode, st.st_mtime, st.st_atime};
}

std::vector<char> read_local(const std::string &path) {
    std::ifstream in(path, std::ios::binary);
    REQUIRE(in);
    return std::vector<char>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Sets a local file's times back (reading it may have moved atime).
void set_local_times(const std::string &path, time_t atime, time_t mtime) {
    timespec times[2]{};
    times[0].tv_sec = atime;
    times[1].tv_sec = mtime;
    REQUIRE(::utimensat(AT_FDCWD, path.c_str(), times, 0) == 0);
}

void write_all(libssh2::channel &channel, const char *data, size_t size) {
    size_t sent = 0;
    for (int i = 0; sent < size && i < 1000000; ++i) {
        const ssize_t n = channel.write(data + sent, size - sent);
        REQUIRE(n > 0);
        sent += static_cast<size_t>(n);
    }
    REQUIRE(sent == size);
}

// Sends data over an upload channel and completes the scp protocol: after the file's bytes
// the sender sends a NUL byte, which libssh2 leaves to the caller. Returns the remote scp's
// exit status.
int complete_upload(libssh2::session &session, libssh2::channel channel, const std::vector<char> &data,
                    bool terminate = true) {
    INFO(test_support::last_error(session));
    REQUIRE(channel);
    write_all(channel, data.data(), data.size());
    if (terminate) REQUIRE(channel.write("", 1) == 1);
    REQUIRE(channel.send_eof() == 0);
    REQUIRE(channel.wait_eof() == 0);
    REQUIRE(channel.wait_closed() == 0);
    return channel.get_exit_status();
}

// Reads exactly size bytes of an scp download (after them comes the protocol's NUL byte).
std::vector<char> download_body(libssh2::channel &channel, size_t size) {
    std::vector<char> data;
    data.reserve(size);
    char buffer[32 * 1024];
    while (data.size() < size) {
        const ssize_t n = channel.read(buffer, std::min(sizeof buffer, size - data.size()));
        REQUIRE(n > 0);
        data.insert(data.end(), buffer, buffer + n);
    }
    return data;
}

}  // namespace

TEST_CASE("scp send, send_ex, send64, then recv2 and recv: sizes 0, 1, 1 MiB + 1") {
    auto c = login();
    const mode_t mask = remote_umask(c.session);
    const std::string dir = sshd().dir + "/scp-api";
    REQUIRE(::mkdir(dir.c_str(), 0700) == 0);
    const time_t started = std::time(nullptr);

    const sender senders[] = {sender::send, sender::send_ex, sender::send64};
    const int modes[] = {0640, 0604, 0751};
    // send64 takes a 64-bit time: 2100-01-01 does not fit in 32 bits.
    const time_t mtimes[] = {0, 1500000000, 4102444800};
    const time_t atimes[] = {0, 1600000000, 1400000000};
    unsigned seed = 0;
    for (int s = 0; s < 3; ++s) {
        for (const size_t size : sizes) {
            const sender how = senders[s];
            const std::string path = dir + "/" + name_of(how) + "-" + std::to_string(size) + ".bin";
            INFO(name_of(how) << ", " << size << " bytes");
            const std::vector<char> data = pattern(size, ++seed);
            libssh2::channel upload;
            switch (how) {
            case sender::send: upload = libssh2::scp::send(c.session, path.c_str(), modes[s], data.size()); break;
            case sender::send_ex:
                upload = libssh2::scp::send_ex(c.session, path.c_str(), modes[s], data.size(), static_cast<long>(mtimes[s]),
                                               static_cast<long>(atimes[s]));
                break;
            case sender::send64:
                upload = libssh2::scp::send64(c.session, path.c_str(), modes[s], static_cast<libssh2_int64_t>(data.size()),
                                              mtimes[s], atimes[s]);
                break;
            }
            REQUIRE(complete_upload(c.session, std::move(upload), data) == 0);

            // The server runs on this machine: the file is on our disk.
            const local_stat st = stat_local(path);
            CHECK(static_cast<size_t>(st.size) == size);
            CHECK(S_ISREG(st.mode));
            CHECK((st.mode & 07777) == (static_cast<mode_t>(modes[s]) & ~mask));
            if (how == sender::send) {
                // No times given: scp -t without -p, the file keeps the time of its writing.
                CHECK(st.mtime >= started - 5);
                CHECK(st.mtime <= std::time(nullptr) + 5);
            } else {
                CHECK(st.mtime == mtimes[s]);
                CHECK(st.atime == atimes[s]);
            }

            // recv2: scp -pf sends the mode, the size and both times before the data.
            {
                libssh2_struct_stat info{};
                libssh2::channel download = libssh2::scp::recv2(c.session, path.c_str(), &info);
                INFO(test_support::last_error(c.session));
                REQUIRE(download);
                CHECK(static_cast<size_t>(info.st_size) == size);
                CHECK((info.st_mode & 07777) == (st.mode & 07777));
                CHECK(info.st_mtime == st.mtime);
                CHECK(info.st_atime == st.atime);
                CHECK(difference(download_body(download, size), data) == "");
            }
            set_local_times(path, st.atime, st.mtime);

#if !defined(LIBSSH2_NO_DEPRECATED)
            // recv, deprecated: the same with a struct stat.
            {
                struct stat info {};
                libssh2::channel download = libssh2::scp::recv(c.session, path.c_str(), &info);
                INFO(test_support::last_error(c.session));
                REQUIRE(download);
                CHECK(static_cast<size_t>(info.st_size) == size);
                CHECK((info.st_mode & 07777) == (st.mode & 07777));
                CHECK(info.st_mtime == st.mtime);
                CHECK(info.st_atime == st.atime);
                CHECK(difference(download_body(download, size), data) == "");
            }
#endif
            CHECK(difference(read_local(path), data) == "");
        }
    }
}

#if defined(LIBSSH2_NO_DEPRECATED)
TEST_CASE("scp recv (deprecated)") {
    SKIP("libssh2 was built with LIBSSH2_NO_DEPRECATED: libssh2_scp_recv is not declared");
}
#endif

TEST_CASE("scp send with the raw session returns a raw channel") {
    auto c = login();
    const std::string path = sshd().dir + "/scp-raw.bin";
    const std::vector<char> data = pattern(4096, 77);
    LIBSSH2_CHANNEL *raw = libssh2::scp::send64(c.session.get(), path.c_str(), 0600,
                                                static_cast<libssh2_int64_t>(data.size()), 1300000000, 1300000001);
    REQUIRE(raw != nullptr);
    size_t sent = 0;
    while (sent < data.size()) {
        const ssize_t n = libssh2_channel_write(raw, data.data() + sent, data.size() - sent);
        REQUIRE(n > 0);
        sent += static_cast<size_t>(n);
    }
    REQUIRE(libssh2_channel_write(raw, "", 1) == 1);
    REQUIRE(libssh2_channel_send_eof(raw) == 0);
    REQUIRE(libssh2_channel_wait_eof(raw) == 0);
    REQUIRE(libssh2_channel_wait_closed(raw) == 0);
    CHECK(libssh2_channel_get_exit_status(raw) == 0);
    REQUIRE(libssh2_channel_free(raw) == 0);
    CHECK(difference(read_local(path), data) == "");
    CHECK(stat_local(path).mtime == 1300000000);

    libssh2_struct_stat info{};
    raw = libssh2::scp::recv2(c.session.get(), path.c_str(), &info);
    REQUIRE(raw != nullptr);
    CHECK(info.st_size == 4096);
    libssh2::channel owned(c.session, raw);  // adopted: freed by the wrapper
    CHECK(difference(download_body(owned, data.size()), data) == "");
}

TEST_CASE("scp without the closing NUL byte: OpenSSH's scp -t gives up before setting the times") {
    auto c = login();
    const mode_t mask = remote_umask(c.session);
    const std::string path = sshd().dir + "/scp-unterminated.bin";
    const std::vector<char> data = pattern(1000, 5);
    // libssh2's own example stops after the data; scp -t then reads EOF where it expects the
    // NUL, exits 1 (lostconn) and skips utimes. The bytes and the mode are there already.
    CHECK(complete_upload(c.session, libssh2::scp::send_ex(c.session, path.c_str(), 0640, data.size(), 1500000000, 1500000000),
                          data, false) == 1);
    CHECK(difference(read_local(path), data) == "");
    CHECK((stat_local(path).mode & 07777) == (0640 & ~mask));
    CHECK(stat_local(path).mtime != 1500000000);
}

TEST_CASE("scp failures: empty wrapper, LIBSSH2_ERROR_SCP_PROTOCOL") {
    auto c = login();
    const std::string missing = sshd().dir + "/no-such-dir/file";
    libssh2_struct_stat info{};
    libssh2::channel download = libssh2::scp::recv2(c.session, missing.c_str(), &info);
    CHECK_FALSE(download);
    CHECK(c.session.last_errno() == LIBSSH2_ERROR_SCP_PROTOCOL);

    libssh2::channel upload = libssh2::scp::send(c.session, missing.c_str(), 0600, 10);
    CHECK_FALSE(upload);
    CHECK(c.session.last_errno() == LIBSSH2_ERROR_SCP_PROTOCOL);

    // The session is still usable.
    CHECK(test_support::run(c.session, "printf ok").out == "ok");
}

TEST_CASE("scp send64 and recv2 round trip") {
    auto c = test_support::login();
    const std::string path = sshd().dir + "/scp-round-trip.bin";
    std::vector<char> data(1024 * 1024 + 1);
    for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 7 + 3);

    {
        libssh2::channel upload = libssh2::scp::send64(c.session, path.c_str(), 0640,
                                                       static_cast<libssh2_int64_t>(data.size()), 0, 0);
        REQUIRE(upload);
        size_t sent = 0;
        while (sent < data.size()) {
            const ssize_t n = upload.write(data.data() + sent, data.size() - sent);
            REQUIRE(n > 0);
            sent += static_cast<size_t>(n);
        }
        REQUIRE(upload.send_eof() == 0);
        REQUIRE(upload.wait_eof() == 0);
        REQUIRE(upload.wait_closed() == 0);
    }

    libssh2_struct_stat info{};
    libssh2::channel download = libssh2::scp::recv2(c.session, path.c_str(), &info);
    REQUIRE(download);
    REQUIRE(static_cast<size_t>(info.st_size) == data.size());
    CHECK((info.st_mode & 0777) == 0640);
    std::vector<char> back;
    char buffer[32 * 1024];
    while (back.size() < data.size()) {
        const ssize_t n = download.read(buffer, std::min(sizeof buffer, data.size() - back.size()));
        REQUIRE(n > 0);
        back.insert(back.end(), buffer, buffer + n);
    }
    CHECK(back == data);
}
