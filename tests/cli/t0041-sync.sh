#!/bin/sh
# `sanctum remote`, `pull`, `push` and `sync` between three cities through a local bare
# repository: remote add/list/remove (and the refusals), the first push to an empty
# repository, fast-forwards, concurrent adds merged into one main on every copy, the exit
# statuses a timer reads (0 changed, 6 nothing, 3 refused, 4 unreachable, 5 locked),
# --quiet, --json, --all; a rollback of the hub refused unless --allow-rewind; a hub
# tampered with by hand refused and quarantined with main unchanged; concurrent edits of
# one text document merged three-way, or one winner and a conflict revision when they
# overlap; and at the end every copy verifies and stock git accepts every signature.
# shellcheck source=/dev/null # tests/lib.sh, named by ctest
. "$SANCTUM_TEST_LIB"
require_tool git

S=$SANCTUM
case $S in /*) ;; *) S=$(pwd)/$S ;; esac
T=$(cd "$TEST_TMP" && pwd -P)   # local remotes are recorded as real paths
HOME=$T/home
export HOME
unset SANCTUM_IDENTITY SANCTUM_PASSPHRASE_FILE SANCTUM_DIR XDG_CONFIG_HOME GIT_DIR GIT_WORK_TREE
GIT_CONFIG_NOSYSTEM=1
export GIT_CONFIG_NOSYSTEM
mkdir "$HOME"

CITIES="aldport brightwater coldharbor"
for who in $CITIES; do
	"$S" keys gen --name "$who" --no-passphrase --identity "$T/$who.id" >"$T/$who.card" \
		2>/dev/null || { echo "cannot make identities"; exit 1; }
done
# at CITY ARGS...: sanctum in CITY's store, as CITY.
at() { who=$1; shift; SANCTUM_IDENTITY=$T/$who.id "$S" -C "$T/$who" "$@"; }
sgit() { who=$1; shift; git --git-dir "$T/$who/.sanctum" "$@"; }
head_of() { sgit "$1" rev-parse -q --verify main; }
BARE=$T/hub.git
MIRROR=$T/mirror.git
hub() { git --git-dir "$BARE" "$@"; }
hub_head() { hub rev-parse -q --verify refs/heads/main; }
git -c init.defaultBranch=main init -q --bare "$BARE"
git -c init.defaultBranch=main init -q --bare "$MIRROR"

# expect_synced DESCRIPTION CITY ARGS...: a sync command that must exit 0 or 6.
expect_synced() {
	desc=$1; shift
	at "$@" >"$T/out" 2>"$T/err"
	got=$?
	if [ "$got" -eq 0 ] || [ "$got" -eq 6 ]; then ok "$desc"; else
		not_ok "$desc (exit $got)"; sed 's/^/#   /' "$T/err"; fi
}
# expect_code CODE DESCRIPTION COMMAND...: the command must exit with CODE, whatever it says.
expect_code() {
	code=$1; desc=$2; shift 2
	"$@" >"$T/out" 2>"$T/err"
	got=$?
	if [ "$got" -eq "$code" ]; then ok "$desc"; else
		not_ok "$desc (exit $got, expected $code)"; sed 's/^/#   /' "$T/err"; fi
}
# round: every city syncs once, in order.
round() {
	for who in $CITIES; do
		expect_synced "$1: $who syncs" "$who" sync -q
	done
}
# same_heads DESCRIPTION: every city and the hub have one main.
same_heads() {
	want=$(hub_head)
	for who in $CITIES; do
		check "$1: $who has the hub's main" test "$(head_of "$who")" = "$want"
	done
}
# body FILE N TEXT: ten numbered lines, with line N replaced by TEXT (N=0: none).
body() {
	awk -v n="$2" -v t="$3" 'BEGIN { for (i = 1; i <= 10; i++) print (i == n ? t : "line " i) }' >"$1"
}

# ---- the founder's store ------------------------------------------------------------------

A=$T/aldport
expect_success "aldport founds the group" \
	env SANCTUM_IDENTITY="$T/aldport.id" "$S" init --group "Three Cities" "$A"
for who in brightwater coldharbor; do
	expect_success "aldport adds $who" at aldport member add "$(cat "$T/$who.card")"
done
printf 'shelter intake until 22:00\n' >"$T/shelter.md"
expect_success "aldport adds a document" at aldport add "$T/shelter.md"

# ---- remote add, list, remove -----------------------------------------------------------

for name in .hidden a..b 'a b' a/b x.lock "$(printf '%065d' 0)" 'caf%' ''; do
	expect_exit 2 "a remote's name is 1 to 64 letters" "remote add refuses the name '$name'" \
		at aldport remote add "$name" "$BARE"
done
expect_exit 2 "unknown option '-x'" "remote add refuses a name starting with '-'" \
	at aldport remote add -x "$BARE"
expect_exit 2 'one line' "remote add refuses a URL of two lines" \
	at aldport remote add two "$(printf '%s\nx' "$BARE")"
expect_code 2 "remote add needs a URL" at aldport remote add lonely
expect_success "remote list with no remote" at aldport remote list
expect_no_stdout "prints nothing"
expect_exit 1 'this store has no remote' "pull without a remote" at aldport pull
expect_stderr 'sanctum remote add origin URL' "says how to add one"

expect_success "remote add origin" at aldport remote add origin "$BARE"
expect_stderr "added remote 'origin'" "says what it added"
expect_exit 1 "the remote 'origin' exists already" "a second origin is refused (exit 1)" \
	at aldport remote add origin "$MIRROR"
check "the first URL stays" test "$(sgit aldport config remote.origin.url)" = "$BARE"
expect_success "remote list" at aldport remote list
expect_stdout "^origin +$BARE\$" "lists origin and its URL, nothing verified yet"
expect_success "remote list --json" at aldport remote list --json
expect_stdout '"name": "origin"' "JSON: the name"
expect_stdout "\"url\": \"$BARE\"" "JSON: the URL"
expect_stdout '"verified": ""' "JSON: nothing verified"

expect_exit 6 'the remote has no main yet' "pull from an empty repository: nothing to do (6)" \
	at aldport pull
check "main is still the founder's" test -n "$(head_of aldport)"

# ---- the first push -------------------------------------------------------------------------

expect_exit 0 'push: \(none\)\.\.[0-9a-f]{12}' "the first push to an empty repository" \
	at aldport push
check "the hub has main" test "$(hub_head)" = "$(head_of aldport)"
check "the pushed head is recorded as verified" \
	test "$(sgit aldport rev-parse refs/sanctum/verified/origin)" = "$(head_of aldport)"
expect_exit 6 'push: up to date' "a second push: nothing to do (6)" at aldport push
expect_exit 6 'pull: up to date' "a pull with nothing new (6)" at aldport pull
expect_success "remote list" at aldport remote list
expect_stdout "^origin +$BARE  verified $(head_of aldport | cut -c1-12)\$" \
	"shows the verified head"

# remove forgets the verified record and the quarantine.
expect_success "remote add spare" at aldport remote add spare "$BARE"
expect_code 6 "pull spare" at aldport pull spare
check "spare has a verified record" sgit aldport rev-parse -q --verify refs/sanctum/verified/spare
sgit aldport update-ref refs/sanctum/quarantine/spare "$(head_of aldport)"
expect_success "remote remove spare" at aldport remote remove spare
expect_stderr "removed remote 'spare'" "says what it removed"
check "its verified record is gone" test -z "$(sgit aldport for-each-ref refs/sanctum/verified/spare)"
check "its quarantine is gone" test -z "$(sgit aldport for-each-ref refs/sanctum/quarantine/spare)"
check "its configuration is gone" test -z "$(sgit aldport config --get-regexp '^remote\.spare\.')"
check "origin stays" test "$(sgit aldport config remote.origin.url)" = "$BARE"
check "origin's verified record stays" sgit aldport rev-parse -q --verify refs/sanctum/verified/origin
expect_exit 1 "there is no remote 'spare'" "removing it again (exit 1)" at aldport remote remove spare
expect_exit 1 "there is no remote 'spare'" "pulling it (exit 1)" at aldport pull spare

# Names that share a prefix, or differ in case only, are different remotes (git's remote
# names are case-sensitive). On a scratch copy of the store.
cp -R "$A" "$T/scratch"
sc() { SANCTUM_IDENTITY=$T/aldport.id "$S" -C "$T/scratch" "$@"; }
scfg() { git --git-dir "$T/scratch/.sanctum" config "$@"; }
expect_success "scratch: add hub" sc remote add hub "$BARE"
expect_success "scratch: add hub.mirror" sc remote add hub.mirror "$MIRROR"
expect_success "scratch: remove hub" sc remote remove hub
check "scratch: removing 'hub' keeps 'hub.mirror'" test "$(scfg remote.hub.mirror.url)" = "$MIRROR"
expect_success "scratch: add Origin besides origin" sc remote add Origin "$MIRROR"
expect_success "scratch: remote list" sc remote list
expect_stdout '^Origin ' "lists Origin"
expect_stdout '^origin ' "and origin"
expect_success "scratch: remove Origin" sc remote remove Origin
check "scratch: removing 'Origin' keeps 'origin'" test "$(scfg remote.origin.url)" = "$BARE"
sc remote remove origin >/dev/null 2>&1
scfg --remove-section remote.origin 2>/dev/null
scfg --remove-section remote.hub.mirror 2>/dev/null
expect_success "scratch: add north" sc remote add north "$BARE"
expect_success "scratch: add south" sc remote add south "$MIRROR"
expect_exit 2 'none is called origin' "scratch: with two remotes, none origin, pull must be told which" \
	sc pull
rm -rf "$T/scratch"

# ---- joining through the hub ----------------------------------------------------------------

expect_success "aldport invites through the hub" at aldport invite --remote "$BARE"
INVITE=$(cat "$T/out")
for who in brightwater coldharbor; do
	expect_success "$who joins from the hub" env SANCTUM_IDENTITY="$T/$who.id" \
		"$S" join "$INVITE" "$T/$who"
	check "$who's origin is the hub" test "$(sgit "$who" config remote.origin.url)" = "$BARE"
	check "$who has the hub's main" test "$(head_of "$who")" = "$(hub_head)"
done

# join also wrote remote.origin.fetch, which remove forgets with the rest.
cp -R "$T/brightwater" "$T/scratch"
expect_success "scratch copy of a joined store: remove origin" \
	env SANCTUM_IDENTITY="$T/brightwater.id" "$S" -C "$T/scratch" remote remove origin
check "every remote.origin.* key is gone" \
	test -z "$(git --git-dir "$T/scratch/.sanctum" config --get-regexp '^remote\.')"
rm -rf "$T/scratch"

# ---- fast-forward -------------------------------------------------------------------------

printf 'water distribution at the school, 9:00\n' >"$T/water.md"
expect_success "aldport adds a document" at aldport add "$T/water.md"
WATER=$(cat "$T/out")
expect_exit 0 'push: [0-9a-f]{12}\.\.[0-9a-f]{12}' "aldport pushes it" at aldport push
expect_exit 0 'pull: fast-forward' "brightwater pulls: a fast-forward" at brightwater pull
check "brightwater has aldport's main" test "$(head_of brightwater)" = "$(head_of aldport)"
expect_success "brightwater reads the new document" at brightwater show "$WATER"
expect_stdout 'water distribution' "with its content"
check "the quarantine is dropped after a pull" \
	test -z "$(sgit brightwater for-each-ref refs/sanctum/quarantine/)"
expect_exit 6 'pull: up to date' "a pull with nothing new exits 6" at brightwater pull
expect_exit 6 'push: up to date' "so does a push" at brightwater push
expect_exit 6 'up to date' "and a sync" at brightwater sync

# ---- concurrent adds merge --------------------------------------------------------------

printf 'brightwater: generator at the library\n' >"$T/gen.md"
printf 'coldharbor: blankets at the station\n' >"$T/blankets.md"
expect_success "brightwater adds a document" at brightwater add "$T/gen.md"
GEN=$(cat "$T/out")
expect_success "coldharbor adds one meanwhile" at coldharbor add "$T/blankets.md"
BLANKETS=$(cat "$T/out")
expect_exit 0 'push:' "brightwater syncs first: pushed" at brightwater sync
expect_exit 0 'pull: merged' "coldharbor syncs: merged (exit 0)" at coldharbor sync
expect_stderr 'push:' "and pushed the merge"
MERGE=$(head_of coldharbor)
check "the merge has two parents" test "$(sgit coldharbor rev-list --parents -n1 main | wc -w)" -eq 3
round "after the merge"
same_heads "after one round"
check "the merge is main everywhere" test "$(hub_head)" = "$MERGE"
for who in $CITIES; do
	expect_success "$who reads brightwater's document" at "$who" show "$GEN"
	expect_success "$who reads coldharbor's document" at "$who" show "$BLANKETS"
done

# ---- --quiet and --json -------------------------------------------------------------------

printf 'curfew lifted\n' >"$T/curfew.md"
expect_success "aldport adds a document" at aldport add "$T/curfew.md"
expect_success "sync --quiet with something to push" at aldport sync --quiet
expect_no_stdout "--quiet: no stdout"
check "--quiet: no stderr" test ! -s "$T/err"
expect_success "pull -q with something to pull" at brightwater pull -q
expect_no_stdout "-q: no stdout"
check "-q: no stderr" test ! -s "$T/err"
expect_code 6 "pull -q with nothing new" at brightwater pull -q
check "-q: still no stderr" test ! -s "$T/err"

expect_success "pull --json" at coldharbor pull --json
expect_stdout '"remotes": \[' "JSON: the remotes"
expect_stdout '"exit": 0' "JSON: the exit status"
expect_stdout '"outcome": "fast-forward"' "JSON: the pull's outcome"
expect_stdout '"remote": "origin"' "JSON: the remote's name"
expect_code 6 "pull --json with nothing new" at coldharbor pull --json
expect_stdout '"exit": 6' "JSON: exit 6"
expect_stdout '"result": "nothing"' "JSON: nothing"
expect_code 6 "sync --json" at coldharbor sync --json
expect_stdout '"push": \{' "JSON: sync reports the push too"

# ---- --all with two remotes --------------------------------------------------------------

expect_success "aldport adds a mirror" at aldport remote add mirror "$MIRROR"
expect_exit 0 'mirror: push: \(none\)' "push --all: the mirror is new (exit 0)" at aldport push --all
expect_stderr 'origin: push: up to date' "origin was up to date"
check "the mirror has main" test "$(git --git-dir "$MIRROR" rev-parse main)" = "$(head_of aldport)"
expect_code 6 "pull --all: nothing new on either (6)" at aldport pull --all
expect_stderr 'mirror: pull: up to date' "mirror: up to date"
expect_stderr 'origin: pull: up to date' "origin: up to date"
expect_code 6 "sync --all --json" at aldport sync --all --json
expect_stdout '"remote": "mirror"' "JSON: mirror"
expect_stdout '"remote": "origin"' "JSON: origin"
expect_stdout '^  "exit": 6' "JSON: exit 6 overall"
expect_exit 2 'not both' "a remote and --all" at aldport pull origin --all
expect_exit 2 "invalid --max-fetch '0'" "--max-fetch 0" at aldport pull --max-fetch 0
expect_exit 2 "invalid --max-fetch 'lots'" "--max-fetch lots" at aldport pull --max-fetch lots
printf 'on the hub only\n' >"$T/hubonly.md"
expect_success "brightwater adds a document" at brightwater add "$T/hubonly.md"
expect_success "and pushes it to the hub" at brightwater push -q
expect_exit 0 'origin: pull: fast-forward' "sync --all: origin brings it" at aldport sync --all
expect_stderr '^mirror: pull: up to date' "the mirror, first in name order, had nothing"
check "so it lacks it still" test "$(git --git-dir "$MIRROR" rev-parse main)" != "$(hub_head)"
expect_exit 0 'mirror: push: [0-9a-f]{12}\.\.' "a second sync --all pushes it to the mirror" \
	at aldport sync --all
check "the mirror has it" test "$(git --git-dir "$MIRROR" rev-parse main)" = "$(hub_head)"
expect_code 6 "pull with two remotes takes origin" at aldport pull
expect_stderr '^origin: pull' "origin it is"

# ---- unreachable remotes: exit 4 ---------------------------------------------------------

expect_exit 2 "cannot find the folder '$T/nowhere'" "remote add refuses a folder that does not exist" \
	at aldport remote add gone "$T/nowhere"
# A hub that was there when added and is gone now (an unmounted disk).
git -c init.defaultBranch=main init -q --bare "$T/vanished.git"
expect_success "a remote whose folder then disappears" at aldport remote add gone "$T/vanished.git"
rm -rf "$T/vanished.git"
expect_exit 4 "remote 'gone'" "pull from it: exit 4, naming the remote" at aldport pull gone
expect_exit 4 "remote 'gone'" "push to it: exit 4" at aldport push gone
expect_exit 4 "remote 'gone'" "sync --all: its failure decides (4)" at aldport sync --all
expect_stderr 'origin: pull: up to date' "the other remotes still synced"
expect_success "remote remove gone" at aldport remote remove gone
expect_success "a git:// remote on a closed port" at aldport remote add closed "git://127.0.0.1:1/hub.git"
expect_exit 4 "remote 'closed'.*(refused|failed)" "pull from it: exit 4" at aldport pull closed
expect_exit 4 "remote 'closed'" "push to it: exit 4" at aldport push closed
expect_exit 4 "remote 'closed'" "sync --json: exit 4" at aldport sync closed --json
expect_stdout '"result": "network"' "JSON: network"
expect_stdout '"error": ".*closed' "JSON: the error names the remote"
expect_success "remote remove closed" at aldport remote remove closed
expect_success "remote remove mirror" at aldport remote remove mirror

# ---- the lock: exit 5 ---------------------------------------------------------------------

if command -v flock >/dev/null 2>&1 && command -v timeout >/dev/null 2>&1; then
	printf 'pushed while aldport is busy\n' >"$T/busy.md"
	at brightwater add "$T/busy.md" >/dev/null 2>&1 && at brightwater push -q
	LOCK=$A/.sanctum/sanctum/lock
	mkfifo "$T/release"
	# Another process holds the lock until a line is written to the fifo.
	flock "$LOCK" timeout 30 sh -c "read x <'$T/release'" >/dev/null 2>&1 &
	holder=$!
	n=0
	while flock -n "$LOCK" true && [ $n -lt 100 ]; do sleep 0.05; n=$((n + 1)); done
	before=$(head_of aldport)
	expect_exit 5 'another sanctum process is using the store' "pull while locked: exit 5" \
		at aldport pull
	expect_stderr 'hint: another sync' "with a hint"
	expect_code 5 "push while locked: exit 5" at aldport push
	expect_code 5 "sync while locked: exit 5" at aldport sync --json
	expect_stdout '"result": "locked"' "JSON: locked"
	check "main is unchanged" test "$(head_of aldport)" = "$before"
	timeout 5 sh -c "echo done >'$T/release'"
	wait "$holder"
	expect_exit 0 'pull: fast-forward' "once released, the pull works" at aldport pull
else
	echo "# skipped: the lock checks need flock and timeout (util-linux, coreutils)"
fi

# ---- a rollback of the hub: exit 3 ------------------------------------------------------

round "before the rollback"
same_heads "before the rollback"
OLD=$(hub rev-parse main~2)
CURRENT=$(hub_head)
hub update-ref refs/heads/main "$OLD"
expect_exit 3 "does not contain.*rolled it back.*--allow-rewind" \
	"a hub rewound behind the verified head is refused (exit 3)" at aldport pull
expect_stderr 'hint: inspect' "with a hint"
check "main is unchanged" test "$(head_of aldport)" = "$CURRENT"
check "the verified record is unchanged" \
	test "$(sgit aldport rev-parse refs/sanctum/verified/origin)" = "$CURRENT"
expect_exit 3 'rolled it back' "so is a sync" at aldport sync
check "and nothing was pushed over the rewound hub" test "$(hub_head)" = "$OLD"
expect_code 3 "pull --json" at aldport pull --json
expect_stdout '"result": "refused"' "JSON: refused"
at aldport pull --allow-rewind >"$T/out" 2>"$T/err"
rc=$?
expect_stderr 'warning: .*--allow-rewind' "--allow-rewind warns"
expect_stderr 'accepted a remote main that dropped commits' "saying what it accepted"
check "--allow-rewind accepts it (exit 0 or 6, got $rc)" test "$rc" -eq 0 -o "$rc" -eq 6
check "main keeps every commit" test "$(head_of aldport)" = "$CURRENT"
expect_exit 0 'push:' "aldport pushes main back to the hub" at aldport push
check "the hub is whole again" test "$(hub_head)" = "$CURRENT"
round "after the rollback"
same_heads "after the rollback"

# ---- a tampered hub: exit 3, quarantined --------------------------------------------------

# An unsigned commit on top of main, made with git's plumbing.
H=$(hub_head)
FORGED=$(echo "forged" | GIT_AUTHOR_NAME=x GIT_AUTHOR_EMAIL=x@x.invalid GIT_COMMITTER_NAME=x \
	GIT_COMMITTER_EMAIL=x@x.invalid hub commit-tree "$H^{tree}" -p "$H")
hub update-ref refs/heads/main "$FORGED"
expect_exit 3 'refused the commits from remote .origin.: verification found 1 problem' \
	"an unsigned commit is refused (exit 3)" at aldport pull
expect_stderr "^commit $(echo "$FORGED" | cut -c1-12): the commit is not signed\$" \
	"the problem names the commit"
check "main is unchanged" test "$(head_of aldport)" = "$H"
check "the forged commit is in quarantine" \
	test "$(sgit aldport rev-parse -q --verify refs/sanctum/quarantine/origin)" = "$FORGED"
expect_code 3 "sync refuses it too" at brightwater sync --json
expect_stdout '"message": "the commit is not signed"' "JSON: the problem"
check "and pushes nothing" test "$(hub_head)" = "$FORGED"
hub update-ref refs/heads/main "$H"

# A signed commit with one document's file changed: its signature no longer matches.
printf 'a real note from coldharbor\n' >"$T/real.md"
expect_success "coldharbor adds a document" at coldharbor add "$T/real.md"
REAL=$(cat "$T/out")
expect_success "coldharbor pushes it" at coldharbor push -q
N=$(hub_head)
path="docs/$(echo "$REAL" | cut -c1-2)/$REAL.age"
# One byte in the middle of the file changed, through an index of our own (update-index
# needs a work tree, an empty one here).
hub cat-file blob "$N:$path" >"$T/file.age"
off=$(($(wc -c <"$T/file.age") / 2))
case $(od -An -tx1 -j "$off" -N1 "$T/file.age" | tr -d ' ') in 58) byte=Y ;; *) byte=X ;; esac
printf '%s' "$byte" | dd of="$T/file.age" bs=1 seek="$off" conv=notrunc 2>/dev/null
mkdir "$T/wt"
idx() { GIT_INDEX_FILE=$T/tamper.idx GIT_WORK_TREE=$T/wt git --git-dir "$BARE" "$@"; }
idx read-tree "$N"
idx update-index --cacheinfo "100644,$(hub hash-object -w "$T/file.age"),$path"
TREE=$(idx write-tree)
TAMPERED=$(hub cat-file commit "$N" | sed "1s/^tree .*/tree $TREE/" | hub hash-object -t commit -w --stdin)
check "the tampered commit differs" test "$TAMPERED" != "$N"
hub update-ref refs/heads/main "$TAMPERED"
expect_exit 3 'refused the commits' "a signed commit with a changed document is refused (3)" \
	at aldport pull
