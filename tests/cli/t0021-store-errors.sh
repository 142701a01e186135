#!/bin/sh
# Every way the store commands can fail reaches the user with a clear message and the
# right exit code, and a refused or failed change leaves main where it was: a document
# altered by the host, a commit signed by an outsider, a wrong passphrase, a non-member,
# a store that cannot take new objects, a write that fails part-way, a damaged identity
# file, a lock held by another process, and usage errors.
. "$SANCTUM_TEST_LIB"

S=$SANCTUM
case $S in /*) ;; *) S=$(pwd)/$S ;; esac
T=$TEST_TMP
WF="--work-factor 10"          # fast scrypt: these tests are about the tool, not the KDF
require_tool git

HOME=$T/home
export HOME
unset SANCTUM_DIR SANCTUM_PASSPHRASE_FILE XDG_CONFIG_HOME
mkdir "$HOME"
SANCTUM_IDENTITY=$T/aldport.id
export SANCTUM_IDENTITY
# Plain git makes the forged commits below; it needs a name, and no user config.
GIT_AUTHOR_NAME=mallory GIT_AUTHOR_EMAIL=mallory@host.invalid
GIT_COMMITTER_NAME=mallory GIT_COMMITTER_EMAIL=mallory@host.invalid
GIT_CONFIG_NOSYSTEM=1
export GIT_AUTHOR_NAME GIT_AUTHOR_EMAIL GIT_COMMITTER_NAME GIT_COMMITTER_EMAIL GIT_CONFIG_NOSYSTEM

STORE=$T/store
GIT="git --git-dir $STORE/.sanctum"
head_of() { $GIT rev-parse main; }

# expect_main_at COMMIT DESCRIPTION: main has not moved.
expect_main_at() {
	if [ "$(head_of)" = "$1" ]; then ok "$2: main unchanged"; else
		not_ok "$2: main moved"; fi
}

# ---- fixtures -----------------------------------------------------------------------------

"$S" keys gen --name aldport --no-passphrase >/dev/null 2>"$T/gen.err" ||
	{ cat "$T/gen.err"; skip_all "'sanctum keys gen' does not work here"; }
"$S" keys gen --name brightwater --no-passphrase --identity "$T/outsider.id" >/dev/null 2>&1
printf 'correct horse\n' >"$T/pass"
printf 'wrong horse\n' >"$T/wrong"
"$S" keys gen --name cedarfield $WF --passphrase-file "$T/pass" --identity "$T/cedar.id" \
	>/dev/null 2>&1
"$S" init --group metro "$STORE" >/dev/null 2>&1
printf '# Rapid-response hotline\nLegal aid, 24/7.\n' >"$T/hotline.md"
printf 'Shelter intake until 22:00.\n' >"$T/shelter.txt"
cd "$STORE" || exit 1
DOC=$("$S" add "$T/hotline.md")
"$S" add "$T/shelter.txt" >/dev/null
DOC12=$(echo "$DOC" | cut -c1-12)
DOC_PATH=docs/$(echo "$DOC" | cut -c1-2)/$DOC.age
GOOD=$(head_of)

# ---- a document altered by the host -------------------------------------------------------

# The host rewrites the document's file with plain git plumbing (one byte of the ciphertext
# changed), in a new commit on main; it cannot sign that commit as a member.
$GIT cat-file blob "main:$DOC_PATH" >"$T/blob"
size=$(wc -c <"$T/blob" | tr -d ' ')
# The new byte must differ from the old one, or nothing would be altered (1 time in 256).
old_byte=$(od -An -c -j $((size - 20)) -N 1 "$T/blob" | tr -d ' ')
new_byte=X
[ "$old_byte" = X ] && new_byte=Y
printf '%s' "$new_byte" | dd of="$T/blob" bs=1 seek=$((size - 20)) conv=notrunc 2>/dev/null
BLOB=$($GIT hash-object -w "$T/blob")
GIT_INDEX_FILE=$T/index $GIT read-tree main
GIT_INDEX_FILE=$T/index $GIT update-index --cacheinfo "100644,$BLOB,$DOC_PATH"
TREE=$(GIT_INDEX_FILE=$T/index $GIT write-tree)
SEQ=$(($($GIT rev-list --count main) + 1))
FORGED=$(printf 'sanctum: 1 updated\n\nSanctum-Branch: main\nSanctum-Seq: %s\n' "$SEQ" |
	$GIT commit-tree "$TREE" -p main)
$GIT update-ref refs/heads/main "$FORGED"
F12=$(echo "$FORGED" | cut -c1-12)

expect_exit 3 "^verified [0-9]+ commits, [0-9]+ document revisions: [0-9]+ problems?$" \
	"verify refuses an altered document (exit 3)" "$S" verify
expect_stdout "^commit $F12: $DOC_PATH: " "verify names the commit and the path"
expect_stdout "^commit $F12: .*sign" "verify reports the unsigned commit"
expect_success "git fsck sees nothing wrong: only sanctum can tell" $GIT fsck --no-progress
expect_exit 3 "problem" "verify --json refuses too" "$S" verify --json
expect_stdout "^      \"commit\": \"$FORGED\",\$" "verify --json names the commit"
expect_stdout "^      \"path\": \"$DOC_PATH\",\$" "verify --json names the path"

expect_exit 1 "^sanctum show: cannot read document $DOC12: '$DOC_PATH': .*(altered|damaged)" \
	"show refuses the altered document (exit 1)" "$S" show "$DOC12"
expect_stderr "^hint: .*sanctum verify" "show points to verify"
expect_no_stdout "show releases no plaintext"
expect_exit 1 "altered|damaged" "update refuses to build on it" "$S" update "$DOC12" "$T/hotline.md"
expect_main_at "$FORGED" "a refused update"

# An export that meets the altered document leaves nothing behind.
expect_exit 1 "'$DOC_PATH': .*(altered|damaged)" "export stops at the altered document" \
	"$S" export "$T/exported"
check "no export folder is left" test ! -e "$T/exported"
check "no temporary folder is left" test "$(ls -A "$T" | grep -c '^\.exported')" -eq 0

# A forged commit's message and author reach the terminal only as harmless text.
# (Written as a raw object: git commit-tree would re-encode the stray byte as Latin-1.)
printf 'tree %s\nparent %s\nauthor evil\033]0;x\007 <e@x> 1 +0000\ncommitter m <e@x> 1 +0000\n\nsanctum: \033[2J\377 hi\n' \
	"$TREE" "$($GIT rev-parse main)" >"$T/hostile.commit"
HOSTILE=$($GIT hash-object -t commit -w "$T/hostile.commit")
$GIT update-ref refs/heads/main "$HOSTILE"
expect_success "log shows a hostile commit" "$S" log
expect_stdout '  sanctum: \?\[2J\? hi$' "control characters and bad UTF-8 become '?'"
cp "$T/out" "$T/hostile.out"
check "no escape character reaches the terminal" \
	sh -c "! LC_ALL=C grep -q \"\$(printf '\\033')\" '$T/hostile.out'"
expect_success "log --json copes with a message that is not UTF-8" "$S" log --json
expect_stdout '"summary": "sanctum: \?\[2J\? hi"' "the JSON summary is cleaned too"

$GIT update-ref refs/heads/main "$GOOD"
expect_success "verify is clean again once main is restored" "$S" verify

# ---- a commit signed by an outsider ---------------------------------------------------------

# An ssh key that is no member's signs a commit that is otherwise well formed, the way
# `git commit -S` would; stock git and sanctum must both refuse it.
if command -v ssh-keygen >/dev/null 2>&1; then
	ssh-keygen -q -t ed25519 -N '' -C outsider -f "$T/outsider_ssh" >/dev/null
	SEQ=$(($($GIT rev-list --count main) + 1))
	OUTSIDER=$(printf 'sanctum: 0 changed\n\nSanctum-Branch: main\nSanctum-Seq: %s\n' "$SEQ" |
		$GIT -c gpg.format=ssh -c user.signingkey="$T/outsider_ssh" \
			commit-tree -S "main^{tree}" -p main)
	$GIT update-ref refs/heads/main "$OUTSIDER"
	O12=$(echo "$OUTSIDER" | cut -c1-12)
	expect_exit 3 "1 problem$" "verify refuses a commit signed by a non-member (exit 3)" \
		"$S" verify
	expect_stdout "^commit $O12: .*not a member" "verify names the commit and the rule"
	"$S" keys export --allowed-signers >"$T/allowed"
	expect_exit 1 "" "stock git refuses the outsider's signature too" \
		git -c gpg.format=ssh -c gpg.ssh.allowedSignersFile="$T/allowed" \
		--git-dir "$STORE/.sanctum" verify-commit "$OUTSIDER"
	$GIT update-ref refs/heads/main "$GOOD"
else
	echo "# skipped: an outsider's signed commit needs ssh-keygen, which is not installed"
fi

# ---- a whole history replaced by another group's ------------------------------------------

# The host founds its own group with this member in it, and serves that history as main.
# The store pinned its group's trust anchor at init: it must refuse the substitute.
"$S" init --group metro "$T/forged" >/dev/null 2>&1
"$S" -C "$T/forged" add "$T/hotline.md" >/dev/null 2>&1
$GIT fetch -q "$T/forged/.sanctum" "+main:refs/forged"
$GIT update-ref refs/heads/main "$($GIT rev-parse refs/forged)"
expect_exit 3 "manifest of another group" "verify refuses a replaced history (exit 3)" "$S" verify
expect_exit 3 "manifest of another group" "list refuses a replaced history" "$S" list
expect_exit 3 "manifest of another group" "add refuses a replaced history" "$S" add "$T/hotline.md"
check "the forged main was not built upon" test "$(head_of)" = "$($GIT rev-parse refs/forged)"
$GIT update-ref refs/heads/main "$GOOD"
$GIT update-ref -d refs/forged
expect_success "the real history verifies again" "$S" verify

# ---- identities: passphrase, membership, damage ---------------------------------------------

# cedarfield founds its own group with a passphrase-protected identity.
"$S" init --group cedar --identity "$T/cedar.id" --passphrase-file "$T/pass" "$T/cedar" \
	>/dev/null 2>&1
CEDAR_HEAD=$(git --git-dir "$T/cedar/.sanctum" rev-parse main)
expect_exit 1 "^sanctum add: identity '.*cedar.id': incorrect passphrase$" \
	"a wrong passphrase is refused" \
	"$S" -C "$T/cedar" add --identity "$T/cedar.id" --passphrase-file "$T/wrong" "$T/hotline.md"
expect_stderr '^hint: passphrases are case-sensitive' "the hint says what to check"
expect_no_stdout "nothing is printed"
check "a wrong passphrase writes nothing" \
	test "$(git --git-dir "$T/cedar/.sanctum" rev-parse main)" = "$CEDAR_HEAD"
expect_success "the right passphrase from \$SANCTUM_PASSPHRASE_FILE" \
	env SANCTUM_PASSPHRASE_FILE="$T/pass" "$S" -C "$T/cedar" add --identity "$T/cedar.id" \
	"$T/hotline.md"

expect_exit 1 "^sanctum add: cannot add to the store: the identity 'brightwater/main' is not a member of this group$" \
	"a non-member cannot add" "$S" add --identity "$T/outsider.id" "$T/hotline.md"
expect_stderr "^hint: ask an admin of the group" "the hint says how to join"
expect_main_at "$GOOD" "a refused non-member"
expect_exit 1 "is not a member of this group" "a non-member cannot read" \
	"$S" show --identity "$T/outsider.id" "$DOC12"
expect_no_stdout "a non-member gets no plaintext"
expect_exit 1 "is not a member of this group" "a non-member cannot list" \
	"$S" list --identity "$T/outsider.id"
expect_exit 1 "is not a member of this group" "a non-member cannot rm" \
	"$S" rm --identity "$T/outsider.id" "$DOC12"
expect_main_at "$GOOD" "a refused rm"

head -c 60 "$T/aldport.id" >"$T/truncated.id"
chmod 600 "$T/truncated.id"
expect_exit 1 "identity '.*truncated.id': .*truncated" "a truncated identity file is refused" \
	"$S" add --identity "$T/truncated.id" "$T/hotline.md"
expect_main_at "$GOOD" "a truncated identity"
printf 'sanctum-identity v1\ncity aldport\ngarbage\n' >"$T/garbage.id"
chmod 600 "$T/garbage.id"
expect_exit 1 "identity '.*garbage.id': " "a corrupt identity file is refused" \
	"$S" list --identity "$T/garbage.id"
cp "$T/aldport.id" "$T/open.id"
chmod 644 "$T/open.id"
expect_exit 1 "readable by others: run chmod 600" "an identity others can read is refused" \
	"$S" list --identity "$T/open.id"
expect_exit 1 "identity '.*missing.id' does not exist" "a missing identity is named" \
	"$S" list --identity "$T/missing.id"
expect_stderr "^hint: make one with 'sanctum keys gen" "the hint says how to make one"

# ---- a store that cannot take new objects ---------------------------------------------------

cp -R "$STORE" "$T/ro"
RO_GIT="git --git-dir $T/ro/.sanctum"
RO_HEAD=$($RO_GIT rev-parse main)
if [ "$(id -u)" -ne 0 ]; then
	chmod -R a-w "$T/ro/.sanctum/objects"
	how="a read-only objects folder"
else
	# root ignores permissions: pack every object, then put a plain file where each
	# loose-object folder would go, so no new object can be written but all can be read.
	# Earlier checks left unreachable objects (forged commits), which repack does not
	# pack: prune them, so that every loose-object folder empties. prune-packed leaves the
	# emptied folders; every one must become a file, or a write would succeed whenever
	# its random object id landed in a folder still there.
	$RO_GIT repack -a -d -q && $RO_GIT prune --expire=now && $RO_GIT prune-packed
	find "$T/ro/.sanctum/objects" -mindepth 1 -maxdepth 1 -type d -name '??' -empty \
		-exec rmdir {} +
	for a in 0 1 2 3 4 5 6 7 8 9 a b c d e f; do
		for b in 0 1 2 3 4 5 6 7 8 9 a b c d e f; do
			[ -e "$T/ro/.sanctum/objects/$a$b" ] || : >"$T/ro/.sanctum/objects/$a$b"
		done
	done
	how="an objects folder that takes no new object"
	check "no loose-object folder is left to write into" \
		test -z "$(find "$T/ro/.sanctum/objects" -mindepth 1 -maxdepth 1 -type d -name '??')"
fi
expect_exit 1 "^sanctum add: cannot add to the store: cannot write a document into the store: " \
	"add into $how fails" "$S" -C "$T/ro" add "$T/hotline.md"
expect_no_stdout "no id is printed"
check "$how: main unchanged" test "$($RO_GIT rev-parse main)" = "$RO_HEAD"
expect_success "$how can still be read" "$S" -C "$T/ro" show "$DOC12"
chmod -R u+w "$T/ro/.sanctum/objects"

# ---- a write that fails part-way --------------------------------------------------------------

# A full disk cannot be made without root tricks; a file-size limit makes the object write
# fail part-way the same way (EFBIG instead of ENOSPC), with SIGXFSZ ignored so the write
# returns the error as it would on a full disk.
head -c 2000000 /dev/urandom >"$T/big.bin"
expect_exit 1 "^sanctum add: cannot add to the store: cannot write a document into the store" \
	"a write that fails part-way fails the add" \
	sh -c "ulimit -f 256; trap '' XFSZ; exec '$S' add '$T/big.bin'"
expect_main_at "$GOOD" "a failed write"
check "no temporary object is left" \
	test "$(find "$STORE/.sanctum/objects" -name 'tmp_*' | wc -l)" -eq 0
# An export whose writes fail part-way removes what it wrote.
"$S" add "$T/big.bin" >/dev/null
GOOD=$(head_of)
expect_exit 1 "cannot write '.*/exported2/[0-9a-f]{32}\.bin': File too large" \
	"an export whose write fails part-way fails" \
	sh -c "ulimit -f 256; trap '' XFSZ; exec '$S' export '$T/exported2'"
