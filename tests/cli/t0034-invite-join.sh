#!/bin/sh
# `sanctum invite` and `sanctum join`: the founder invites, a newcomer joins from the
# founder's folder once an admin has added its card, reads the documents and verifies the
# store; the refusals (not yet a member, a damaged invitation, a forged one whose anchor
# is another group's, a folder that holds a store) leave nothing behind.
# shellcheck source=/dev/null # tests/lib.sh, named by ctest
. "$SANCTUM_TEST_LIB"

S=$SANCTUM
case $S in /*) ;; *) S=$(pwd)/$S ;; esac
T=$TEST_TMP
HOME=$T/home
export HOME
unset SANCTUM_IDENTITY SANCTUM_PASSPHRASE_FILE SANCTUM_DIR XDG_CONFIG_HOME
mkdir "$HOME"

for who in aldport brightwater; do
	"$S" keys gen --name "$who" --no-passphrase --identity "$T/$who.id" >"$T/$who.card" \
		2>/dev/null || { echo "cannot make identities"; exit 1; }
done
as() { who=$1; shift; SANCTUM_IDENTITY=$T/$who.id "$@"; }
STORE=$T/founder
JOINED=$T/joined

expect_success "founder creates the group" as aldport "$S" init --group "Test Cities" "$STORE"
GROUP=$(cat "$TEST_TMP/out")
printf 'shelter intake until 22:00\n' >"$T/shelter.md"
expect_success "founder adds a document" as aldport "$S" -C "$STORE" add "$T/shelter.md" --tag shelter
DOC=$(cat "$TEST_TMP/out")

# ---- invite --------------------------------------------------------------------------------

expect_success "invite --help" "$S" invite --help
expect_stdout 'sanctum join' "the help says how the newcomer joins"
expect_exit 1 'no sanctum store' "invite outside a store" sh -c "cd '$T' && '$S' invite"
expect_success "founder invites" "$S" -C "$STORE" invite
INVITE=$(cat "$TEST_TMP/out")
expect_stdout "^sanctum-invite-v1:$GROUP:[A-Za-z0-9_-]{43}:Test%20Cities:$STORE:[0-9a-f]{8}\$" \
	"one line: group id, anchor, name, the store's folder, checksum"
expect_stderr 'after an admin has added its card' "stderr says what comes next"
check "the invitation is one line" test "$(wc -l <"$TEST_TMP/out")" -eq 1
expect_success "invite with remotes" "$S" -C "$STORE" invite --remote "ssh://git@example.org/x.git" \
	--remote "$STORE/.sanctum"
expect_stdout ':ssh%3A//git%40example.org/x.git,/' "remotes are percent-encoded, in order"
expect_exit 1 'cannot find the folder' "a missing local folder is refused" \
	"$S" -C "$STORE" invite --remote "$T/nowhere"

# The anchor is the SHA-256 of the manifest file, checked by hand.
anchor=$(git --git-dir "$STORE/.sanctum" show main:group | sha256sum | cut -c1-64 |
	xxd -r -p | basenc --base64url | tr -d '=')
check "the anchor is the manifest's SHA-256" test "$(echo "$INVITE" | cut -d: -f3)" = "$anchor"

# ---- join ------------------------------------------------------------------------------------

expect_exit 1 'you are not a member of this group yet: send your card \(sanctum keys show\) to an admin' \
	"a newcomer not yet in the roster is refused" as brightwater "$S" join "$INVITE" "$JOINED"
check "a refused join leaves nothing behind" test ! -e "$JOINED"

expect_success "founder adds the newcomer" as aldport "$S" -C "$STORE" member add "$(cat "$T/brightwater.card")"
expect_success "the newcomer joins from the founder's folder" \
	as brightwater "$S" join "$INVITE" "$JOINED"
expect_stdout "^$GROUP\$" "join prints the group id"
expect_stderr 'joined group Test Cities' "join says what it joined"
check "the anchor is pinned" test "$(git --git-dir "$JOINED/.sanctum" config sanctum.anchor)" = \
	"$(git --git-dir "$STORE/.sanctum" config sanctum.anchor)"
check "the remote is recorded as origin" \
	test "$(git --git-dir "$JOINED/.sanctum" config remote.origin.url)" = "$STORE/.sanctum"
expect_success "the newcomer lists the documents" as brightwater "$S" -C "$JOINED" list
expect_stdout 'shelter' "with the founder's document"
expect_success "the newcomer shows it" as brightwater "$S" -C "$JOINED" show "$DOC"
expect_stdout 'shelter intake until 22:00' "with its content"
expect_success "the joined store verifies" as brightwater "$S" -C "$JOINED" verify

expect_exit 1 'already holds a sanctum store' "joining into a store is refused" \
	as brightwater "$S" join "$INVITE" "$JOINED"
expect_success "the invitation read from stdin" \
	sh -c "echo '$INVITE' | SANCTUM_IDENTITY='$T/brightwater.id' '$S' join - '$T/joined2'"
expect_success "from the .sanctum path too" \
	as brightwater "$S" join "$("$S" -C "$STORE" invite --remote "$STORE/.sanctum" 2>/dev/null)" \
	"$T/joined3"

# ---- damaged and forged invitations -------------------------------------------------------

damaged=$(echo "$INVITE" | sed 's/Test%20Cities/Test%20Citiez/')
expect_exit 1 'checksum does not match' "a changed character is refused" \
	as brightwater "$S" join "$damaged" "$T/j4"
expect_exit 1 'cut short' "a truncated invitation is refused" \
	as brightwater "$S" join "$(echo "$INVITE" | cut -d: -f1-4)" "$T/j4"
check "nothing left" test ! -e "$T/j4"

# A forged invitation: the anchor of another group, with a correct checksum.
expect_success "a second group" as aldport "$S" init --group "Test Cities" "$T/other"
other=$(git --git-dir "$T/other/.sanctum" show main:group | sha256sum | cut -c1-64 |
	xxd -r -p | basenc --base64url | tr -d '=')
body=$(echo "$INVITE" | awk -F: -v a="$other" 'BEGIN { OFS = ":" } { $3 = a; NF = 5; print }')
forged="$body:$(printf '%s' "$body" | sha256sum | cut -c1-8)"
expect_exit 3 "does not match the invitation's trust anchor" "a forged anchor is refused (exit 3)" \
	as brightwater "$S" join "$forged" "$T/j5"
check "a refused join leaves nothing behind" test ! -e "$T/j5"

test_done
