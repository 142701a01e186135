#!/bin/sh
# Runs every libFuzzer target for SECONDS each (default 60) from a fuzz build, which it
# does not build itself:
#     cmake --preset fuzz && cmake --build --preset fuzz
#     tests/fuzz/run.sh [SECONDS] [BUILD_DIR]
# BUILD_DIR defaults to build/fuzz under the repository root. Seeds come from the
# age-testkit in ../shared/testdata (or $SANCTUM_TESTDATA) and from keys and files made
# on the spot; they, the growing corpora and any crash artifacts live in
# BUILD_DIR/fuzz-run. Fails when a target crashes, leaks or stops early.
set -u

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
seconds=${1:-60}
build=${2:-$root/build/fuzz}
testdata=${SANCTUM_TESTDATA:-$root/../shared/testdata}
bin=$build/tests/fuzz
work=$build/fuzz-run

case $seconds in
	''|*[!0-9]*) echo "usage: $0 [SECONDS] [BUILD_DIR]" >&2; exit 2 ;;
esac
for exe in seed_extract fuzz_age_header fuzz_age_armor fuzz_bech32 fuzz_sshsig fuzz_doc \
           fuzz_identity; do
	if [ ! -x "$bin/$exe" ]; then
		echo "run.sh: '$bin/$exe' is missing: build with" \
		     "'cmake --preset fuzz && cmake --build --preset fuzz'" >&2
		exit 1
	fi
done
if [ ! -d "$testdata/age-testkit" ]; then
	echo "run.sh: no age-testkit in '$testdata': set SANCTUM_TESTDATA" >&2
	exit 1
fi

rm -rf "$work/seeds"
mkdir -p "$work/seeds" "$work/artifacts" "$work/logs" || exit 1
"$bin/seed_extract" "$testdata/age-testkit" "$work/seeds" || exit 1

export SANCTUM_FUZZ_IDENTITIES="$work/seeds/identities.txt"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"

# The value of one "stat::NAME: VALUE" line of a libFuzzer log.
log_stat() {
	sed -n "s/^stat::$1: *//p" "$2" | tail -n 1
}

# run_target NAME SEED_SUBDIR MAX_LEN
run_target() {
	name=$1
	log=$work/logs/$name.log
	mkdir -p "$work/corpus/$name"
	"$bin/$name" -max_total_time="$seconds" -print_final_stats=1 -detect_leaks=1 \
		-max_len="$3" -artifact_prefix="$work/artifacts/$name-" \
		"$work/corpus/$name" "$work/seeds/$2" >"$log" 2>&1
	rc=$?
	execs=$(log_stat number_of_executed_units "$log")
	speed=$(log_stat average_exec_per_sec "$log")
	status=ok
	if [ $rc -ne 0 ] || [ -z "$execs" ] ||
	   grep -q -e 'ERROR: AddressSanitizer' -e 'ERROR: LeakSanitizer' \
	           -e 'ERROR: libFuzzer' -e 'runtime error:' -e '^==[0-9]*== ERROR' "$log"; then
		status="FAILED (exit $rc, log $log)"
		failed=1
	fi
	printf '%-16s %12s %14s  %s\n' "$name" "${speed:--}" "${execs:--}" "$status"
}

# Seeds for the targets that do not come from the age-testkit: made on the spot from
# files of the repository, never copied vectors.
seed_more() {
	mkdir -p "$work/seeds/sshsig" "$work/seeds/doc" "$work/seeds/identity" "$work/seeds/empty"
	cp "$root"/tests/resources/sshsig/*.sig "$root"/tests/resources/sshsig/test-key.pub \
		"$work/seeds/sshsig/" 2>/dev/null
	# fuzz_identity: the first byte picks the parser (odd: identity file, even: card).
	printf '\001sanctum-identity v1\ncity aldport\ndevice main\ncreated 2026-11-29T17:00:00Z\n' \
		>"$work/seeds/identity/file"
	printf '\000sanctum-card-v1:aldport:main:' >"$work/seeds/identity/card"
	# fuzz_doc: the first byte picks raw parsing or signing first (see fuzz_doc.c).
	printf '\004sanctum-doc v1\nid 00112233445566778899aabbccddeeff\nrev 1\nparent none\n' \
		>"$work/seeds/doc/header"
}

failed=0
seed_more
echo "fuzzing each target for $seconds s (logs in $work/logs)"
printf '%-16s %12s %14s  %s\n' target exec/s "total execs" status
# Two full chunks plus a header fit in the age limit; armor needs 4/3 of it and line ends.
run_target fuzz_age_header age 150000
run_target fuzz_age_armor armor 210000
run_target fuzz_bech32 bech32 1024
run_target fuzz_sshsig sshsig 4200
run_target fuzz_doc doc 4096
run_target fuzz_identity identity 1024
# Targets added later run too, from an empty corpus, so none is silently left out.
for exe in "$bin"/fuzz_*; do
	name=$(basename "$exe")
	case $name in
	fuzz_age_header|fuzz_age_armor|fuzz_bech32|fuzz_sshsig|fuzz_doc|fuzz_identity) ;;
	*) [ -x "$exe" ] && run_target "$name" empty 16384 ;;
	esac
done
exit $failed
