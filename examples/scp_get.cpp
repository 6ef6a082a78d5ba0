// scp_get: downloads a file with SCP (libssh2::scp::recv2), with a progress bar when stdout
// is a terminal. Like sftp_get, it writes LOCAL_PATH.part and renames it once complete.
// The server needs an scp program (OpenSSH's).
//
//   scp_get [-i KEY] [-o KNOWN_HOSTS] [-p PORT] [USER@]HOST[:PORT] REMOTE_PATH [LOCAL_PATH]
#include "common.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

namespace {

std::string base_name(const std::string &path) {
    const auto slash = path.find_last_of('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

[[noreturn]] void fail_errno(const std::string &what) {
    throw example::error(what + ": " + std::strerror(errno));
}

// Removes the temporary file unless the download completed.
struct temporary_file {
    std::string path;
    int fd = -1;
    bool keep = false;
    ~temporary_file() {
        if (fd >= 0) ::close(fd);
        if (!keep) ::unlink(path.c_str());
    }
};

int get(example::target &t) {
    const std::string remote = t.operands[0];
    std::string local = t.operands.size() > 1 ? t.operands[1] : base_name(remote);
    struct stat local_st {};
    if (::stat(local.c_str(), &local_st) == 0 && S_ISDIR(local_st.st_mode)) local += "/" + base_name(remote);

    example::connection c(t);
    c.authenticate_with_key(t);
    // recv2 starts "scp -f REMOTE_PATH" on the server and reads the file's mode and size.
    libssh2_struct_stat st{};
    libssh2::channel channel = libssh2::scp::recv2(c.session, remote.c_str(), &st);
    if (!channel) c.fail("cannot receive " + remote);

    temporary_file part{local + ".part"};
    part.fd = ::open(part.path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, st.st_mode & 0777);
    if (part.fd < 0) fail_errno("cannot create " + part.path);

    const auto size = static_cast<std::uint64_t>(st.st_size);
    example::progress bar(base_name(remote), size);
    char buffer[65536];
    std::uint64_t received = 0;
    while (received < size) {
        // Never read past the file: the channel carries scp's status byte after it.
        const ssize_t n = channel.read(buffer, static_cast<size_t>(std::min<std::uint64_t>(sizeof buffer, size - received)));
        if (n < 0) c.fail("reading " + remote + " failed");
        if (n == 0) throw example::error(remote + ": connection closed after " + std::to_string(received) + " bytes");
        for (ssize_t written = 0; written < n;) {
            const ssize_t w = ::write(part.fd, buffer + written, static_cast<size_t>(n - written));
            if (w < 0) fail_errno("cannot write " + part.path);
            written += w;
        }
        received += static_cast<std::uint64_t>(n);
        bar.update(received);
    }
    if (::fsync(part.fd) != 0) fail_errno("cannot write " + part.path);
    const int fd = part.fd;
    part.fd = -1;
    if (::close(fd) != 0) fail_errno("cannot write " + part.path);
    if (::rename(part.path.c_str(), local.c_str()) != 0) fail_errno("cannot rename " + part.path + " to " + local);
    part.keep = true;
    bar.finish();
    return 0;
}

}  // namespace

int main(int argc, char **argv) {
    const example::usage usage{
        "REMOTE_PATH [LOCAL_PATH]",
        "Downloads REMOTE_PATH with SCP to LOCAL_PATH (default: its base name in the current\n"
        "directory; into it if LOCAL_PATH is a directory). Writes LOCAL_PATH.part first and\n"
        "renames it once complete. Shows progress when stdout is a terminal.",
        1, 2};
    return example::run(argc, argv, usage, get);
}
