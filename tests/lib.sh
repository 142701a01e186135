# Shared helpers for tests/cli and tests/interop scripts (POSIX sh).
# Each script: . "$SANCTUM_TEST_LIB"; then test_begin, checks, test_done.
# Run by ctest with $SANCTUM (the built tool) and $SANCTUM_TESTDATA set.

set -u
: "${SANCTUM:?SANCTUM must name the sanctum binary}"
test_passed=0
test_failed=0
TEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/sanctum-test.XXXXXX")
trap 'rm -rf "$TEST_TMP"' EXIT INT TERM

# skip_all REASON: nothing here can run on this machine (exit code 77 = skipped for ctest).
skip_all() {
	echo "skipped: $1"
	exit 77
}

# require_tool NAME...: skip the whole script unless each tool is installed.
require_tool() {
	for tool in "$@"; do
		command -v "$tool" >/dev/null 2>&1 || skip_all "'$tool' is not installed"
	done
}

ok() { test_passed=$((test_passed + 1)); echo "ok - $1"; }
not_ok() { test_failed=$((test_failed + 1)); echo "not ok - $1"; }

# expect_success DESCRIPTION COMMAND...: the command must exit 0.
expect_success() {
	desc=$1; shift
	if "$@" >"$TEST_TMP/out" 2>"$TEST_TMP/err"; then ok "$desc"; else
		not_ok "$desc (exit $?)"; sed 's/^/#   /' "$TEST_TMP/err"; fi
}

# expect_exit CODE PATTERN DESCRIPTION COMMAND...: the command must exit with CODE and
# its stderr must match the extended regular expression PATTERN.
expect_exit() {
	code=$1; pattern=$2; desc=$3; shift 3
	"$@" >"$TEST_TMP/out" 2>"$TEST_TMP/err"
	got=$?
	if [ "$got" -ne "$code" ]; then
		not_ok "$desc (exit $got, expected $code)"; sed 's/^/#   /' "$TEST_TMP/err"
	elif ! grep -Eq -- "$pattern" "$TEST_TMP/err"; then
		not_ok "$desc (stderr does not match '$pattern')"; sed 's/^/#   /' "$TEST_TMP/err"
	else ok "$desc"; fi
}

# expect_stdout / expect_stderr PATTERN DESCRIPTION: the stdout / stderr of the last
# expect_success or expect_exit command matches the extended regular expression PATTERN.
# expect_stderr_not PATTERN DESCRIPTION: its stderr does not. expect_no_stdout DESCRIPTION:
# it wrote nothing to stdout. expect_stdout_is FILE DESCRIPTION: its stdout is exactly the
# bytes of FILE. (A check would overwrite those files before reading them.)
expect_stdout() { last_output_matches out "$1" "$2"; }
expect_stderr() { last_output_matches err "$1" "$2"; }
expect_stderr_not() {
	if grep -Eq -- "$1" "$TEST_TMP/err"; then
		not_ok "$2 (stderr matches '$1')"; sed 's/^/#   /' "$TEST_TMP/err"
	else ok "$2"; fi
}
expect_stdout_is() {
	if cmp -s -- "$1" "$TEST_TMP/out"; then ok "$2"; else not_ok "$2 (stdout differs from $1)"; fi
}
expect_no_stdout() {
	if [ -s "$TEST_TMP/out" ]; then not_ok "$1 (stdout is not empty)"; else ok "$1"; fi
}
last_output_matches() {
	if grep -Eq -- "$2" "$TEST_TMP/$1"; then ok "$3"; else
		not_ok "$3 (std$1 does not match '$2')"; sed 's/^/#   /' "$TEST_TMP/$1"; fi
}

# check DESCRIPTION COMMAND...: like expect_success, for test conditions such as cmp.
check() { expect_success "$@"; }

test_done() {
	echo "$test_passed passed, $test_failed failed"
	[ "$test_failed" -eq 0 ]
}
