#!/bin/sh
# docs/lost-key.md, step by step: a stolen device is removed (a proposal the second admin
# approves), the city re-added with a new key, the store rekeyed and verified; then what
# the thief can and cannot do; then the variant of a key replaced with `keys rotate`.
# shellcheck source=/dev/null # tests/lib.sh, named by ctest
. "$SANCTUM_TEST_LIB"

S=$SANCTUM
case $S in /*) ;; *) S=$(pwd)/$S ;; esac
T=$TEST_TMP
HOME=$T/home
export HOME
unset SANCTUM_IDENTITY SANCTUM_PASSPHRASE_FILE SANCTUM_DIR XDG_CONFIG_HOME
mkdir "$HOME"

gen() { "$S" keys gen --name "$1" --device "$2" --no-passphrase --identity "$T/$3.id" \
	>"$T/$3.card" 2>/dev/null || { echo "cannot make identities"; exit 1; }; }
gen aldport server server
gen aldport laptop laptop
gen brightwater main brightwater
as() { who=$1; shift; SANCTUM_IDENTITY=$T/$who.id "$@"; }
STORE=$T/store
sgit() { git --git-dir "$STORE/.sanctum" "$@"; }

# ---- before: a group with two admins that needs both to change membership ---------------

expect_success "aldport/server founds the group" as server "$S" init --group "Metro" "$STORE"
cd "$STORE" || exit 1
expect_success "adds its laptop" as server "$S" member add "$(cat "$T/laptop.card")"
expect_success "adds brightwater as an admin" as server "$S" member add --admin \
	"$(cat "$T/brightwater.card")"
expect_success "both admins must approve changes" as server "$S" group set approvals 2
printf 'shelter intake until 22:00\n' >"$T/shelter.md"
expect_success "a document" as laptop "$S" add "$T/shelter.md"
SHELTER=$(cat "$TEST_TMP/out")
BEFORE_REMOVAL=$(sgit rev-parse main)

# The laptop is stolen; its identity file is now the thief's too.
cp "$T/laptop.id" "$T/thief.id"
printf 'call 555-0199 for help\n' >"$T/bogus.md"
expect_success "the thief writes before anyone notices" as thief "$S" add "$T/bogus.md"
BOGUS=$(cat "$TEST_TMP/out")

# ---- 1. remove the device ------------------------------------------------------------------

expect_success "1. member remove aldport/laptop" as server "$S" member remove aldport/laptop
P=$(cat "$TEST_TMP/out")
expect_stderr 'proposed removing aldport/laptop' "the removal is proposed (2 approvals)"
expect_success "member proposals" "$S" member proposals
expect_stdout "^$P  1/2 " "shows it with 1 of 2 approvals"
expect_success "the other admin approves" as brightwater "$S" member approve "$P"
expect_stderr 'the change is applied: remove aldport/laptop' "the removal takes effect"

# ---- 2. re-add the city with a new key -------------------------------------------------------

expect_success "2. keys gen on the replacement device" "$S" keys gen --name aldport \
	--device laptop --no-passphrase --identity "$T/newlaptop.id"
cp "$TEST_TMP/out" "$T/newlaptop.card"
expect_success "member add with the new card" as server "$S" member add "$(cat "$T/newlaptop.card")"
P=$(cat "$TEST_TMP/out")
expect_success "approved by the other admin" as brightwater "$S" member approve "$P"
expect_stderr 'the change is applied: add aldport/laptop' "the new key is a member"

# ---- 3. rekey --------------------------------------------------------------------------------

expect_success "3. rekey" as server "$S" rekey
expect_stderr '^re-encrypted 2 documents to epoch 2$' "both documents move to the new epoch"

# ---- 4. check --------------------------------------------------------------------------------

expect_success "4. verify" as server "$S" verify
expect_stderr ': 0 problems$' "the history holds"
expect_success "member list" "$S" member list
expect_stdout 'laptop +member +SHA256:.*\(removed\)' "the stolen key is removed"
expect_stdout '^approvals 2 of 2 admins, epoch 2$' "the group is in epoch 2"
expect_success "log" "$S" log
expect_stdout '^ +6  [0-9a-f]+  .*aldport/laptop +sanctum: 1 added' "log shows what the stolen key signed"
expect_success "the new laptop reads everything" as newlaptop "$S" show "$SHELTER"
expect_success "and writes" as newlaptop "$S" update "$BOGUS" "$T/shelter.md"
printf 'rapid response: 555-0100\n' >"$T/after.md"
expect_success "a document written afterwards" as server "$S" add "$T/after.md"
AFTER=$(cat "$TEST_TMP/out")

# ---- what the thief can and cannot do afterwards ----------------------------------------------

head=$(sgit rev-parse main)
expect_exit 1 'cannot read document' "the thief cannot read the new document" \
	as thief "$S" show "$AFTER"
expect_exit 1 'cannot read document' "nor, after rekey, the old one" as thief "$S" show "$SHELTER"
expect_exit 1 "is not a member" "nor write" as thief "$S" add "$T/bogus.md"
expect_exit 1 'is not a member' "nor change the roster" as thief "$S" member remove brightwater
expect_exit 1 'not an active member' "nor rotate its way back in" \
	as thief "$S" keys rotate --new-identity "$T/thief2.id" --no-passphrase
check "main did not move" test "$(sgit rev-parse main)" = "$head"
if command -v age >/dev/null 2>&1; then
	sed -n 's/^age //p' "$T/thief.id" >"$T/thief.agekey"
	sgit cat-file -p main:epochs/000002.age >"$T/epoch2.age"
	expect_exit 1 'no identity matched' "age: the stolen key does not open the new epoch" \
		age -d -i "$T/thief.agekey" -o "$T/e2.txt" "$T/epoch2.age"
	sgit cat-file -p "$BEFORE_REMOVAL:epochs/000001.age" >"$T/epoch1.age"
	age -d -i "$T/thief.agekey" "$T/epoch1.age" 2>/dev/null | sed -n 's/^identity //p' \
		>"$T/epoch1.key"
	d=$(printf '%s' "$SHELTER" | cut -c1-2)
	sgit cat-file -p "$BEFORE_REMOVAL:docs/$d/$SHELTER.age" >"$T/shelter-old.age"
	check "age: what the history held before the removal stays readable to it" \
		age -d -i "$T/epoch1.key" -o "$T/shelter-old.txt" "$T/shelter-old.age"
else
	echo "# age is not installed: the checks with the stock tool are skipped"
fi

# ---- the variant: a key replaced with keys rotate ------------------------------------------

printf 'correct horse battery staple\n' >"$T/pass"
head=$(sgit rev-parse main)
expect_success "brightwater rotates into a passphrase-protected identity" \
	as brightwater "$S" keys rotate --new-identity "$T/brightwater2.id" \
	--new-passphrase-file "$T/pass" --work-factor 10
expect_stderr "set SANCTUM_IDENTITY=$T/brightwater2.id" "it says which identity to use now"
check "one commit, no approvals needed" test "$(sgit rev-parse main~1)" = "$head"
check "the new file is protected" grep -q 'BEGIN AGE ENCRYPTED FILE' "$T/brightwater2.id"
expect_success "the new key reads" env SANCTUM_PASSPHRASE_FILE="$T/pass" \
	SANCTUM_IDENTITY="$T/brightwater2.id" "$S" show "$AFTER"
expect_success "and, an admin still, approves and writes" env SANCTUM_PASSPHRASE_FILE="$T/pass" \
	SANCTUM_IDENTITY="$T/brightwater2.id" "$S" add "$T/after.md"
expect_exit 1 "is not a member" "the old key no longer writes" as brightwater "$S" add "$T/after.md"
expect_exit 1 'refusing to overwrite' "rotate never replaces a file" \
	env SANCTUM_PASSPHRASE_FILE="$T/pass" SANCTUM_IDENTITY="$T/brightwater2.id" \
	"$S" keys rotate --new-identity "$T/server.id" --no-passphrase
expect_success "the store still verifies" as server "$S" verify

test_done
