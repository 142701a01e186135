#!/bin/sh
# File-to-file age throughput and memory: the sanctum tool against stock age.
#     bench/age_files.sh [BUILD_DIR] [SIZE_MIB] [RUNS]
# BUILD_DIR defaults to build/release under the repository root and must hold
# sanctum and bench/peak_rss; SIZE_MIB defaults to 1024 and RUNS (best of) to 3.
# The files live on a tmpfs (/dev/shm, else /run/user/UID or /tmp when that is a tmpfs)
# so the disk is not what is measured; they are removed on exit. Stock age (Debian
# package 'age') is optional: without it only the sanctum rows are printed.
set -u

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
build=${1:-$root/build/release}
size_mib=${2:-1024}
runs=${3:-3}
sanctum=$build/sanctum
peak=$build/bench/peak_rss
target_rss_mib=16

die() {
	echo "age_files.sh: $*" >&2
	exit 1
}

case "$size_mib$runs" in
	''|*[!0-9]*) echo "usage: $0 [BUILD_DIR] [SIZE_MIB] [RUNS]" >&2; exit 2 ;;
esac
[ -x "$sanctum" ] || die "'$sanctum' is missing: build with 'cmake --build --preset release'"
[ -x "$peak" ] || die "'$peak' is missing: build with 'cmake --build --preset release'"
age=$(command -v age || true)
[ -n "$age" ] || echo "age_files.sh: stock 'age' not found; timing sanctum only" >&2

# Needs room for the plaintext, two encrypted copies and two decrypted ones.
need_kib=$((size_mib * 1024 * 5 + 65536))
pick_tmpfs() {
	for dir in /dev/shm "/run/user/$(id -u)" /tmp; do
		[ -d "$dir" ] && [ -w "$dir" ] || continue
		[ "$(stat -f -c %T "$dir" 2>/dev/null)" = tmpfs ] || continue
		free_kib=$(df -Pk "$dir" | awk 'NR == 2 { print $4 }')
		if [ "$free_kib" -ge "$need_kib" ]; then
			echo "$dir"
			return 0
		fi
		echo "age_files.sh: $dir has $((free_kib / 1024)) MiB free, needs" \
		     "$((need_kib / 1024)) MiB" >&2
	done
	return 1
}
base=$(pick_tmpfs) || die "no tmpfs with $((need_kib / 1024)) MiB free (try a smaller SIZE_MIB)"
work=$(mktemp -d "$base/sanctum-bench.XXXXXX") || die "cannot create a folder in $base"
trap 'rm -rf "$work"' EXIT
trap 'exit 1' INT TERM

echo "making a $size_mib MiB random file in $work" >&2
dd if=/dev/urandom of="$work/plain" bs=1048576 count="$size_mib" iflag=fullblock \
	status=none || die "cannot write $work/plain"
"$sanctum" age keygen -o "$work/key" 2>/dev/null || die "'sanctum age keygen' failed"
recipient=$(sed -n 's/^# public key: //p' "$work/key" | head -n 1)
if [ -z "$recipient" ] && [ -n "$age" ]; then
	recipient=$(age-keygen -y "$work/key") || die "cannot read the recipient of the key"
fi
[ -n "$recipient" ] || die "the key file names no public key"

# measure NAME COMMAND...: best time and peak RSS over $runs runs, into $work/NAME.best.
measure() {
	name=$1
	shift
	: >"$work/$name.all"
	i=0
	while [ $i -lt "$runs" ]; do
		rm -f "$work/out.$name"
		"$peak" "$work/$name.stat" "$@" || die "'$*' failed"
		cat "$work/$name.stat" >>"$work/$name.all"
		i=$((i + 1))
	done
	sort -n "$work/$name.all" | head -n 1 >"$work/$name.best"
	# The peak RSS of the best run is reported; all runs agree to a few pages.
}

bytes=$((size_mib * 1048576))
measure sanctum_enc "$sanctum" age -e -r "$recipient" -o "$work/out.sanctum_enc" "$work/plain"
mv "$work/out.sanctum_enc" "$work/ct.sanctum"
measure sanctum_dec "$sanctum" age -d -i "$work/key" -o "$work/out.sanctum_dec" "$work/ct.sanctum"
cmp -s "$work/plain" "$work/out.sanctum_dec" || die "sanctum did not decrypt its own file"
rm -f "$work/out.sanctum_dec"
if [ -n "$age" ]; then
	measure age_enc "$age" -e -r "$recipient" -o "$work/out.age_enc" "$work/plain"
	mv "$work/out.age_enc" "$work/ct.age"
	measure age_dec "$age" -d -i "$work/key" -o "$work/out.age_dec" "$work/ct.age"
	cmp -s "$work/plain" "$work/out.age_dec" || die "age did not decrypt its own file"
	rm -f "$work/out.age_dec"
fi

row() {
	awk -v tool="$1" -v op="$2" -v bytes="$bytes" '{
		printf "  %-8s %-8s %9.3f %9.3f %12.1f\n", tool, op, $1, bytes / $1 / 1e9, $2 / 1024
	}' "$work/$3.best"
}
ratio() {
	awk -v what="$1" 'NR == FNR { a = $1; next } {
		printf "  %-40s %.3f\n", what, $1 / a
	}' "$work/$2.best" "$work/$3.best"
}

echo "file to file on $base ($(stat -f -c %T "$base")), $size_mib MiB, best of $runs"
printf '  %-8s %-8s %9s %9s %12s\n' tool op seconds GB/s "peak RSS MiB"
row sanctum encrypt sanctum_enc
row sanctum decrypt sanctum_dec
if [ -n "$age" ]; then
	row age encrypt age_enc
	row age decrypt age_dec
	ratio "encrypt throughput sanctum/age" sanctum_enc age_enc
	ratio "decrypt throughput sanctum/age" sanctum_dec age_dec
fi
awk -v t="$target_rss_mib" '{
	m = $2 / 1024
	printf "  %-40s %.1f MiB (target < %d MiB: %s)\n", "sanctum decrypt peak RSS", m, t,
	       m < t ? "met" : "MISSED"
}' "$work/sanctum_dec.best"
