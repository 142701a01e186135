#!/bin/sh
# The store commands doing their job: init, add (one file, many in one commit, standard
# input), list (table, filters, JSON), show (by prefix, -o, --meta, --json), update, rm,
# log (main and one document), verify, export; finding the store with -C, $SANCTUM_DIR
# and from a subfolder; and stock git accepting the signature of every commit.
. "$SANCTUM_TEST_LIB"

S=$SANCTUM
case $S in /*) ;; *) S=$(pwd)/$S ;; esac
T=$TEST_TMP
require_tool git

# A private home, and nothing from the caller's environment.
HOME=$T/home
export HOME
unset SANCTUM_DIR SANCTUM_PASSPHRASE_FILE XDG_CONFIG_HOME
mkdir "$HOME"
SANCTUM_IDENTITY=$T/aldport.id
export SANCTUM_IDENTITY

mode_of() { ls -ld "$1" | cut -c1-10; }
lines_of() { wc -l <"$1" | tr -d ' '; }
STORE=$T/store
GIT="git --git-dir $STORE/.sanctum"
commits() { $GIT rev-list --count main; }

"$S" keys gen --name aldport --device server --no-passphrase >/dev/null 2>"$T/gen.err" ||
	{ cat "$T/gen.err"; skip_all "'sanctum keys gen' does not work here"; }

printf '# Rapid-response hotline\nLegal aid, 24/7: call the duty lawyer.\n' >"$T/hotline.md"
printf 'Shelter intake: open until 22:00.\n' >"$T/shelter.txt"
printf 'name,phone\nlegal aid,555-0100\n' >"$T/contacts.csv"
printf '%%PDF-1.4 not really a pdf\n' >"$T/flyer.pdf"
head -c 3000 /dev/urandom >"$T/scan.raw"

# ---- init ---------------------------------------------------------------------------------

expect_success "init creates a store" "$S" init --group metro "$STORE"
expect_stdout '^[0-9a-f]{32}$' "init prints the group id"
GROUP_ID=$(cat "$T/out")
expect_stderr "^initialised group metro in .*/store$" "init says what it did"
check "the store is a bare git repository" test "$($GIT rev-parse --is-bare-repository)" = true
check "main has the founding commit" test "$(commits)" -eq 1
expect_exit 1 "already holds a sanctum store" "init refuses a folder that holds a store" \
	"$S" init --group metro "$STORE"
expect_exit 2 'missing --group NAME' "init needs --group" "$S" init "$T/other"
check "a refused init creates nothing" test ! -e "$T/other"
expect_exit 1 "invalid group name" "init refuses a group name with a control character" \
	"$S" init --group "$(printf 'metro\tarea')" "$T/other"
mkdir "$T/here"
expect_success "init without DIR uses the current directory" \
	sh -c "cd '$T/here' && '$S' init --group here"
check "the store is in the current directory" test -f "$T/here/.sanctum/HEAD"

cd "$STORE" || exit 1

# ---- add ----------------------------------------------------------------------------------

expect_success "add one file" "$S" add "$T/hotline.md" --tag legal-aid --tag hotline
HOT=$(cat "$T/out")
expect_stdout '^[0-9a-f]{32}$' "add prints the new id"
check "add prints one line" test "$(echo "$HOT" | wc -l)" -eq 1
HOT12=$(echo "$HOT" | cut -c1-12)
check "one file, one commit" test "$(commits)" -eq 2

expect_success "add four files" "$S" add "$T/shelter.txt" "$T/contacts.csv" "$T/flyer.pdf" \
	"$T/scan.raw" --tag shared
cp "$T/out" "$T/ids"
check "add prints four ids" test "$(grep -cE '^[0-9a-f]{32}$' "$T/ids")" -eq 4
check "four files, one commit" test "$(commits)" -eq 3
SHELTER=$(sed -n 1p "$T/ids")
CSV=$(sed -n 2p "$T/ids")
PDF=$(sed -n 3p "$T/ids")
RAW=$(sed -n 4p "$T/ids")

expect_success "add from standard input with --title" \
	sh -c "printf 'from a pipe\n' | '$S' add - --title 'Piped note' --type text/plain"
PIPED=$(cat "$T/out")
check "standard input makes one document" test "$(commits)" -eq 4

