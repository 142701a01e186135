#!/bin/sh
# Changing the membership: `member remove`, `member role`, `group set approvals` with
# `member proposals` and `member approve`, `keys rotate` and `rekey`; their messages and
# exit codes, and the refusals, after which main must not have moved. The store must
# verify after the changes.
# shellcheck source=/dev/null # tests/lib.sh, named by ctest
. "$SANCTUM_TEST_LIB"

S=$SANCTUM
case $S in /*) ;; *) S=$(pwd)/$S ;; esac
T=$TEST_TMP
HOME=$T/home
export HOME
unset SANCTUM_IDENTITY SANCTUM_PASSPHRASE_FILE SANCTUM_DIR XDG_CONFIG_HOME
mkdir "$HOME"

for who in aldport brightwater cedarfield dunmore outsider; do
	"$S" keys gen --name "$who" --no-passphrase --identity "$T/$who.id" >"$T/$who.card" \
		2>/dev/null || { echo "cannot make identities"; exit 1; }
done
"$S" keys gen --name brightwater --device laptop --no-passphrase \
	--identity "$T/brightwater-laptop.id" >"$T/brightwater-laptop.card" 2>/dev/null
as() { who=$1; shift; SANCTUM_IDENTITY=$T/$who.id "$@"; }
STORE=$T/store
head_of() { git --git-dir "$STORE/.sanctum" rev-parse main; }
card() { cat "$T/$1.card"; }

expect_success "founder creates the group" as aldport "$S" init --group "Test Cities" "$STORE"
cd "$STORE" || exit 1
printf 'shelter intake until 22:00\n' >"$T/shelter.md"
expect_success "founder adds a document" as aldport "$S" add "$T/shelter.md"
OLD_DOC=$(cat "$TEST_TMP/out")
as aldport "$S" member add --admin "$(card brightwater)" 2>/dev/null
as aldport "$S" member add "$(card cedarfield)" 2>/dev/null
as aldport "$S" member add "$(card dunmore)" 2>/dev/null
as aldport "$S" member add "$(card brightwater-laptop)" 2>/dev/null

# ---- help and usage ----------------------------------------------------------------------

expect_success "member --help" "$S" member --help
expect_stdout '^    remove ' "member --help lists remove"
expect_stdout '^    role ' "member --help lists role"
expect_stdout '^    proposals ' "member --help lists proposals"
expect_stdout '^    approve ' "member --help lists approve"
expect_success "group --help" "$S" group --help
expect_stdout 'sanctum group set .*approvals K' "group --help shows set approvals K"
expect_success "keys --help" "$S" keys --help
expect_stdout '^    rotate ' "keys --help lists rotate"
expect_success "sanctum help" "$S" help
expect_stdout '^ *group ' "help lists group"
expect_stdout '^ *rekey ' "help lists rekey"
expect_success "help member remove" "$S" help member remove
expect_stdout 'usage: sanctum member remove' "help member remove is its --help"
expect_exit 2 'missing' "remove needs WHO" as aldport "$S" member remove
expect_exit 2 "invalid role 'boss'" "role must be admin or member" \
	as aldport "$S" member role dunmore boss
expect_exit 2 "unknown setting 'quorum'" "group set knows only approvals" \
	as aldport "$S" group set quorum 2
expect_exit 2 "invalid number of approvals '0'" "approvals 0 is a usage error" \
	as aldport "$S" group set approvals 0
expect_exit 2 "invalid number of approvals '-1'" "a negative number is a usage error" \
	as aldport "$S" group set approvals -- -1
expect_exit 2 'missing --new-identity' "rotate needs --new-identity" as aldport "$S" keys rotate
expect_exit 2 "can't be used with" "rotate: --no-passphrase excludes a passphrase file" \
	as aldport "$S" keys rotate --new-identity "$T/x.id" --no-passphrase \
	--new-passphrase-file "$T/x"

# ---- list and group show -------------------------------------------------------------------

expect_success "member list" "$S" member list
expect_stdout '^approvals 1 of 2 admins, epoch 1$' "the list starts with threshold and epoch"
expect_success "member list --json" "$S" member list --json
expect_stdout '"approvals": 1' "JSON has the threshold"
expect_stdout '"epoch": 1' "JSON has the epoch"
expect_stdout '"members": \[' "JSON has the members array"
expect_success "group show" "$S" group show
expect_stdout '^name +Test Cities$' "group show: name"
expect_stdout '^id +[0-9a-f]{32}$' "group show: id"
expect_stdout '^approvals +1 of 2 admins$' "group show: approvals"
expect_stdout '^epoch +1$' "group show: epoch"
expect_stdout '^members +5$' "group show: members"
expect_success "group show --json" "$S" group show --json
expect_stdout '"name": "Test Cities"' "JSON: name"
expect_stdout '"members": 5' "JSON: member count"

# ---- refusals: main must not move ----------------------------------------------------------

head=$(head_of)
expect_exit 1 'only an admin of the group can remove members' "a plain member cannot remove" \
	as dunmore "$S" member remove cedarfield
expect_exit 1 'is not a member of this group' "an outsider cannot remove" \
	as outsider "$S" member remove cedarfield
expect_exit 1 "no active member 'nobody'" "an unknown member is named" \
	as aldport "$S" member remove nobody
expect_exit 1 "the city 'brightwater' has 2 devices" "a city with two devices is ambiguous" \
	as aldport "$S" member remove brightwater
expect_exit 1 'only an admin of the group can change roles' "a plain member cannot change roles" \
	as dunmore "$S" member role dunmore admin
expect_exit 1 "'brightwater/main' is already an admin" "a role is not set twice" \
	as aldport "$S" member role brightwater/main admin
expect_exit 1 'cannot require 3 approvals: the group has 2 admins' \
	"the threshold cannot exceed the admins" as aldport "$S" group set approvals 3
expect_exit 1 'only an admin of the group can change its settings' \
	"a plain member cannot set the threshold" as dunmore "$S" group set approvals 1
expect_exit 1 "no proposal 'abcd'" "approving a proposal that does not exist" \
	as aldport "$S" member approve abcd
check "refusals left main where it was" test "$(head_of)" = "$head"

# ---- role and remove (threshold 1) ---------------------------------------------------------

expect_success "make cedarfield an admin" as aldport "$S" member role cedarfield admin
expect_stderr '^cedarfield/main is now an admin$' "the new role is reported"
expect_no_stdout "an applied change prints nothing on stdout"
expect_success "and a plain member again, by fingerprint" as aldport "$S" member role \
	"$(as cedarfield "$S" keys show --json | sed -n 's/.*"fingerprint": "\([^"]*\)".*/\1/p')" member
