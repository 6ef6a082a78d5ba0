#!/usr/bin/env bash
# pexec: one command on several targets at once (the one sshd under several spellings),
# inline and -o/-e output, exit statuses, a refused connection, an unknown host key, a
# timeout, the summary line and pssh's exit statuses; connections dropped before the SSH
# banner tried again, a refused host key or login never.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
auth=(-i "$SSHD_KEY" -k "$SSHD_KNOWN_HOSTS")
here=$SSHD_HOST:$SSHD_PORT

expect 0 "--help exits 0" "$prog" --help
grep -q "^usage: pexec \[options\] TARGET... -- COMMAND" "$work/out" || fail "--help prints no usage on stdout"
expect 2 "no command is a usage error" "$prog" "${auth[@]}" "$here"
stderr_has "pexec: no command"
expect 2 "an unknown option is a usage error" "$prog" --no-such-option "$here" -- true
stderr_has "unknown option --no-such-option"
expect 2 "an invalid port is a usage error" "$prog" "${auth[@]}" "$SSHD_HOST:99999" -- true
stderr_has "invalid port in target '$SSHD_HOST:99999'"
expect 1 "a missing hosts file is a local failure" "$prog" "${auth[@]}" -h "$work/no-hosts" true
stderr_has "cannot read hosts file $work/no-hosts"

# Three spellings of one server, each a session of its own; output inline, line by line,
# prefixed with the target as written.
targets=("$here" "$SSHD_USER@$here" "$SSHD_USER@[$SSHD_HOST]:$SSHD_PORT")
# shellcheck disable=SC2016 # expanded by the remote shell
expect 0 "runs the command on every target" "$prog" "${auth[@]}" "${targets[@]}" -- \
    'echo "out $SSH_CONNECTION" | cut -d" " -f1,4; echo two; echo err >&2; printf partial'
for t in "${targets[@]}"; do
    grep -qxF "$t: out $SSHD_HOST" "$work/out" || fail "no first line from $t"
    grep -qxF "$t: two" "$work/out" || fail "no second line from $t"
    grep -qxF "$t: partial" "$work/out" || fail "the unfinished last line of $t is missing"
    grep -qxF "$t: err" "$work/err" || fail "no stderr line from $t"
    awk -v t="$t" '$1 ~ /^\[[1-3]\]$/ && $2 ~ /^[0-9][0-9]:[0-9][0-9]:[0-9][0-9]$/ && $3 == "[SUCCESS]" && $4 == t && NF == 4' \
        "$work/err" | grep -q . || fail "no status line for $t"
done
[ "$(wc -l <"$work/out")" -eq 9 ] || fail "expected 9 lines of output"
grep -qE '^pexec: 3 targets, 3 succeeded, 0 failed, [0-9]+\.[0-9]{2} s$' "$work/err" || fail "no summary line"

# A hosts file (pssh's format, a comment, a user as second word), -l, -q and -o/-e files.
{
    echo "# the test server"
    echo "$SSHD_USER@$here"
    echo "   $here $SSHD_USER   # the user as pssh's second word"
    echo "$here $SSHD_USER"
} >"$work/hosts"
expect 5 "exit status 5 when a command exits non-zero; -o/-e files" \
    "$prog" "${auth[@]}" -q -l nobody-at-all -h "$work/hosts" -o "$work/outdir" -e "$work/errdir" -p 1 \
    'head -c 100000 /dev/zero; echo oops >&2; exit 7'
[ ! -s "$work/out" ] || fail "-o still prints output"
for t in "$here" "$SSHD_USER@$here" "$here.1"; do
    [ "$(wc -c <"$work/outdir/$t")" -eq 100000 ] || fail "-o file of $t is wrong"
    [ "$(cat "$work/errdir/$t")" = oops ] || fail "-e file of $t is wrong"
done
grep -q "\[FAILURE\] $here: exited with status 7" "$work/err" || fail "exit status 7 not reported"
if grep -q SUCCESS "$work/err"; then fail "-q still prints success lines"; fi
stderr_has "pexec: 3 targets, 0 succeeded, 3 failed (3 exited non-zero),"

