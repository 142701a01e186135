#!/bin/sh
# `sanctum keys`: making an identity (plain and passphrase-protected), where it is kept,
# never overwriting it, refusing unsafe or damaged files, the card and the exported keys,
# and changing the passphrase. Stock age must open a protected identity file, and stock
# ssh-keygen must agree on the fingerprint and accept the allowed-signers line.
# shellcheck disable=SC2086 # $WF is meant to split into an option and its value
# shellcheck source=/dev/null # tests/lib.sh, named by ctest
. "$SANCTUM_TEST_LIB"

S=$SANCTUM
case $S in /*) ;; *) S=$(pwd)/$S ;; esac
T=$TEST_TMP
WF="--work-factor 10"          # fast scrypt: these tests are about the tool, not the KDF
PTY="${SANCTUM_PTY_RUN:?the test suite sets SANCTUM_PTY_RUN}"

# A private home, and nothing from the caller's environment.
HOME=$T/home
export HOME
unset SANCTUM_IDENTITY SANCTUM_PASSPHRASE_FILE XDG_CONFIG_HOME
mkdir "$HOME"

mode_of() { ls -ld "$1" | cut -c1-10; }
entries() { ls -A "$1" | wc -l | tr -d ' '; }
CARD_RE='^sanctum-card-v1:[a-z0-9-]+:[a-z0-9-]+:[A-Za-z0-9_-]{43}:age1[02-9ac-hj-np-z]{58}:[0-9a-f]{8}$'

printf 'correct horse battery staple\n' >"$T/pass"
printf 'another passphrase\n' >"$T/pass2"
printf 'wrong\n' >"$T/wrong"

# ---- help and usage ------------------------------------------------------------------------

expect_success "keys --help" "$S" keys --help
expect_stdout '^   or: sanctum keys passwd' "keys --help shows every synopsis"
expect_stdout '^    export ' "keys --help lists the subcommands"
expect_exit 2 'missing subcommand' "keys without a subcommand is a usage error" "$S" keys
expect_exit 2 "unknown subcommand 'frob'" "an unknown subcommand is a usage error" \
	"$S" keys frob
"$S" keys gen --help >"$T/gen-help" 2>&1
expect_success "sanctum help keys gen" "$S" help keys gen
expect_stdout_is "$T/gen-help" "help keys gen is keys gen --help"

expect_exit 2 'missing --name CITY' "gen needs --name" "$S" keys gen --no-passphrase
expect_exit 2 "invalid city name 'Ald Port'" "gen refuses a bad city name" \
	"$S" keys gen --name 'Ald Port' --no-passphrase
expect_stderr '^hint: use 1 to 32 lowercase letters' "the name rule is given"
expect_exit 2 "invalid device name '-x'" "gen refuses a bad device name" \
	"$S" keys gen --name aldport --device -x --no-passphrase
expect_exit 2 "can't be used with --passphrase-file" "--no-passphrase excludes a passphrase" \
	"$S" keys gen --name aldport --no-passphrase --passphrase-file "$T/pass"
expect_exit 2 "invalid --work-factor '23'" "a work factor the reader would refuse" \
	"$S" keys gen --name aldport --passphrase-file "$T/pass" --work-factor 23
expect_exit 2 'missing --ssh, --age or --allowed-signers' "export needs a form" \
	"$S" keys export
expect_exit 2 "can't be combined" "export takes one form" "$S" keys export --ssh --age
check "no usage error wrote an identity" test ! -e "$HOME/.config"

# ---- gen, plain, in the default place --------------------------------------------------------

DEF=$HOME/.config/sanctum/identity
expect_exit 1 "identity '$DEF' does not exist" "show without an identity" "$S" keys show
expect_stderr "^hint: make one with 'sanctum keys gen" "and how to make one"

expect_success "gen --no-passphrase" "$S" keys gen --name aldport --device server --no-passphrase
expect_stdout "$CARD_RE" "gen prints the card"
expect_stderr "^identity written to $DEF\$" "gen says where the identity is"
cp "$T/out" "$T/card"
check "gen prints one line" test "$(wc -l <"$T/card")" -eq 1
check "the identity file has mode 0600" test "$(mode_of "$DEF")" = "-rw-------"
check "its folders were made with mode 0700" \
	sh -c "[ \"\$(ls -ld '$HOME/.config' | cut -c1-10)\" = drwx------ ] &&
	       [ \"\$(ls -ld '$HOME/.config/sanctum' | cut -c1-10)\" = drwx------ ]"
check "the folder holds only the identity" test "$(entries "$HOME/.config/sanctum")" -eq 1
check "the plain file is the documented text" \
	sh -c "sed -n 1p '$DEF' | grep -qx 'sanctum-identity v1' &&
	       sed -n 2p '$DEF' | grep -qx 'city aldport' &&
	       sed -n 3p '$DEF' | grep -qx 'device server' &&
	       sed -n 4p '$DEF' | grep -Eqx 'created [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z' &&
	       sed -n 5p '$DEF' | grep -Eqx 'ed25519 [A-Za-z0-9+/]{43}=' &&
	       sed -n 6p '$DEF' | grep -Eqx 'age AGE-SECRET-KEY-1[02-9AC-HJ-NP-Z]{58}' &&
	       [ \$(wc -l <'$DEF') -eq 6 ]"

expect_success "show prints the card" "$S" keys show
expect_stdout_is "$T/card" "show prints the card gen printed"

cp "$DEF" "$T/def.copy"
expect_exit 1 "refusing to overwrite identity '$DEF': the file already exists" \
	"gen never overwrites an identity" "$S" keys gen --name other --no-passphrase
expect_stderr '^hint: an identity is never replaced' "the refusal says what to do"
check "the identity is unchanged" cmp "$DEF" "$T/def.copy"
check "the refusal leaves no temporary file" test "$(entries "$HOME/.config/sanctum")" -eq 1
expect_exit 1 "refusing to overwrite" "gen refuses before asking a passphrase" \
	"$S" keys gen --name other --passphrase-file "$T/pass"

# ---- where the identity is --------------------------------------------------------------------

mkdir "$T/xdg"
expect_success "gen honours \$XDG_CONFIG_HOME" \
	env XDG_CONFIG_HOME="$T/xdg" "$S" keys gen --name xdg-city --no-passphrase
check "into \$XDG_CONFIG_HOME/sanctum/identity" test -f "$T/xdg/sanctum/identity"
expect_success "show honours \$XDG_CONFIG_HOME" env XDG_CONFIG_HOME="$T/xdg" "$S" keys show
expect_stdout '^sanctum-card-v1:xdg-city:main:' "the xdg identity is shown (device main)"
expect_success "a relative \$XDG_CONFIG_HOME is ignored" \
	env XDG_CONFIG_HOME=relative "$S" keys show
expect_stdout_is "$T/card" "the default identity is used instead"
expect_success "gen honours \$SANCTUM_IDENTITY" \
	env SANCTUM_IDENTITY="$T/env-id" "$S" keys gen --name env-city --no-passphrase
expect_success "show honours \$SANCTUM_IDENTITY" env SANCTUM_IDENTITY="$T/env-id" "$S" keys show
expect_stdout '^sanctum-card-v1:env-city:' "the \$SANCTUM_IDENTITY identity is shown"
expect_success "--identity wins over \$SANCTUM_IDENTITY" \
	env SANCTUM_IDENTITY="$T/env-id" "$S" keys show --identity "$DEF"
expect_stdout_is "$T/card" "the --identity file is shown"

# ---- show --json and export ---------------------------------------------------------------------

expect_success "show --json" "$S" keys show --json
cp "$T/out" "$T/json"
# One member a line, indented by two, in a fixed order (the same style as every command).
sed -n 's/^  "\([a-z_]*\)": .*/\1/p' "$T/json" | tr '\n' ' ' >"$T/keys-order"
check "the JSON has the card's fields in a fixed order" \
	test "$(cat "$T/keys-order")" = "city device fingerprint ssh_public_key age_recipient card "
