#!/bin/sh
# `sanctum age` and `sanctum age keygen` doing their job: keys, round trips through files
# and pipes, several recipients, passphrases, armor, and the terminal rules.
. "$SANCTUM_TEST_LIB"

S=$SANCTUM
case $S in /*) ;; *) S=$(pwd)/$S ;; esac
T=$TEST_TMP
HERE=$(cd "$(dirname "$0")" && pwd)
WF="--work-factor 10"          # fast scrypt: these tests are about the tool, not the KDF

# "-rw-------" and friends, as ls prints them.
mode_of() { ls -l "$1" | cut -c1-10; }

# The public key from a key file's "# public key:" comment.
public_of() { sed -n 's/^# public key: //p' "$1"; }

# The number of entries in a directory, dot files included.
entries() { ls -A "$1" | wc -l | tr -d ' '; }

# ---- keygen --------------------------------------------------------------------------

expect_success "keygen to stdout" "$S" age keygen
expect_stdout '^# created: [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$' \
	"keygen writes the creation time"
expect_stdout '^# public key: age1[02-9ac-hj-np-z]{58}$' "keygen writes the public key"
expect_stdout '^AGE-SECRET-KEY-1[02-9AC-HJ-NP-Z]{58}$' "keygen writes the secret key"
check "keygen writes three lines" test "$(wc -l <"$T/out")" -eq 3

mkdir "$T/keys"
expect_success "keygen -o makes a key file" "$S" age keygen -o "$T/keys/a.txt"
expect_stderr '^Public key: age1' "keygen -o prints the public key on stderr"
expect_no_stdout "keygen -o writes nothing to stdout"
check "the printed public key is the file's" \
	test "$(sed -n 's/^Public key: //p' "$T/err")" = "$(public_of "$T/keys/a.txt")"
check "the key file has mode 0600" test "$(mode_of "$T/keys/a.txt")" = "-rw-------"
check "keygen -o leaves no temporary file" test "$(entries "$T/keys")" -eq 1

cp "$T/keys/a.txt" "$T/a.copy"
expect_exit 1 "refusing to overwrite '.*a\.txt': the file already exists" \
	"keygen -o refuses an existing file" "$S" age keygen -o "$T/keys/a.txt"
check "the existing key file is unchanged" cmp "$T/keys/a.txt" "$T/a.copy"
check "the refusal leaves no temporary file" test "$(entries "$T/keys")" -eq 1
ln -s "$T/elsewhere" "$T/keys/link.txt"
expect_exit 1 "refusing to overwrite" "keygen -o refuses a dangling symlink" \
	"$S" age keygen -o "$T/keys/link.txt"
check "nothing was written through the symlink" test ! -e "$T/elsewhere"
rm "$T/keys/link.txt"

"$S" age keygen -o "$T/keys/b.txt" 2>/dev/null
"$S" age keygen -o "$T/keys/c.txt" 2>/dev/null
A=$(public_of "$T/keys/a.txt")
B=$(public_of "$T/keys/b.txt")
C=$(public_of "$T/keys/c.txt")

expect_success "keygen -y FILE" "$S" age keygen -y "$T/keys/a.txt"
check "keygen -y prints the recipient" test "$(cat "$T/out")" = "$A"
cat "$T/keys/a.txt" "$T/keys/b.txt" >"$T/ab.txt"
expect_success "keygen -y reads stdin" sh -c "'$S' age keygen -y <'$T/ab.txt'"
check "keygen -y prints one recipient per identity" \
	test "$(cat "$T/out")" = "$(printf '%s\n%s' "$A" "$B")"
expect_success "keygen -y -o FILE" "$S" age keygen -y -o "$T/keys/a.pub" "$T/keys/a.txt"
check "keygen -y -o writes the recipient" test "$(cat "$T/keys/a.pub")" = "$A"
if command -v age-keygen >/dev/null 2>&1; then
	check "stock age-keygen -y agrees" test "$(age-keygen -y "$T/keys/a.txt")" = "$A"
fi

# ---- round trips -----------------------------------------------------------------------

printf 'legal aid: +1 555 0100\nshelter: 12 Main St\n' >"$T/plain"
head -c 200000 /dev/urandom >"$T/big"          # four chunks, the last one short
head -c 65536 /dev/urandom >"$T/chunk"         # exactly one full chunk
: >"$T/empty"

for f in plain big chunk empty; do
	expect_success "encrypt $f to a file" "$S" age -r "$A" -o "$T/$f.age" "$T/$f"
	expect_success "decrypt $f from a file" "$S" age -d -i "$T/keys/a.txt" -o "$T/$f.out" \
		"$T/$f.age"
	check "$f survives the round trip" cmp "$T/$f" "$T/$f.out"
done
check "ciphertext differs from plaintext" sh -c "! cmp -s '$T/plain' '$T/plain.age'"
check "the binary file starts with the age header" \
	test "$(head -n 1 "$T/plain.age")" = "age-encryption.org/v1"

expect_success "encrypt through a pipe" \
	sh -c "'$S' age -r '$A' <'$T/big' | '$S' age -d -i '$T/keys/a.txt' >'$T/pipe.out'"
check "the pipe round trip is exact" cmp "$T/big" "$T/pipe.out"
expect_success "'-' names stdin and stdout" \
	sh -c "'$S' age -e -r '$A' -o - - <'$T/plain' | '$S' age -d -i '$T/keys/a.txt' -o - - >'$T/dash.out'"
check "the '-' round trip is exact" cmp "$T/plain" "$T/dash.out"
expect_success "long options and --opt=value" \
	sh -c "'$S' age --encrypt --recipient='$A' --output='$T/long.age' '$T/plain' &&
	       '$S' age --decrypt --identity '$T/keys/a.txt' --output '$T/long.out' '$T/long.age'"
check "the long-option round trip is exact" cmp "$T/plain" "$T/long.out"
expect_success "-oFILE and a -da cluster" \
	sh -c "'$S' age -ar '$A' -o'$T/cluster.age' '$T/plain' &&
	       '$S' age -di'$T/keys/a.txt' '$T/cluster.age' >'$T/cluster.out'"
check "the cluster round trip is exact" cmp "$T/plain" "$T/cluster.out"
expect_success "-- ends the options" \
	sh -c "cd '$T' && cp plain ./-dash && '$S' age -r '$A' -o dash.age -- -dash"
expect_success "decrypt the file named -dash" "$S" age -d -i "$T/keys/a.txt" "$T/dash.age"
expect_stdout_is "$T/plain" "a file named like an option round-trips"

umask 022
expect_success "an output file replaces an existing one" \
	"$S" age -d -i "$T/keys/a.txt" -o "$T/plain.out" "$T/plain.age"
check "a new output file gets 0666 minus the umask" test "$(mode_of "$T/plain.out")" = "-rw-r--r--"

# ---- recipients -------------------------------------------------------------------------

expect_success "encrypt to several -r" "$S" age -r "$A" -r "$B" -o "$T/ab.age" "$T/plain"
for k in a b; do
	expect_success "identity $k opens a file for -r $A / $B" \
		"$S" age -d -i "$T/keys/$k.txt" "$T/ab.age"
	expect_stdout_is "$T/plain" "identity $k reads the plaintext"
done
expect_exit 1 "no identity matched" "a third identity cannot" \
	"$S" age -d -i "$T/keys/c.txt" "$T/ab.age"

printf '# our two cities\n%s\n\n%s\r\n' "$A" "$B" >"$T/recipients.txt"
expect_success "-R reads a recipients file (comments, blank lines, CRLF)" \
	"$S" age -R "$T/recipients.txt" -o "$T/R.age" "$T/plain"
expect_success "-R: the first recipient opens it" "$S" age -d -i "$T/keys/a.txt" "$T/R.age"
expect_success "-R: the second recipient opens it" "$S" age -d -i "$T/keys/b.txt" "$T/R.age"
printf '%s\n' "$C" >"$T/c.recipients"
expect_success "-R and -r together, -R twice" \
	"$S" age -R "$T/recipients.txt" -r "$C" -R "$T/c.recipients" -o "$T/RR.age" "$T/plain"
expect_success "-R - reads recipients from stdin" \
	sh -c "'$S' age -R - -o '$T/Rstdin.age' '$T/plain' <'$T/recipients.txt'"
expect_success "the stdin recipients open it" "$S" age -d -i "$T/keys/b.txt" "$T/Rstdin.age"

expect_success "-e -i encrypts to the identity's recipient" \
	"$S" age -e -i "$T/keys/c.txt" -o "$T/self.age" "$T/plain"
expect_success "the same identity decrypts it" "$S" age -d -i "$T/keys/c.txt" "$T/self.age"
expect_stdout_is "$T/plain" "-e -i round trip is exact"

expect_success "several -i: any one that matches is used" \
	"$S" age -d -i "$T/keys/c.txt" -i "$T/keys/b.txt" "$T/ab.age"
expect_success "-i - reads identities from stdin" \
	sh -c "'$S' age -d -i - '$T/ab.age' <'$T/keys/a.txt'"
expect_stdout_is "$T/plain" "-i - round trip is exact"

# ---- passphrases --------------------------------------------------------------------------

printf 'correct horse battery staple\n' >"$T/pass"
printf 'correct horse battery staple\r\nsecond line is ignored\n' >"$T/pass-crlf"
expect_success "-p with --passphrase-file" \
	"$S" age -p --passphrase-file "$T/pass" $WF -o "$T/p.age" "$T/plain"
check "the file has an scrypt stanza with the chosen work factor" \
	sh -c "head -n 2 '$T/p.age' | tail -n 1 | grep -Eq '^-> scrypt [A-Za-z0-9+/]+ 10$'"
expect_success "decrypt with --passphrase-file" \
	"$S" age -d --passphrase-file "$T/pass" -o "$T/p.out" "$T/p.age"
check "the passphrase round trip is exact" cmp "$T/plain" "$T/p.out"
expect_success "a CRLF passphrase file gives the same passphrase" \
	"$S" age -d --passphrase-file "$T/pass-crlf" "$T/p.age"
expect_stdout_is "$T/plain" "the CRLF passphrase decrypts"
expect_success "--max-work-factor equal to the file's is accepted" \
	"$S" age -d --passphrase-file "$T/pass" --max-work-factor 10 "$T/p.age"

# An identity file may itself be passphrase-encrypted, as age allows.
expect_success "encrypt an identity file with a passphrase" \
	"$S" age -p --passphrase-file "$T/pass" $WF -a -o "$T/keys/a.txt.age" "$T/keys/a.txt"
expect_success "decrypt with the encrypted identity file" \
	"$S" age -d -i "$T/keys/a.txt.age" --passphrase-file "$T/pass" "$T/plain.age"
expect_stdout_is "$T/plain" "the encrypted identity file works"
"$S" age -p --passphrase-file "$T/pass" $WF -o "$T/keys/b.txt.age" "$T/keys/b.txt"
expect_success "a binary encrypted identity file works too" \
	"$S" age -d -i "$T/keys/b.txt.age" --passphrase-file "$T/pass" "$T/ab.age"
expect_stdout_is "$T/plain" "the binary encrypted identity file decrypts"

# ---- armor -----------------------------------------------------------------------------------

expect_success "-a writes the armored form" "$S" age -a -r "$A" -o "$T/armored.age" "$T/big"
check "the armor starts with its BEGIN line" \
	test "$(head -n 1 "$T/armored.age")" = "-----BEGIN AGE ENCRYPTED FILE-----"
check "the armor ends with its END line" \
	test "$(tail -n 1 "$T/armored.age")" = "-----END AGE ENCRYPTED FILE-----"
check "armor lines are at most 64 columns" \
	awk 'length > 64 { bad = 1 } END { exit bad }' "$T/armored.age"
expect_success "armored files are detected when decrypting" \
	"$S" age -d -i "$T/keys/a.txt" -o "$T/armored.out" "$T/armored.age"
check "the armored round trip is exact" cmp "$T/big" "$T/armored.out"

# ---- interoperability with the stock age tool ---------------------------------------------

if command -v age >/dev/null 2>&1; then
	expect_success "stock age decrypts what sanctum wrote" \
		age -d -i "$T/keys/a.txt" -o "$T/interop1.out" "$T/big.age"
	check "stock age reads the same bytes" cmp "$T/big" "$T/interop1.out"
	expect_success "stock age decrypts sanctum's armor" \
		age -d -i "$T/keys/a.txt" -o "$T/interop2.out" "$T/armored.age"
	check "stock age reads the armored bytes" cmp "$T/big" "$T/interop2.out"
	age -r "$B" -a -o "$T/from-age.age" "$T/big"
	expect_success "sanctum decrypts what stock age wrote" \
		"$S" age -d -i "$T/keys/b.txt" -o "$T/interop3.out" "$T/from-age.age"
	check "sanctum reads stock age's bytes" cmp "$T/big" "$T/interop3.out"
else
	echo "# skipped: stock age is not installed (Debian package 'age')"
fi

# ---- terminals ---------------------------------------------------------------------------------

if command -v script >/dev/null 2>&1; then
	script -qec "'$S' age -r '$A' '$T/plain'" /dev/null >"$T/tty.out" 2>&1
	check "binary ciphertext to a terminal exits 1" test $? -eq 1
	check "the refusal says why" \
		grep -q "refusing to write binary ciphertext to a terminal" "$T/tty.out"
	check "and what to do" grep -q "hint: use -a/--armor or -o FILE" "$T/tty.out"
	check "no ciphertext reached the terminal" sh -c "! grep -q 'age-encryption' '$T/tty.out'"
	script -qec "'$S' age -a -r '$A' '$T/plain'" /dev/null >"$T/tty-armor.out" 2>&1
	check "armored ciphertext to a terminal is fine" \
		grep -q -- "-----BEGIN AGE ENCRYPTED FILE-----" "$T/tty-armor.out"
	script -qec "'$S' age -r '$A' -o '$T/tty.age' '$T/plain'" /dev/null >/dev/null 2>&1
	check "binary ciphertext to a file is fine with a terminal" test -s "$T/tty.age"
else
	echo "# skipped: 'script' (util-linux) is not installed; terminal checks not run"
fi

PTY="${SANCTUM_PTY_RUN:?the test suite sets SANCTUM_PTY_RUN}"
$PTY --answer 'tty pass' --answer 'tty pass' -- \
	"$S" age -p $WF -o "$T/tty-p.age" "$T/plain" >"$T/pty.out" 2>&1
check "-p asks on the terminal, twice" test $? -eq 0
check "the terminal shows both prompts" \
	sh -c "grep -q 'Enter passphrase:' '$T/pty.out' && grep -q 'Confirm passphrase:' '$T/pty.out'"
check "the passphrase is not echoed" sh -c "! grep -q 'tty pass' '$T/pty.out'"
printf 'tty pass\n' >"$T/tty-pass"
expect_success "the typed passphrase is the one used" \
	"$S" age -d --passphrase-file "$T/tty-pass" "$T/tty-p.age"
$PTY --answer 'tty pass' -- "$S" age -d -o "$T/tty-p.out" "$T/tty-p.age" >"$T/pty.out" 2>&1
check "-d asks for the passphrase on the terminal" test $? -eq 0
check "and decrypts with it" cmp "$T/plain" "$T/tty-p.out"
$PTY --answer 'one' --answer 'two' -- "$S" age -p $WF -o "$T/tty-x.age" "$T/plain" \
	>"$T/pty.out" 2>&1
check "mismatched passphrases exit 1" test $? -eq 1
check "mismatched passphrases are named" grep -q "the passphrases do not match" "$T/pty.out"
check "mismatched passphrases write nothing" test ! -e "$T/tty-x.age"

test_done
