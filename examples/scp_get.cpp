// scp_get: downloads a file with SCP (libssh2::scp::recv2), with a progress bar when stdout
// is a terminal. Like sftp_get, it writes LOCAL_PATH.part and renames it once complete.
// The server needs an scp program (OpenSSH's).
//
//   scp_get [-i KEY] [-o KNOWN_HOSTS] [-p PORT] [USER@]HOST[:PORT] REMOTE_PATH [LOCAL_PATH]
#include "common.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <string>

namespace {

using example::base_name;

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

    example::local_destination out(local, st.st_mode & 0777);

    const auto size = static_cast<std::uint64_t>(st.st_size);
    example::progress bar(base_name(remote), size);
    char buffer[65536];
    std::uint64_t received = 0;
    while (received < size) {
        // Never read past the file: the channel carries scp's status byte after it.
        const ssize_t n = channel.read(buffer, static_cast<size_t>(std::min<std::uint64_t>(sizeof buffer, size - received)));
        if (n < 0) c.fail("reading " + remote + " failed");
        if (n == 0) throw example::error(remote + ": connection closed after " + std::to_string(received) + " bytes");
        out.write(buffer, static_cast<size_t>(n));
        received += static_cast<std::uint64_t>(n);
        bar.update(received);
    }
    out.commit();
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