check "the JSON fields have their forms" sh -c "
	grep -q '^  \"city\": \"aldport\",\$' '$T/json' &&
	grep -Eq '^  \"fingerprint\": \"SHA256:[A-Za-z0-9+/]{43}\",\$' '$T/json' &&
	grep -Eq '^  \"ssh_public_key\": \"ssh-ed25519 AAAA[A-Za-z0-9+/]+ aldport/server\",\$' '$T/json' &&
	grep -Eq '^  \"age_recipient\": \"age1[a-z0-9]{58}\",\$' '$T/json'"
check "the JSON card is the card" grep -qF "\"card\": \"$(cat "$T/card")\"" "$T/json"
FP=$(sed -n 's/.*"fingerprint": "\([^"]*\)".*/\1/p' "$T/json")

expect_success "export --ssh" "$S" keys export --ssh
expect_stdout '^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI[A-Za-z0-9+/]{43} aldport/server$' \
	"export --ssh prints an OpenSSH key line"
cp "$T/out" "$T/id.pub"
check "the JSON has the same ssh key" grep -qF "\"ssh_public_key\": \"$(cat "$T/id.pub")\"" \
	"$T/json"
expect_success "export --age" "$S" keys export --age
expect_stdout '^age1[02-9ac-hj-np-z]{58}$' "export --age prints the recipient"
check "the card carries that recipient" grep -qF ":$(cat "$T/out"):" "$T/card"
expect_success "export --allowed-signers" "$S" keys export --allowed-signers
cp "$T/out" "$T/allowed"
check "the allowed-signers line names the member, the namespaces and the key" \
	test "$(cat "$T/allowed")" = \
	"aldport/server namespaces=\"git,sanctum-doc\" $(cut -d' ' -f1-2 "$T/id.pub")"