expect_exit 2 '--title names one document, not 2' "--title with two files is a usage error" \
	"$S" add "$T/shelter.txt" "$T/hotline.md" --title x
expect_exit 2 'needs --title' "standard input without --title is a usage error" "$S" add -
expect_exit 2 "missing FILE" "add needs a file" "$S" add
check "refused adds commit nothing" test "$(commits)" -eq 4

# The type comes from the extension.
for pair in "$HOT:text/markdown" "$SHELTER:text/plain" "$CSV:text/csv" \
	"$PDF:application/pdf" "$RAW:application/octet-stream" "$PIPED:text/plain"; do
	"$S" show --meta "${pair%%:*}" >"$T/meta" 2>&1
	check "type ${pair#*:} is guessed" grep -qx "type ${pair#*:}" "$T/meta"
done
"$S" show --meta "$HOT" >"$T/meta.hot" 2>&1
check "the title defaults to the file name" grep -qx 'title hotline.md' "$T/meta.hot"
check "the tags are kept in order" test "$(sed -n 's/^tag //p' "$T/meta.hot" | tr '\n' ' ')" = \
	"legal-aid hotline "

# ---- list ---------------------------------------------------------------------------------

expect_success "list" "$S" list
expect_stdout '^ID +REV +UPDATED +AUTHOR +TITLE +TAGS$' "list has a header"
expect_stdout "^$HOT12 +1 +[0-9]{4}-[0-9]{2}-[0-9]{2} +aldport/server +hotline.md +legal-aid hotline$" \
	"list shows id, rev, date, author, title and tags"
check "list shows every document" test "$(lines_of "$T/out")" -eq 7
check "list has no trailing blanks" sh -c "! grep -q ' \$' '$T/out'"

expect_success "list --tag" "$S" list --tag legal-aid
check "--tag keeps only the tagged documents" test "$(lines_of "$T/out")" -eq 2
expect_success "list with two --tag" "$S" list --tag shared --tag legal-aid
expect_no_stdout "every --tag must match"
expect_stderr '^no documents match$' "an empty result says so"

expect_success "list --author CITY" "$S" list --author aldport
check "--author CITY matches the city's documents" test "$(lines_of "$T/out")" -eq 7
expect_success "list --author CITY/DEVICE" "$S" list --author aldport/server
check "--author CITY/DEVICE matches too" test "$(lines_of "$T/out")" -eq 7
expect_success "list --author another city" "$S" list --author brightwater
expect_no_stdout "--author of a city with no documents lists nothing"
FPR=$("$S" keys show --json | sed -n 's/.*"fingerprint": *"\(SHA256:[^"]*\)".*/\1/p')
if [ -n "$FPR" ]; then
	expect_success "list --author FINGERPRINT" "$S" list --author "$(echo "$FPR" | cut -c1-15)"
	check "--author matches a fingerprint's start" test "$(lines_of "$T/out")" -eq 7
else
	echo "# skipped: 'keys show --json' prints no fingerprint field"
fi

expect_success "list --json" "$S" list --json
expect_stdout '^\[$' "--json prints an array"
expect_stdout "^    \"id\": \"$HOT\",\$" "--json has the full id"
expect_stdout '^    "title": "hotline.md",$' "--json has the title"
expect_stdout '^    "type": "text/markdown",$' "--json has the type"
expect_stdout '^      "legal-aid",$' "--json has the tags"
expect_stdout '^    "author": "SHA256:[A-Za-z0-9+/]{43}",$' "--json has the full fingerprint"
expect_stdout '^    "author_name": "aldport/server",$' "--json has the author's name"
expect_stdout '^    "time": "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z",$' \
	"--json has the time in UTC"
expect_stdout '^    "deleted": false$' "--json says whether it was deleted"
check "--json has every document" test "$(grep -c '"id":' "$T/out")" -eq 6

# ---- show ---------------------------------------------------------------------------------

