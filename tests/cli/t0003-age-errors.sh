#!/bin/sh
# Every way `sanctum age` can fail reaches the user with its own message and exit code,
# and a failed run never leaves an output file (or a temporary one) behind.
. "$SANCTUM_TEST_LIB"

S=$SANCTUM
case $S in /*) ;; *) S=$(pwd)/$S ;; esac
T=$TEST_TMP
HERE=$(cd "$(dirname "$0")" && pwd)
WF="--work-factor 10"
OUT=$T/outdir                  # every failing -o writes here; it must stay empty
mkdir "$OUT"

entries() { ls -A "$1" | wc -l | tr -d ' '; }

# expect_clean DESCRIPTION: the output directory holds nothing, not even a temporary file.
expect_clean() {
	if [ "$(entries "$OUT")" -eq 0 ]; then ok "$1: no output left"; else
		not_ok "$1: output left behind"; ls -A "$OUT" | sed 's/^/#   /'
		rm -rf "$OUT" && mkdir "$OUT"; fi
}

# expect_fail PATTERN DESCRIPTION ARGS...: `sanctum age ARGS -o OUT/x` exits 1 with
# PATTERN on stderr, and leaves OUT empty.
expect_fail() {
	pattern=$1; what=$2; shift 2
	expect_exit 1 "$pattern" "$what (exit 1)" "$S" age "$@" -o "$OUT/x"
	expect_clean "$what"
}

# set_byte FILE OFFSET DECIMAL: overwrites one byte in place.
set_byte() {
	printf "$(printf '\\%03o' "$3")" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}
byte_at() { od -An -tu1 -j "$2" -N 1 "$1" | tr -d ' '; }
size_of() { wc -c <"$1" | tr -d ' '; }

# Bytes before the "--- " line of a binary age file: where its MAC line starts.
mac_offset() {
	line=$(grep -a -n '^--- ' "$1" | head -n 1 | cut -d: -f1)
	head -n $((line - 1)) "$1" | wc -c | tr -d ' '
}
header_size() {
	line=$(grep -a -n '^--- ' "$1" | head -n 1 | cut -d: -f1)
	head -n "$line" "$1" | wc -c | tr -d ' '
}

# ---- fixtures -------------------------------------------------------------------------

"$S" age keygen -o "$T/a.txt" 2>/dev/null
"$S" age keygen -o "$T/b.txt" 2>/dev/null
A=$(sed -n 's/^# public key: //p' "$T/a.txt")
printf 'resource guide\n' >"$T/plain"
head -c 200000 /dev/urandom >"$T/big"        # four chunks
head -c 65536 /dev/urandom >"$T/chunk"       # one full, final chunk
printf 'right passphrase\n' >"$T/pass"
printf 'wrong passphrase\n' >"$T/wrong"
"$S" age -r "$A" -o "$T/plain.age" "$T/plain"
"$S" age -r "$A" -o "$T/big.age" "$T/big"
"$S" age -r "$A" -o "$T/chunk.age" "$T/chunk"
"$S" age -r "$A" -a -o "$T/armored.age" "$T/plain"
"$S" age -p --passphrase-file "$T/pass" $WF -o "$T/pass.age" "$T/plain"
check "fixtures were made" test -s "$T/plain.age" -a -s "$T/big.age" -a -s "$T/pass.age"

# ---- the data: each age failure kind ---------------------------------------------------

expect_fail "decrypt '.*plain\.age': no identity matched" "wrong identity (ENOMATCH)" \
	-d -i "$T/b.txt" "$T/plain.age"
expect_stderr "^hint: check that you used the right identity file \(-i\)$" \
	"ENOMATCH suggests checking -i"
expect_fail "no identity matched" "no identity for a key-encrypted file (ENOMATCH)" \
	-d "$T/plain.age"
expect_stderr "^hint: .*give an identity file with -i" "ENOMATCH without -i suggests -i"

expect_fail "decrypt '.*pass\.age': incorrect passphrase" "wrong passphrase (EBADPASS)" \
	-d --passphrase-file "$T/wrong" "$T/pass.age"
expect_stderr "^hint: " "EBADPASS gives a hint"

printf 'this is not an age file\n' >"$T/junk"
expect_fail "decrypt '.*junk': not an age" "not an age file (EHEADER)" -d -i "$T/a.txt" "$T/junk"
head -c 40 "$T/plain.age" >"$T/short-header.age"
expect_fail "decrypt '.*short-header\.age': .*header" "header cut short (EHEADER)" \
	-d -i "$T/a.txt" "$T/short-header.age"

cp "$T/plain.age" "$T/mac.age"
at=$(( $(mac_offset "$T/mac.age") + 4 ))
if [ "$(byte_at "$T/mac.age" "$at")" -eq 65 ]; then set_byte "$T/mac.age" "$at" 66
else set_byte "$T/mac.age" "$at" 65; fi
expect_fail "decrypt '.*mac\.age': the header MAC does not match" "altered header MAC (EMAC)" \
	-d -i "$T/a.txt" "$T/mac.age"

# The last chunk is damaged: the first three were already decrypted into the temporary
# file, which must go.
cp "$T/big.age" "$T/payload.age"
last=$(( $(size_of "$T/payload.age") - 1 ))
set_byte "$T/payload.age" "$last" $(( $(byte_at "$T/payload.age" "$last") ^ 1 ))
expect_fail "decrypt '.*payload\.age': payload chunk 3 failed authentication" \
	"altered last chunk (EPAYLOAD)" -d -i "$T/a.txt" "$T/payload.age"

cp "$T/big.age" "$T/first.age"
at=$(( $(header_size "$T/first.age") + 16 + 100 ))
set_byte "$T/first.age" "$at" $(( $(byte_at "$T/first.age" "$at") ^ 128 ))
expect_fail "payload chunk 0 failed authentication" "altered first chunk (EPAYLOAD)" \
	-d -i "$T/a.txt" "$T/first.age"

# Cut right after the first full chunk: every byte left is authentic, but the end is gone.
head -c $(( $(header_size "$T/big.age") + 16 + 65536 + 16 )) "$T/big.age" >"$T/truncated.age"
expect_fail "decrypt '.*truncated\.age': .*truncated" "file cut after a chunk (ETRUNCATED)" \
	-d -i "$T/a.txt" "$T/truncated.age"

cp "$T/chunk.age" "$T/trailing.age"
printf 'appended' >>"$T/trailing.age"
expect_fail "decrypt '.*trailing\.age': data follows the final chunk" \
	"data after the final chunk (ETRAILING)" -d -i "$T/a.txt" "$T/trailing.age"

sed 's/END AGE ENCRYPTED FILE/END AGE ENCRYPTED FILX/' "$T/armored.age" >"$T/armor-end.age"
expect_fail "decrypt '.*armor-end\.age': invalid age armor" "damaged armor END line (EARMOR)" \
	-d -i "$T/a.txt" "$T/armor-end.age"
sed '2s/^./*/' "$T/armored.age" >"$T/armor-b64.age"
expect_fail "invalid age armor" "bad base64 inside the armor (EARMOR)" \
	-d -i "$T/a.txt" "$T/armor-b64.age"