expect_stderr "^commit $(echo "$TAMPERED" | cut -c1-12): the commit signature does not verify" \
	"the problem: the signature"
check "main is unchanged" test "$(head_of aldport)" = "$H"
check "the tampered commit is in quarantine" \
	test "$(sgit aldport rev-parse -q --verify refs/sanctum/quarantine/origin)" = "$TAMPERED"
hub update-ref refs/heads/main "$N"
expect_exit 0 'fast-forward' "the real commit is accepted" at aldport pull
check "the quarantine is dropped" test -z "$(sgit aldport for-each-ref refs/sanctum/quarantine/)"
expect_success "aldport reads it" at aldport show "$REAL"
expect_stdout 'a real note' "with its content"
round "after the tampering"
same_heads "after the tampering"

# ---- concurrent edits of one text document ----------------------------------------------

body "$T/plan.md" 0 ""
expect_success "aldport adds a markdown document" \
	at aldport add --type text/markdown -t plan "$T/plan.md"
PLAN=$(cat "$T/out")
round "the plan"
round "the plan, again"
same_heads "the plan"
body "$T/plan-b.md" 2 "line 2, brightwater's"
body "$T/plan-c.md" 9 "line 9, coldharbor's"
expect_success "brightwater edits line 2" at brightwater update "$PLAN" "$T/plan-b.md"
expect_success "coldharbor edits line 9" at coldharbor update "$PLAN" "$T/plan-c.md"
expect_synced "brightwater syncs" brightwater sync
expect_exit 0 '1 text merges?, 0 conflicts' "coldharbor merges the two texts" at coldharbor sync
round "after the text merge"
round "after the text merge, again"
same_heads "after the text merge"
{ echo "line 1"; echo "line 2, brightwater's"; for i in 3 4 5 6 7 8; do echo "line $i"; done
  echo "line 9, coldharbor's"; echo "line 10"; } >"$T/plan-both.md"
