#!/bin/sh
# The command line itself: --version, help, usage errors and their exit codes.
. "$SANCTUM_TEST_LIB"

S=$SANCTUM
usage_line='^usage: sanctum '

# ---- version and help --------------------------------------------------------------

expect_success "--version exits 0" "$S" --version
expect_stdout '^sanctum [0-9]+\.[0-9]+\.[0-9]+ \(libsodium [0-9.]+, libgit2 [0-9.]+, libuv [0-9.]+\)$' \
	"--version names sanctum and its libraries"

"$S" --help >"$TEST_TMP/help" 2>"$TEST_TMP/help.err"
check "--help exits 0" test $? -eq 0
check "--help writes nothing to stderr" test ! -s "$TEST_TMP/help.err"
check "--help shows the synopsis" grep -Eq "$usage_line" "$TEST_TMP/help"
check "--help lists the age command with its summary" grep -Eq '^    age +[a-z]' "$TEST_TMP/help"
check "--help lists the help command" grep -Eq '^    help +[a-z]' "$TEST_TMP/help"

"$S" help >"$TEST_TMP/help2" 2>&1
check "'help' is the same as --help" cmp "$TEST_TMP/help" "$TEST_TMP/help2"
"$S" -h >"$TEST_TMP/help3" 2>&1
check "-h is the same as --help" cmp "$TEST_TMP/help" "$TEST_TMP/help3"

expect_exit 2 "$usage_line" "no command is a usage error (exit 2)" "$S"
expect_stderr '^    age ' "no command lists the commands on stderr"

# `help COMMAND` runs `COMMAND --help`, so the two can never differ.
"$S" age --help >"$TEST_TMP/age-help" 2>&1
check "age --help exits 0" test $? -eq 0
"$S" help age >"$TEST_TMP/help-age" 2>&1
check "'help age' is the same as 'age --help'" cmp "$TEST_TMP/age-help" "$TEST_TMP/help-age"
"$S" age -h >"$TEST_TMP/age-h" 2>&1
check "'age -h' is the same as 'age --help'" cmp "$TEST_TMP/age-help" "$TEST_TMP/age-h"
for flag in --encrypt --decrypt --output --armor --passphrase --recipient \
	--recipients-file --identity --passphrase-file --work-factor --max-work-factor; do
	check "age --help documents $flag" grep -q -- "$flag" "$TEST_TMP/age-help"
done
check "age --help shows every synopsis, keygen's included" \
	grep -q '^   or: sanctum age keygen -y' "$TEST_TMP/age-help"

"$S" age keygen --help >"$TEST_TMP/keygen-help" 2>&1
"$S" help age keygen >"$TEST_TMP/help-keygen" 2>&1
check "'help age keygen' is the same as 'age keygen --help'" \
	cmp "$TEST_TMP/keygen-help" "$TEST_TMP/help-keygen"
check "age keygen --help documents -y" grep -q '^    -y ' "$TEST_TMP/keygen-help"

"$S" help help >"$TEST_TMP/help-help" 2>&1
check "'help help' describes the help command" grep -q '^usage: sanctum help' "$TEST_TMP/help-help"

# ---- unknown commands and options ----------------------------------------------------

expect_exit 2 "^sanctum: unknown command 'agee'$" "an unknown command exits 2" "$S" agee
expect_stderr "^hint: did you mean 'age'\?$" "a close command is suggested"
expect_stderr "$usage_line" "the synopsis follows"
expect_no_stdout "nothing goes to stdout"

expect_exit 2 "unknown command 'zzzzzz'" "a far-off command exits 2" "$S" zzzzzz
expect_stderr_not 'did you mean' "a far-off command gets no suggestion"

expect_exit 2 "^sanctum help: unknown command 'agee'$" "help for an unknown command exits 2" \
	"$S" help agee
expect_stderr "^hint: did you mean 'age'\?$" "help suggests too"

expect_exit 2 "^sanctum: unknown option '--verison'$" "an unknown global option exits 2" \
	"$S" --verison
expect_stderr "^hint: did you mean '--version'\?$" "a close global option is suggested"

expect_exit 2 "^sanctum age: unknown option '--armour'$" "an unknown age option exits 2" \
	"$S" age --armour
expect_stderr "^hint: did you mean '--armor'\?$" "a close age option is suggested"
expect_stderr '^usage: sanctum age ' "the age synopsis follows"

expect_exit 2 "unknown option '-x'" "an unknown short option exits 2" "$S" age -x
expect_exit 2 "unknown option '-x'" "an unknown flag in a cluster exits 2" "$S" age -dx
expect_exit 2 "option '-o' needs a value" "a missing value exits 2" "$S" age -d -o
expect_exit 2 "option '--output' needs a value" "a missing long value exits 2" "$S" age -d --output
expect_exit 2 "option '--armor' takes no value" "a value for a flag exits 2" "$S" age --armor=yes
expect_exit 2 "option '-o' given more than once" "a repeated single option exits 2" \
	"$S" age -d -o a -o b
expect_exit 2 "unexpected argument 'two'" "a second INPUT exits 2" "$S" age -d one two
expect_exit 2 "unknown option '--bogus'" "a usage error comes before --help" \
	"$S" age --bogus --help

# ---- stdout is checked before exiting ------------------------------------------------

if [ -w /dev/full ]; then
	expect_exit 1 "write failure on standard output: No space left on device" \
		"a full stdout fails the command (exit 1)" sh -c "'$S' --version >/dev/full"
	expect_exit 1 "write failure on standard output" "a full stdout fails --help too" \
		sh -c "'$S' age --help >/dev/full"
else
	echo "# skipped: /dev/full is missing"
fi

test_done
