#!/bin/sh
# Three cities write at once and sync in a random order, many rounds over: random adds
# (text and binary documents), edits of one line (so that concurrent edits sometimes merge
# as texts and sometimes conflict) and deletions. Then two full rounds of sync, after which
# every city has one main, every copy verifies, and every revision any city ever wrote is
# still reachable from main on every copy: nothing a member wrote is lost by a merge.
#
# The run is decided by a seed, printed first; SANCTUM_SEED=N replays a run, and
# SANCTUM_ROUNDS=N changes the number of rounds (15 by default).
# shellcheck source=/dev/null # tests/lib.sh, named by ctest
. "$SANCTUM_TEST_LIB"
require_tool git

S=$SANCTUM
case $S in /*) ;; *) S=$(pwd)/$S ;; esac
T=$TEST_TMP
HOME=$T/home
export HOME
unset SANCTUM_IDENTITY SANCTUM_PASSPHRASE_FILE SANCTUM_DIR XDG_CONFIG_HOME GIT_DIR GIT_WORK_TREE
GIT_CONFIG_NOSYSTEM=1
export GIT_CONFIG_NOSYSTEM
mkdir "$HOME"

SEED=${SANCTUM_SEED:-1}
ROUNDS=${SANCTUM_ROUNDS:-15}
echo "# seed $SEED, $ROUNDS rounds (replay with SANCTUM_SEED=$SEED)"

# The random numbers, from the seed alone: rnd N sets R to the next one modulo N.
awk -v seed="$SEED" 'BEGIN { srand(seed); for (i = 0; i < 50000; i++) print int(rand() * 1000003) }' \
	>"$T/random"
exec 3<"$T/random"
rnd() { read -r R <&3; R=$((R % $1)); }

CITIES="aldport brightwater coldharbor"
for who in $CITIES; do
	"$S" keys gen --name "$who" --no-passphrase --identity "$T/$who.id" >"$T/$who.card" \
		2>/dev/null || { echo "cannot make identities"; exit 1; }
done
at() { who=$1; shift; SANCTUM_IDENTITY=$T/$who.id "$S" -C "$T/$who" "$@"; }
sgit() { who=$1; shift; git --git-dir "$T/$who/.sanctum" "$@"; }
head_of() { sgit "$1" rev-parse -q --verify main; }
BARE=$T/hub.git
git -c init.defaultBranch=main init -q --bare "$BARE"

# Failures of the random part are counted, not each reported as a check, and the first
# few are shown.
failures=0
fail() {
	failures=$((failures + 1))
	if [ "$failures" -le 10 ]; then
		echo "# round $round: $1"; sed 's/^/#   /' "$T/err"; fi
}

# ---- three cities through one hub --------------------------------------------------------

expect_success "aldport founds the group" \
	env SANCTUM_IDENTITY="$T/aldport.id" "$S" init --group "Three Cities" "$T/aldport"
for who in brightwater coldharbor; do
	expect_success "aldport adds $who" at aldport member add "$(cat "$T/$who.card")"
done
expect_success "aldport adds the hub" at aldport remote add origin "$BARE"
expect_success "aldport pushes" at aldport push -q
INVITE=$(at aldport invite --remote "$BARE" 2>/dev/null)
for who in brightwater coldharbor; do
	expect_success "$who joins" env SANCTUM_IDENTITY="$T/$who.id" "$S" join "$INVITE" "$T/$who"
done

# ---- the random writes ------------------------------------------------------------------------

: >"$T/written"          # one line per revision written: CITY ID BLOB
adds=0 edits=0 deletes=0 syncs=0 merges=0 texts=0 conflicts=0

# record CITY ID: the blob of the revision CITY just wrote.
record() {
	blob=$(sgit "$1" rev-parse -q --verify "main:docs/$(echo "$2" | cut -c1-2)/$2.age")
	echo "$1 $2 $blob" >>"$T/written"
}

# live CITY: sets DOC to a random live document of CITY, or to nothing.
live() {
	at "$1" list --json 2>"$T/err" | sed -n 's/^ *"id": "\([0-9a-f]*\)",$/\1/p' >"$T/ids"
	n=$(wc -l <"$T/ids")
	DOC=
	[ "$n" -gt 0 ] || return 0
	rnd "$n"
	DOC=$(sed -n "$((R + 1))p" "$T/ids")
}

write_add() {
	rnd 3
	if [ "$R" -eq 0 ]; then type=application/octet-stream; else type=text/markdown; fi
	awk -v w="$1" -v r="$round" 'BEGIN { for (i = 1; i <= 8; i++) print "line " i " from " w " in round " r }' \
		>"$T/new"
	if at "$1" add --type "$type" -t "note $round $1" "$T/new" >"$T/out" 2>"$T/err"; then
		adds=$((adds + 1))
		record "$1" "$(cat "$T/out")"
	else
		fail "$1 cannot add a document"
	fi
}

write_edit() {
	rnd 8
	line=$((R + 1))
	at "$1" show "$2" >"$T/cur" 2>"$T/err" || { fail "$1 cannot show $2"; return; }
	awk -v n="$line" -v t="line $line edited by $1 in round $round" 'NR == n { $0 = t } { print }' \
		"$T/cur" >"$T/new"
	if at "$1" update "$2" "$T/new" >"$T/out" 2>"$T/err"; then
		edits=$((edits + 1))
		record "$1" "$2"
	else
		fail "$1 cannot update $2"
	fi
}

write_rm() {
	if at "$1" rm "$2" >"$T/out" 2>"$T/err"; then
		deletes=$((deletes + 1))
		record "$1" "$2"
	else
		fail "$1 cannot delete $2"
	fi
}

# sync_city CITY: a sync, or now and then a pull and a push; each must exit 0 or 6.
sync_city() {
	rnd 4
	if [ "$R" -eq 0 ]; then set -- "$1" pull; else set -- "$1" sync; fi
	at "$1" "$2" --json >"$T/json" 2>"$T/err"
	rc=$?
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 6 ]; then fail "$1 $2 exits $rc"; return; fi
	syncs=$((syncs + 1))
	grep -q '"outcome": "merged"' "$T/json" && merges=$((merges + 1))
	texts=$((texts + $(sed -n 's/^ *"texts_merged": \([0-9]*\),$/\1/p' "$T/json" | head -n1)))
	conflicts=$((conflicts + $(sed -n 's/^ *"conflicts": \([0-9]*\),$/\1/p' "$T/json" | head -n1)))
	if [ "$2" = pull ]; then
		at "$1" push -q >"$T/out" 2>"$T/err"
		rc=$?
		if [ "$rc" -ne 0 ] && [ "$rc" -ne 6 ]; then fail "$1 push exits $rc"; fi
	fi
}

round=0
while [ "$round" -lt "$ROUNDS" ]; do
	round=$((round + 1))
	for who in $CITIES; do
		rnd 3
		ops=$R
		while [ "$ops" -gt 0 ]; do
			ops=$((ops - 1))
			rnd 10
			kind=$R
			live "$who"
			# Few documents, so that cities often change the same one at once.
			if [ -z "$DOC" ] || [ "$kind" -lt 1 ] || { [ "$n" -lt 5 ] && [ "$kind" -lt 4 ]; }; then
				write_add "$who"
			elif [ "$kind" -lt 8 ]; then
				write_edit "$who" "$DOC"
			else
				write_rm "$who" "$DOC"
			fi
		done
	done
	# The cities sync in a random order; some skip a round.
	# shellcheck disable=SC2086 # three words
	set -- $CITIES
	rnd 6
	case $R in
	0) order="$1 $2 $3" ;; 1) order="$1 $3 $2" ;; 2) order="$2 $1 $3" ;;
	3) order="$2 $3 $1" ;; 4) order="$3 $1 $2" ;; *) order="$3 $2 $1" ;;
	esac
	for who in $order; do
		rnd 5
		[ "$R" -eq 0 ] && continue
		sync_city "$who"
	done
done
echo "# $adds adds, $edits edits, $deletes deletions; $syncs syncs, $merges merges," \
	"$texts text merges, $conflicts conflicts"
check "every random write and sync worked ($failures failures)" test "$failures" -eq 0
check "the run wrote revisions" test "$(wc -l <"$T/written")" -gt 0
check "the run merged" test "$merges" -gt 0

# ---- two full rounds, then one main everywhere ------------------------------------------------

for pass in 1 2; do
	for who in $CITIES; do
		at "$who" sync -q >"$T/out" 2>"$T/err"
		rc=$?
		check "final round $pass: $who syncs (exit $rc)" test "$rc" -eq 0 -o "$rc" -eq 6
	done
done
HUB=$(git --git-dir "$BARE" rev-parse main)
for who in $CITIES; do
	check "$who has the hub's main" test "$(head_of "$who")" = "$HUB"
done
for who in $CITIES; do
	expect_success "$who verifies" at "$who" verify
	expect_stderr ': 0 problems$' "$who: no problem"
done
at aldport list -a --json >"$T/list.aldport" 2>/dev/null
for who in brightwater coldharbor; do
	at "$who" list -a --json >"$T/list.$who" 2>/dev/null
	check "$who lists the same documents as aldport" cmp "$T/list.aldport" "$T/list.$who"
done

# ---- nothing written was lost -----------------------------------------------------------------

for who in $CITIES; do
	sgit "$who" rev-list --objects main | cut -d' ' -f1 | sort -u >"$T/objects.$who"
	missing=0
	while read -r writer doc blob; do
		if [ -z "$blob" ] || ! grep -qx "$blob" "$T/objects.$who"; then
			missing=$((missing + 1))
			[ "$missing" -le 5 ] && echo "#   $who lacks $writer's revision $blob of $doc"
		fi
	done <"$T/written"
	check "$who reaches all $(wc -l <"$T/written" | tr -d ' ') revisions written ($missing missing)" \
		test "$missing" -eq 0
done
current=$(sgit aldport ls-tree -r --name-only main conflicts/ | wc -l)
echo "# $current conflict revisions kept on main"

test_done