for who in $CITIES; do
	expect_success "$who shows the plan" at "$who" show "$PLAN"
	expect_stdout_is "$T/plan-both.md" "$who: the merged plan has both edits"
done

cp "$T/plan-both.md" "$T/base.md"
sed 's/^line 5$/line 5, brightwater says 9:00/' "$T/base.md" >"$T/plan-b.md"
sed 's/^line 5$/line 5, coldharbor says 10:00/' "$T/base.md" >"$T/plan-c.md"
expect_success "brightwater edits line 5" at brightwater update "$PLAN" "$T/plan-b.md"
expect_success "coldharbor edits line 5 too" at coldharbor update "$PLAN" "$T/plan-c.md"
expect_synced "brightwater syncs" brightwater sync
expect_exit 0 '0 text merges, 1 conflict' "coldharbor merges: one winner, one conflict" \
	at coldharbor sync
expect_stderr "sanctum conflicts" "with a hint"
round "after the conflict"
round "after the conflict, again"
same_heads "after the conflict"
for who in $CITIES; do
	expect_success "$who shows the plan" at "$who" show "$PLAN"
	if cmp -s "$T/out" "$T/plan-b.md" || cmp -s "$T/out" "$T/plan-c.md"; then
		ok "$who: one of the two edits won"
	else
		not_ok "$who: the plan is neither edit"; sed 's/^/#   /' "$T/out"
	fi
