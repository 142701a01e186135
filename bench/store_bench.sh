#!/bin/sh
# The store at 10,000 documents: sanctum add, list, show and verify, each next to plain
# git doing the same work on the same files.
#     bench/store_bench.sh [BUILD_DIR] [DOCS] [ONE_AT_A_TIME] [RUNS]
# BUILD_DIR defaults to build/release under the repository root and must hold sanctum,
# bench/peak_rss and bench/store_bench. DOCS (default 10000) documents of 512 B to 64 KiB
# are made with a fixed seed; ONE_AT_A_TIME (default: all) of them are also added one
# `sanctum add` (one commit) each; RUNS (default 21) is how many times list and show
# are timed. Everything lives in a folder under $TMPDIR (else /tmp), removed on exit.
# See bench/README.md for what each row measures.
set -u

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
build=${1:-$root/build/release}
# Absolute: the script works from several folders.
build=$(cd "$build" 2>/dev/null && pwd) || {
	echo "store_bench.sh: no build folder '${1:-$root/build/release}'" >&2
	exit 1
}
docs=${2:-10000}
one=${3:-$docs}
runs=${4:-21}
seed=1
peak=$build/bench/peak_rss
helper=$build/bench/store_bench
sanctum=$build/sanctum
[ -x "$sanctum" ] || sanctum=$build/cmd/sanctum

die() {
	echo "store_bench.sh: $*" >&2
	exit 1
}
note() {
	echo "store_bench.sh: $*" >&2
}

case "$docs$one$runs" in
	''|*[!0-9]*) echo "usage: $0 [BUILD_DIR] [DOCS] [ONE_AT_A_TIME] [RUNS]" >&2; exit 2 ;;
esac
if [ "$docs" -lt 1 ] || [ "$runs" -lt 1 ] || [ "$one" -gt "$docs" ]; then
	die "need DOCS >= 1, RUNS >= 1 and ONE_AT_A_TIME <= DOCS"
fi
for tool in "$sanctum" "$peak" "$helper"; do
	[ -x "$tool" ] || die "'$tool' is missing: build with 'cmake --build --preset release'"
done
command -v git >/dev/null 2>&1 || die "git is needed for the baseline"

work=$(mktemp -d "${TMPDIR:-/tmp}/sanctum-store-bench.XXXXXX") || die "cannot make a folder"
trap 'rm -rf "$work"' EXIT
trap 'exit 1' INT TERM

# The documents' sizes are about 13.6 KiB on average: check there is room for the files,
# two sanctum stores and two git repositories of them (with some to spare).
need_kib=$((docs * 14 * 8 + 65536))
free_kib=$(df -Pk "$work" | awk 'NR == 2 { print $4 }')
[ "$free_kib" -ge "$need_kib" ] ||
	die "$work has $((free_kib / 1024)) MiB free, needs about $((need_kib / 1024)) MiB"

# Plain git, untouched by the user's or the system's configuration: no signing, no hooks,
# and no automatic gc, which would pack the loose objects in the background in the middle
# of a measurement (sanctum, through libgit2, never packs on its own either).
GIT_CONFIG_NOSYSTEM=1
GIT_CONFIG_GLOBAL=/dev/null
GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.org
GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.org
export GIT_CONFIG_NOSYSTEM GIT_CONFIG_GLOBAL GIT_AUTHOR_NAME GIT_AUTHOR_EMAIL \
	GIT_COMMITTER_NAME GIT_COMMITTER_EMAIL
SANCTUM_IDENTITY=$work/identity
export SANCTUM_IDENTITY
unset SANCTUM_DIR SANCTUM_PASSPHRASE_FILE

git_init() {
	if ! git init -q -b main "$1" || ! git -C "$1" config gc.auto 0 ||
		! git -C "$1" config maintenance.auto false; then
		die "cannot make a git repository in $1"
	fi
}

# run NAME COMMAND...: runs COMMAND once under peak_rss, its output to $work/NAME.out
# and $work/NAME.err, and appends "SECONDS PEAK_KIB" to $work/NAME.all.
run() {
	name=$1
	shift
	if ! "$peak" "$work/stat" "$@" >"$work/$name.out" 2>"$work/$name.err"; then
		cat "$work/$name.err" >&2
		# The command without its list of files.
		die "'$(echo "$*" | cut -c1-100)' failed"
	fi
	cat "$work/stat" >>"$work/$name.all"
}

# repeat N NAME COMMAND...: run, N times.
repeat() {
	n=$1
	shift
	i=0
	while [ $i -lt "$n" ]; do
		run "$@"
		i=$((i + 1))
	done
}