expect_fail "decrypt '.*pass\.age': .*work factor 10 is above the limit 9" \
	"work factor above --max-work-factor (EWORKFACTOR)" \
	-d --max-work-factor 9 --passphrase-file "$T/pass" "$T/pass.age"
expect_stderr "^hint: .*--max-work-factor" "EWORKFACTOR suggests --max-work-factor"
# A forged stanza asking for 2^23 work: refused by the default limit before any scrypt
# work (the MAC, now wrong, is never reached).
{ head -n 1 "$T/pass.age"; head -n 2 "$T/pass.age" | tail -n 1 | sed 's/ 10$/ 23/'
  tail -n +3 "$T/pass.age"; } >"$T/wf23.age"
check "the forged file asks for work factor 23" grep -aq '^-> scrypt .* 23$' "$T/wf23.age"
expect_fail "work factor 23 is above the limit 22" "work factor 23 by default (EWORKFACTOR)" \
	-d --passphrase-file "$T/pass" "$T/wf23.age"

# An existing OUTPUT survives a failed decryption untouched.
printf 'precious\n' >"$T/existing"
cp "$T/existing" "$T/existing.copy"
expect_exit 1 "payload chunk 3 failed" "failure with an existing OUTPUT (exit 1)" \
	"$S" age -d -i "$T/a.txt" -o "$T/existing" "$T/payload.age"
