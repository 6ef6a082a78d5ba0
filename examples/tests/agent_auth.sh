#!/usr/bin/env bash
# agent_auth: authenticates with a throwaway ssh-agent (ssh-agent -a SOCKET), trying its
# keys in turn, runs id -un; fails clearly with no agent, an empty agent, no usable key.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
if ! command -v ssh-agent >/dev/null || ! command -v ssh-add >/dev/null; then
    echo "SKIP: no ssh-agent"
    exit 77
fi
check_common 255 no

socket=$SSHD_DIR/agent.sock
agent=
trap '[ -z "$agent" ] || kill "$agent" 2>/dev/null || true' EXIT
ssh-agent -D -a "$socket" >/dev/null &
agent=$!
for _ in $(seq 100); do
    [ -S "$socket" ] && break
    sleep 0.05
done
[ -S "$socket" ] || fail "ssh-agent did not create $socket"
export SSH_AUTH_SOCK=$socket

expect 255 "fails without an agent" env -u SSH_AUTH_SOCK "$prog" -o "$SSHD_KNOWN_HOSTS" "$dest"
stderr_has "agent_auth: cannot connect to ssh-agent (is SSH_AUTH_SOCK set?)"
expect 255 "fails with an empty agent" "$prog" -o "$SSHD_KNOWN_HOSTS" "$dest"
stderr_has "agent_auth: the agent has no keys (add one with ssh-add)"

# A key the server does not know first: the example must go on to the next one.
ssh-keygen -q -t ed25519 -N '' -C stranger-key -f "$work/stranger" </dev/null
ssh-add -q "$work/stranger" 2>/dev/null
expect 255 "fails when the server accepts none of the keys" "$prog" -o "$SSHD_KNOWN_HOSTS" "$dest"
stderr_has "agent_auth: the server accepted none of the agent's keys (stranger-key)"
ssh-add -q "$SSHD_KEY" 2>/dev/null
[ "$(ssh-add -l | wc -l)" = 2 ] || fail "the agent does not hold 2 keys"

expect 0 "authenticates with the agent's second key and runs id -un" "$prog" -o "$SSHD_KNOWN_HOSTS" "$dest"
stdout_is "$SSHD_USER"
stderr_has "authenticated as $SSHD_USER with the agent's key test-sshd-user"
expect 7 "runs a given command, exit status propagated" "$prog" -o "$SSHD_KNOWN_HOSTS" "$dest" 'echo via agent; exit 7'
stdout_is "via agent"
expect 2 "has no -i option" "$prog" -i "$SSHD_KEY" -o "$SSHD_KNOWN_HOSTS" "$dest"
