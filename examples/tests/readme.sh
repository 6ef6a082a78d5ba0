#!/usr/bin/env bash
# readme_thin and readme_io (README "Conveniences: <libssh2/io.hpp>"): the same program, each
# run against the sshd: uname -a's output, the downloaded file byte for byte, a refused host
# key, a missing remote file.
#   readme.sh READTHIN READIO
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
head -c 1048577 /dev/urandom >"$work/remote.bin"
: >"$work/empty_known_hosts"
for program in "$1" "$2"; do
    run=$(readlink -f "$program")
    name=$(basename "$run")
    args=("$SSHD_HOST" "$SSHD_PORT" "$SSHD_USER")
    expect 0 "$name: runs uname -a and downloads" "$run" "${args[@]}" "$SSHD_KNOWN_HOSTS" "$SSHD_KEY" \
        "$work/remote.bin" "$work/$name.bin"
    stdout_is "$(uname -a)"
    same_file "$work/remote.bin" "$work/$name.bin"
    expect 1 "$name: refuses an unknown host key" "$run" "${args[@]}" "$work/empty_known_hosts" "$SSHD_KEY" \
        "$work/remote.bin" "$work/$name.refused"
    stderr_has "host key verification failed"
    [ ! -e "$work/$name.refused" ] || fail "$name wrote a file for an unknown host"
    expect 1 "$name: fails on a missing remote file" "$run" "${args[@]}" "$SSHD_KNOWN_HOSTS" "$SSHD_KEY" \
        "$work/missing" "$work/$name.missing"
done
