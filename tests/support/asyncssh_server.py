#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""A throwaway SSH server built on python3-asyncssh, for the tests (started by test_servers.py).

    asyncssh_server.py HOST_KEY AUTHORIZED_KEYS PORT_FILE

Listens on 127.0.0.1 at a port the kernel picks and writes it to PORT_FILE once it accepts
connections. Public-key login only (the keys in AUTHORIZED_KEYS), for any user name.
Each "exec" runs its command with /bin/sh -c in the server's working directory: stdin, stdout
and stderr go through as they come, the channel's EOF is sent once the command has closed
stdout and stderr, then its exit status, or the signal that ended it, then the close: asyncssh's
own order, the one OpenSSH's sshd happens not to show. A "signal" request reaches the command
while the client has not sent its EOF (asyncssh hands signals to the reader of stdin).
The "sftp" subsystem is asyncssh's SFTPServer without a chroot: paths mean what they mean on
this machine, as with OpenSSH's sftp-server. direct-tcpip (ssh -L) is allowed to any target.
"""

import asyncio
import os
import signal
import sys

import asyncssh


class Server(asyncssh.SSHServer):
    def connection_requested(self, dest_host, dest_port, orig_host, orig_port):
        return True


async def pump_output(source, send):
    while True:
        data = await source.read(65536)
        if not data:
            return
        send(data)


async def feed_stdin(process, command):
    """Feeds the channel's data to the command's stdin until the client's EOF; delivers signals."""
    while True:
        try:
            data = await process.stdin.read(65536)
        except asyncssh.SignalReceived as received:
            number = getattr(signal, 'SIG' + received.signal, None)
            if number is not None and command.returncode is None:
                command.send_signal(number)
            continue
        except (asyncssh.BreakReceived, asyncssh.TerminalSizeChanged):
            continue
        if not data:
            break
        command.stdin.write(data)
        try:
            await command.stdin.drain()
        except ConnectionError:  # the command closed its stdin: drop the rest
            pass
    command.stdin.close()


async def run_command(process):
    command = await asyncio.create_subprocess_exec(
        '/bin/sh', '-c', process.command or 'exec /bin/sh',
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    stdin_task = asyncio.ensure_future(feed_stdin(process, command))
    await asyncio.gather(pump_output(command.stdout, process.stdout.write),
                         pump_output(command.stderr, process.stderr.write))
    process.channel.write_eof()
    status = await command.wait()
    stdin_task.cancel()
    if status < 0:
        process.exit_with_signal(signal.Signals(-status).name[3:])
    else:
        process.exit(status)


async def serve(host_key, authorized_keys, port_file):
    server = await asyncssh.create_server(
        Server, '127.0.0.1', 0, server_host_keys=[host_key], authorized_client_keys=authorized_keys,
        process_factory=run_command, sftp_factory=True, encoding=None, allow_scp=False)
    port = server.sockets[0].getsockname()[1]
    with open(port_file + '.tmp', 'w') as out:
        out.write('%d\n' % port)
    os.rename(port_file + '.tmp', port_file)
    await asyncio.Event().wait()  # until killed


def main():
    if len(sys.argv) != 4:
        sys.exit('usage: asyncssh_server.py HOST_KEY AUTHORIZED_KEYS PORT_FILE')
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    asyncio.run(serve(*sys.argv[1:]))


if __name__ == '__main__':
    main()