# summary NAME FIELD: median, best (smallest) and worst of the runs of NAME, for FIELD 1
# (seconds) or 2 (peak KiB), as "MEDIAN BEST WORST".
summary() {
	sort -n -k "$2,$2" "$work/$1.all" | awk -v f="$2" '
		{ v[NR] = $f }
		END {
			m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			print m, v[1], v[NR]
		}'
}
median() { summary "$1" 1 | cut -d' ' -f1; }
best() { summary "$1" 1 | cut -d' ' -f2; }
rss_mib() { summary "$1" 2 | awk '{ printf "%.1f", $3 / 1024 }'; }

# Other work on the machine skews every figure: the load is printed with the table.
load_start=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)

files=$work/files
mkdir "$files" || die "cannot make $files"
"$helper" gen "$files" "$docs" "$seed" >"$work/gen.out" || die "cannot make the documents"
total_bytes=$(awk '{ print $4 }' "$work/gen.out")
"$sanctum" keys gen --name bench --device main --no-passphrase >/dev/null 2>&1 ||
	die "'sanctum keys gen' failed"

# make_store DIR: a new store in DIR.
make_store() {
	"$sanctum" init -g bench "$1" >/dev/null 2>&1 || die "'sanctum init $1' failed"
}

# The first N documents' file names, in order (doc-NNNNN.txt or .bin: no spaces).
# shellcheck disable=SC2012
first() {
	(cd "$files" && ls | head -n "$1")
}

# ---- 1. add, one batch ----------------------------------------------------------------
note "adding $docs documents ($total_bytes bytes) in one batch"
make_store "$work/batch"
cd "$files" || die "cannot enter $files"
export SANCTUM_DIR="$work/batch"
# shellcheck disable=SC2046 # the file names are doc-NNNNN.txt/.bin: no spaces
run add_batch "$sanctum" add $(first "$docs")
[ "$(wc -l <"$work/add_batch.out")" -eq "$docs" ] || die "sanctum add printed no id per file"
cp "$work/add_batch.out" "$work/ids"

