#!/usr/bin/env bash
# sftp_ls: lists a directory like ls -l: the server's long names, or lines formatted from
# the attributes (-n), sorted, dot files only with -a.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
check_common 1 yes "$work"

dir=$work/listed
mkdir -p "$dir/subdir"
printf hello >"$dir/a.txt"
head -c 1048577 /dev/zero >"$dir/b.bin"
chmod 600 "$dir/b.bin"
touch "$dir/.hidden"
ln -s a.txt "$dir/link"

expect 0 "lists a directory" "$prog" "${auth[@]}" "$dest" "$dir"
[ "$(awk '{print $NF}' "$work/out" | tr '\n' ' ')" = "a.txt b.bin link subdir " ] ||
    { cat "$work/out"; fail "not the directory's entries, sorted, without dot files"; }
grep -Eq '^-rw-r--r-- +1 +[^ ]+ +[^ ]+ +5 .* a\.txt$' "$work/out" || { cat "$work/out"; fail "a.txt line"; }
grep -Eq '^-rw------- .* 1048577 .* b\.bin$' "$work/out" || { cat "$work/out"; fail "b.bin line"; }
grep -Eq '^d.* subdir$' "$work/out" || fail "subdir line"
grep -Eq '^l.* link$' "$work/out" || fail "link line"

expect 0 "-a lists dot files" "$prog" -a "${auth[@]}" "$dest" "$dir"
[ "$(awk '{print $NF}' "$work/out" | tr '\n' ' ')" = ". .. .hidden a.txt b.bin link subdir " ] ||
    { cat "$work/out"; fail "-a: not every entry"; }

expect 0 "-n formats from the attributes" "$prog" -n "${auth[@]}" "$dest" "$dir"
uid=$(id -u) gid=$(id -g)
grep -Eq "^-rw-r--r-- +$uid +$gid +5 [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2} a\.txt$" "$work/out" ||
    { cat "$work/out"; fail "-n: a.txt line"; }
grep -Eq "^-rw------- +$uid +$gid +1048577 .* b\.bin$" "$work/out" || { cat "$work/out"; fail "-n: b.bin line"; }
grep -Eq "^drwx.* subdir$" "$work/out" || { cat "$work/out"; fail "-n: subdir line"; }
grep -Eq "^lrwxrwxrwx .* link$" "$work/out" || { cat "$work/out"; fail "-n: link line"; }

expect 1 "fails on a missing directory" "$prog" "${auth[@]}" "$dest" "$work/missing"
stderr_has "sftp_ls: cannot open directory $work/missing: no such file"
