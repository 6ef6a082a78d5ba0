// scp_put: uploads a file with SCP (libssh2::scp::send64), keeping its permissions and
// times, with a progress bar when stdout is a terminal. The server needs an scp program
// (OpenSSH's). SCP writes REMOTE_PATH in place: use sftp_put for an upload that replaces
// REMOTE_PATH only once complete.
//
//   scp_put [-i KEY] [-o KNOWN_HOSTS] [-p PORT] [USER@]HOST[:PORT] LOCAL_PATH REMOTE_PATH
#include "common.hpp"


#include <string>

namespace {

using example::base_name;

int put(example::target &t) {
    const std::string local = t.operands[0], remote = t.operands[1];
    example::local_source in(local);
    const struct stat &st = in.status();

    example::connection c(t);
    c.authenticate_with_key(t);
    // send64 starts "scp -t REMOTE_PATH" on the server and announces mode, size and times.
    libssh2::channel channel = libssh2::scp::send64(c.session, remote.c_str(), static_cast<int>(st.st_mode & 0777),
                                                    st.st_size, st.st_mtime, st.st_atime);
    if (!channel) c.fail("cannot send to " + remote);

    example::progress bar(base_name(local), static_cast<std::uint64_t>(st.st_size));
    char buffer[65536];
    std::uint64_t sent = 0;
    for (;;) {
        const size_t n = in.read(buffer, sizeof buffer);
        if (n == 0) break;
        for (size_t written = 0; written < n;) {
            const ssize_t w = channel.write(buffer + written, n - written);
            if (w < 0) c.fail("sending " + local + " failed");
            written += static_cast<size_t>(w);
        }
        sent += n;
        bar.update(sent);
    }
    if (sent != static_cast<std::uint64_t>(st.st_size)) throw example::error(local + " changed size while being sent");
    // The SCP protocol ends a file with a 0 byte (libssh2 leaves it to us). Then EOF: the
    // server's scp sets the times, exits, and its status says whether all went well; finish
    // waits for it (the server's close) before closing ours.
    if (channel.write("", 1) != 1 || channel.send_eof() != 0) c.fail("finishing the transfer failed");
    if (const libssh2::command_exit end = libssh2::finish(channel); end.exit_status != 0)
        throw example::error("the server's scp failed writing " + remote + " (" +
                             (end.exit_signal.empty() ? "exit status " + std::to_string(end.exit_status)
                                                      : "killed by signal " + end.exit_signal) +
                             ")");
    bar.finish();
    return 0;
}

}  // namespace

int main(int argc, char **argv) {
    const example::usage usage{
        "LOCAL_PATH REMOTE_PATH",
        "Uploads LOCAL_PATH with SCP to REMOTE_PATH, with LOCAL_PATH's permissions and times.\n"
        "Shows progress when stdout is a terminal.\n\n"
        "SCP writes REMOTE_PATH in place: the protocol has no temporary name and no rename, so\n"
        "an interrupted upload leaves REMOTE_PATH truncated (the exit status says it failed).\n"
        "Use sftp_put for an upload that replaces REMOTE_PATH only once complete.",
        2, 2};
    return example::run(argc, argv, usage, put);
}
