// SFTP against the fixture's sshd: write, read back, stat, readdir, rename, unlink.
#include <catch2/catch_test_macros.hpp>

#include <libssh2.hpp>

#include <set>
#include <string>
#include <vector>

#include "support/bytes.hpp"
#include "support/connection.hpp"

using test_support::sshd;

TEST_CASE("sftp round trip: write, read back, stat, readdir, rename, unlink") {
    auto c = test_support::login();
    libssh2::sftp sftp = libssh2::sftp::init(c.session);
    REQUIRE(sftp);
    const std::string dir = sshd().dir + "/sftp-round-trip";
    REQUIRE(sftp.mkdir(dir.c_str(), 0700) == 0);
    const std::string path = dir + "/data.bin";
    const std::string renamed = dir + "/renamed.bin";
    const std::vector<char> data = test_support::pattern(300 * 1024 + 17, 1);  // several SFTP packets

    {
        libssh2::sftp_handle file = sftp.open(path.c_str(), LIBSSH2_FXF_WRITE | LIBSSH2_FXF_CREAT | LIBSSH2_FXF_TRUNC, 0600);
        REQUIRE(file);
        size_t written = 0;
        while (written < data.size()) {
            const ssize_t n = file.write(data.data() + written, data.size() - written);
            REQUIRE(n > 0);
            written += static_cast<size_t>(n);
        }
    }  // closed by the destructor

    LIBSSH2_SFTP_ATTRIBUTES attrs{};
    REQUIRE(sftp.stat(path.c_str(), &attrs) == 0);
    CHECK(attrs.filesize == data.size());
    CHECK((attrs.permissions & 0777) == 0600);

    {
        libssh2::sftp_handle file = sftp.open(path.c_str(), LIBSSH2_FXF_READ, 0);
        REQUIRE(file);
        std::vector<char> back;
        char buffer[32 * 1024];
        for (ssize_t n; (n = file.read(buffer, sizeof buffer)) > 0;) back.insert(back.end(), buffer, buffer + n);
        CHECK(back == data);
        // The seed's spelling: sftp.method(handle, ...), with the wrapper or the raw handle.
        LIBSSH2_SFTP_ATTRIBUTES fattrs{};
        REQUIRE(sftp.fstat(file, &fattrs) == 0);
        CHECK(fattrs.filesize == data.size());
        sftp.seek64(file.get(), 10);
        CHECK(sftp.tell64(file.get()) == 10);
        CHECK(sftp.close(file) == 0);
        CHECK_FALSE(file);
    }

    REQUIRE(sftp.rename(path.c_str(), renamed.c_str()) == 0);
    CHECK(sftp.stat(path.c_str(), &attrs) != 0);
    CHECK(sftp.last_error() == LIBSSH2_FX_NO_SUCH_FILE);

    std::set<std::string> names;
    {
        libssh2::sftp_handle listing = sftp.opendir(dir.c_str());
        REQUIRE(listing);
        char name[512];
        LIBSSH2_SFTP_ATTRIBUTES entry{};
        for (int n; (n = listing.readdir(name, sizeof name, &entry)) > 0;) names.insert(std::string(name, static_cast<size_t>(n)));
    }
    CHECK(names == std::set<std::string>{".", "..", "renamed.bin"});

    REQUIRE(sftp.unlink(renamed.c_str()) == 0);
    CHECK(sftp.stat(renamed.c_str(), &attrs) != 0);
    REQUIRE(sftp.rmdir(dir.c_str()) == 0);
}