expect_success "show by a 6-digit prefix" "$S" show "$(echo "$HOT" | cut -c1-6)"
expect_stdout_is "$T/hotline.md" "show prints the content unchanged"
expect_success "show by the full id" "$S" show "$RAW"
expect_stdout_is "$T/scan.raw" "show prints binary content to a pipe"
expect_success "show -o FILE" "$S" show "$HOT12" -o "$T/shown.md"
check "-o writes the content" cmp "$T/shown.md" "$T/hotline.md"
expect_no_stdout "-o writes nothing to stdout"
expect_success "show --meta" "$S" show --meta "$HOT12"
expect_stdout "^id $HOT\$" "--meta has the id"
expect_stdout '^rev 1$' "--meta has the revision"
expect_stdout '^parent none$' "--meta has the parent"
expect_stdout '^state live$' "--meta has the state"
expect_stdout "^size $(wc -c <"$T/hotline.md" | tr -d ' ')\$" "--meta has the size"
expect_success "show --json" "$S" show --json "$HOT12"
expect_stdout '^  "title": "hotline.md",$' "show --json has the title"
expect_exit 1 "no document id starts with '00000000'" "an unknown id is refused" \
	"$S" show 00000000
expect_exit 1 "4 to 32 hex digits" "a too-short prefix is refused" "$S" show abc
expect_exit 2 "can't be used with --json" "--meta and --json exclude each other" \
	"$S" show --meta --json "$HOT12"

# ---- update -------------------------------------------------------------------------------

printf '# Rapid-response hotline\nLegal aid, 24/7: +1 555 0100.\n' >"$T/hotline2.md"
expect_success "update with a new title" "$S" update "$HOT12" "$T/hotline2.md" --title Hotline
expect_stderr "^updated document $HOT12\$" "update says what it did"
check "update is one commit" test "$(commits)" -eq 5
"$S" show "$HOT12" >"$T/shown2.md"
check "show prints the new content" cmp "$T/shown2.md" "$T/hotline2.md"
"$S" show --meta "$HOT12" >"$T/meta2"
check "the revision is 2" grep -qx 'rev 2' "$T/meta2"
check "the parent is named" grep -qE '^parent [0-9a-f]{64}$' "$T/meta2"
check "the new title is kept" grep -qx 'title Hotline' "$T/meta2"
check "the tags stay when none are given" grep -qx 'tag hotline' "$T/meta2"
check "the type stays when none is given" grep -qx 'type text/markdown' "$T/meta2"

expect_success "update --tag replaces the tags" "$S" update "$HOT12" "$T/hotline2.md" --tag urgent
"$S" show --meta "$HOT12" >"$T/meta3"
check "only the new tag is left" test "$(grep -c '^tag ' "$T/meta3")" -eq 1
check "the new tag is there" grep -qx 'tag urgent' "$T/meta3"
check "the title stays" grep -qx 'title Hotline' "$T/meta3"
expect_success "update --no-tags" sh -c "printf 'x\n' | '$S' update '$SHELTER' - --no-tags"
"$S" show --meta "$SHELTER" >"$T/meta4"
check "--no-tags removes every tag" sh -c "! grep -q '^tag ' '$T/meta4'"
expect_exit 2 "can't be used with --tag" "--no-tags excludes --tag" \
	"$S" update "$HOT12" "$T/hotline2.md" --no-tags --tag x

# ---- rm -----------------------------------------------------------------------------------

CSV12=$(echo "$CSV" | cut -c1-12)
expect_success "rm" "$S" rm "$CSV12"
expect_stderr "^removed document $CSV12\$" "rm says what it did"
expect_exit 1 "^sanctum show: document $CSV12 was deleted at rev 2\$" \
	"show refuses a deleted document" "$S" show "$CSV12"
expect_no_stdout "a deleted document prints nothing"
expect_success "show --meta of a deleted document" "$S" show --meta "$CSV12"
expect_stdout '^state deleted$' "--meta shows the tombstone"
expect_success "list after rm" "$S" list
check "list leaves the deleted document out" sh -c "! grep -q '^$CSV12' '$T/out'"
expect_success "list --all" "$S" list --all
expect_stdout "^$CSV12 +2 .*\\[deleted\\] contacts.csv" "list --all marks the deleted document"
expect_exit 1 "deleted" "rm of a deleted document is refused" "$S" rm "$CSV12"

# ---- log ----------------------------------------------------------------------------------

N=$(commits)
expect_success "log" "$S" log
expect_stdout '^ +SEQ +COMMIT +DATE +AUTHOR +SUMMARY$' "log has a header"
expect_stdout "^ +1  [0-9a-f]{12}  [0-9-]{10} [0-9:]{5}  aldport/server +sanctum: group created\$" \
	"log shows the founding commit"
