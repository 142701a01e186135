#!/bin/sh
# `sanctum member`: adding members from their cards (with and without history, as admin
# or member), listing them grouped by city, and the refusals: a non-admin adding, a
# member added twice, a damaged card. The store must verify, as every member, after
# each change, and stock git must accept every commit's signature.
# shellcheck source=/dev/null # tests/lib.sh, named by ctest
. "$SANCTUM_TEST_LIB"

S=$SANCTUM
case $S in /*) ;; *) S=$(pwd)/$S ;; esac
T=$TEST_TMP
HOME=$T/home
export HOME
unset SANCTUM_IDENTITY SANCTUM_PASSPHRASE_FILE SANCTUM_DIR XDG_CONFIG_HOME
mkdir "$HOME"

for who in aldport brightwater cedarfield outsider; do
	"$S" keys gen --name "$who" --no-passphrase --identity "$T/$who.id" >"$T/$who.card" \
		2>/dev/null || { echo "cannot make identities"; exit 1; }
done
as() { who=$1; shift; SANCTUM_IDENTITY=$T/$who.id "$@"; }
STORE=$T/store
commits() { git --git-dir "$STORE/.sanctum" rev-list --count main; }

expect_success "founder creates the group" as aldport "$S" init --group "Test Cities" "$STORE"
cd "$STORE" || exit 1
printf 'shelter intake until 22:00\n' >"$T/shelter.md"
expect_success "founder adds a document" as aldport "$S" add "$T/shelter.md" --tag shelter
DOC=$(cat "$TEST_TMP/out")

# ---- help and usage ----------------------------------------------------------------------

expect_success "member --help" "$S" member --help
expect_stdout '^    add ' "member --help lists add"
expect_exit 2 'missing subcommand' "member without a subcommand" "$S" member
expect_exit 2 "did you mean 'add'" "a close match is suggested" "$S" member ad
expect_exit 2 'missing' "add needs a card" as aldport "$S" member add

# ---- adding ------------------------------------------------------------------------------

before=$(commits)
expect_success "founder adds brightwater" as aldport "$S" member add "$(cat "$T/brightwater.card")"
expect_stderr 'added brightwater/main as a member' "the addition is reported"
check "one commit per addition" test "$(commits)" -eq $((before + 1))
expect_success "a card read from stdin, admin, no history" \
	sh -c "SANCTUM_IDENTITY='$T/aldport.id' '$S' member add --admin --no-history - <'$T/cedarfield.card'"
expect_stderr 'added cedarfield/main as an admin, without the earlier epochs' \
	"admin and no-history are reported"

expect_success "member list" "$S" member list
expect_stdout '^brightwater$' "cities are headings"
expect_stdout '^    main +admin +SHA256:' "devices with their role and fingerprint"
expect_stdout '\(no history\)' "a member without history is marked"
expect_success "member list --json" "$S" member list --json
expect_stdout '"city": "cedarfield"' "JSON names the city"
expect_stdout '"role": "admin"' "JSON gives the role"
expect_stdout '"history": false' "JSON gives the history flag"

# ---- what members can do -------------------------------------------------------------------

expect_success "a new member reads the earlier document" as brightwater "$S" show "$DOC"
expect_stdout 'shelter intake' "with the founder's content"
printf 'court guide\n' >"$T/court.md"
expect_success "a member adds a document" as brightwater "$S" add "$T/court.md"
expect_success "the no-history admin reads it" as cedarfield "$S" show "$(cat "$TEST_TMP/out")"
for who in aldport brightwater cedarfield; do
	expect_success "the store verifies as $who" as "$who" "$S" verify
done

# ---- refusals: the store must not change ---------------------------------------------------

head=$(git --git-dir "$STORE/.sanctum" rev-parse main)
expect_exit 1 'only an admin of the group can change its membership' "a plain member cannot add" \
	as brightwater "$S" member add "$(cat "$T/outsider.card")"
expect_exit 1 'is not a member of this group|not one' "an outsider cannot add itself" \
	as outsider "$S" member add "$(cat "$T/outsider.card")"
expect_exit 1 "'cedarfield/main' is already a member" "a member is not added twice" \
	as aldport "$S" member add "$(cat "$T/cedarfield.card")"
card=$(cat "$T/outsider.card")
expect_exit 1 'cannot read the member card' "a card with a changed character is refused" \
	as aldport "$S" member add "$(printf '%s' "$card" | sed 's/outsider/outsidex/')"
expect_exit 1 'cannot read the member card' "a truncated card is refused" \
	as aldport "$S" member add "$(printf '%s' "$card" | cut -c1-60)"
check "refusals left main where it was" test "$(git --git-dir "$STORE/.sanctum" rev-parse main)" = "$head"
expect_exit 1 '' "the outsider still cannot read" as outsider "$S" show "$DOC"

# ---- stock git accepts every commit --------------------------------------------------------

as aldport "$S" keys export --allowed-signers >"$T/allowed"
as brightwater "$S" keys export --allowed-signers >>"$T/allowed"
bad=0
for c in $(git --git-dir "$STORE/.sanctum" rev-list main); do
	git -c gpg.format=ssh -c gpg.ssh.allowedSignersFile="$T/allowed" \
		--git-dir "$STORE/.sanctum" verify-commit "$c" 2>/dev/null || bad=$((bad + 1))
done
check "git verify-commit accepts every commit" test "$bad" -eq 0

test_done
