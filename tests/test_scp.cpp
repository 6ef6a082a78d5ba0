// SCP against the fixture's sshd: send64 then recv2, compared byte for byte.
#include <catch2/catch_test_macros.hpp>

#include <libssh2.hpp>

#include <string>
#include <sys/stat.h>
#include <vector>

#include "support/connection.hpp"

using test_support::sshd;

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