expect_stdout "^ +$N  $($GIT rev-parse main | cut -c1-12)  .*sanctum: 1 removed\$" \
	"log starts with main's head"
check "log shows every commit" test "$(lines_of "$T/out")" -eq $((N + 1))
expect_success "log --json" "$S" log --json
expect_stdout '^    "seq": 1,$' "log --json has the sequence numbers"
expect_stdout "^    \"commit\": \"$($GIT rev-parse main)\",\$" "log --json has full commit ids"
expect_stdout '^    "author": "aldport/server",$' "log --json has the author"
expect_success "log ID" "$S" log "$HOT12"
expect_stdout '^ +REV +DATE +AUTHOR +COMMIT +TITLE$' "log ID has a header"
expect_stdout '^ +3  [0-9-]{10} [0-9:]{5}  aldport/server +[0-9a-f]{12}  Hotline$' \
	"log ID shows the newest revision with its author"
expect_stdout '^ +1  .*  hotline.md$' "log ID shows the first revision"
check "log ID shows each revision" test "$(lines_of "$T/out")" -eq 4
expect_success "log ID --json" "$S" log "$HOT12" --json
expect_stdout '^    "rev": 2,$' "log ID --json has the revisions"
expect_stdout '^    "commit": "[0-9a-f]{40}"$' "log ID --json names each commit"
expect_success "log of a deleted document" "$S" log "$CSV12"
expect_stdout '^ +2  .*\[deleted\] contacts.csv$' "the tombstone is in its log"

# ---- verify -------------------------------------------------------------------------------

expect_success "verify a sound store" "$S" verify
expect_no_stdout "verify prints no problem"
expect_stderr "^verified $N commits, [0-9]+ document revisions: 0 problems\$" \
	"verify prints its summary"
expect_success "verify --json" "$S" verify --json
expect_stdout "^  \"commits\": $N,\$" "verify --json counts the commits"
expect_stdout '^  "problems": \[\]$' "verify --json lists no problem"

# Stock git checks every signature against the allowed-signers line of `keys export`.
if command -v ssh-keygen >/dev/null 2>&1; then
	"$S" keys export --allowed-signers >"$T/allowed" 2>"$T/allowed.err"
	bad=0
	for c in $($GIT rev-list main); do
		git -c gpg.format=ssh -c gpg.ssh.allowedSignersFile="$T/allowed" \
			--git-dir "$STORE/.sanctum" verify-commit "$c" >/dev/null 2>"$T/vc.err" ||
			{ bad=$((bad + 1)); sed 's/^/#   /' "$T/vc.err"; }
	done
	check "git verify-commit accepts all $N commits" test "$bad" -eq 0
else
	echo "# skipped: git verify-commit needs ssh-keygen, which is not installed"
fi

# ---- finding the store --------------------------------------------------------------------

cd "$T" || exit 1
expect_exit 1 "no sanctum store in '.*' or any folder above it" \
	"outside a store, a store command fails" "$S" list
expect_success "-C DIR" "$S" -C "$STORE" list
check "-C DIR lists the store" test "$(lines_of "$T/out")" -eq 6
mkdir -p "$STORE/sub/deeper"
expect_success "discovery from a subfolder" sh -c "cd '$STORE/sub/deeper' && '$S' list"
check "the subfolder finds the store" test "$(lines_of "$T/out")" -eq 6
expect_success "-C DIR with a subfolder" "$S" -C "$STORE/sub" list
expect_success "\$SANCTUM_DIR" env SANCTUM_DIR="$STORE" "$S" list
check "\$SANCTUM_DIR names the store" test "$(lines_of "$T/out")" -eq 6
expect_exit 1 "holds no sanctum store" "\$SANCTUM_DIR is the store's folder, not a subfolder" \
	env SANCTUM_DIR="$STORE/sub" "$S" list
expect_stderr "^hint: \\\$SANCTUM_DIR names" "the hint names \$SANCTUM_DIR"
expect_exit 1 "cannot change to '$T/missing'" "-C with a missing folder fails" \
	"$S" -C "$T/missing" list