expect_stderr 'cedarfield/main is now a plain member' "the fingerprint named the member"
expect_success "remove one device of a city" as aldport "$S" member remove brightwater/laptop
expect_stderr '^removed brightwater/laptop; epoch 2 started' "the removal and new epoch are reported"
expect_stderr "run 'sanctum rekey'" "the removal suggests rekey"
expect_success "brightwater's other device is still a member" as brightwater "$S" show "$OLD_DOC"
expect_success "member list after the removal" "$S" member list
expect_stdout '^approvals 1 of 2 admins, epoch 2$' "the list shows epoch 2"
expect_stdout 'laptop .*\(removed\)' "the removed device is marked"
expect_exit 1 "no active member 'brightwater/laptop'" "a removed member is not removed twice" \
	as aldport "$S" member remove brightwater/laptop

# ---- rekey ---------------------------------------------------------------------------------

printf 'new hotline\n' >"$T/hotline.md"
expect_success "a document in the new epoch" as aldport "$S" add "$T/hotline.md"
NEW_DOC=$(cat "$TEST_TMP/out")
expect_exit 1 '' "the removed device cannot read it" as brightwater-laptop "$S" show "$NEW_DOC"
expect_success "rekey" as aldport "$S" rekey
expect_stderr '^re-encrypted 1 document to epoch 2$' "rekey counts the documents it moved"
expect_success "rekey again" as aldport "$S" rekey
expect_stderr '^every document is already in epoch 2$' "a second rekey has nothing to do"
expect_exit 1 '' "after rekey the removed device cannot read the old document" \
	as brightwater-laptop "$S" show "$OLD_DOC"
expect_success "a member still reads it" as dunmore "$S" show "$OLD_DOC"
expect_stdout 'shelter intake' "with its content"

# ---- approvals: proposals and approve ------------------------------------------------------

expect_success "require two approvals" as aldport "$S" group set approvals 2
expect_stderr 'now needs the approval of 2 admins' "the threshold change is reported"
expect_success "group show --json after" "$S" group show --json
expect_stdout '"approvals": 2' "the threshold is 2"
expect_success "no proposals yet" "$S" member proposals
expect_stderr 'no membership change is waiting' "an empty list says so"
head=$(head_of)
expect_success "a removal is only proposed" as aldport "$S" member remove dunmore
PROPOSAL=$(cat "$TEST_TMP/out")
expect_stdout '^[0-9a-f]{16}$' "the proposal id is printed on stdout"
expect_stderr "^proposed removing dunmore/main \(proposal $PROPOSAL\): 1 of 2 admin approvals" \
	"the proposal is reported"
expect_stderr "sanctum member approve $PROPOSAL" "with how to approve it"
check "the proposal is one commit" test "$(git --git-dir "$STORE/.sanctum" rev-parse main~1)" = "$head"
expect_success "dunmore is still a member" as dunmore "$S" show "$OLD_DOC"
expect_success "member proposals" "$S" member proposals
expect_stdout "^$PROPOSAL  1/2 +aldport/main +remove dunmore/main" "the table shows it"
expect_success "member proposals --json" "$S" member proposals --json
expect_stdout "\"id\": \"$PROPOSAL\"" "JSON: id"
expect_stdout '"missing": 1' "JSON: approvals missing"
expect_stdout '"proposer_name": "aldport/main"' "JSON: proposer"
head=$(head_of)
expect_exit 1 "proposal $PROPOSAL is yours" "the proposer cannot approve twice" \
	as aldport "$S" member approve "$PROPOSAL"