check "the existing OUTPUT is unchanged" cmp "$T/existing" "$T/existing.copy"

# ---- keys: bad encodings (EKEY) -----------------------------------------------------------

expect_fail "invalid recipient 'age1xyz'" "a bad -r (EKEY)" -r age1xyz "$T/plain"
expect_fail "invalid recipient" "a secret key given as -r (EKEY)" \
	-r "$(tail -n 1 "$T/a.txt")" "$T/plain"
expect_stderr "^hint: that is a secret key" "a secret key as -r gets a hint"
expect_fail "invalid recipient" "an ssh key given as -r (EKEY)" \
	-r "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHh" "$T/plain"
expect_stderr "^hint: ssh keys are not supported" "an ssh key as -r gets a hint"

printf '# a comment\nAGE-SECRET-KEY-1NOTAKEY\n' >"$T/bad-identity.txt"
expect_fail "identity file '.*bad-identity\.txt': line 2: " "a corrupt identity file (EKEY)" \
	-d -i "$T/bad-identity.txt" "$T/plain.age"
printf '%s\n# next\nage1broken\n' "$A" >"$T/bad-recipients.txt"
expect_fail "recipients file '.*bad-recipients\.txt': line 3: " \
	"a corrupt recipients file (EKEY)" -R "$T/bad-recipients.txt" "$T/plain"
printf '# nothing here\n' >"$T/no-identity.txt"
expect_fail "identity file '.*no-identity\.txt': " "an identity file without keys" \
	-d -i "$T/no-identity.txt" "$T/plain.age"

# ---- files ------------------------------------------------------------------------------------

expect_fail "cannot open '.*missing\.age': No such file or directory" "a missing input" \
	-d -i "$T/a.txt" "$T/missing.age"
expect_fail "cannot open '.*missing\.txt': No such file or directory" "a missing identity file" \
	-d -i "$T/missing.txt" "$T/plain.age"
expect_fail "cannot open '.*missing\.txt': No such file or directory" \
	"a missing recipients file" -R "$T/missing.txt" "$T/plain"
expect_fail "cannot read '.*outdir': Is a directory" "a directory as input" \
	-r "$A" "$OUT"
expect_exit 1 "cannot create a file beside '.*nowhere/x'" "an OUTPUT in a missing directory" \
	"$S" age -r "$A" -o "$T/nowhere/x" "$T/plain"
if [ -w /dev/full ]; then
	expect_exit 1 "cannot write standard output: No space left on device" \
		"a full stdout (exit 1)" sh -c "'$S' age -d -i '$T/a.txt' '$T/big.age' >/dev/full"
fi

# ---- passphrases --------------------------------------------------------------------------------

: >"$T/empty-pass"
expect_fail "empty passphrase in '.*empty-pass'" "an empty passphrase file" \
	-p --passphrase-file "$T/empty-pass" $WF "$T/plain"
printf '\r\nsecond line\n' >"$T/blank-pass"
expect_fail "empty passphrase" "a passphrase file whose first line is blank" \
	-p --passphrase-file "$T/blank-pass" $WF "$T/plain"
expect_fail "cannot open '.*no-pass'" "a missing passphrase file" \
	-d --passphrase-file "$T/no-pass" "$T/pass.age"

if command -v setsid >/dev/null 2>&1; then
	expect_exit 1 "cannot ask for a passphrase: no terminal" \
		"-p without a terminal or --passphrase-file (exit 1)" \
		setsid -w "$S" age -p $WF -o "$OUT/x" "$T/plain"
	expect_stderr "^hint: .*--passphrase-file" "the missing terminal suggests --passphrase-file"
	expect_clean "-p without a terminal"
	expect_exit 1 "cannot ask for a passphrase: no terminal" \
		"-d of a passphrase file without a terminal (exit 1)" \
		setsid -w "$S" age -d -o "$OUT/x" "$T/pass.age"
	expect_clean "-d without a terminal"
