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
expect 3 "the exit status of a command that closes its output long before it exits" \
    "$prog" "${auth[@]}" "$dest" 'echo hi; exec >&- 2>&-; sleep 0.3; exit 3'
stdout_is hi
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

# A key with a passphrase: asked from SSH_ASKPASS (forced: a test has no terminal), or a
# message saying the key needs one when there is no way to ask.
printf '#!/bin/sh\necho "%s"\n' "$SSHD_PASSPHRASE" >"$work/askpass"
printf '#!/bin/sh\necho not-the-passphrase\n' >"$work/askpass-wrong"
chmod +x "$work/askpass" "$work/askpass-wrong"
expect 0 "a key with a passphrase, given by SSH_ASKPASS" env SSH_ASKPASS="$work/askpass" SSH_ASKPASS_REQUIRE=force \
    "$prog" -i "$SSHD_PASS_KEY" -o "$SSHD_KNOWN_HOSTS" "$dest" echo unlocked
stdout_is unlocked
expect 255 "a wrong passphrase is reported as such" env SSH_ASKPASS="$work/askpass-wrong" SSH_ASKPASS_REQUIRE=force \
    "$prog" -i "$SSHD_PASS_KEY" -o "$SSHD_KNOWN_HOSTS" "$dest" true
stderr_has "$SSHD_PASS_KEY: wrong passphrase"
expect 255 "a key with a passphrase and no way to ask for it says so" setsid -w env -u SSH_ASKPASS \
    "$prog" -i "$SSHD_PASS_KEY" -o "$SSHD_KNOWN_HOSTS" "$dest" true
stderr_has "key $SSHD_PASS_KEY needs a passphrase: run from a terminal, or set SSH_ASKPASS"

# A server that accepts the connection and never speaks: --timeout bounds the handshake.
"$PYTHON" -c 'import socket, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)
print(s.getsockname()[1], flush=True)
c, _ = s.accept(); time.sleep(20)' >"$work/silent.port" &
silent=$!
for _ in $(seq 100); do [ -s "$work/silent.port" ] && break; sleep 0.05; done
start=$(date +%s%N)
expect 255 "--timeout bounds the handshake with a server that never speaks" \
    "$prog" "${auth[@]}" --timeout 1 -p "$(cat "$work/silent.port")" "$SSHD_USER@127.0.0.1" true
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
kill "$silent" 2>/dev/null || true
wait "$silent" 2>/dev/null || true
stderr_has "no answer from the server in time (--timeout)"
[ "$elapsed_ms" -lt 3000 ] || fail "--timeout 1 took $elapsed_ms ms"
expect 2 "an invalid --timeout is a usage error" "$prog" --timeout 0 "$dest" true
stderr_has "invalid timeout: '0'"