if command -v ssh-keygen >/dev/null 2>&1; then
	check "ssh-keygen -l prints the fingerprint of show --json" \
		sh -c "ssh-keygen -l -f '$T/id.pub' | grep -qF ' $FP aldport/server (ED25519)'"
	# A signature by this identity's key (made by the test helper from the seed in the
	# plain identity file) verifies against the exported allowed-signers line, as git
	# verifies commits.
	if [ -n "${SANCTUM_SSHSIG_TOOL:-}" ] && command -v base64 >/dev/null 2>&1; then
		SEED=$(sed -n 's/^ed25519 //p' "$DEF" | base64 -d | od -An -tx1 | tr -d ' \n')
		printf 'a document\n' >"$T/msg"
		"$SANCTUM_SSHSIG_TOOL" sign "$SEED" sanctum-doc "$T/msg" >"$T/msg.sig"
		"$SANCTUM_SSHSIG_TOOL" sign "$SEED" git "$T/msg" >"$T/msg.git.sig"
		expect_success "ssh-keygen -Y find-principals finds the member" \
			sh -c "ssh-keygen -Y find-principals -f '$T/allowed' -s '$T/msg.sig'"
		expect_stdout '^aldport/server$' "the principal is city/device"
		expect_success "ssh-keygen -Y verify accepts a document signature" \
			sh -c "ssh-keygen -Y verify -f '$T/allowed' -I aldport/server -n sanctum-doc \
			       -s '$T/msg.sig' <'$T/msg'"
		expect_success "ssh-keygen -Y verify accepts a git signature" \
			sh -c "ssh-keygen -Y verify -f '$T/allowed' -I aldport/server -n git \
			       -s '$T/msg.git.sig' <'$T/msg'"
		check "another namespace is not allowed" \
			sh -c "! ssh-keygen -Y verify -f '$T/allowed' -I aldport/server -n file \
			       -s '$T/msg.sig' <'$T/msg' >/dev/null 2>&1"
	fi
else
	echo "# skipped: ssh-keygen is not installed; fingerprint and signer checks not run"
fi

# ---- unsafe and damaged plain files -------------------------------------------------------

cp "$DEF" "$T/open"
chmod 644 "$T/open"
expect_exit 1 "identity '$T/open' is readable by others: run chmod 600 '$T/open'" \
	"a plain identity others can read is refused" "$S" keys show --identity "$T/open"
expect_no_stdout "nothing is printed from it"
chmod 640 "$T/open"
expect_exit 1 "readable by others" "a group-readable one too" \
	"$S" keys show --identity "$T/open"
chmod 600 "$T/open"
expect_success "after chmod 600 it is accepted" "$S" keys show --identity "$T/open"
expect_exit 1 "identity '$T' is not a regular file" "a folder is refused" \
	"$S" keys show --identity "$T"

head -c 100 "$DEF" >"$T/trunc"
chmod 600 "$T/trunc"
expect_exit 1 "identity '$T/trunc': line [0-9]: .*truncated" \
	"a truncated identity names the line" "$S" keys show --identity "$T/trunc"
