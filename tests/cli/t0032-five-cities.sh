#!/bin/sh
# The membership scenario end to end, with five cities: the founder adds four members
# (two of them admins); one member is removed, and what is written afterwards is out of
# its reach, checked with sanctum and with the stock `age` tool on the raw files of the
# store; a commit the removed member signs afterwards is refused by verify; a plain
# member cannot change the roster; with an approval threshold a change is only proposed
# until the K-th admin approves it; a key rotation keeps its member reading and writing.
# shellcheck source=/dev/null # tests/lib.sh, named by ctest
. "$SANCTUM_TEST_LIB"
require_tool git age

S=$SANCTUM
case $S in /*) ;; *) S=$(pwd)/$S ;; esac
T=$TEST_TMP
HOME=$T/home
export HOME
unset SANCTUM_IDENTITY SANCTUM_PASSPHRASE_FILE SANCTUM_DIR XDG_CONFIG_HOME
mkdir "$HOME"

CITIES="aldport brightwater cedarfield dunmore eastvale"
for who in $CITIES fairhaven; do
	"$S" keys gen --name "$who" --no-passphrase --identity "$T/$who.id" >"$T/$who.card" \
		2>/dev/null || { echo "cannot make identities"; exit 1; }
done
as() { who=$1; shift; SANCTUM_IDENTITY=$T/$who.id "$@"; }
card() { cat "$T/$1.card"; }
STORE=$T/store
sgit() { git --git-dir "$STORE/.sanctum" "$@"; }
head_of() { sgit rev-parse main; }
# The raw file of a document on main (or at another commit): docs/xx/ID.age.
blob() { sgit cat-file -p "${2:-main}:docs/$(printf '%s' "$1" | cut -c1-2)/$1.age"; }
summary=""
note() { summary="$summary
#   $1"; }

# ---- the group: a founder and four members, two of them admins --------------------------

expect_success "aldport founds the group" as aldport "$S" init --group "Five Cities" "$STORE"
cd "$STORE" || exit 1
expect_success "brightwater joins as an admin" as aldport "$S" member add --admin "$(card brightwater)"
expect_success "cedarfield joins as an admin" as aldport "$S" member add --admin "$(card cedarfield)"
expect_success "dunmore joins as a member" as aldport "$S" member add "$(card dunmore)"
expect_success "eastvale joins as a member" as aldport "$S" member add "$(card eastvale)"
expect_success "member list" "$S" member list
expect_stdout '^approvals 1 of 3 admins, epoch 1$' "three admins, epoch 1"
printf 'shelter intake until 22:00\n' >"$T/shelter.md"
expect_success "eastvale writes a document" as eastvale "$S" add "$T/shelter.md"
OLD_DOC=$(cat "$TEST_TMP/out")
for who in $CITIES; do
	expect_success "$who reads it" as "$who" "$S" show "$OLD_DOC"
done
note "five cities, three admins; every city reads a document written in epoch 1"

# ---- one member is removed ---------------------------------------------------------------

OLD_HEAD=$(head_of)
expect_success "aldport removes eastvale" as aldport "$S" member remove eastvale
expect_stderr 'removed eastvale/main; epoch 2 started' "a new epoch starts"
printf 'new rapid-response hotline: 555-0100\n' >"$T/hotline.md"
expect_success "aldport writes a document after the removal" as aldport "$S" add "$T/hotline.md"
NEW_DOC=$(cat "$TEST_TMP/out")
expect_exit 1 'cannot read document' "eastvale cannot read it with sanctum" as eastvale "$S" show "$NEW_DOC"
expect_exit 1 "'eastvale/main' is not a member" "eastvale cannot write any more" as eastvale "$S" add "$T/hotline.md"
for who in aldport brightwater cedarfield dunmore; do
	expect_success "$who reads the new document" as "$who" "$S" show "$NEW_DOC"
done

# The same with the stock age tool and eastvale's own keys, as an attacker would try:
# its age key opens the epoch 1 key (it was a reader then), and no more.
sed -n 's/^age //p' "$T/eastvale.id" >"$T/eastvale.agekey"
sgit cat-file -p main:epochs/000001.age >"$T/epoch1.age"
sgit cat-file -p main:epochs/000002.age >"$T/epoch2.age"
check "age: eastvale's key opens epoch 1" age -d -i "$T/eastvale.agekey" -o "$T/epoch1.txt" "$T/epoch1.age"
sed -n 's/^identity //p' "$T/epoch1.txt" >"$T/epoch1.key"
check "the epoch 1 file holds an age identity" grep -q '^AGE-SECRET-KEY-1' "$T/epoch1.key"
expect_exit 1 'no identity matched' "age: eastvale's key does not open epoch 2" \
	age -d -i "$T/eastvale.agekey" -o "$T/epoch2.txt" "$T/epoch2.age"
blob "$NEW_DOC" >"$T/new.age"
blob "$OLD_DOC" >"$T/old.age"
expect_exit 1 'no identity matched' "age: the epoch 1 key does not decrypt the new document" \
	age -d -i "$T/epoch1.key" -o "$T/new.txt" "$T/new.age"
check "age: the epoch 1 key decrypts the old document" \
	age -d -i "$T/epoch1.key" -o "$T/old.txt" "$T/old.age"
check "and it is the old text" grep -q 'shelter intake' "$T/old.txt"
check "no decrypted new text was left behind" test ! -s "$T/new.txt"
note "eastvale removed: sanctum show and stock age -d with its epoch-1 key fail on the new document"

# rekey moves the old document to epoch 2: its file on main is then out of reach too
# (the revision in the history stays as it was; eastvale could read it when it was a member).
expect_success "rekey after the removal" as aldport "$S" rekey
expect_stderr '^re-encrypted 1 document to epoch 2$' "the old document moves to epoch 2"
blob "$OLD_DOC" >"$T/old-rekeyed.age"
expect_exit 1 'no identity matched' "age: the epoch 1 key no longer decrypts the old document on main" \
	age -d -i "$T/epoch1.key" -o "$T/old2.txt" "$T/old-rekeyed.age"
blob "$OLD_DOC" "$OLD_HEAD" >"$T/old-history.age"
check "age: its earlier revision in the history still opens with the epoch 1 key" \
	age -d -i "$T/epoch1.key" -o "$T/old3.txt" "$T/old-history.age"
expect_exit 1 'cannot read document' "eastvale cannot read the rekeyed document with sanctum" \
	as eastvale "$S" show "$OLD_DOC"
note "after rekey the old document's file on main is out of eastvale's reach (history keeps the old file)"

# ---- a commit signed by the removed member is refused ------------------------------------

# git signs through gpg.ssh.program; this stand-in for `ssh-keygen -Y sign` signs with
# eastvale's Ed25519 seed, taken from its plain identity file, through the test helper.
if [ -x "${SANCTUM_SSHSIG_TOOL:-}" ]; then
	cat >"$T/sign-as-eastvale" <<-EOF
		#!/bin/sh
		for last; do :; done
		"$SANCTUM_SSHSIG_TOOL" sign "\$EASTVALE_SEED" git "\$last" >"\$last.sig"
	EOF
	chmod +x "$T/sign-as-eastvale"
	EASTVALE_SEED=$(sed -n 's/^ed25519 //p' "$T/eastvale.id" | base64 -d | od -An -v -tx1 |
		tr -d ' \n')
	export EASTVALE_SEED
	as eastvale "$S" keys export --ssh >"$T/eastvale.pub"
	as eastvale "$S" keys export --allowed-signers >"$T/eastvale.allowed"
	fp=$(as eastvale "$S" keys show --json | sed -n 's/.*"fingerprint": "\([^"]*\)".*/\1/p')
	seq=$(sgit log -1 --format=%B main | sed -n 's/^Sanctum-Seq: //p')
	GOOD_HEAD=$(head_of)
	printf 'sanctum: 0 documents changed\n\nSanctum-Branch: main\nSanctum-Seq: %s\n' \
		$((seq + 1)) >"$T/message"
	forged=$(env GIT_AUTHOR_NAME=eastvale/main GIT_AUTHOR_EMAIL="$fp" \
		GIT_COMMITTER_NAME=eastvale/main GIT_COMMITTER_EMAIL="$fp" \
		git --git-dir "$STORE/.sanctum" -c gpg.format=ssh \
		-c gpg.ssh.program="$T/sign-as-eastvale" -c user.signingkey="$T/eastvale.pub" commit-tree -S -p main -F "$T/message" \
		'main^{tree}')
	check "git accepts the forged commit's signature as eastvale's" \
		sgit -c gpg.format=ssh -c gpg.ssh.allowedSignersFile="$T/eastvale.allowed" \
		verify-commit "$forged"
	sgit update-ref refs/heads/main "$forged"
	expect_exit 3 '' "verify refuses main with eastvale's commit" as aldport "$S" verify
	expect_stdout 'who was not a member at that point' "because eastvale was no longer a member"
	sgit update-ref refs/heads/main "$GOOD_HEAD"
	expect_success "without it the store verifies" as aldport "$S" verify
	note "a commit signed by eastvale after its removal (valid for git) is refused by sanctum verify"