done
sgit aldport ls-tree -r --name-only main "conflicts/$(echo "$PLAN" | cut -c1-2)/$PLAN/" >"$T/cfiles"
check "the loser is kept under conflicts/" test "$(wc -l <"$T/cfiles")" -eq 1
LOSER=$(sed 's|.*/||; s|\.age$||' "$T/cfiles")
if "$S" conflicts --help >/dev/null 2>&1; then
	for who in $CITIES; do
		expect_success "$who lists the conflicts" at "$who" conflicts
		expect_stdout "^$(echo "$PLAN" | cut -c1-12) +$(echo "$LOSER" | cut -c1-12) " \
			"$who: the plan's losing revision is listed"
	done
	at aldport show "$PLAN" >"$T/winner" 2>/dev/null
	if cmp -s "$T/winner" "$T/plan-b.md"; then cp "$T/plan-c.md" "$T/loser"; else cp "$T/plan-b.md" "$T/loser"; fi
	if "$S" resolve --help >/dev/null 2>&1; then
		expect_success "brightwater resolves it by taking the loser" \
			at brightwater resolve --take "$(echo "$LOSER" | cut -c1-8)" "$PLAN"
		round "after the resolution"
		round "after the resolution, again"
		same_heads "after the resolution"
		for who in $CITIES; do
			expect_success "$who shows the plan" at "$who" show "$PLAN"
			expect_stdout_is "$T/loser" "$who: the plan is the revision that had lost"
			expect_success "$who lists the conflicts" at "$who" conflicts
			check "$who: none left" test "$(grep -c "^$(echo "$PLAN" | cut -c1-12)" "$T/out")" -eq 0
		done
	else
		echo "# skipped: 'sanctum resolve' does not exist yet"
	fi