head -n 5 "$DEF" >"$T/trunc5"
chmod 600 "$T/trunc5"
expect_exit 1 "line 6: the age line is missing: the file is truncated" \
	"an identity without its last line" "$S" keys show --identity "$T/trunc5"
: >"$T/empty"
chmod 600 "$T/empty"
expect_exit 1 "line 1: the file is empty" "an empty identity" \
	"$S" keys show --identity "$T/empty"
sed '1s/v1/v2/' "$DEF" >"$T/v2"
chmod 600 "$T/v2"
expect_exit 1 "line 1: unsupported identity file version" "an identity of another version" \
	"$S" keys show --identity "$T/v2"
sed '3s/device/devise/' "$DEF" >"$T/typo"
chmod 600 "$T/typo"
expect_exit 1 "line 3: expected 'device \.\.\.'" "a misspelt field names its line" \
	"$S" keys show --identity "$T/typo"
# Doubling a character always breaks the key (its length or its checksum); replacing one
# with a fixed letter would leave it intact whenever it already was that letter.
sed -E '6s/AGE-SECRET-KEY-1(.)/AGE-SECRET-KEY-1\1\1/' "$DEF" >"$T/badkey"
chmod 600 "$T/badkey"
expect_exit 1 "line 6: the age secret key is not valid" "a damaged age key" \
	"$S" keys show --identity "$T/badkey"
expect_stderr_not 'AGE-SECRET-KEY' "the message does not quote the secret key"

# ---- gen with a passphrase ------------------------------------------------------------------

P=$T/protected
expect_success "gen with --passphrase-file" \
	"$S" keys gen --name aldport --device laptop --identity "$P" --passphrase-file "$T/pass" $WF
expect_stdout "$CARD_RE" "gen prints the card"
cp "$T/out" "$T/pcard"
check "the protected file has mode 0600" test "$(mode_of "$P")" = "-rw-------"
check "the protected file is an armored age file" \
	test "$(head -n 1 "$P")" = "-----BEGIN AGE ENCRYPTED FILE-----"
check "no key or name is visible in it" \
	sh -c "! grep -q -e AGE-SECRET-KEY -e aldport -e ed25519 '$P'"
expect_success "show with --passphrase-file" \
	"$S" keys show --identity "$P" --passphrase-file "$T/pass"
expect_stdout_is "$T/pcard" "the protected identity shows its card"
expect_success "show with \$SANCTUM_PASSPHRASE_FILE" \
	env SANCTUM_PASSPHRASE_FILE="$T/pass" "$S" keys show --identity "$P"
expect_stdout_is "$T/pcard" "the passphrase file from the environment works"
expect_exit 1 "identity '$P': incorrect passphrase" "a wrong passphrase is refused" \
	"$S" keys show --identity "$P" --passphrase-file "$T/wrong"
expect_stderr '^hint: passphrases are case-sensitive' "with a hint"
expect_no_stdout "and nothing is printed"
# setsid: without a controlling terminal even when the tests run from one.
if command -v setsid >/dev/null 2>&1; then
	expect_exit 1 "cannot ask for a passphrase" "no terminal and no passphrase file" \
		setsid -w "$S" keys show --identity "$P"
fi
head -c 200 "$P" >"$T/ptrunc"
expect_exit 1 "identity '$T/ptrunc'" "a truncated protected identity is refused" \
	"$S" keys show --identity "$T/ptrunc" --passphrase-file "$T/pass"
expect_stderr '^hint: the identity file is damaged' "and called damaged"

# On a terminal: asked twice, not echoed.
$PTY --answer 'tty pass' --answer 'tty pass' -- \
	"$S" keys gen --name aldport --identity "$T/tty-id" $WF >"$T/pty.out" 2>&1
check "gen asks for the passphrase on the terminal, twice" test $? -eq 0
check "the terminal shows both prompts" \
	sh -c "grep -q 'Enter a passphrase for the new identity:' '$T/pty.out' &&
	       grep -q 'Confirm passphrase:' '$T/pty.out'"
check "the passphrase is not echoed" sh -c "! grep -q 'tty pass' '$T/pty.out'"
printf 'tty pass\n' >"$T/tty-pass"
expect_success "the typed passphrase opens it" \
	"$S" keys show --identity "$T/tty-id" --passphrase-file "$T/tty-pass"
