// <libssh2/io/channel_streambuf.hpp> and sftp_streambuf.hpp: std::istream and std::ostream
// over a command's stdout, stderr and stdin and over SFTP files, against the fixture's sshd;
// what a stream wrote is compared with the file on this machine (the sshd runs here as this
// user). Run by `meson test` (suite sshd).
#include <catch2/catch_test_macros.hpp>

#include <libssh2/io.hpp>

#include <fstream>
#include <istream>
#include <iterator>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include "support/bytes.hpp"
#include "support/connection.hpp"
#include "support/scratch_dir.hpp"

namespace {

libssh2::channel exec(libssh2::session &session, const std::string &command) {
    libssh2::channel channel = libssh2::channel::open_session(session);
    REQUIRE(channel);
    REQUIRE(channel.exec(command.c_str()) == 0);
    return channel;
}

std::vector<std::string> lines_of(std::istream &in) {
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

std::string slurp(std::istream &in) {
    std::ostringstream all;
    all << in.rdbuf();
    return all.str();
}

std::string as_string(const std::vector<char> &bytes) { return std::string(bytes.begin(), bytes.end()); }

void write_local(const std::string &path, const std::string &bytes) {
    std::ofstream out(path, std::ios::binary);
    REQUIRE(out);
    out << bytes;
}

}  // namespace

TEST_CASE("io: getline over a command's stdout; its stderr as a stream of its own") {
    auto c = test_support::login();
    {
        libssh2::channel channel = exec(c.session, "printf 'a\\nb\\nc\\n'");
        libssh2::channel_streambuf out(channel);
        std::istream in(&out);
        CHECK(lines_of(in) == std::vector<std::string>{"a", "b", "c"});
        CHECK(in.eof());
        CHECK_FALSE(in.bad());
        CHECK_FALSE(out.error());
        CHECK(libssh2::finish(channel).exit_status == 0);
    }
    {
        libssh2::channel channel = exec(c.session, "echo x >&2; echo 42 words");
        libssh2::channel_stream out(channel);
        int number = 0;
        std::string word;
        out >> number >> word;
        CHECK(number == 42);
        CHECK(word == "words");
        libssh2::channel_streambuf err(channel, libssh2::stream::err);
        std::istream err_in(&err);
        CHECK(lines_of(err_in) == std::vector<std::string>{"x"});
        CHECK(libssh2::finish(channel).exit_status == 0);
    }
}

TEST_CASE("io: 1 MiB written through an ostream into `cat > file` arrives intact") {
    auto c = test_support::login();
    const std::string file = test_support::scratch_dir("io-streams") + "/written";
    const std::string data = as_string(test_support::pattern(1024 * 1024, 3));
    libssh2::channel channel = exec(c.session, "cat > '" + file + "'");
    {
        libssh2::channel_streambuf buffer(channel);
        std::ostream out(&buffer);
        out.write(data.data(), static_cast<std::streamsize>(data.size() / 2));
        out << data.substr(data.size() / 2);
        out.flush();
        CHECK(out.good());
    }
    REQUIRE(channel.send_eof() == 0);
    CHECK(libssh2::finish(channel).exit_status == 0);
    CHECK(test_support::difference(test_support::read_file(file), data) == "");
}

TEST_CASE("io: several MiB read through an istream, from a command and from an SFTP file") {
    auto c = test_support::login();
    const std::string file = test_support::scratch_dir("io-streams") + "/large";
    const std::string data = as_string(test_support::pattern(5 * 1024 * 1024 + 123, 7));
    write_local(file, data);
    {
        libssh2::channel channel = exec(c.session, "cat '" + file + "'");
        libssh2::channel_streambuf buffer(channel, libssh2::stream::out, 4096);  // many refills
        std::istream in(&buffer);
        CHECK(test_support::difference(slurp(in), data) == "");
        CHECK(libssh2::finish(channel).exit_status == 0);
    }
    libssh2::sftp sftp = libssh2::sftp::init(c.session);
    REQUIRE(sftp);
    libssh2::sftp_handle handle = sftp.open(file.c_str(), LIBSSH2_FXF_READ, 0);
    REQUIRE(handle);
    libssh2::sftp_stream in(handle);
    CHECK(test_support::difference(std::string(std::istreambuf_iterator<char>(in), {}), data) == "");
    CHECK_FALSE(in.error());
}

TEST_CASE("io: an SFTP file written by an ostream reads back by getline; seeking reads and writes in place") {
    auto c = test_support::login();
    libssh2::sftp sftp = libssh2::sftp::init(c.session);
    REQUIRE(sftp);
    const std::string file = test_support::scratch_dir("io-streams") + "/lines.txt";
    {
        libssh2::sftp_handle handle =
            sftp.open(file.c_str(), LIBSSH2_FXF_WRITE | LIBSSH2_FXF_CREAT | LIBSSH2_FXF_TRUNC, 0644);
        REQUIRE(handle);
        libssh2::sftp_streambuf buffer(handle);
        std::ostream out(&buffer);
        for (int i = 0; i < 1000; ++i) out << "line " << i << "\n";
        out.flush();
        CHECK(out.good());
    }
    std::string expected;
    for (int i = 0; i < 1000; ++i) expected += "line " + std::to_string(i) + "\n";
    CHECK(test_support::read_file(file) == expected);
    {
        libssh2::sftp_handle handle = sftp.open(file.c_str(), LIBSSH2_FXF_READ, 0);
        REQUIRE(handle);
        libssh2::sftp_stream in(handle);
        const std::vector<std::string> lines = lines_of(in);
        REQUIRE(lines.size() == 1000);
        CHECK(lines[0] == "line 0");
        CHECK(lines[999] == "line 999");
    }

    const std::string digits = test_support::scratch_dir("io-streams") + "/digits";
    write_local(digits, "0123456789");
    libssh2::sftp_handle handle = sftp.open(digits.c_str(), LIBSSH2_FXF_READ | LIBSSH2_FXF_WRITE, 0);
    REQUIRE(handle);
    libssh2::sftp_stream io(handle);
    char three[4] = {};
    REQUIRE(io.seekg(3).read(three, 3));
    CHECK(std::string(three) == "345");
    CHECK(io.tellg() == 6);
    io << 'X';  // where the reader stopped, not where the handle read ahead to
    REQUIRE(io.flush());
    CHECK(test_support::read_file(digits) == "012345X789");
    CHECK(io.tellp() == 7);
    REQUIRE(io.seekg(-2, std::ios::end));
    std::string last;
    io >> last;
    CHECK(last == "89");
    io.clear();
    REQUIRE(io.seekp(0));
    io << "ab";
    CHECK(io.tellp() == 2);  // tellp, tellg: no I/O, nothing written yet
    CHECK(test_support::read_file(digits) == "012345X789");
    REQUIRE(io.seekg(1));  // a seek writes what is pending first
    CHECK(test_support::read_file(digits) == "ab2345X789");
    CHECK(io.get() == 'b');
    CHECK_FALSE(io.error());
}

TEST_CASE("io: a failed SFTP write sets badbit and error(); with exceptions(badbit) it throws") {
    auto c = test_support::login();
    libssh2::sftp sftp = libssh2::sftp::init(c.session);
    REQUIRE(sftp);
    const std::string file = test_support::scratch_dir("io-streams") + "/read-only";
    write_local(file, "unchanged");
    libssh2::sftp_handle handle = sftp.open(file.c_str(), LIBSSH2_FXF_READ, 0);  // no write access
    REQUIRE(handle);
    {
        libssh2::sftp_stream out(handle);
        out << "refused";
        out.flush();
        CHECK(out.bad());
        CHECK(out.error().category() == libssh2::sftp_category());
        CHECK(out.error());
    }
    {
        libssh2::sftp_stream out(handle);
        out.exceptions(std::ios::badbit);
        out << "refused";
        CHECK_THROWS_AS(out.flush(), libssh2::error);
    }
    CHECK(test_support::read_file(file) == "unchanged");
}

TEST_CASE("io: in non-blocking mode a read that would block is a failure, errc::eagain") {
    auto c = test_support::login();
    libssh2::channel channel = exec(c.session, "sleep 1; echo late");
    c.session.set_blocking(0);
    libssh2::channel_streambuf out(channel);
    std::istream in(&out);
    std::string line;
    CHECK_FALSE(std::getline(in, line));
    CHECK(in.bad());
    CHECK(out.error() == libssh2::errc::eagain);
    // Nothing was lost: blocking again, the same stream reads on once cleared.
    c.session.set_blocking(1);
    in.clear();
    REQUIRE(std::getline(in, line));
    CHECK(line == "late");
    CHECK(libssh2::finish(channel).exit_status == 0);
}
