// Compiled (never run) by tests/check-header-compiles against every supported header set:
// instantiates what <libssh2/io.hpp>'s ranges, attributes and streams declare, so that their
// bodies meet the warnings users build with.
#include <libssh2/io.hpp>

#include <iostream>
#include <string>

int main() {
    libssh2::session session = libssh2::session::init();
    libssh2::sftp sftp = libssh2::sftp::init(session);
    libssh2::sftp_handle file = sftp.open("x", LIBSSH2_FXF_READ, 0);
    libssh2::channel channel = libssh2::channel::open_session(session);
    libssh2::agent agent = libssh2::agent::init(session);
    libssh2::knownhost hosts = libssh2::knownhost::init(session);
    std::error_code ec;

    libssh2::file_attributes a = libssh2::stat(sftp, "x");
    a = libssh2::lstat(sftp, "x", ec);
    a = libssh2::fstat(file, ec);
    a.atime = a.mtime = libssh2::sftp_time(std::chrono::seconds(1700000000));
    libssh2::setstat(sftp, "x", a, ec);
    libssh2::fsetstat(file, a, ec);

    std::size_t count = 0;
    for (const libssh2::directory_entry &entry : libssh2::directory(sftp, "/tmp", ec))
        count += entry.name.size() + entry.long_entry.size() + entry.attributes.is_directory();
    for (const libssh2::agent_identity &identity : libssh2::identities(agent)) count += identity.blob.size();
    for (const libssh2::known_host &host : libssh2::entries(hosts, ec))
        count += host.name.value_or("(hashed)").size() + host.key.size();
    libssh2::agent_login(session, "me", ec);
    libssh2::agent_login(agent, "me");

    libssh2::channel_streambuf out(channel, libssh2::stream::err);
    std::istream lines(&out);
    std::string line;
    std::getline(lines, line);
    libssh2::channel_stream io(channel);
    io << "input" << 42;
    io.flush();
    libssh2::sftp_stream stream(file);
    stream << "text";
    stream.seekg(0);
    std::getline(stream, line);
    return count > 0 && !io.error() && !stream.error() && a.is_regular() ? 0 : 1;
}
