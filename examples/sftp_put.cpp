// sftp_put: uploads a file over SFTP, with a progress bar when stdout is a terminal.
// Writes REMOTE_PATH.part on the server and renames it to REMOTE_PATH only once every byte
// is there: an interrupted upload never leaves a truncated REMOTE_PATH behind.
//
//   sftp_put [-i KEY] [-o KNOWN_HOSTS] [-p PORT] [USER@]HOST[:PORT] LOCAL_PATH [REMOTE_PATH]
#include "common.hpp"


#include <memory>
#include <string>

namespace {

using example::base_name;

// Renames from to to, replacing to. SFTP's own rename (protocol version 3) refuses to
// replace an existing file on OpenSSH; its posix-rename extension (libssh2 >= 1.11.1)
// replaces atomically. Without it, to is removed first: briefly, neither file is there.
bool replace(libssh2::sftp &sftp, const std::string &from, const std::string &to) {
#if LIBSSH2_VERSION_NUM >= 0x010b01
    if (sftp.posix_rename(from.c_str(), to.c_str()) == 0) return true;
#endif
    if (sftp.rename(from.c_str(), to.c_str()) == 0) return true;
    LIBSSH2_SFTP_ATTRIBUTES attrs{};
    if (sftp.stat(to.c_str(), &attrs) != 0 || LIBSSH2_SFTP_S_ISDIR(attrs.permissions)) return false;
    return sftp.unlink(to.c_str()) == 0 && sftp.rename(from.c_str(), to.c_str()) == 0;
}

// Removes the remote temporary file unless the upload completed.
struct remote_temporary {
    libssh2::sftp &sftp;
    std::string path;
    bool keep = false;
    ~remote_temporary() {
        if (!keep) sftp.unlink(path.c_str());
    }
};

int put(example::target &t) {
    const std::string local = t.operands[0];
    std::string remote = t.operands.size() > 1 ? t.operands[1] : base_name(local);
    example::local_source in(local);
    const struct stat &st = in.status();

    example::connection c(t);
    c.authenticate_with_key(t);
    libssh2::sftp sftp = libssh2::sftp::init(c.session);
    if (!sftp) c.fail("cannot start SFTP");
    LIBSSH2_SFTP_ATTRIBUTES attrs{};
    if (sftp.stat(remote.c_str(), &attrs) == 0 && LIBSSH2_SFTP_S_ISDIR(attrs.permissions))
        remote += "/" + base_name(local);

    remote_temporary part{sftp, remote + ".part"};
    libssh2::sftp_handle file = sftp.open(part.path.c_str(), LIBSSH2_FXF_WRITE | LIBSSH2_FXF_CREAT | LIBSSH2_FXF_TRUNC,
                                          static_cast<long>(st.st_mode & 0777));
    if (!file) c.fail("cannot create " + part.path, sftp);

    example::progress bar(base_name(local), static_cast<std::uint64_t>(st.st_size));
    // A large buffer lets libssh2 keep several write requests in flight.
    const size_t buffer_size = 256 * 1024;
    const std::unique_ptr<char[]> buffer(new char[buffer_size]);
    std::uint64_t sent = 0;
    for (;;) {
        const size_t n = in.read(buffer.get(), buffer_size);
        if (n == 0) break;
        for (size_t written = 0; written < n;) {
            const ssize_t w = file.write(buffer.get() + written, n - written);
            if (w < 0) c.fail("writing " + part.path + " failed", sftp);
            written += static_cast<size_t>(w);
        }
        sent += n;
        bar.update(sent);
    }
    file.fsync();  // best effort: OpenSSH has fsync@openssh.com, other servers may not
    if (file.close() != 0) c.fail("writing " + part.path + " failed", sftp);
    if (!replace(sftp, part.path, remote)) c.fail("cannot rename " + part.path + " to " + remote, sftp);
    part.keep = true;
    bar.finish();
    return 0;
}

}  // namespace

int main(int argc, char **argv) {
    const example::usage usage{
        "LOCAL_PATH [REMOTE_PATH]",
        "Uploads LOCAL_PATH over SFTP to REMOTE_PATH (default: its base name in the remote home\n"
        "directory; into it if REMOTE_PATH is a directory), with LOCAL_PATH's permissions.\n"
        "Writes REMOTE_PATH.part first and renames it once complete. Shows progress when\n"
        "stdout is a terminal.",
        1, 2};
    return example::run(argc, argv, usage, put);
}
