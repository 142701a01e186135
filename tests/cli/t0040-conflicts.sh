#!/bin/sh
# Conflicts from the command line: `sanctum conflicts` (table and JSON) and `sanctum
# resolve` (--take HASH, --take current, FILE, standard input), their usage errors and
# refusals, after which main must not have moved. Until pull exists, the conflicts are
# made by tests/tools/merge_tool on two copies of one store (cp -a of .sanctum), which
# merges one copy's main into the other's exactly as pull will.
. "$SANCTUM_TEST_LIB"

S=$SANCTUM
case $S in /*) ;; *) S=$(pwd)/$S ;; esac
T=$TEST_TMP
require_tool git
MERGE_TOOL=$(dirname "${SANCTUM_DOC_TOOL:-.}")/merge_tool
[ -x "$MERGE_TOOL" ] || skip_all "merge_tool is not built beside doc_tool"

HOME=$T/home
export HOME
unset SANCTUM_DIR SANCTUM_PASSPHRASE_FILE XDG_CONFIG_HOME
mkdir "$HOME"
SANCTUM_IDENTITY=$T/aldport.id
export SANCTUM_IDENTITY
"$S" keys gen --name aldport --device server --no-passphrase >/dev/null 2>"$T/gen.err" ||
	{ cat "$T/gen.err"; skip_all "'sanctum keys gen' does not work here"; }

A=$T/a
B=$T/b
head_of() { git --git-dir "$A/.sanctum" rev-parse main; }
in_a() { (cd "$A" && "$@"); }
in_b() { (cd "$B" && "$@"); }
# b starts again as a copy of a (as if it had synced), then each side edits `$1`.
diverge() {
	rm -rf "$B" && mkdir "$B" && cp -a "$A/.sanctum" "$B/" || exit 1
	printf '%s\n' "$2" >"$T/mine" && in_a "$S" update "$1" "$T/mine" 2>/dev/null
	printf '%s\n' "$3" >"$T/theirs" && in_b "$S" update "$1" "$T/theirs" 2>/dev/null
	"$MERGE_TOOL" "$A" "$SANCTUM_IDENTITY" "$B" >"$T/merge.out" 2>"$T/merge.err" ||
		{ cat "$T/merge.err"; exit 1; }
}

"$S" init --group metro "$A" >/dev/null 2>&1 || exit 1
printf 'Hotline: 555-0100\n' >"$T/hotline.md"
printf 'Shelter open until 22:00\n' >"$T/shelter.md"
in_a "$S" add "$T/hotline.md" >"$T/id1" 2>/dev/null
in_a "$S" add "$T/shelter.md" >"$T/id2" 2>/dev/null
ID1=$(cat "$T/id1")
ID2=$(cat "$T/id2")
SHORT1=$(printf '%.12s' "$ID1")

# ---- help and usage -------------------------------------------------------------------------

expect_success "conflicts --help" "$S" conflicts --help
expect_stdout '^usage: sanctum conflicts \[--json\]' "conflicts --help shows the synopsis"
expect_success "resolve --help" "$S" resolve --help
expect_stdout '^usage: sanctum resolve --take HASH' "resolve --help shows the --take form"
expect_stdout '^   or: sanctum resolve .*ID FILE$' "resolve --help shows the FILE form"
expect_success "sanctum help lists them" "$S" help
expect_stdout '^    conflicts ' "help lists conflicts"
expect_stdout '^    resolve ' "help lists resolve"
expect_exit 2 'missing --take HASH or FILE' "resolve needs --take or FILE" \
	in_a "$S" resolve "$ID1"
expect_exit 2 "can't be used together" "resolve takes --take or FILE, not both" \
	in_a "$S" resolve "$ID1" --take current "$T/mine"
expect_exit 2 'missing' "resolve needs an ID" in_a "$S" resolve --take current

# ---- no conflicts ---------------------------------------------------------------------------

expect_success "conflicts on a store without any" in_a "$S" conflicts
expect_stderr '^no conflicts$' "it says so on standard error"
expect_no_stdout "and prints no table"
expect_success "conflicts --json without any" in_a "$S" conflicts --json
expect_stdout '^\[\]$' "an empty JSON array"
expect_exit 1 'has no conflicts' "resolving a document without conflicts is refused" \
	in_a "$S" resolve "$ID1" --take current

# ---- a conflict, listed and taken ------------------------------------------------------------

diverge "$ID1" "Hotline: 555-0199 (from a)" "Hotline: 555-0142 (from b)"
check "the merge kept one conflict" grep -q '0 taken, 0 text merges, 1 conflicts' "$T/merge.out"
expect_success "conflicts lists it" in_a "$S" conflicts
expect_stdout '^ID +CONFLICT +REV +DATE +AUTHOR +STATE +TITLE$' "the table has its header"
expect_stdout "^$SHORT1  [0-9a-f]{12}     2  [0-9-]{10}  aldport/server  live     hotline.md$" \
	"one line: id, hash, rev, date, author, state, title"
expect_success "conflicts --json" in_a "$S" conflicts --json
expect_stdout "\"id\": \"$ID1\"" "JSON: the document id"
expect_stdout '"hash": "[0-9a-f]{64}"' "JSON: the revision hash"
expect_stdout '"current_rev": 2' "JSON: the current revision"
expect_stdout '"author_name": "aldport/server"' "JSON: the author's name"
expect_stdout '"state": "live"' "JSON: the state"
HASH=$(sed -n 's/.*"hash": "\([0-9a-f]*\)".*/\1/p' "$T/out")
in_a "$S" show "$ID1" >"$T/current" 2>/dev/null
if cmp -s "$T/current" "$T/mine"; then LOSER=$T/theirs; else LOSER=$T/mine; fi