git_init "$work/git-batch"
cp -p "$files"/* "$work/git-batch/" || die "cannot copy the files"
cd "$work/git-batch" || die "cannot enter $work/git-batch"
run git_batch_add git add -A
run git_batch_commit git commit -q -m "$docs added"
# One row for git: add + commit.
awk 'NR == FNR { s = $1; k = $2; next } { print s + $1, (k > $2 ? k : $2) }' \
	"$work/git_batch_add.all" "$work/git_batch_commit.all" >"$work/git_batch.all"

# ---- 2. add, one at a time --------------------------------------------------------------
# In segments ending at 1000, 5000 and ONE_AT_A_TIME documents: between segments (not
# timed) the store so far is verified, for verify's time and peak RSS against the length
# of the history. The segments' times add up to the whole.
# docs_range FROM TO: the names of documents FROM..TO (1-based).
docs_range() {
	first "$2" | tail -n "+$1"
}
checkpoints=""
for n in 1000 5000 "$one"; do
	case " $checkpoints " in *" $n "*) continue ;; esac
	[ "$n" -gt 0 ] && [ "$n" -le "$one" ] && checkpoints="$checkpoints $n"
done
if [ "$one" -gt 0 ]; then
	note "adding $one documents one at a time (one commit each), sanctum then git"
	make_store "$work/one"
	git_init "$work/git-one"
	# shellcheck disable=SC2046
	(cd "$files" && cp -p $(first "$one") "$work/git-one/") || die "cannot copy the files"
	from=1
	for n in $checkpoints; do
		cd "$files" || die "cannot enter $files"
		export SANCTUM_DIR="$work/one"
		# shellcheck disable=SC2046,SC2016
		run add_one sh -c \
			's=$1; shift; for f do "$s" add "$f" >/dev/null || exit 1; done' \
			sh "$sanctum" $(docs_range "$from" "$n")
		cd "$work/git-one" || die "cannot enter $work/git-one"
		# shellcheck disable=SC2046,SC2016
		run git_one sh -c \
			'for f do git add "$f" && git commit -q -m "1 added" || exit 1; done' \
			sh $(docs_range "$from" "$n")
		cd "$work" || die "cannot enter $work"
		if [ "$n" -lt "$one" ]; then
			note "verify after $n commits of one document"
			run "verify_one$n" "$sanctum" verify
		fi
		from=$((n + 1))
	done
	for name in add_one git_one; do
		awk '{ s += $1; k = $2 > k ? $2 : k } END { print s, k }' "$work/$name.all" \
			>"$work/$name.sum"
		mv "$work/$name.sum" "$work/$name.all"
	done
fi

# ---- 3. list ---------------------------------------------------------------------------
note "list: first (index rebuild), then $runs runs from the up-to-date index"
cd "$work" || die "cannot enter $work"
export SANCTUM_DIR="$work/batch"
run list_first "$sanctum" list
# One line per document, after a line of column names.
[ "$(wc -l <"$work/list_first.out")" -eq $((docs + 1)) ] || die "sanctum list did not list $docs"
repeat "$runs" list "$sanctum" list
index_dir=$work/batch/.sanctum/sanctum/index
for i in 1 2 3; do
	rm -f "$index_dir"/*.age
	run list_rebuild "$sanctum" list
done
repeat "$runs" git_list git -C "$work/git-batch" ls-tree -r HEAD
"$helper" list "$work/batch" "$SANCTUM_IDENTITY" "$runs" >"$work/list_lib" ||
	die "store_bench list failed"
"$helper" gitlist "$work/git-batch/.git" "$runs" >"$work/git_list_lib" ||
	die "store_bench gitlist failed"

# ---- 4. show ---------------------------------------------------------------------------
# The document in the middle of the set, by file name.
mid=$(((docs + 1) / 2))
show_file=$(first "$mid" | tail -n 1)
show_id=$(sed -n "${mid}p" "$work/ids")
show_size=$(wc -c <"$files/$show_file")
note "show: $show_file ($show_size bytes), $runs runs"
repeat "$runs" show "$sanctum" show "$show_id"
cmp -s "$work/show.out" "$files/$show_file" || die "sanctum show printed another content"
repeat "$runs" git_show git -C "$work/git-batch" cat-file blob "HEAD:$show_file"
"$helper" show "$work/batch" "$SANCTUM_IDENTITY" "$show_id" "$runs" >"$work/show_lib" ||
	die "store_bench show failed"
"$helper" gitshow "$work/git-batch/.git" "$show_file" "$runs" >"$work/git_show_lib" ||
	die "store_bench gitshow failed"

# ---- 5. verify -------------------------------------------------------------------------
note "verify: the batch store of $docs (3 runs), and stores of 1000 and 5000 for peak RSS"
repeat 3 verify "$sanctum" verify
repeat 3 git_fsck git -C "$work/git-batch" fsck --full --no-progress
for n in 1000 5000; do
	[ "$n" -lt "$docs" ] || continue
	make_store "$work/batch$n"
	cd "$files" || die "cannot enter $files"
	export SANCTUM_DIR="$work/batch$n"
	# shellcheck disable=SC2046
	run "add_batch$n" "$sanctum" add $(first "$n")
	cd "$work" || die "cannot enter $work"
	repeat 3 "verify$n" "$sanctum" verify
done
if [ "$one" -gt 0 ]; then
	export SANCTUM_DIR="$work/one"
	repeat 3 "verify_one$one" "$sanctum" verify
	# git fsck of this repository checks every version of a flat tree: slow, one run.
	run git_fsck_one git -C "$work/git-one" fsck --full --no-progress
fi

# ---- the table ---------------------------------------------------------------------------
lib() { awk -v k="$2" -v f="$3" '$1 == k { printf "%.2f", $f }' "$work/$1"; }
ms() { awk -v s="$1" 'BEGIN { printf "%.1f", s * 1000 }'; }
sec() { awk -v s="$1" 'BEGIN { printf "%.2f", s }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
check() { awk "BEGIN { print (($1) ? \"met\" : \"MISSED\") }"; }
row() { printf '%-46s %11s %11s %7s  %s\n' "$@"; }

add_s=$(best add_batch)
git_add_s=$(best git_batch)
echo
echo "sanctum store benchmark: $docs documents, $total_bytes bytes (512 B to 64 KiB, seed $seed)"
echo "  $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
echo "  in $work ($(stat -f -c %T "$work")); $(git --version); times are wall clock"
echo "  load average (1, 5, 15 min) at start: ${load_start:-?}; at end:" \
	"$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')"
echo
row "measure" "sanctum" "git" "ratio" "target"
row "add $docs, one batch (s)" "$(sec "$add_s")" "$(sec "$git_add_s")" \
	"$(ratio "$add_s" "$git_add_s")" \
	"<= 3x git: $(check "$add_s <= 3 * $git_add_s")"
row "  peak RSS (MiB)" "$(rss_mib add_batch)" "$(rss_mib git_batch)" "" ""
if [ "$one" -gt 0 ]; then
	one_s=$(best add_one)
	git_one_s=$(best git_one)
	row "add $one, one at a time (s)" "$(sec "$one_s")" "$(sec "$git_one_s")" \
		"$(ratio "$one_s" "$git_one_s")" ""
	row "  per add (ms)" "$(ms "$(awk -v s="$one_s" -v n="$one" 'BEGIN { print s / n }')")" \
		"$(ms "$(awk -v s="$git_one_s" -v n="$one" 'BEGIN { print s / n }')")" "" ""
fi
row "list, up-to-date index, median (ms)" "$(ms "$(median list)")" \
	"$(ms "$(median git_list)")" "$(ratio "$(median list)" "$(median git_list)")" \
	"< 100 ms: $(check "$(median list) < 0.1")"
row "  best of $runs (ms)" "$(ms "$(best list)")" "$(ms "$(best git_list)")" "" ""
row "  peak RSS (MiB)" "$(rss_mib list)" "$(rss_mib git_list)" "" ""
row "list, first: index rebuild (s)" "$(sec "$(best list_first)")" "" "" ""
row "  rebuild, median of 3 (s)" "$(sec "$(median list_rebuild)")" "" "" ""
row "list in-process, open+list, median (ms)" "$(lib list_lib list_open 2)" \
	"$(lib git_list_lib gitlist_open 2)" \
	"$(ratio "$(lib list_lib list_open 2)" "$(lib git_list_lib gitlist_open 2)")" ""
row "show $show_size B, process, median (ms)" "$(ms "$(median show)")" \
	"$(ms "$(median git_show)")" "$(ratio "$(median show)" "$(median git_show)")" ""
row "  best of $runs (ms)" "$(ms "$(best show)")" "$(ms "$(best git_show)")" "" ""
row "show in-process, store open, median (ms)" "$(lib show_lib show_read 2)" \
	"$(lib git_show_lib gitshow_read 2)" \
	"$(ratio "$(lib show_lib show_read 2)" "$(lib git_show_lib gitshow_read 2)")" ""
row "show in-process, open+read, median (ms)" "$(lib show_lib show_open_read 2)" \
	"$(lib git_show_lib gitshow_open_read 2)" \
	"$(ratio "$(lib show_lib show_open_read 2)" "$(lib git_show_lib gitshow_open_read 2)")" ""
row "verify $docs (s; git: fsck --full)" "$(sec "$(best verify)")" \
	"$(sec "$(best git_fsck)")" "$(ratio "$(best verify)" "$(best git_fsck)")" \
	"< 5 s: $(check "$(best verify) < 5")"
if [ "$one" -gt 0 ]; then
	row "verify $one commits of 1 (s; git: fsck)" "$(sec "$(best "verify_one$one")")" \
		"$(sec "$(best git_fsck_one)")" \
		"$(ratio "$(best "verify_one$one")" "$(best git_fsck_one)")" \
		"< 5 s: $(check "$(best "verify_one$one") < 5")"
fi
rss_list=""
for n in 1000 5000; do
	[ -f "$work/verify$n.all" ] || continue
	row "verify peak RSS, $n documents (MiB)" "$(rss_mib "verify$n")" "" "" ""
	rss_list="$rss_list $(summary "verify$n" 2 | cut -d' ' -f3)"
done
row "verify peak RSS, $docs documents (MiB)" "$(rss_mib verify)" "$(rss_mib git_fsck)" "" ""
rss_list="$rss_list $(summary verify 2 | cut -d' ' -f3)"
# Flat: the largest store's peak is within 25% (and 4 MiB) of the smallest store's.
echo "$rss_list" | awk '{
	lo = $1; hi = $NF
	flat = hi <= lo * 1.25 || hi - lo <= 4096
	printf "%-46s %11s %11s %7s  %s\n", "  largest / smallest (flat: +25% or 4 MiB)", "",
	       "", sprintf("%.2f", hi / lo), "flat: " (flat ? "met" : "MISSED")
}'
rss_list=""
for n in $checkpoints; do
	[ "$one" -gt 0 ] || break
	git_rss=""
	[ "$n" -eq "$one" ] && git_rss=$(rss_mib git_fsck_one)
	row "verify peak RSS, $n commits of 1 (MiB)" "$(rss_mib "verify_one$n")" "$git_rss" "" \
		"(verify $(sec "$(best "verify_one$n")") s)"
	rss_list="$rss_list $(summary "verify_one$n" 2 | cut -d' ' -f3)"
done
if [ -n "$rss_list" ]; then
	echo "$rss_list" | awk '{
		lo = $1; hi = $NF
		flat = hi <= lo * 1.25 || hi - lo <= 4096
		printf "%-46s %11s %11s %7s  %s\n", "  largest / smallest (flat: +25% or 4 MiB)", "", "",
		       sprintf("%.2f", hi / lo), "flat: " (flat ? "met" : "MISSED")
	}'
fi
echo
echo "add: one run; verify: best of 3; list and show: over $runs runs; peak RSS: worst run."
