# shellcheck shell=bash disable=SC2034 # variables for the scripts that source this
# Sourced by the example tests (examples/tests/NAME.sh PROGRAM), which examples/meson.build
# runs through `scripts/test-sshd run`: SSHD_HOST, SSHD_PORT, SSHD_USER, SSHD_KEY,
# SSHD_KNOWN_HOSTS, SSHD_DIR... describe a throwaway sshd on 127.0.0.1 whose "remote"
# files are this machine's. Everything a test writes is under $SSHD_DIR, removed with it.
set -euo pipefail

prog=$(readlink -f "$1")
name=$(basename "$prog")
work=$SSHD_DIR/work
mkdir -p "$work"
dest=$SSHD_USER@$SSHD_HOST:$SSHD_PORT
auth=(-i "$SSHD_KEY" -o "$SSHD_KNOWN_HOSTS")
PYTHON=$(command -v /usr/bin/python3 || command -v python3)

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

# expect STATUS WHAT CMD...: runs CMD with stdout in $work/out and stderr in $work/err,
# and fails unless it exits with STATUS.
expect() {
    local want=$1 what=$2 status=0
    shift 2
    "$@" >"$work/out" 2>"$work/err" || status=$?
    if [ "$status" != "$want" ]; then
        echo "--- stdout of: $*" >&2
        cat "$work/out" >&2
        echo "--- stderr" >&2
        cat "$work/err" >&2
        fail "$what: exit status $status, expected $want"
    fi
    echo "ok: $what"
}

# stderr_has TEXT / stdout_is TEXT: about the last expect.
stderr_has() {
    grep -qF -- "$1" "$work/err" || { cat "$work/err" >&2; fail "stderr lacks: $1"; }
}
stdout_is() {
    [ "$(cat "$work/out")" = "$1" ] || { cat "$work/out" >&2; fail "stdout is not: $1"; }
}
same_file() {
    cmp -- "$1" "$2" || fail "$2 differs from $1"
}

# What every example does: --help on stdout with status 0, status 2 on a usage error, and
# no connection unless the host key is the one known_hosts lists.
#   check_common FAILURE_STATUS KEY_OPTION(yes/no) OPERANDS...
check_common() {
    local status=$1 key=()
    [ "$2" = yes ] && key=(-i "$SSHD_KEY")
    shift 2
    expect 0 "--help exits 0" "$prog" --help
    grep -q "^usage: $name \[options\] \[USER@\]HOST\[:PORT\]" "$work/out" || fail "--help prints no usage on stdout"
    expect 2 "no destination is a usage error" "$prog"
    stderr_has "usage: $name"
    expect 2 "an unknown option is a usage error" "$prog" --no-such-option "$dest" "$@"
    stderr_has "unknown option --no-such-option"

    : >"$work/empty_known_hosts"
    expect "$status" "refuses a host missing from known_hosts" \
        "$prog" "${key[@]}" -o "$work/empty_known_hosts" "$dest" "$@"
    stderr_has "$name: host key verification failed: [$SSHD_HOST]:$SSHD_PORT is not in $work/empty_known_hosts"
    # The right host with another key, as a man in the middle would present.
    echo "[$SSHD_HOST]:$SSHD_PORT $(cut -d' ' -f1,2 "$SSHD_PUBKEY")" >"$work/wrong_known_hosts"
    expect "$status" "refuses a host key that differs from known_hosts" \
        "$prog" "${key[@]}" -o "$work/wrong_known_hosts" "$dest" "$@"
    # The fingerprint ssh-keygen -l prints.
    stderr_has "$name: host key verification failed: the ssh-ed25519 key $(ssh-keygen -lf "$SSHD_DIR/ssh_host_ed25519_key.pub" | cut -d' ' -f2) of"
    stderr_has "of [$SSHD_HOST]:$SSHD_PORT differs from the one in $work/wrong_known_hosts"
    # The key under the host name without the port: a different host for known_hosts.
    echo "$SSHD_HOST $(cut -d' ' -f1,2 "$SSHD_DIR/ssh_host_ed25519_key.pub")" >"$work/portless_known_hosts"
    expect "$status" "refuses a key known for port 22 only" \
        "$prog" "${key[@]}" -o "$work/portless_known_hosts" "$dest" "$@"
    stderr_has "is not in"
    expect "$status" "fails on a missing known_hosts file" \
        "$prog" "${key[@]}" -o "$work/no_such_file" "$dest" "$@"
    stderr_has "$name: cannot read known_hosts file $work/no_such_file"
}

# On a terminal (script(1), from bsdutils, gives it one) the transfer of FROM to TO shows a
# progress bar that reaches 100%, and the file arrives intact.
check_progress() {  # FROM TO
    command -v script >/dev/null || fail "script(1) is missing: apt-get install bsdutils"
    expect 0 "shows progress on a terminal" script -qec \
        "$(printf '%q ' "$prog" "${auth[@]}" "$dest" "$1" "$2")" /dev/null
    grep -q "$(basename "$1") .*100%" "$work/out" || { cat "$work/out"; fail "no progress bar"; }
    same_file "$1" "$2"
}

# What both download examples must do: write nothing when the connection is refused, fetch
# 1 MiB + 1 byte and an empty file byte-identical with their mode, quietly when stdout is no
# terminal, leave no .part behind, and download into a directory.
check_downloads() {
    check_common 1 yes "$work/x" "$work/y"
    if [ -e "$work/y" ] || [ -e "$work/y.part" ]; then fail "a refused connection wrote files"; fi

    mkdir -p "$work/remote" "$work/local"
    head -c 1048577 /dev/urandom >"$work/remote/big.bin"
    chmod 640 "$work/remote/big.bin"
    : >"$work/remote/empty"

    expect 0 "downloads 1 MiB + 1 byte" "$prog" "${auth[@]}" "$dest" "$work/remote/big.bin" "$work/local/big.bin"
    same_file "$work/remote/big.bin" "$work/local/big.bin"
    [ "$(stat -c %a "$work/local/big.bin")" = 640 ] || fail "mode not kept: $(stat -c %a "$work/local/big.bin")"
    [ ! -s "$work/out" ] || fail "prints on stdout although it is not a terminal"
    [ ! -e "$work/local/big.bin.part" ] || fail "big.bin.part left behind"

    expect 0 "downloads an empty file" "$prog" "${auth[@]}" "$dest" "$work/remote/empty" "$work/local/empty"
    if [ ! -f "$work/local/empty" ] || [ -s "$work/local/empty" ]; then fail "empty file not downloaded"; fi
    expect 0 "downloads into a directory" "$prog" "${auth[@]}" "$dest" "$work/remote/big.bin" "$work/local"
    same_file "$work/remote/big.bin" "$work/local/big.bin"
}
