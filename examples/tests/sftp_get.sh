#!/usr/bin/env bash
# sftp_get: byte-identical downloads (1 MiB + 1 byte, empty), mode kept, temp file renamed
# only on success, quiet unless stdout is a terminal.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
check_downloads
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

check_progress "$work/remote/big.bin" "$work/local/tty.bin"