else
	not_ok "SANCTUM_SSHSIG_TOOL is not set: cannot sign a commit as the removed member"
fi

# ---- a plain member cannot change the roster ---------------------------------------------

head=$(head_of)
expect_exit 1 'only an admin of the group can change its membership' \
	"dunmore (a plain member) cannot add" as dunmore "$S" member add "$(card fairhaven)"
expect_exit 1 'only an admin' "dunmore cannot remove" as dunmore "$S" member remove cedarfield
expect_exit 1 'only an admin' "dunmore cannot make itself an admin" \
	as dunmore "$S" member role dunmore admin
expect_exit 1 'only an admin' "dunmore cannot change the threshold" \
	as dunmore "$S" group set approvals 1
check "main did not move" test "$(head_of)" = "$head"
note "a plain member's roster changes are refused, main unchanged"

# ---- a threshold: proposed until the K-th admin approves ----------------------------------

expect_success "require all three admins" as aldport "$S" group set approvals 3
expect_success "aldport proposes adding fairhaven" as aldport "$S" member add "$(card fairhaven)"
P=$(cat "$TEST_TMP/out")
expect_stderr '1 of 3 admin approvals' "the addition is proposed, 1 of 3"
expect_exit 1 'cannot read document' "fairhaven is not a member yet" as fairhaven "$S" show "$NEW_DOC"
expect_success "brightwater approves" as brightwater "$S" member approve "$P"
expect_stderr '2 of 3 admin approvals, 1 more needed' "2 of 3: still a proposal"
expect_exit 1 'cannot read document' "fairhaven is still not a member" as fairhaven "$S" show "$NEW_DOC"
expect_exit 1 'is not a member of this group' "fairhaven cannot approve itself in" \
	as fairhaven "$S" member approve "$P"
