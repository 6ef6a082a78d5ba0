#!/usr/bin/env bash
# sftp_get: byte-identical downloads (1 MiB + 1 byte, empty), mode kept, temp file renamed
# only on success, quiet unless stdout is a terminal.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
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
mkdir -p "$work/cwd"
expect 0 "downloads to the current directory by default" \
    env -C "$work/cwd" "$prog" "${auth[@]}" "$dest" "$work/remote/big.bin"
same_file "$work/remote/big.bin" "$work/cwd/big.bin"

echo old >"$work/local/replaced"
expect 0 "replaces an existing file" "$prog" "${auth[@]}" "$dest" "$work/remote/big.bin" "$work/local/replaced"
same_file "$work/remote/big.bin" "$work/local/replaced"

echo keep >"$work/local/kept"
expect 1 "fails on a missing remote file" "$prog" "${auth[@]}" "$dest" "$work/remote/missing" "$work/local/kept"
stderr_has "sftp_get: cannot open $work/remote/missing: no such file"
[ "$(cat "$work/local/kept")" = keep ] || fail "a failed download touched the destination"
[ ! -e "$work/local/kept.part" ] || fail "kept.part left behind"
expect 1 "fails on a directory" "$prog" "${auth[@]}" "$dest" "$work/remote" "$work/local/kept"
stderr_has "is not a regular file"
expect 1 "fails when it cannot write locally" "$prog" "${auth[@]}" "$dest" "$work/remote/big.bin" "$work/no/such/dir/x"
stderr_has "sftp_get: cannot create $work/no/such/dir/x.part: No such file or directory"

# On a terminal (script(1) gives it one): a progress bar that reaches 100%.
if command -v script >/dev/null; then
    expect 0 "shows progress on a terminal" script -qec \
        "$(printf '%q ' "$prog" "${auth[@]}" "$dest" "$work/remote/big.bin" "$work/local/tty.bin")" /dev/null
    grep -q 'big.bin .*100%' "$work/out" || { cat "$work/out"; fail "no progress bar"; }
    same_file "$work/remote/big.bin" "$work/local/tty.bin"
fi