else
	echo "# skipped: setsid (util-linux) is missing; no-terminal checks not run"
fi

PTY="${SANCTUM_PTY_RUN:?the test suite sets SANCTUM_PTY_RUN}"
$PTY --interrupt -- "$S" age -d -o "$OUT/x" "$T/pass.age" \
	>"$T/pty.out" 2>&1
check "^C at the passphrase prompt kills the command (SIGINT)" test $? -eq 130
check "^C at the passphrase prompt restores the terminal's echo" \
	grep -qx "echo: on" "$T/pty.out"
expect_clean "^C at the passphrase prompt"

# ---- usage errors (exit 2): nothing is read or written ------------------------------------------

expect_exit 2 "-e/--encrypt can't be used with -d/--decrypt" "-e with -d" \
	"$S" age -e -d -i "$T/a.txt" "$T/plain.age"
expect_exit 2 "-a/--armor can't be used with -d/--decrypt" "-a with -d" \
	"$S" age -d -a -i "$T/a.txt" "$T/plain.age"
expect_exit 2 "-p/--passphrase can't be used with -d/--decrypt" "-p with -d" \
	"$S" age -d -p "$T/pass.age"
expect_exit 2 "-r/--recipient can't be used with -d/--decrypt" "-r with -d" \
	"$S" age -d -r "$A" "$T/plain.age"
expect_stderr "^hint: did you mean -i/--identity" "-r with -d suggests -i"
expect_exit 2 "-R/--recipients-file can't be used with -d/--decrypt" "-R with -d" \
	"$S" age -d -R "$T/a.txt" "$T/plain.age"
expect_exit 2 "--work-factor can't be used with -d/--decrypt" "--work-factor with -d" \
	"$S" age -d --work-factor 10 -i "$T/a.txt" "$T/plain.age"
expect_exit 2 "-p/--passphrase can't be combined with -r" "-p with -r" \
	"$S" age -p -r "$A" "$T/plain"
expect_exit 2 "-p/--passphrase can't be combined with" "-p with -R" \
	"$S" age -p -R "$T/a.txt" "$T/plain"
expect_exit 2 "^sanctum age: missing recipients$" "encrypting without recipients" \
	"$S" age "$T/plain"
expect_stderr "^hint: did you forget -r/--recipient" "missing recipients gets a hint"
expect_stderr "^usage: sanctum age " "a usage error shows the synopsis"
expect_exit 2 "-i/--identity can't be used to encrypt unless -e/--encrypt is given" \
	"-i without -e or -d" "$S" age -i "$T/a.txt" "$T/plain"
expect_exit 2 "--work-factor needs -p/--passphrase" "--work-factor without -p" \
	"$S" age -r "$A" --work-factor 10 "$T/plain"
expect_exit 2 "--max-work-factor is for -d/--decrypt" "--max-work-factor when encrypting" \
	"$S" age -r "$A" --max-work-factor 10 "$T/plain"
expect_exit 2 "--passphrase-file needs -p/--passphrase or -d/--decrypt" \
	"--passphrase-file with -r" "$S" age -r "$A" --passphrase-file "$T/pass" "$T/plain"
for n in 0 31 abc 10x ""; do
	expect_exit 2 "invalid --work-factor '$n': expected a number from 1 to 30" \
		"--work-factor '$n' is refused" "$S" age -p --work-factor "$n" "$T/plain"
done
expect_exit 2 "invalid --max-work-factor '99'" "--max-work-factor 99 is refused" \
	"$S" age -d --max-work-factor 99 "$T/pass.age"
expect_exit 2 "standard input is used for more than one purpose" "-i - with stdin input" \
	"$S" age -d -i - </dev/null
expect_exit 2 "standard input is used for more than one purpose" "-R - and -i -" \
	"$S" age -e -R - -i - "$T/plain" </dev/null
expect_exit 2 "INPUT can only be given with -y" "keygen with an INPUT but no -y" \
	"$S" age keygen "$T/a.txt"
expect_no_stdout "a usage error writes nothing to stdout"

test_done