check "the failed export leaves no folder" test ! -e "$T/exported2"
check "the failed export leaves no temporary folder" \
	test "$(ls -A "$T" | grep -c '^\.exported2')" -eq 0
if [ -w /dev/full ]; then
	expect_exit 1 "cannot write standard output: No space left on device" \
		"show to a full device fails" sh -c "'$S' show '$DOC12' >/dev/full"
	expect_exit 1 "write failure on standard output" "list to a full device fails" \
		sh -c "'$S' list >/dev/full"
else
	echo "# skipped: /dev/full is missing"
fi

# ---- the lock ---------------------------------------------------------------------------------

if command -v flock >/dev/null 2>&1; then
	# The lock is held until the check is over, however slow the machine.
	flock "$STORE/.sanctum/sanctum/lock" sh -c \
		": >'$T/held'; while [ ! -e '$T/release' ]; do sleep 0.1; done" &
	locker=$!
	while [ ! -e "$T/held" ]; do sleep 0.1; done
	expect_exit 1 "another sanctum process is using the store" \
		"add waits for no one: a held lock is refused" "$S" add "$T/hotline.md"
	expect_main_at "$GOOD" "a held lock"
	: >"$T/release"
	wait "$locker"
else
	echo "# skipped: flock is not installed"
fi

# ---- binary content and a terminal -------------------------------------------------------------