# -l applies to targets without USER@ (nobody-at-all does not exist: refused).
expect 4 "-l is the user of a target without USER@" "$prog" "${auth[@]}" -l nobody-at-all "$here" -- true
stderr_has "[FAILURE] $here: public key authentication as nobody-at-all failed"

# A port where nobody listens, a name known_hosts does not list for that key (127.1: the
# same address, resolved without /etc/hosts, which a minimal system may lack), a killed
# command and a good target together: each reported, the others unharmed.
closed=$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
expect 4 "a refused connection and an unknown host key fail the run (exit status 4)" \
    "$prog" "${auth[@]}" "$here" "$SSHD_HOST:$closed" "127.1:$SSHD_PORT" "$SSHD_USER@$here" -- 'kill -TERM $$'
stderr_has "[FAILURE] $SSHD_HOST:$closed: cannot connect to $SSHD_HOST port $closed: Connection refused"
fingerprint=$(ssh-keygen -lf "$SSHD_HOST_KEY_PUB" | cut -d' ' -f2)
stderr_has "[FAILURE] 127.1:$SSHD_PORT: host key verification failed: [127.1]:$SSHD_PORT is not in $SSHD_KNOWN_HOSTS (it offers the ssh-ed25519 key $fingerprint)"
stderr_has "[FAILURE] $here: killed by signal TERM"
stderr_has "pexec: 4 targets, 0 succeeded, 4 failed (2 could not connect, log in or run the command, 2 killed by a signal),"

echo "[$SSHD_HOST]:$SSHD_PORT $(cut -d' ' -f1,2 "$SSHD_PUBKEY")" >"$work/wrong_known_hosts"
: >"$work/empty_known_hosts"
expect 4 "refuses a host key that differs from known_hosts" "$prog" -i "$SSHD_KEY" -k "$work/wrong_known_hosts" "$here" -- true
stderr_has "host key verification failed: the ssh-ed25519 key $fingerprint of [$SSHD_HOST]:$SSHD_PORT differs from the one in $work/wrong_known_hosts"

# A timeout: sleep 5 under -t 1 ends after about 1 s (not 5), reported as such (exit status
# 3 wins over 4 and 5), while the quick targets around it succeed.
start=$(date +%s%N)
expect 3 "a target that runs out of time (exit status 3)" \
    "$prog" "${auth[@]}" -t 1 "$here" "$SSHD_USER@$here" "$SSHD_HOST:$closed" -- \
    'mkdir '"$work"'/slow 2>/dev/null && sleep 5; echo done'
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
grep -q "\[FAILURE\] .*: timed out after 1 s$" "$work/err" || fail "no timed out line"
[ "$(grep -c SUCCESS "$work/err")" -eq 1 ] || fail "the quick target did not succeed"
stderr_has "pexec: 3 targets, 1 succeeded, 2 failed (1 timed out, 1 could not connect, log in or run the command),"
[ "$elapsed_ms" -lt 2500 ] || fail "-t 1 took $elapsed_ms ms"
echo "ok: -t 1 ended the run in $elapsed_ms ms"

# -p bounds how many run at once: 6 targets of 1 s, 2 at a time, take 3 s or more; all at
# once (-p 0) well under that.
six=("$here" "$here" "$here" "$here" "$here" "$here")
start=$(date +%s%N)
expect 0 "-p 2 runs two at a time" "$prog" "${auth[@]}" -q -p 2 "${six[@]}" -- sleep 1
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
[ "$elapsed_ms" -ge 3000 ] || fail "-p 2: 6 targets of 1 s took only $elapsed_ms ms"
start=$(date +%s%N)
expect 0 "-p 0 runs all at once" "$prog" "${auth[@]}" -q -p 0 "${six[@]}" -- sleep 1
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
[ "$elapsed_ms" -lt 2800 ] || fail "-p 0: 6 targets of 1 s took $elapsed_ms ms"
stderr_has "pexec: 6 targets, 6 succeeded, 0 failed,"
echo "ok: -p bounds the sessions at once"

