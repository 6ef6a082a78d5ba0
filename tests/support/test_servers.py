#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Throwaway Dropbear and asyncssh servers on 127.0.0.1 for the tests, as scripts/test-sshd
starts OpenSSH's sshd.

    test_servers.py start KIND DIR [--parent PID [--cleanup]]
        KIND is dropbear or asyncssh. Makes keys, authorized_keys and known_hosts in DIR
        (which must exist), starts the server on a free port of 127.0.0.1, waits for its SSH
        banner and writes DIR/env. With --parent, a detached watchdog stops the server once
        PID is gone (and with --cleanup then removes DIR).
    test_servers.py stop DIR
        Stops the server of DIR and the processes it started (idempotent; DIR is kept).

DIR/env has test-sshd's format and variables (export SSHD_NAME=value, shell-quoted), those
that apply to these servers: SSHD_DIR SSHD_HOST SSHD_PORT SSHD_USER SSHD_KEY SSHD_PUBKEY
SSHD_KNOWN_HOSTS SSHD_HOST_KEY_PUB SSHD_LOG, and SSHD_KIND. tests/support/sshd_server.cpp
reads it.

Dropbear reads ~/.ssh/authorized_keys of the user it logs in, and has no option to look
elsewhere: it runs with nss_wrapper (libnss-wrapper) preloaded, reading a copy of /etc/passwd
in which this user's home is DIR/home, so the real home (/root) is never read or written. Its
host key is its own format, made by dropbearkey; its "sftp" subsystem runs the sftp-server
path compiled into it (/usr/lib/sftp-server on Debian: openssh-sftp-server).
"""

import glob
import importlib.util
import os
import pwd
import shlex
import signal
import socket
import subprocess
import sys
import time

HOST = '127.0.0.1'
DROPBEAR = '/usr/sbin/dropbear'
DROPBEARKEY = '/usr/bin/dropbearkey'
DROPBEAR_SFTP_SERVER = '/usr/lib/sftp-server'
ASYNCSSH_SERVER = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'asyncssh_server.py')
NSS_WRAPPER_PATHS = ['/usr/lib/x86_64-linux-gnu/libnss_wrapper.so', '/usr/lib64/libnss_wrapper.so',
                     '/usr/lib/libnss_wrapper.so']
START_SECONDS = 20


def die(message):
    sys.stderr.write('test_servers.py: %s\n' % message)
    sys.exit(1)


def run(*command):
    result = subprocess.run(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, check=False)
    if result.returncode != 0:
        die('%s failed:\n%s' % (' '.join(command), result.stdout))
    return result.stdout


def nss_wrapper():
    for path in NSS_WRAPPER_PATHS + glob.glob('/usr/lib/*/libnss_wrapper.so'):
        if os.path.isfile(path):
            return path
    return None


def check_tools(kind):
    """Fails with what to install when something the server needs is missing."""
    if not os.access('/usr/bin/ssh-keygen', os.X_OK):
        die('ssh-keygen is missing; install it with: apt-get install openssh-client')
    if kind == 'dropbear':
        if not os.access(DROPBEAR, os.X_OK) or not os.access(DROPBEARKEY, os.X_OK):
            die('%s is missing; install it with: apt-get install dropbear-bin' % DROPBEAR)
        if not nss_wrapper():
            die('libnss_wrapper.so is missing (Dropbear runs with it so that /root is untouched); '
                'install it with: apt-get install libnss-wrapper')
        if not os.access(DROPBEAR_SFTP_SERVER, os.X_OK):
            die('%s is missing (Dropbear runs it for SFTP); install it with: '
                'apt-get install openssh-sftp-server' % DROPBEAR_SFTP_SERVER)
    else:
        if importlib.util.find_spec('asyncssh') is None:  # found, not imported: that takes seconds
            die('the asyncssh module is missing for %s; install it with: apt-get install python3-asyncssh'
                % sys.executable)


def free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def banner_ok(port):
    try:
        with socket.create_connection((HOST, port), timeout=1) as s:
            return s.recv(8).startswith(b'SSH-2.0-')
    except OSError:
        return False


def alive(pid):
    """True if pid exists and is not a zombie."""
    try:
        with open('/proc/%d/stat' % pid) as f:
            return f.read().rsplit(')', 1)[1].split()[0] != 'Z'
    except (OSError, IndexError):
        return False


def is_our_server(pid, directory):
    """pid is alive and was started for directory (guards against PID reuse)."""
    try:
        with open('/proc/%d/cmdline' % pid, 'rb') as f:
            return alive(pid) and directory.encode() in f.read()
    except OSError:
        return False


def descendants(pid):
    """The processes pid started, and theirs (Dropbear's connections, the commands' shells)."""
    children = {}
    for entry in os.listdir('/proc'):
        if entry.isdigit():
            try:
                with open('/proc/%s/stat' % entry) as f:
                    parent = int(f.read().rsplit(')', 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def write_env(directory, kind, port):
    user = pwd.getpwuid(os.getuid()).pw_name  # as test-sshd's `id -un`: not $USER
    host_key_pub = os.path.join(directory, 'host_key.pub')
    with open(host_key_pub) as f:
        host_key = ' '.join(f.read().split()[:2])
    with open(os.path.join(directory, 'known_hosts'), 'w') as f:
        f.write('[%s]:%d %s\n' % (HOST, port, host_key))
    variables = {
        'SSHD_KIND': kind, 'SSHD_DIR': directory, 'SSHD_HOST': HOST, 'SSHD_PORT': str(port),
        'SSHD_USER': user, 'SSHD_KEY': os.path.join(directory, 'id_ed25519'),
        'SSHD_PUBKEY': os.path.join(directory, 'id_ed25519.pub'),
        'SSHD_KNOWN_HOSTS': os.path.join(directory, 'known_hosts'), 'SSHD_HOST_KEY_PUB': host_key_pub,
        'SSHD_LOG': os.path.join(directory, 'server.log'),
    }
    with open(os.path.join(directory, 'env.tmp'), 'w') as f:
        for name, value in variables.items():
            f.write('export %s=%s\n' % (name, shlex.quote(value)))
    os.rename(os.path.join(directory, 'env.tmp'), os.path.join(directory, 'env'))


def setup(kind, directory):
    """Keys, authorized_keys and, for Dropbear, its private home and passwd."""
    run('ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', 'test-servers-user', '-f',
        os.path.join(directory, 'id_ed25519'))
    with open(os.path.join(directory, 'id_ed25519.pub')) as f:
        authorized = f.read()
    if kind == 'asyncssh':
        run('ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', 'test-servers-host', '-f',
            os.path.join(directory, 'host_key'))
        with open(os.path.join(directory, 'authorized_keys'), 'w') as f:
            f.write(authorized)
        return
    host_key = os.path.join(directory, 'dropbear_host_key')
    output = run(DROPBEARKEY, '-t', 'ed25519', '-f', host_key)
    public = [line for line in output.splitlines() if line.startswith('ssh-ed25519 ')]
    if not public:
        die('dropbearkey printed no public key:\n' + output)
    with open(os.path.join(directory, 'host_key.pub'), 'w') as f:
        f.write(public[0] + '\n')
    home = os.path.join(directory, 'home')
    os.makedirs(os.path.join(home, '.ssh'), mode=0o700)
    os.chmod(home, 0o700)
    with open(os.path.join(home, '.ssh', 'authorized_keys'), 'w') as f:
        f.write(authorized)
    uid = os.getuid()
    with open('/etc/passwd') as f:
        lines = f.read().splitlines()
    with open(os.path.join(directory, 'passwd'), 'w') as f:
        for line in lines:
            fields = line.split(':')
            if len(fields) == 7 and fields[2] == str(uid):
                fields[5] = home
            f.write(':'.join(fields) + '\n')
    if not any(line.split(':')[2:3] == [str(uid)] for line in lines):
        me = pwd.getpwuid(uid)
        with open(os.path.join(directory, 'passwd'), 'a') as f:
            f.write('%s:x:%d:%d::%s:%s\n' % (me.pw_name, uid, me.pw_gid, home, me.pw_shell or '/bin/sh'))
    with open('/etc/group') as source, open(os.path.join(directory, 'group'), 'w') as f:
        f.write(source.read())


def launch(kind, directory, log):
    """Starts the server; returns (Popen, port or None until the server says)."""
    if kind == 'asyncssh':
        port_file = os.path.join(directory, 'port')
        process = subprocess.Popen(
            [sys.executable, ASYNCSSH_SERVER, os.path.join(directory, 'host_key'),
             os.path.join(directory, 'authorized_keys'), port_file],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, cwd=directory, start_new_session=True)
        return process, None
    port = free_port()
    environment = dict(os.environ, LD_PRELOAD=nss_wrapper(),
                       NSS_WRAPPER_PASSWD=os.path.join(directory, 'passwd'),
                       NSS_WRAPPER_GROUP=os.path.join(directory, 'group'))
    # -F foreground, -E log to stderr, -s no passwords, -m no motd; -P keeps /var/run untouched.
    process = subprocess.Popen(
        [DROPBEAR, '-F', '-E', '-s', '-m', '-r', os.path.join(directory, 'dropbear_host_key'),
         '-p', '%s:%d' % (HOST, port), '-P', os.path.join(directory, 'dropbear.pid')],
        stdin=subprocess.DEVNULL, stdout=log, stderr=log, cwd=directory, env=environment,
        start_new_session=True)
    return process, port


def start(kind, directory, parent, cleanup):
    check_tools(kind)
    directory = os.path.realpath(directory)
    pid_file = os.path.join(directory, 'server.pid')
    if os.path.exists(pid_file):
        with open(pid_file) as f:
            if is_our_server(int(f.read()), directory):
                die('the server of %s is already running' % directory)
    if not os.path.exists(os.path.join(directory, 'id_ed25519')):
        setup(kind, directory)
    log_path = os.path.join(directory, 'server.log')
    for attempt in range(4):
        with open(log_path, 'w') as log:
            process, port = launch(kind, directory, log)
        with open(pid_file, 'w') as f:
            f.write('%d\n' % process.pid)
        deadline = time.monotonic() + START_SECONDS
        up = False
        while time.monotonic() < deadline and process.poll() is None:
            if port is None and os.path.exists(os.path.join(directory, 'port')):
                with open(os.path.join(directory, 'port')) as f:
                    port = int(f.read())
            if port is not None and banner_ok(port) and process.poll() is None:
                up = True
                break
            time.sleep(0.05)
        if up:
            write_env(directory, kind, port)
            if parent is not None:
                start_watchdog(directory, parent, process.pid, cleanup)
            return
        stop(directory)
        with open(log_path) as f:
            text = f.read()
        if attempt < 3 and 'in use' in text:  # another process took the free port first
            continue
        die('%s did not come up on %s; %s:\n%s' % (kind, HOST, log_path, text))


def start_watchdog(directory, parent, server_pid, cleanup):
    """A detached process that stops the server once parent is gone."""
    if os.fork() != 0:
        return
    os.setsid()
    if os.fork() != 0:
        os._exit(0)
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.closerange(3, 65536)  # keep none of the caller's pipes or sockets open
    while alive(parent) and is_our_server(server_pid, directory):
        time.sleep(0.5)
    if is_our_server(server_pid, directory):
        stop(directory)
        if cleanup:
            subprocess.run(['rm', '-rf', '--', directory], check=False)
    os._exit(0)


def stop(directory):
    pid_file = os.path.join(directory, 'server.pid')
    try:
        with open(pid_file) as f:
            pid = int(f.read())
    except (OSError, ValueError):
        return
    if is_our_server(pid, directory):
        for sig in (signal.SIGTERM, signal.SIGKILL):
            for target in [pid] + descendants(pid):
                try:
                    os.kill(target, sig)
                except OSError:
                    pass
            deadline = time.monotonic() + 5
            while alive(pid) and time.monotonic() < deadline:
                try:  # ours when start launched it in this process
                    os.waitpid(pid, os.WNOHANG)
                except ChildProcessError:
                    pass
                time.sleep(0.05)
            if not alive(pid):
                break
    os.remove(pid_file)


def main(argv):
    usage = 'usage: test_servers.py start dropbear|asyncssh DIR [--parent PID [--cleanup]] | stop DIR'
    if len(argv) >= 3 and argv[0] == 'start' and argv[1] in ('dropbear', 'asyncssh'):
        rest = argv[3:]
        parent, cleanup = None, False
        if rest[:1] == ['--parent'] and len(rest) >= 2 and rest[1].isdigit():
            parent = int(rest[1])
            rest = rest[2:]
            if rest == ['--cleanup']:
                cleanup, rest = True, []
        if rest:
            die(usage)
        start(argv[1], argv[2], parent, cleanup)
    elif len(argv) == 2 and argv[0] == 'stop':
        stop(os.path.realpath(argv[1]))
    else:
        die(usage)


if __name__ == '__main__':
    main(sys.argv[1:])
