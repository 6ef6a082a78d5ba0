#!/usr/bin/env bash
# tunnel: traffic through the forward reaches an echo server on 127.0.0.1 and comes back
# byte for byte (three connections at once, 1 MiB + 1 byte both ways on one of them);
# --max-connections and --time-limit stop it; a refused remote port is reported.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
check_common 1 yes 0:127.0.0.1:9

pids=()
cleanup() {
    local pid
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT

# first_line FILE: waits (10 s at most) for FILE's first line and prints it.
first_line() {
    local _
    for _ in $(seq 200); do
        if [ -s "$1" ] && [ "$(wc -l <"$1")" -ge 1 ]; then
            head -n 1 "$1"
            return
        fi
        sleep 0.05
    done
    fail "nothing in $1"
}

# An echo server on 127.0.0.1 (any free port, printed first), one thread per connection.
"$PYTHON" -u -c '
import socket, threading
server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", 0))
server.listen(16)
print(server.getsockname()[1])
def echo(c):
    with c:
        while data := c.recv(65536):
            c.sendall(data)
while True:
    threading.Thread(target=echo, args=(server.accept()[0],), daemon=True).start()
' >"$work/echo.port" &
pids+=($!)
echo_port=$(first_line "$work/echo.port")

# client PORT SIZE...: one connection per SIZE, all at once; each sends SIZE random bytes
# while reading, then half-closes, and must get the same bytes back, then EOF.
client() {
    "$PYTHON" - "$@" <<'PY'
import os, socket, sys, threading
port, sizes = int(sys.argv[1]), [int(s) for s in sys.argv[2:]]
errors = []
def one(size):
    data = os.urandom(size)
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        def send():
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
        sender = threading.Thread(target=send)
        sender.start()
        back = bytearray()
        while chunk := s.recv(65536):
            back += chunk
        sender.join()
    if bytes(back) != data:
        errors.append(f"{size} bytes sent, {len(back)} came back, equal: {bytes(back) == data}")
threads = [threading.Thread(target=one, args=(n,)) for n in sizes]
for t in threads: t.start()
for t in threads: t.join()
if errors:
    sys.exit("; ".join(errors))
print(f"{len(sizes)} connections echoed: {sizes}")
PY
}

"$prog" --max-connections 4 "${auth[@]}" "$dest" "0:127.0.0.1:$echo_port" >"$work/tunnel.out" 2>"$work/tunnel.err" &
tunnel=$!
pids+=("$tunnel")
line=$(first_line "$work/tunnel.out")
[[ $line =~ ^listening\ on\ 127\.0\.0\.1:([0-9]+),\ forwarding\ to\ 127\.0\.0\.1:$echo_port\ through\ $SSHD_HOST$ ]] ||
    fail "first line: $line"
port=${BASH_REMATCH[1]}
echo "ok: listening on $port"

client "$port" 1048577 100000 1 || fail "echo through the tunnel"
echo "ok: three connections at once, echoed byte for byte"
kill -0 "$tunnel" 2>/dev/null || fail "tunnel stopped before its 4th connection"
client "$port" 0 || fail "empty connection"
status=0
timeout 20 tail --pid="$tunnel" -f /dev/null || fail "tunnel did not stop after --max-connections 4"
wait "$tunnel" || status=$?
[ "$status" = 0 ] || { cat "$work/tunnel.err"; fail "tunnel exited with $status"; }
[ "$(grep -c '^connection [0-9] closed: ' "$work/tunnel.err")" = 4 ] || { cat "$work/tunnel.err"; fail "not 4 closed connections"; }
grep -q '^connection [0-9] closed: 1048577 bytes sent, 1048577 received$' "$work/tunnel.err" ||
    { cat "$work/tunnel.err"; fail "byte counts"; }
echo "ok: --max-connections 4 exits 0 after the 4th connection"

# A port nobody listens on: one the kernel just handed out and took back.
closed_port=$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$prog" --max-connections 1 "${auth[@]}" "$dest" "0:127.0.0.1:$closed_port" >"$work/refused.out" 2>"$work/refused.err" &
tunnel=$!
pids+=("$tunnel")
line=$(first_line "$work/refused.out")
port=${line#listening on 127.0.0.1:}
port=${port%%,*}
"$PYTHON" -c '
import socket, sys
with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10) as s:
    sys.exit(s.recv(1) != b"")' "$port" || fail "the refused connection was not closed"
wait "$tunnel" || fail "tunnel failed after a refused connection"
grep -q "connection 1 refused: the server cannot open 127.0.0.1:$closed_port" "$work/refused.err" ||
    { cat "$work/refused.err"; fail "refusal not reported"; }
echo "ok: a refused remote port closes that connection, reported"

start=$SECONDS
expect 0 "--time-limit stops it" "$prog" --time-limit 1 "${auth[@]}" "$dest" "0:127.0.0.1:$echo_port"
[ $((SECONDS - start)) -le 10 ] || fail "--time-limit 1 took $((SECONDS - start)) s"
stderr_has "time limit reached"
expect 1 "a forward without a port fails" "$prog" "${auth[@]}" "$dest" 0:127.0.0.1
stderr_has "expected LOCALPORT:REMOTEHOST:REMOTEPORT, got 0:127.0.0.1"
expect 1 "a forward to an invalid port fails" "$prog" "${auth[@]}" "$dest" 0:127.0.0.1:99999
stderr_has "invalid forward 0:127.0.0.1:99999"