BEFORE=$(head_of)
expect_exit 1 "no conflict revision of this document starts with 'zzzz'|hex digits" \
	"a hash that is not hex is refused" in_a "$S" resolve "$ID1" --take zzzz
expect_exit 1 "4 to 64 hex digits" "a hash prefix is at least 4 digits" \
	in_a "$S" resolve "$ID1" --take abc
WRONG=$(printf '%s' "$HASH" | cut -c1-8 | tr '0-9a-f' '1-9a-f0')
expect_exit 1 "no conflict revision of this document starts with '$WRONG'" \
	"a hash of no conflict revision is refused" in_a "$S" resolve "$ID1" --take "$WRONG"
expect_exit 1 "no document id starts with 'ffff0000'" "an unknown document is refused" \
	in_a "$S" resolve ffff0000 --take current
check "refusals leave main alone" test "$(head_of)" = "$BEFORE"

expect_success "resolve --take a hash prefix" \
	in_a "$S" resolve "$SHORT1" --take "$(printf '%.10s' "$HASH")"
expect_stderr "^resolved document $SHORT1$" "resolve says what it did"
in_a "$S" show "$ID1" >"$T/now" 2>/dev/null
check "the document now has the conflict revision's content" cmp "$T/now" "$LOSER"
expect_success "conflicts after resolving" in_a "$S" conflicts
expect_stderr '^no conflicts$' "none are left"
check "conflicts/ is gone from main" \
	sh -c "! git --git-dir '$A/.sanctum' cat-file -e main:conflicts 2>/dev/null"
check "the resolution is one commit" \
	test "$(git --git-dir "$A/.sanctum" log -1 --format=%s main)" = "sanctum: 1 resolved"

# ---- current, a file, standard input ---------------------------------------------------------

diverge "$ID2" "Shelter open until 23:00" "Shelter open until 21:00"
in_a "$S" show "$ID2" >"$T/kept" 2>/dev/null
expect_success "resolve --take current" in_a "$S" resolve "$ID2" --take current
in_a "$S" show "$ID2" >"$T/now" 2>/dev/null
check "--take current keeps the content" cmp "$T/now" "$T/kept"
expect_success "the revision went up" in_a "$S" show --meta "$ID2"
expect_stdout "^rev 3$" "--take current wrote revision 3 (2 won the merge)"

diverge "$ID2" "Shelter: call first" "Shelter: walk in"
printf 'Shelter: call first, or walk in\n' >"$T/both"
expect_success "resolve with a FILE" in_a "$S" resolve "$ID2" "$T/both"
in_a "$S" show "$ID2" >"$T/now" 2>/dev/null
check "the FILE is the new content" cmp "$T/now" "$T/both"

diverge "$ID1" "one" "two"
printf 'from standard input\n' >"$T/stdin"
expect_success "resolve from standard input" sh -c "cd '$A' && '$S' resolve '$ID1' - <'$T/stdin'"
in_a "$S" show "$ID1" >"$T/now" 2>/dev/null
check "standard input is the new content" cmp "$T/now" "$T/stdin"

expect_success "the whole history verifies" in_a "$S" verify
test_done
