// <libssh2/io/sftp_stat.hpp>: stat, lstat, fstat and setstat with libssh2::file_attributes,
// against the fixture's sshd, compared with what ::stat says of the same files (the sshd runs
// on this machine as this user). Run by `meson test` (suite sshd).
#include <catch2/catch_test_macros.hpp>

#include <libssh2/io.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <string>

#include "support/connection.hpp"
#include "support/scratch_dir.hpp"

namespace {

struct stat local_stat(const std::string &path) {
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    return st;
}

void write_local(const std::string &path, const std::string &text) {
    std::ofstream out(path, std::ios::binary);
    REQUIRE(out);
    out << text;
}

}  // namespace

TEST_CASE("io: stat, lstat and fstat agree with the local filesystem") {
    auto c = test_support::login();
    libssh2::sftp sftp = libssh2::sftp::init(c.session);
    REQUIRE(sftp);
    const std::string dir = test_support::scratch_dir("io-attributes");
    const std::string file = dir + "/file.txt";
    write_local(file, std::string(12345, 'x'));
    REQUIRE(::chmod(file.c_str(), 0640) == 0);
    const std::string link = dir + "/link";
    REQUIRE(::symlink("file.txt", link.c_str()) == 0);
    const struct stat st = local_stat(file);

    const libssh2::file_attributes attributes = libssh2::stat(sftp, file);
    REQUIRE(attributes.size);
    CHECK(*attributes.size == 12345);
    REQUIRE(attributes.permissions);
    CHECK(*attributes.permissions == st.st_mode);  // type bits included
    CHECK(attributes.is_regular());
    CHECK_FALSE(attributes.is_directory());
    CHECK_FALSE(attributes.is_symlink());
    REQUIRE(attributes.uid);
    CHECK(*attributes.uid == st.st_uid);
    CHECK(*attributes.gid == st.st_gid);
    REQUIRE(attributes.mtime);
    CHECK(attributes.mtime->time_since_epoch().count() == st.st_mtime);
    CHECK(attributes.atime->time_since_epoch().count() == st.st_atime);

    // stat follows the link; lstat does not.
    CHECK(libssh2::stat(sftp, link).is_regular());
    const libssh2::file_attributes of_link = libssh2::lstat(sftp, link);
    CHECK(of_link.is_symlink());
    CHECK(*of_link.size == 8);  // the target's name, "file.txt"

    CHECK(libssh2::stat(sftp, dir).is_directory());

    libssh2::sftp_handle handle = sftp.open(file.c_str(), LIBSSH2_FXF_READ, 0);
    REQUIRE(handle);
    const libssh2::file_attributes of_handle = libssh2::fstat(handle);
    CHECK(*of_handle.size == 12345);
    CHECK(*of_handle.permissions == st.st_mode);
}

TEST_CASE("io: a missing path is the server's no_such_file, thrown or in the error_code") {
    auto c = test_support::login();
    libssh2::sftp sftp = libssh2::sftp::init(c.session);
    REQUIRE(sftp);
    const std::string missing = test_support::scratch_dir("io-attributes") + "/missing";

    std::error_code ec = make_error_code(libssh2::errc::inval);  // cleared on success, set on failure
    const libssh2::file_attributes none = libssh2::stat(sftp, missing, ec);
    CHECK(ec == libssh2::sftp_errc::no_such_file);
    CHECK(ec.category() == libssh2::sftp_category());
    CHECK_FALSE(none.size);

    try {
        (void)libssh2::lstat(sftp, missing);
        FAIL("lstat of a missing path did not throw");
    } catch (const libssh2::error &e) {
        CHECK(e.code() == libssh2::sftp_errc::no_such_file);
        const std::string what = e.what();
        CHECK(what.find("libssh2::lstat " + missing) != std::string::npos);
    }

    (void)libssh2::stat(sftp, test_support::sshd().dir, ec);
    CHECK_FALSE(ec);
}

TEST_CASE("io: setstat changes permissions and times; a half pair is refused") {
    auto c = test_support::login();
    libssh2::sftp sftp = libssh2::sftp::init(c.session);
    REQUIRE(sftp);
    const std::string file = test_support::scratch_dir("io-attributes") + "/file.txt";
    write_local(file, "content");

    const libssh2::sftp_time atime(std::chrono::seconds(1000000000));
    const libssh2::sftp_time mtime(std::chrono::seconds(1234567890));
    libssh2::file_attributes wanted;
    wanted.permissions = 0604;
    wanted.atime = atime;
    wanted.mtime = mtime;
    libssh2::setstat(sftp, file, wanted);
    const struct stat st = local_stat(file);
    CHECK((st.st_mode & 07777) == 0604);
    CHECK(st.st_mtime == 1234567890);
    CHECK(st.st_atime == 1000000000);
    const libssh2::file_attributes back = libssh2::stat(sftp, file);
    CHECK(*back.mtime == mtime);
    CHECK(*back.atime == atime);
    CHECK(*back.size == 7);  // untouched: size was not in wanted

    // fsetstat through an open handle: truncates.
    {
        libssh2::sftp_handle handle = sftp.open(file.c_str(), LIBSSH2_FXF_WRITE, 0);
        REQUIRE(handle);
        libssh2::file_attributes shorter;
        shorter.size = 3;
        libssh2::fsetstat(handle, shorter);
    }
    CHECK(local_stat(file).st_size == 3);

    libssh2::file_attributes half;
    half.mtime = mtime;
    std::error_code ec;
    libssh2::setstat(sftp, file, half, ec);
    CHECK(ec == libssh2::errc::inval);
    CHECK_THROWS_AS(libssh2::setstat(sftp, file, half), libssh2::error);

    libssh2::setstat(sftp, file + ".missing", wanted, ec);
    CHECK(ec == libssh2::sftp_errc::no_such_file);
}
