#!/usr/bin/env bash
# sftp_put: byte-identical uploads (1 MiB + 1 byte, empty), mode kept, remote temp file
# renamed over the destination only on success, quiet unless stdout is a terminal.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
mkdir -p "$work/remote" "$work/local"
head -c 1048577 /dev/urandom >"$work/local/big.bin"
chmod 640 "$work/local/big.bin"
: >"$work/local/empty"
check_common 1 yes "$work/local/big.bin" "$work/remote/refused"
if [ -e "$work/remote/refused" ] || [ -e "$work/remote/refused.part" ]; then fail "a refused connection wrote files"; fi

expect 0 "uploads 1 MiB + 1 byte" "$prog" "${auth[@]}" "$dest" "$work/local/big.bin" "$work/remote/big.bin"
same_file "$work/local/big.bin" "$work/remote/big.bin"
[ "$(stat -c %a "$work/remote/big.bin")" = 640 ] || fail "mode not kept: $(stat -c %a "$work/remote/big.bin")"
[ ! -s "$work/out" ] || fail "prints on stdout although it is not a terminal"
[ ! -e "$work/remote/big.bin.part" ] || fail "big.bin.part left behind"

expect 0 "uploads an empty file" "$prog" "${auth[@]}" "$dest" "$work/local/empty" "$work/remote/empty"
if [ ! -f "$work/remote/empty" ] || [ -s "$work/remote/empty" ]; then fail "empty file not uploaded"; fi

mkdir "$work/remote/dir"
expect 0 "uploads into a directory" "$prog" "${auth[@]}" "$dest" "$work/local/big.bin" "$work/remote/dir"
same_file "$work/local/big.bin" "$work/remote/dir/big.bin"

echo old >"$work/remote/replaced"
expect 0 "replaces an existing file" "$prog" "${auth[@]}" "$dest" "$work/local/big.bin" "$work/remote/replaced"
same_file "$work/local/big.bin" "$work/remote/replaced"
[ ! -e "$work/remote/replaced.part" ] || fail "replaced.part left behind"

expect 1 "fails on a missing local file" "$prog" "${auth[@]}" "$dest" "$work/local/missing" "$work/remote/x"
stderr_has "sftp_put: cannot open $work/local/missing: No such file or directory"
expect 1 "fails on a missing remote directory" "$prog" "${auth[@]}" "$dest" "$work/local/big.bin" "$work/remote/no/x"
stderr_has "sftp_put: cannot create $work/remote/no/x.part: no such file"
check_progress "$work/local/big.bin" "$work/remote/tty.bin"
