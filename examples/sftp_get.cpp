// sftp_get: downloads a file over SFTP, with a progress bar when stdout is a terminal.
// Writes LOCAL_PATH.part, and renames it to LOCAL_PATH only once every byte is there:
// an interrupted download never leaves a truncated LOCAL_PATH behind.
//
//   sftp_get [-i KEY] [-o KNOWN_HOSTS] [-p PORT] [USER@]HOST[:PORT] REMOTE_PATH [LOCAL_PATH]
#include "common.hpp"

#include <sys/stat.h>

#include <memory>
#include <string>

namespace {

using example::base_name;

int get(example::target &t) {
    const std::string remote = t.operands[0];
    std::string local = t.operands.size() > 1 ? t.operands[1] : base_name(remote);
    struct stat st {};
    if (::stat(local.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) local += "/" + base_name(remote);
    if (base_name(local).empty() || base_name(local) == "." || base_name(local) == "..")
        throw example::error("cannot tell the local file name from '" + remote + "': give LOCAL_PATH");

    example::connection c(t);
    c.authenticate_with_key(t);
    libssh2::sftp sftp = libssh2::sftp::init(c.session);
    if (!sftp) c.fail("cannot start SFTP");
    libssh2::sftp_handle file = sftp.open(remote.c_str(), LIBSSH2_FXF_READ, 0);
    if (!file) c.fail("cannot open " + remote, sftp);
    LIBSSH2_SFTP_ATTRIBUTES attrs{};
    if (file.fstat(&attrs) != 0) c.fail("cannot stat " + remote, sftp);
    const bool has_size = attrs.flags & LIBSSH2_SFTP_ATTR_SIZE;
    const bool has_mode = attrs.flags & LIBSSH2_SFTP_ATTR_PERMISSIONS;
    if (has_mode && !LIBSSH2_SFTP_S_ISREG(attrs.permissions)) throw example::error(remote + " is not a regular file");

    example::local_destination out(local, has_mode ? static_cast<mode_t>(attrs.permissions & 0777) : 0644);

    example::progress bar(base_name(remote), has_size ? attrs.filesize : 0);
    // A large buffer lets libssh2 keep several read requests in flight.
    const size_t buffer_size = 256 * 1024;
    const std::unique_ptr<char[]> buffer(new char[buffer_size]);
    std::uint64_t received = 0;
    for (;;) {
        const ssize_t n = file.read(buffer.get(), buffer_size);
        if (n == 0) break;
        if (n < 0) c.fail("reading " + remote + " failed", sftp);
        out.write(buffer.get(), static_cast<size_t>(n));
        received += static_cast<std::uint64_t>(n);
        bar.update(received);
    }
    if (has_size && received != attrs.filesize)
        throw example::error(remote + ": got " + std::to_string(received) + " bytes of " + std::to_string(attrs.filesize));
    out.commit();
    bar.finish();
    return 0;
}

}  // namespace

int main(int argc, char **argv) {
    const example::usage usage{
        "REMOTE_PATH [LOCAL_PATH]",
        "Downloads REMOTE_PATH over SFTP to LOCAL_PATH (default: its base name in the current\n"
        "directory; into it if LOCAL_PATH is a directory). Writes LOCAL_PATH.part first and\n"
        "renames it once complete. Shows progress when stdout is a terminal.",
        1, 2};
    return example::run(argc, argv, usage, get);
}