expect_success "-C applies to relative paths, as in git" "$S" -C "$STORE/sub" add ../../shelter.txt
check "the relative file was found from DIR" test "$(commits)" -eq $((N + 1))
expect_success "init honours \$SANCTUM_DIR" env SANCTUM_DIR="$T/envstore" "$S" init --group env
check "the store is in \$SANCTUM_DIR" test -f "$T/envstore/.sanctum/HEAD"

# ---- export -------------------------------------------------------------------------------

expect_success "export" "$S" -C "$STORE" export "$T/exported"
expect_stderr '^exported 6 documents to ' "export says how many"
check "the folder has mode 0700" test "$(mode_of "$T/exported")" = "drwx------"
check "a file per live document, and the manifest" test "$(ls -A "$T/exported" | wc -l)" -eq 7
check "the files have mode 0600" test "$(mode_of "$T/exported/$HOT.md")" = "-rw-------"
check "the manifest has mode 0600" test "$(mode_of "$T/exported/manifest.json")" = "-rw-------"
check "the markdown document is <id>.md" cmp "$T/exported/$HOT.md" "$T/hotline2.md"
check "the pdf document is <id>.pdf" cmp "$T/exported/$PDF.pdf" "$T/flyer.pdf"
check "an unknown type is <id>.bin" cmp "$T/exported/$RAW.bin" "$T/scan.raw"
check "the deleted document is left out" test ! -e "$T/exported/$CSV.csv"
M=$T/exported/manifest.json
check "the manifest names the group" grep -q "\"id\": \"$GROUP_ID\"" "$M"
check "the manifest names each file" grep -q "\"file\": \"$HOT.md\"" "$M"
check "the manifest names the authors" grep -q '"author_name": "aldport/server"' "$M"
if command -v sha256sum >/dev/null 2>&1; then
	SUM=$(sha256sum "$T/exported/$RAW.bin" | cut -d' ' -f1)
	check "the manifest has each file's SHA-256" grep -q "\"sha256\": \"$SUM\"" "$M"
fi
check "no temporary folder is left" test "$(ls -A "$T" | grep -c '^\.exported')" -eq 0
mkdir "$T/empty"
expect_success "export into an empty folder" "$S" -C "$STORE" export "$T/empty"
check "the empty folder is filled" test -f "$T/empty/manifest.json"
expect_exit 1 "the folder is not empty" "export refuses a folder that is not empty" \
	"$S" -C "$STORE" export "$T/exported"
expect_exit 1 "is not a folder" "export refuses a file" "$S" -C "$STORE" export "$T/hotline.md"

# ---- a second member: authors by name --------------------------------------------------------

"$S" keys gen --name brightwater --no-passphrase --identity "$T/bright.id" >"$T/bright.card" \
	2>/dev/null
if "$S" -C "$STORE" member add "$(cat "$T/bright.card")" >/dev/null 2>"$T/member.err"; then
	printf 'Brightwater shelter list\n' >"$T/bw.txt"
	BW=$("$S" -C "$STORE" add --identity "$T/bright.id" "$T/bw.txt")
	expect_success "list --author another member's city" "$S" -C "$STORE" list --author brightwater
	expect_stdout "^$(echo "$BW" | cut -c1-12) +1 .* brightwater/main +bw.txt$" \
		"list names the other member's document by city/device"
	check "--author CITY selects only that city" test "$(lines_of "$T/out")" -eq 2
	expect_success "list --author aldport" "$S" -C "$STORE" list --author aldport
	check "--author leaves the other city out" sh -c "! grep -q brightwater '$T/out'"
	expect_success "verify with two members" "$S" -C "$STORE" verify
else
	sed 's/^/#   /' "$T/member.err"
	echo "# skipped: 'sanctum member add' does not work here"
fi

# ---- help ---------------------------------------------------------------------------------

"$S" --help >"$T/help" 2>&1
for cmd in init add list show update rm log verify export; do
	check "sanctum --help lists $cmd" grep -Eq "^    $cmd +[a-z]" "$T/help"
	"$S" "$cmd" --help >"$T/cmd-help" 2>&1
	check "$cmd --help shows its synopsis" grep -q "^usage: sanctum $cmd" "$T/cmd-help"
	"$S" help "$cmd" >"$T/help-cmd" 2>&1
	check "help $cmd is $cmd --help" cmp "$T/cmd-help" "$T/help-cmd"
done
check "--help outside a store needs no store" sh -c "cd '$T' && '$S' list --help >/dev/null"

test_done
