// <libssh2/io/sftp_directory.hpp>: libssh2::directory lists a directory this test makes on
// this machine (the fixture's sshd runs here as this user), names of any length, attributes as
// ::lstat gives them; errors on opening and, with the connection cut, while iterating. Run by
// `meson test` (suite sshd).
#include <catch2/catch_test_macros.hpp>

#include <libssh2/io.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <set>
#include <string>

#include "support/connection.hpp"
#include "support/scratch_dir.hpp"
#include "support/sockets.hpp"

namespace {

void write_local(const std::string &path, const std::string &text) {
    std::ofstream out(path, std::ios::binary);
    REQUIRE(out);
    out << text;
}

struct stat local_lstat(const std::string &path) {
    struct stat st {};
    REQUIRE(::lstat(path.c_str(), &st) == 0);
    return st;
}

// A directory with more entries than OpenSSH sends in one SSH_FXP_NAME reply (100), so that
// listing it goes back to the server after the first entry.
std::string many_files() {
    const std::string dir = test_support::scratch_dir("io-directory-many");
    for (int i = 0; i < 250; ++i) write_local(dir + "/f" + std::to_string(i), "");
    return dir;
}

}  // namespace

TEST_CASE("io: directory lists exactly what is there, with attributes and long entries") {
    auto c = test_support::login();
    libssh2::sftp sftp = libssh2::sftp::init(c.session);
    REQUIRE(sftp);
    const std::string dir = test_support::scratch_dir("io-directory");
    const std::string long_name(200, 'n');
    write_local(dir + "/file.txt", "twelve bytes");
    write_local(dir + "/" + long_name, "");
    REQUIRE(::mkdir((dir + "/subdir").c_str(), 0750) == 0);
    REQUIRE(::symlink("file.txt", (dir + "/link").c_str()) == 0);

    std::map<std::string, libssh2::directory_entry> listed;
    for (const libssh2::directory_entry &entry : libssh2::directory(sftp, dir)) {
        CAPTURE(entry.name);
        CHECK(listed.count(entry.name) == 0);
        listed[entry.name] = entry;
    }
    std::set<std::string> names;
    for (const auto &[name, entry] : listed) names.insert(name);
    CHECK(names == std::set<std::string>{".", "..", "file.txt", long_name, "subdir", "link"});

    for (const std::string name : {"file.txt", long_name.c_str(), "subdir", "link"}) {
        CAPTURE(name);
        const libssh2::directory_entry &entry = listed[name];
        const struct stat st = local_lstat(dir + "/" + name);
        REQUIRE(entry.attributes.size);
        CHECK(*entry.attributes.size == static_cast<std::uint64_t>(st.st_size));
        REQUIRE(entry.attributes.permissions);
        CHECK(*entry.attributes.permissions == st.st_mode);
        REQUIRE(entry.attributes.mtime);
        CHECK(entry.attributes.mtime->time_since_epoch().count() == st.st_mtime);
        // The long entry is `ls -l`'s line: the type letter first, the name last.
        REQUIRE(entry.long_entry.size() > name.size());
        CHECK(entry.long_entry.compare(entry.long_entry.size() - name.size(), name.size(), name) == 0);
    }
    CHECK(listed["file.txt"].attributes.is_regular());
    CHECK(*listed["file.txt"].attributes.size == 12);
    CHECK(listed["file.txt"].long_entry[0] == '-');
    CHECK(listed["subdir"].attributes.is_directory());
    CHECK(listed["subdir"].long_entry[0] == 'd');
    CHECK(listed["link"].attributes.is_symlink());  // readdir does not follow links
    CHECK(listed["link"].long_entry[0] == 'l');
    CHECK(listed["."].attributes.is_directory());
}

TEST_CASE("io: directory over several server replies; begin() again goes on where it stopped") {
    auto c = test_support::login();
    libssh2::sftp sftp = libssh2::sftp::init(c.session);
    REQUIRE(sftp);
    libssh2::directory listing(sftp, many_files());
    std::set<std::string> names;
    auto it = listing.begin();
    for (int i = 0; i < 10 && it != listing.end(); ++i, ++it) names.insert(it->name);
    CHECK(names.size() == 10);
    for (const auto &entry : listing) names.insert(entry.name);
    CHECK(names.size() == 252);  // 250 files, "." and ".."
    CHECK(listing.begin() == listing.end());
}

TEST_CASE("io: a missing directory is an error, thrown or in the error_code") {
    auto c = test_support::login();
    libssh2::sftp sftp = libssh2::sftp::init(c.session);
    REQUIRE(sftp);
    const std::string missing = test_support::scratch_dir("io-directory") + "/missing";

    try {
        libssh2::directory listing(sftp, missing);
        FAIL("opening a missing directory did not throw");
    } catch (const libssh2::error &e) {
        CHECK(e.code() == libssh2::sftp_errc::no_such_file);
        CHECK(std::string(e.what()).find(missing) != std::string::npos);
    }

    std::error_code ec;
    int entries = 0;
    for (const auto &entry : libssh2::directory(sftp, missing, ec)) entries += !entry.name.empty();
    CHECK(entries == 0);
    CHECK(ec == libssh2::sftp_errc::no_such_file);

    // A file is not a directory (OpenSSH says so with a generic failure).
    const std::string file = test_support::scratch_dir("io-directory") + "/file";
    write_local(file, "x");
    ec.clear();
    for (const auto &entry : libssh2::directory(sftp, file, ec)) entries += !entry.name.empty();
    CHECK(entries == 0);
    CHECK(ec);
    CHECK(ec.category() == libssh2::sftp_category());
}

TEST_CASE("io: an error while iterating stops the range and sets the error_code, or throws") {
    const std::string dir = many_files();
    for (const bool with_error_code : {true, false}) {
        CAPTURE(with_error_code);
        auto c = test_support::login();
        libssh2::sftp sftp = libssh2::sftp::init(c.session);
        REQUIRE(sftp);
        c.session.set_teardown_timeout(1000);
        std::error_code ec;
        int seen = 0;
        auto list = [&](libssh2::directory listing) {
            for (const auto &entry : listing) {
                CHECK_FALSE(entry.name.empty());
                // Cut the connection under the listing: the next reply never comes.
                if (++seen == 1) REQUIRE(::shutdown(c.socket.get(), SHUT_RDWR) == 0);
            }
        };
        if (with_error_code) {
            list(libssh2::directory(sftp, dir, ec));
            CHECK(ec);
            CHECK(ec.category() == libssh2::session_category());
        } else {
            CHECK_THROWS_AS(list(libssh2::directory(sftp, dir)), libssh2::error);
        }
        CHECK(seen < 250);
    }
}
