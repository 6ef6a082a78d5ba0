#!/usr/bin/env bash
# ssh2_exec: output of both streams, exit status propagated, output streamed as it comes.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
check_common 255 yes true

expect 0 "runs a command" "$prog" "${auth[@]}" "$dest" echo hello world
stdout_is "hello world"
expect 3 "propagates the exit status; stdout and stderr apart" \
    "$prog" "${auth[@]}" "$dest" 'echo to-stdout; echo to-stderr >&2; exit 3'
stdout_is to-stdout
[ "$(cat "$work/err")" = to-stderr ] || fail "stderr is not to-stderr"
expect 0 "options after the destination belong to the command" "$prog" "${auth[@]}" "$dest" printf '%s-' -i -o
stdout_is "-i--o-"
expect 0 "-p PORT and USER@ default" env USER="$SSHD_USER" "$prog" "${auth[@]}" -p "$SSHD_PORT" "$SSHD_HOST" true

# 1.5 MB on each stream at once: neither stream may stall the other.
expect 0 "large output on both streams at once" "$prog" "${auth[@]}" "$dest" \
    'head -c 1500000 /dev/zero | tr "\0" e >&2 & head -c 1500001 /dev/zero | tr "\0" o; wait'
[ "$(wc -c <"$work/out")" -eq 1500001 ] || fail "stdout has $(wc -c <"$work/out") bytes"
[ "$(wc -c <"$work/err")" -eq 1500000 ] || fail "stderr has $(wc -c <"$work/err") bytes"
if [ -n "$(tr -d o <"$work/out")" ] || [ -n "$(tr -d e <"$work/err")" ]; then fail "the streams got mixed up"; fi

# Streaming: "first" is on our stdout while the command still runs.
"$prog" "${auth[@]}" "$dest" 'echo first; sleep 3; echo second' >"$work/stream" 2>&1 &
pid=$!
for _ in $(seq 50); do
    [ -s "$work/stream" ] && break
    sleep 0.05
done
kill -0 "$pid" 2>/dev/null || fail "the command ended before we looked"
[ "$(cat "$work/stream")" = first ] || fail "output is not streamed: '$(cat "$work/stream")'"
wait "$pid" || fail "ssh2_exec failed"
[ "$(cat "$work/stream")" = "$(printf 'first\nsecond')" ] || fail "streamed output: $(cat "$work/stream")"
echo "ok: output streamed as it arrives"

expect 255 "reports a command killed by a signal" "$prog" "${auth[@]}" "$dest" 'kill -TERM $$'
stderr_has "ssh2_exec: the remote command was killed by signal TERM"

ssh-keygen -q -t ed25519 -N '' -f "$work/stranger" </dev/null
expect 255 "fails with a key the server does not accept" "$prog" -i "$work/stranger" -o "$SSHD_KNOWN_HOSTS" "$dest" true
stderr_has "ssh2_exec: public key authentication as $SSHD_USER failed ($work/stranger:"
expect 255 "fails without a server" "$prog" "${auth[@]}" "$SSHD_USER@$SSHD_HOST:1" true
stderr_has "ssh2_exec: cannot connect to $SSHD_HOST port 1: Connection refused"

# known_hosts as ssh-keygen -H leaves it (hashed host names) works the same.
cp "$SSHD_KNOWN_HOSTS" "$work/hashed_known_hosts"
ssh-keygen -q -H -f "$work/hashed_known_hosts" 2>/dev/null
grep -q '^|1|' "$work/hashed_known_hosts" || fail "ssh-keygen -H did not hash"
expect 0 "accepts a hashed known_hosts entry" "$prog" -i "$SSHD_KEY" -o "$work/hashed_known_hosts" "$dest" true