expect_exit 1 'only an admin of the group can approve' "a plain member cannot approve" \
	as cedarfield "$S" member approve "$PROPOSAL"
expect_exit 1 '' "the member to be removed cannot approve" as dunmore "$S" member approve "$PROPOSAL"
check "refused approvals left main where it was" test "$(head_of)" = "$head"
short=$(printf '%s' "$PROPOSAL" | cut -c1-6)
expect_success "the second admin approves (by a prefix)" as brightwater "$S" member approve "$short"
expect_stderr "approved proposal $PROPOSAL; the change is applied: remove dunmore/main" \
	"the approval applies it"
expect_stderr "run 'sanctum rekey'" "and suggests rekey"
expect_exit 1 '' "dunmore is removed" as dunmore "$S" member remove cedarfield
expect_success "no proposals left" "$S" member proposals --json
expect_stdout '^\[\]$' "an empty JSON array"
expect_success "member list shows epoch 3" "$S" member list
expect_stdout '^approvals 2 of 2 admins, epoch 3$' "threshold 2, epoch 3"

# ---- keys rotate ---------------------------------------------------------------------------

expect_exit 1 "refusing to overwrite identity" "rotate never overwrites a file" \
	as cedarfield "$S" keys rotate --new-identity "$T/aldport.id" --no-passphrase
expect_exit 1 "'outsider/main' is not an active member" "an outsider cannot rotate" \
	as outsider "$S" keys rotate --new-identity "$T/outsider2.id" --no-passphrase
check "a refused rotate writes no file" test ! -e "$T/outsider2.id"
expect_exit 1 '' "rotate outside a store fails" \
	sh -c "cd '$T' && SANCTUM_IDENTITY='$T/cedarfield.id' '$S' keys rotate --new-identity '$T/c2.id' --no-passphrase"
check "and writes no file" test ! -e "$T/c2.id"
if flock --no-fork /dev/null true 2>/dev/null; then
	# Another process holds the store: the rotation fails after the new file was written.
	flock --no-fork "$STORE/.sanctum/sanctum/lock" sleep 30 &
	holder=$!
	sleep 1
	head=$(head_of)
	expect_exit 1 'another sanctum process is using the store' "a failed rotation is reported" \
		as cedarfield "$S" keys rotate --new-identity "$T/cedarfield-x.id" --no-passphrase
	expect_stderr 'your current identity still works, and the unused new identity' \
		"with what became of the new file"
	kill "$holder" 2>/dev/null
	wait "$holder" 2>/dev/null
	check "the unused new identity was deleted" test ! -e "$T/cedarfield-x.id"
	check "main did not move" test "$(head_of)" = "$head"
	expect_success "the old identity still works" as cedarfield "$S" show "$OLD_DOC"
fi
head=$(head_of)
expect_success "cedarfield rotates its keys" \
	as cedarfield "$S" keys rotate --new-identity "$T/cedarfield2.id" --no-passphrase
expect_stdout '^sanctum-card-v1:cedarfield:main:' "the new card is printed"
expect_stderr 'rotated the keys of cedarfield/main' "the rotation is reported"
expect_stderr "SANCTUM_IDENTITY=$T/cedarfield2.id" "with the variable to set"
check "a rotation needs no approvals: one commit" \
	test "$(git --git-dir "$STORE/.sanctum" rev-parse main~1)" = "$head"
check "the new identity is mode 0600" test "$(stat -c %a "$T/cedarfield2.id")" = 600
expect_success "the new key reads" as cedarfield2 "$S" show "$OLD_DOC"
printf 'court guide\n' >"$T/court.md"
expect_success "the new key writes" as cedarfield2 "$S" add "$T/court.md"
expect_exit 1 '' "the old key no longer writes" as cedarfield "$S" add "$T/court.md"
expect_exit 1 'not an active member' "the old key cannot rotate again" \
	as cedarfield "$S" keys rotate --new-identity "$T/cedarfield3.id" --no-passphrase
expect_success "rotate to another device name" as brightwater "$S" keys rotate \
	--new-identity "$T/brightwater2.id" --device server --no-passphrase
expect_stderr 'to brightwater/server' "the device name changed"
expect_success "the renamed device is still an admin" "$S" member list
expect_stdout 'server +admin' "server is an admin"

# ---- the whole history still holds ---------------------------------------------------------

for who in aldport brightwater2 cedarfield2; do
	expect_success "the store verifies as $who" as "$who" "$S" verify
	expect_stderr ': 0 problems$' "no problems as $who"
done

test_done
