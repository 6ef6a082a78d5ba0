// ssh2_exec: runs a command on the server, streams its stdout and stderr to ours as they
// arrive (non-blocking session, poll(2) on the socket), and exits with its exit status.
//
//   ssh2_exec [-i KEY] [-o KNOWN_HOSTS] [-p PORT] [USER@]HOST[:PORT] COMMAND [ARGS...]
#include "common.hpp"

#include <unistd.h>

#include <cstring>
#include <string>

namespace {

void write_all(int fd, const char *data, size_t size) {
    while (size > 0) {
        const ssize_t n = ::write(fd, data, size);
        if (n < 0) throw example::error(std::string("cannot write output: ") + std::strerror(errno));
        data += n;
        size -= static_cast<size_t>(n);
    }
}

int exec(example::target &t) {
    std::string command;
    for (const std::string &word : t.operands) command += (command.empty() ? "" : " ") + word;

    example::connection c(t);
    c.authenticate_with_key(t);
    c.session.set_blocking(0);

    libssh2::channel channel = c.retry([&] { return libssh2::channel::open_session(c.session); });
    if (!channel) c.fail("cannot open a channel");
    if (c.retry([&] { return channel.exec(command.c_str()); }) != 0) c.fail("the server refused to run the command");
    c.retry([&] { return channel.send_eof(); });  // the command gets no input from us

    // Read both streams until the server says EOF. Wait on the socket only when neither
    // has anything for us: reading one stream can queue data for the other, which
    // poll_channel_read sees and poll(2) would not.
    char buffer[32768];
    for (;;) {
        bool got_data = false;
        for (const int stream : {0, SSH_EXTENDED_DATA_STDERR}) {
            const ssize_t n = channel.read_ex(stream, buffer, sizeof buffer);
            if (n > 0) {
                write_all(stream == 0 ? STDOUT_FILENO : STDERR_FILENO, buffer, static_cast<size_t>(n));
                got_data = true;
            } else if (n < 0 && n != LIBSSH2_ERROR_EAGAIN) {
                c.fail("reading the command's output failed");
            }
        }
        if (got_data || channel.poll_channel_read(1)) continue;
        if (channel.eof()) break;
        c.wait_socket();
    }
    // The exit status may come after EOF: finish waits for the server to close the channel
    // (the status comes before that), then closes ours.
    const libssh2::command_exit end = libssh2::finish(channel, c.socket(), c.timeout());
    if (!end.exit_signal.empty()) throw example::error("the remote command was killed by signal " + end.exit_signal);
    return end.exit_status;
}

}  // namespace

int main(int argc, char **argv) {
    const example::usage usage{
        "COMMAND [ARGS...]",
        "Runs COMMAND on HOST (through the remote user's shell, as ssh does), prints its output\n"
        "and errors as they arrive, and exits with its exit status (255 if ssh itself fails).",
        1, -1};
    return example::run(argc, argv, usage, exec, 255);
}