expect_success "cedarfield approves: the third admin" as cedarfield "$S" member approve "$P"
expect_stderr 'the change is applied: add fairhaven/main' "the third approval applies it"
expect_success "fairhaven reads the new document" as fairhaven "$S" show "$NEW_DOC"
expect_stdout '555-0100' "with its content"
expect_success "and the old one (history by default)" as fairhaven "$S" show "$OLD_DOC"
note "with approvals 3, adding fairhaven took effect only at the third admin's approval"

# ---- key rotation keeps the member reading and writing ------------------------------------

expect_success "dunmore rotates its keys" \
	as dunmore "$S" keys rotate --new-identity "$T/dunmore2.id" --no-passphrase
expect_success "dunmore's new key reads the old document" as dunmore2 "$S" show "$OLD_DOC"
expect_success "and the new one" as dunmore2 "$S" show "$NEW_DOC"
printf 'court guide\n' >"$T/court.md"
expect_success "and writes" as dunmore2 "$S" add "$T/court.md"
COURT=$(cat "$TEST_TMP/out")
expect_success "aldport reads what dunmore wrote" as aldport "$S" show "$COURT"
expect_exit 1 "'dunmore/main' is not a member" "dunmore's old key no longer writes" as dunmore "$S" add "$T/court.md"
note "dunmore rotated its keys without approvals; the new key reads and writes, the old one cannot"

for who in aldport brightwater cedarfield dunmore2 fairhaven; do
	expect_success "the store verifies as $who" as "$who" "$S" verify
done

echo "# summary:$summary"
test_done