# A proxy to the sshd that drops its first DROP connections before the SSH banner (-1: all),
# as an sshd past MaxStartups does: odd ones get "Exceeded MaxStartups" and a close, even ones
# a reset. It counts the connections it accepted in $work/connections.
cat >"$work/drop_proxy.py" <<'EOF'
import socket, struct, sys, threading
drop, upstream = int(sys.argv[1]), (sys.argv[2], int(sys.argv[3]))
listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen(16)
print(listener.getsockname()[1], flush=True)
def pipe(source, sink):
    try:
        while data := source.recv(65536):
            sink.sendall(data)
        sink.shutdown(socket.SHUT_WR)
    except OSError:
        pass
count = 0
while True:
    client, _ = listener.accept()
    count += 1
    with open(sys.argv[4], "w") as f:
        f.write(str(count))
    if drop < 0 or count <= drop:
        if count % 2:
            client.sendall(b"Exceeded MaxStartups\r\n")
        else:
            client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        client.close()
        continue
    server = socket.create_connection(upstream)
    threading.Thread(target=pipe, args=(client, server), daemon=True).start()
    threading.Thread(target=pipe, args=(server, client), daemon=True).start()
EOF
proxy_pid=
stop_proxy() {
    if [ -n "$proxy_pid" ]; then
        kill "$proxy_pid" 2>/dev/null || true
        wait "$proxy_pid" 2>/dev/null || true
    fi
    proxy_pid=
}
trap stop_proxy EXIT
# start_proxy DROP: sets proxy (HOST:PORT) and a known_hosts file listing the sshd's key for it.
start_proxy() {
    stop_proxy
    : >"$work/proxy_port"
    echo 0 >"$work/connections"
    "$PYTHON" "$work/drop_proxy.py" "$1" "$SSHD_HOST" "$SSHD_PORT" "$work/connections" >"$work/proxy_port" &
    proxy_pid=$!
    for ((i = 0; i < 100; i++)); do
        [ -s "$work/proxy_port" ] && break
        sleep 0.05
    done
    [ -s "$work/proxy_port" ] || fail "the proxy did not start"
    proxy=$SSHD_HOST:$(cat "$work/proxy_port")
    echo "[$SSHD_HOST]:${proxy#*:} $(cut -d' ' -f1,2 "$SSHD_HOST_KEY_PUB")" >"$work/proxy_known_hosts"
}
connections() { cat "$work/connections"; }

start_proxy 2
expect 0 "two connections dropped before the banner, the third one runs" \
    "$prog" -i "$SSHD_KEY" -k "$work/proxy_known_hosts" "$proxy" -- echo through
grep -qxF "$proxy: through" "$work/out" || fail "no output through the proxy"
[ "$(connections)" -eq 3 ] || fail "expected 3 connections, the proxy saw $(connections)"

start_proxy -1
expect 4 "a server that always drops: given up after 5 connections" \
    "$prog" -i "$SSHD_KEY" -k "$work/proxy_known_hosts" "$proxy" -- true
stderr_has "[FAILURE] $proxy: SSH handshake with $SSHD_HOST port ${proxy#*:} failed:"
stderr_has "(5 connections, each dropped)"
[ "$(connections)" -eq 5 ] || fail "expected 5 connections, the proxy saw $(connections)"

start_proxy 0
expect 4 "an unknown host key is not tried again" "$prog" -i "$SSHD_KEY" -k "$work/empty_known_hosts" "$proxy" -- true
stderr_has "host key verification failed: [$SSHD_HOST]:${proxy#*:} is not in $work/empty_known_hosts (it offers the ssh-ed25519 key $fingerprint)"
[ "$(connections)" -eq 1 ] || fail "an unknown host key was tried $(connections) times"
expect 4 "a refused login is not tried again" \
    "$prog" -i "$SSHD_KEY" -k "$work/proxy_known_hosts" -l nobody-at-all "$proxy" -- true
stderr_has "public key authentication as nobody-at-all failed"
[ "$(connections)" -eq 2 ] || fail "a refused login was tried $(($(connections) - 1)) times"
stop_proxy
echo "ok: dropped connections tried again, refusals not"