$PTY --answer 'tty pass' -- "$S" keys show --identity "$T/tty-id" >"$T/pty.out" 2>&1
check "show asks for the passphrase on the terminal" test $? -eq 0
check "naming the identity" grep -q "Enter passphrase for identity '$T/tty-id':" "$T/pty.out"
$PTY --answer one --answer two -- \
	"$S" keys gen --name aldport --identity "$T/tty-x" $WF >"$T/pty.out" 2>&1
check "mismatched passphrases exit 1" test $? -eq 1
check "mismatched passphrases are named" grep -q "the passphrases do not match" "$T/pty.out"
check "mismatched passphrases write nothing" test ! -e "$T/tty-x"

# Stock age opens the protected identity with the passphrase. age 1.1.1 reads passphrases
# only from a terminal, so util-linux `script` types it.
if command -v age >/dev/null 2>&1 && command -v script >/dev/null 2>&1; then
	printf 'correct horse battery staple\n' |
		script -qec "age -d -o '$T/p.txt' '$P'" /dev/null >/dev/null 2>&1
	check "age -d recovers the identity text" test "$(head -n 1 "$T/p.txt")" = \
		"sanctum-identity v1"
	check "the recovered text names the city and device" \
		sh -c "sed -n 2,3p '$T/p.txt' | tr '\n' ' ' | grep -qx 'city aldport device laptop '"
	chmod 600 "$T/p.txt"
	expect_success "the recovered text is itself a valid identity" \
		"$S" keys show --identity "$T/p.txt"
	expect_stdout_is "$T/pcard" "with the same card"
else
	echo "# skipped: stock age or util-linux script missing; age -d check not run"
fi

# ---- passwd ------------------------------------------------------------------------------------

cp "$P" "$T/p.before"
expect_exit 1 "incorrect passphrase" "passwd with a wrong old passphrase fails" \
	"$S" keys passwd --identity "$P" --passphrase-file "$T/wrong" \
	--new-passphrase-file "$T/pass2" $WF
check "and leaves the file as it was" cmp "$P" "$T/p.before"
expect_exit 2 "can't be used with --new-passphrase-file" "passwd: conflicting options" \
	"$S" keys passwd --no-passphrase --new-passphrase-file "$T/pass2"

expect_success "passwd changes the passphrase" \
	"$S" keys passwd --identity "$P" --passphrase-file "$T/pass" \
	--new-passphrase-file "$T/pass2" $WF
expect_stderr "^passphrase of identity $P changed\$" "passwd says what it did"
check "the file changed" sh -c "! cmp -s '$P' '$T/p.before'"
check "it keeps mode 0600" test "$(mode_of "$P")" = "-rw-------"
check "no temporary file is left" sh -c "! ls -A '$T' | grep -q 'tmp-'"
expect_exit 1 "incorrect passphrase" "the old passphrase no longer opens it" \
	"$S" keys show --identity "$P" --passphrase-file "$T/pass"
expect_success "the new one does" "$S" keys show --identity "$P" --passphrase-file "$T/pass2"
expect_stdout_is "$T/pcard" "the keys are the same"

expect_success "passwd --no-passphrase" \
	"$S" keys passwd --identity "$P" --passphrase-file "$T/pass2" --no-passphrase
expect_stderr "is now stored without a passphrase" "passwd says the passphrase is gone"
check "the file is plain now" test "$(head -n 1 "$P")" = "sanctum-identity v1"
check "with mode 0600" test "$(mode_of "$P")" = "-rw-------"
expect_success "show reads it without a passphrase" "$S" keys show --identity "$P"
expect_stdout_is "$T/pcard" "the keys are still the same"

$PTY --answer 'typed new' --answer 'typed new' -- \
	"$S" keys passwd --identity "$P" $WF >"$T/pty.out" 2>&1
check "passwd asks for the new passphrase on the terminal" test $? -eq 0
check "twice" grep -q 'Confirm passphrase:' "$T/pty.out"
printf 'typed new\n' >"$T/typed"
expect_success "the typed passphrase protects it" \
	"$S" keys show --identity "$P" --passphrase-file "$T/typed"
expect_stdout_is "$T/pcard" "and the keys did not change"
expect_exit 1 "does not exist" "passwd on a missing identity" \
	"$S" keys passwd --identity "$T/nothing" --no-passphrase

test_done