else
	echo "# skipped: 'sanctum conflicts' does not exist yet"
fi

# ---- every copy verifies, and stock git accepts every signature ---------------------------

round "at the end"
same_heads "at the end"
for who in $CITIES; do
	expect_success "$who verifies" at "$who" verify
	expect_stderr ': 0 problems$' "$who: no problem"
	check "$who: no quarantine left" test -z "$(sgit "$who" for-each-ref refs/sanctum/quarantine/)"
done
if command -v ssh-keygen >/dev/null 2>&1; then
	for who in $CITIES; do
		"$S" keys export --allowed-signers --identity "$T/$who.id"
	done >"$T/allowed" 2>"$T/allowed.err"
	merges=$(sgit aldport rev-list --merges main | wc -l)
	check "there are merge commits ($merges)" test "$merges" -ge 3
	bad=0
	total=0
	for c in $(sgit aldport rev-list main); do
		total=$((total + 1))
		git -c gpg.format=ssh -c gpg.ssh.allowedSignersFile="$T/allowed" \
			--git-dir "$A/.sanctum" verify-commit "$c" >/dev/null 2>"$T/vc.err" ||
			{ bad=$((bad + 1)); sed 's/^/#   /' "$T/vc.err"; }
	done
	check "git verify-commit accepts all $total commits, $merges merges among them" test "$bad" -eq 0
else
	echo "# skipped: git verify-commit needs ssh-keygen, which is not installed"
fi

test_done