PTY="${SANCTUM_PTY_RUN:?the test suite sets SANCTUM_PTY_RUN}"
head -c 500 /dev/urandom >"$T/scan.raw"
RAW=$("$S" add "$T/scan.raw" | cut -c1-12)
GOOD=$(head_of)
$PTY -- "$S" show "$RAW" >"$T/pty.out" 2>&1
check "binary content is not written to a terminal (exit 1)" test $? -eq 1
check "the refusal says why" grep -q "refusing to write document $RAW (application/octet-stream) to a terminal" "$T/pty.out"
check "the hint names -o" grep -q "hint: use -o FILE" "$T/pty.out"
$PTY -- "$S" show "$DOC12" >"$T/pty.out" 2>&1
check "text content is written to a terminal" grep -q "Rapid-response hotline" "$T/pty.out"

# ---- usage errors ---------------------------------------------------------------------------

expect_exit 2 "missing ID" "show needs an id" "$S" show
expect_exit 2 "missing FILE" "update needs a file" "$S" update "$DOC12"
expect_exit 2 "missing ID" "rm needs an id" "$S" rm
expect_exit 2 "missing DIR" "export needs a folder" "$S" export
expect_exit 2 "unexpected argument" "list takes no argument" "$S" list extra
expect_exit 2 "can't be used with --meta" "-o and --meta exclude each other" \
	"$S" show -o "$T/x" --meta "$DOC12"
expect_exit 2 "unknown option '--titel'" "a mistyped option is a usage error" \
	"$S" add --titel x "$T/hotline.md"
expect_stderr "^hint: did you mean '--title'\?$" "a close option is suggested"
expect_exit 2 "can be read only once" "standard input twice is refused" \
	"$S" add - - --title x
expect_exit 1 "cannot open '.*nope.md'" "a missing file is named" "$S" add "$T/nope.md"
expect_main_at "$GOOD" "usage errors"

test_done
