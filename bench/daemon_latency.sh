#!/bin/sh
# How soon the member cities have a push, with every city running `sanctum daemon`.
#     bench/daemon_latency.sh [BUILD_DIR] [PEERS] [ROUNDS] [LAYOUTS]
# BUILD_DIR defaults to build/release under the repository root and must hold sanctum,
# bench/daemon_conns and bench/daemon_watch. One publishing city and PEERS (default 10)
# member cities join one group through one local bare repository (the hub), and each runs
# `sanctum daemon --listen 127.0.0.1:PORT --interval 1h` on a free loopback port (the
# hour keeps scheduled syncs out of the way). LAYOUTS (default "star chain") says how
# the daemons connect: "star", every member dials the publisher; "chain", members 1-3
# form a chain publisher <- 1 <- 2 <- 3 (announcements relayed hop by hop) and the others
# dial the publisher. Each of ROUNDS (default 30) rounds the publisher adds one document,
# then runs `sanctum push` (which tells its daemon to announce); daemon_watch times, for
# each member, the milliseconds from the push command's start until the member's main is
# the pushed head (polled every 5 ms, one loop over all members). Prints every sample,
# then p50 / p90 / p99 / max over PEERS x ROUNDS samples (target: p99 < 500 ms), and the
# ratio to polling at the default 5-minute interval (a mean wait of 150 s). Rounds are
# 300 ms apart so each starts with the daemons idle. Everything lives in a folder under
# $TMPDIR (else /tmp), removed on exit; every daemon is stopped on exit. About 50 s with
# the defaults. See bench/README.md.
set -u

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
build=${1:-$root/build/release}
build=$(cd "$build" 2>/dev/null && pwd) || {
	echo "daemon_latency.sh: no build folder '${1:-$root/build/release}'" >&2
	exit 1
}
peers=${2:-10}
rounds=${3:-30}
layouts=${4:-star chain}
gap=0.3
poll_ms=5
round_timeout_ms=20000
sanctum=$build/sanctum
[ -x "$sanctum" ] || sanctum=$build/cmd/sanctum
conns=$build/bench/daemon_conns
watch=$build/bench/daemon_watch

die() {
	echo "daemon_latency.sh: $*" >&2
	exit 1
}
note() {
	echo "daemon_latency.sh: $(date -u +%H:%M:%S) $*" >&2
}

case "$peers$rounds" in
	''|*[!0-9]*) echo "usage: $0 [BUILD_DIR] [PEERS] [ROUNDS] [LAYOUTS]" >&2; exit 2 ;;
esac
if [ "$peers" -lt 1 ] || [ "$peers" -gt 200 ] || [ "$rounds" -lt 1 ]; then
	die "need 1 <= PEERS <= 200 and ROUNDS >= 1"
fi
for layout in $layouts; do
	case $layout in
		star) ;;
		chain) [ "$peers" -ge 3 ] || die "the chain layout needs PEERS >= 3" ;;
		*) die "unknown layout '$layout' (star, chain)" ;;
	esac
done
for tool in "$sanctum" "$conns" "$watch"; do
	[ -x "$tool" ] || die "'$tool' is missing: build with 'cmake --build --preset release'"
done

work=$(mktemp -d "${TMPDIR:-/tmp}/sanctum-daemon-latency.XXXXXX") || die "cannot make a folder"
pids=""
stop_daemons() {
	# shellcheck disable=SC2086 # a list of pids
	[ -n "$pids" ] && kill $pids 2>/dev/null
	for pid in $pids; do
		wait "$pid" 2>/dev/null
	done
	pids=""
}
trap 'stop_daemons; rm -rf "$work"' EXIT
trap 'exit 1' INT TERM

GIT_CONFIG_NOSYSTEM=1
GIT_CONFIG_GLOBAL=/dev/null
HOME=$work/home
export GIT_CONFIG_NOSYSTEM GIT_CONFIG_GLOBAL HOME
unset SANCTUM_DIR SANCTUM_IDENTITY SANCTUM_PASSPHRASE_FILE XDG_CONFIG_HOME
mkdir "$HOME" || die "cannot make $HOME"
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
started_at=$(date -u +%Y-%m-%dT%H:%M:%SZ)

# as CITY COMMAND...: sanctum as CITY, in CITY's store. City 0 is the publisher.
as() {
	city=$1
	shift
	SANCTUM_IDENTITY="$work/c$city.id" "$sanctum" -C "$work/c$city" "$@"
}

# ---- the group: the publisher founds it, adds every member, publishes to the hub ----------
note "making $((peers + 1)) identities and the group"
i=0
while [ "$i" -le "$peers" ]; do
	name=city$i
	[ "$i" -eq 0 ] && name=publisher
	"$sanctum" keys gen --name "$name" --device server --no-passphrase \
		--identity "$work/c$i.id" >"$work/c$i.card" 2>"$work/err" || die "keys gen: $(cat "$work/err")"
	i=$((i + 1))
done
SANCTUM_IDENTITY=$work/c0.id "$sanctum" init --group bench "$work/c0" >/dev/null 2>"$work/err" ||
	die "init: $(cat "$work/err")"
i=1
while [ "$i" -le "$peers" ]; do
	as 0 member add "$(cat "$work/c$i.card")" >/dev/null 2>"$work/err" ||
		die "member add: $(cat "$work/err")"
	i=$((i + 1))
done
git init -q --bare "$work/hub.git" || die "git init --bare failed"
as 0 remote add origin "$work/hub.git" >/dev/null 2>&1 || die "remote add failed"
as 0 push -q 2>"$work/err" || die "push: $(cat "$work/err")"
invite=$(as 0 invite --remote "$work/hub.git" 2>/dev/null) || die "invite failed"
note "$peers members join through the hub"
i=1
while [ "$i" -le "$peers" ]; do
	SANCTUM_IDENTITY="$work/c$i.id" "$sanctum" join "$invite" "$work/c$i" >/dev/null 2>"$work/err" ||
		die "join of city$i: $(cat "$work/err")"
	i=$((i + 1))
done

# ---- the daemons ---------------------------------------------------------------------------
# dial_of LAYOUT I: the city member I dials.
dial_of() {
	if [ "$1" = chain ] && [ "$2" -le 3 ]; then
		echo $(($2 - 1))
	else
		echo 0
	fi
}

# start_layout LAYOUT: every city's daemon on a free port, until every link is up.
start_layout() {
	for try in 1 2 3; do
		ports=$("$conns" --free-ports $((peers + 1))) || die "no free ports"
		i=0
		for port in $ports; do
			eval "port_$i=$port"
			i=$((i + 1))
		done
		i=0
		while [ "$i" -le "$peers" ]; do
			eval "port=\$port_$i"
			dial=""
			if [ "$i" -gt 0 ]; then
				eval "dial=\"--peer 127.0.0.1:\$port_$(dial_of "$1" "$i")\""
			fi
			# A simple command, so that $! is the daemon itself (not a subshell around it).
			# shellcheck disable=SC2086 # the --peer option
			SANCTUM_IDENTITY="$work/c$i.id" "$sanctum" -C "$work/c$i" daemon \
				--listen "127.0.0.1:$port" $dial --interval 1h 2>"$work/$1.c$i.log" &
			pids="$pids $!"
			i=$((i + 1))
		done
		# A tree of PEERS links, each logged "connected" at both ends.
		up=0
		for _ in $(seq 1 400); do
			up=$(cat "$work/$1".c*.log | grep -c ': connected$')
			[ "$up" -ge $((2 * peers)) ] && break
			grep -q -E 'cannot (listen|start)' "$work/$1".c*.log && break
			sleep 0.05
		done
		if [ "$up" -ge $((2 * peers)) ]; then
			# The first scheduled sync of each daemon runs within a second of its start.
			sleep 2
			return 0
		fi
		note "$1, try $try: $up of $((2 * peers)) link ends up;" \
			"$(grep -h -E 'cannot (listen|start)' "$work/$1".c*.log | head -n 1)"
		stop_daemons
	done
	die "the daemons of the $1 layout did not connect"
}

# ---- the rounds ----------------------------------------------------------------------------
: >"$work/samples"
: >"$work/pushes"
: >"$work/starts"
git_dirs=""
i=1
while [ "$i" -le "$peers" ]; do
	git_dirs="$git_dirs $work/c$i/.sanctum"
	i=$((i + 1))
done
for layout in $layouts; do
	note "$layout: starting $((peers + 1)) daemons"
	start_layout "$layout"
	note "$layout: $rounds rounds"
	r=1
	while [ "$r" -le "$rounds" ]; do
		echo "$layout round $r, $(date -u +%H:%M:%S.%N)" >"$work/doc.txt"
		as 0 add "$work/doc.txt" >/dev/null 2>"$work/err" || die "add: $(cat "$work/err")"
		head=$(git --git-dir "$work/c0/.sanctum" rev-parse main)
		# shellcheck disable=SC2086 # the list of git folders
		SANCTUM_IDENTITY="$work/c0.id" "$watch" "$head" "$round_timeout_ms" "$poll_ms" $git_dirs \
			-- "$sanctum" -C "$work/c0" push -q >"$work/round" 2>"$work/round.err" ||
			note "$layout round $r: $(grep -c timeout "$work/round") member(s) did not get" \
				"the push within $((round_timeout_ms / 1000)) s; $(cat "$work/round.err")"
		awk -v l="$layout" -v r="$r" '$1 == "peer" { print l, r, $2, $3 }' "$work/round" \
			>>"$work/samples"
		awk -v l="$layout" -v r="$r" '$1 == "command" { print l, $2, $3, r }' "$work/round" \
			>>"$work/pushes"
		# The wall clock at the push's start, to line up with the daemons' logs.
		awk -v l="$layout" -v r="$r" '$1 == "started" { print l, r, $2 }' "$work/round" \
			>>"$work/starts"
		sleep "$gap"
		r=$((r + 1))
	done
	# Every member's main, as git itself sees it.
	want=$(git --git-dir "$work/c0/.sanctum" rev-parse main)
	i=1
	while [ "$i" -le "$peers" ]; do
		[ "$(git --git-dir "$work/c$i/.sanctum" rev-parse main)" = "$want" ] ||
			note "$layout: city$i is not at the publisher's main after the last round"
		i=$((i + 1))
	done
	stop_daemons
done

# ---- the report ------------------------------------------------------------------------------
# stats FILTER: "N MEAN P50 P90 P99 MAX TIMEOUTS" (nearest rank) of the samples of a layout
# (and member, when FILTER is "LAYOUT MEMBER").
stats() {
	awk -v l="$1" -v m="${2:-}" '$1 == l && (m == "" || $3 == m) { print $4 }' "$work/samples" |
		sort -n | awk '
		$1 == "timeout" { t++; next }
		{ v[++n] = $1; s += $1 }
		function pct(p,   k) { k = int(p / 100 * n + 0.999999); if (k < 1) k = 1; return v[k] }
		END {
			if (!n) { print 0, "-", "-", "-", "-", "-", t + 0; exit }
			printf "%d %.1f %.1f %.1f %.1f %.1f %d\n", n, s / n, pct(50), pct(90), pct(99), v[n], t
		}'
}

# breakdown LAYOUT: where the time goes, from the daemons' logs (millisecond time stamps,
# wall clock): push start -> the publisher's daemon announces ("announced main H") ->
# the member's daemon has it ("... announced main H (via ...): pulling") -> its sync is
# done ("sync with 'origin': pull fast-forward, ..., main H"). Medians and maxima over
# every member and round.
breakdown() {
	awk -v l="$1" '
	function ms(stamp,   t) {       # "2026-11-29T20:55:10.388Z": ms into the UTC day
		sub(/^.*T/, "", stamp); sub(/Z$/, "", stamp)
		split(stamp, t, ":")
		return (t[1] * 3600 + t[2] * 60 + t[3]) * 1000
	}
	function gap(a, b) { d = b - a; return d < -43200000 ? d + 86400000 : d }  # past midnight
	FILENAME ~ /starts$/ { if ($1 == l) start[$2] = ($3 % 86400) * 1000; next }
	FILENAME ~ /samples$/ { if ($1 == l && $4 != "timeout") total[$2 " " $3] = $4; next }
	{
		n = split(FILENAME, f, "."); city = substr(f[n - 1], 2) + 0
		if (city == 0 && $3 == "announced" && $4 == "main") { ann[$5] = ms($1); order[++rounds] = $5 }
		else if ($4 == "announced" && $5 == "main") { if (!((city, $6) in got)) got[city, $6] = ms($1) }
		else if ($3 == "sync" && $NF ~ /^[0-9a-f]+$/ && !((city, $NF) in done)) done[city, $NF] = ms($1)
	}
	function put(name, v) { vals[name, ++cnt[name]] = v }
	function summary(name, label,   i, j, k, x, a) {
		k = cnt[name]
		for (i = 1; i <= k; i++) a[i] = vals[name, i]
		for (i = 2; i <= k; i++) { x = a[i]; for (j = i - 1; j >= 1 && a[j] > x; j--) a[j + 1] = a[j]; a[j + 1] = x }
		if (k) printf "    %-58s median %6.1f  p90 %6.1f  max %6.1f ms (%d)\n", label, a[int((k + 1) / 2)], a[int(0.9 * k + 0.999999)], a[k], k
	}
	END {
		for (r = 1; r <= rounds; r++) {
			h = order[r]
			if (r in start) put("a", gap(start[r], ann[h]))
			for (c = 1; c < 1000; c++) {
				if (!((c, h) in got)) { if (c > 200) break; continue }
				put("b", gap(ann[h], got[c, h]))
				if ((c, h) in done) put("c", gap(got[c, h], done[c, h]))
			}
		}
		print "  where the time goes (daemon logs, ms time stamps):"
		summary("a", "push start -> the publisher'\''s daemon announces")
		summary("b", "announced -> a member'\''s daemon has the announcement")
		summary("c", "member has it -> its sync is done (100 ms debounce + pull)")
	}' "$work/starts" "$work/samples" "$work/$1".c*.log
}

echo
echo "sanctum daemon: push to every member, $peers members, $rounds rounds per layout"
echo "  started $started_at; $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
echo "  $("$sanctum" --version 2>/dev/null | head -n 1)"
echo "  load average (1, 5, 15 min) at start: $load_start; at end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "  ms from the start of 'sanctum push' until the member's main is the pushed head" \
	"(polled every $poll_ms ms)"
for layout in $layouts; do
	echo
	case $layout in
		star) echo "$layout: every member dials the publisher" ;;
		chain) echo "$layout: publisher <- city1 <- city2 <- city3 (relayed), the others dial the publisher" ;;
	esac
	echo "  samples, one line per round: how long 'sanctum push' ran, then city1 .. city$peers (ms):"
	awk -v l="$layout" 'FILENAME ~ /pushes$/ { if ($1 == l) push[$4] = $2; next }
	$1 == l {
		if ($2 != r) { if (r) printf "\n"; r = $2; printf "    round %3d (push %5.1f):", r, push[r] }
		printf " %s", $4
	} END { printf "\n" }' "$work/pushes" "$work/samples"
	# shellcheck disable=SC2046 # seven numbers
	set -- $(stats "$layout")
	printf '  %s: %d samples: mean %s ms, p50 %s, p90 %s, p99 %s, max %s ms' "$layout" "$1" \
		"$2" "$3" "$4" "$5" "$6"
	[ "$7" -gt 0 ] && printf ' (%d timed out after %d s)' "$7" $((round_timeout_ms / 1000))
	echo
	if [ "$7" -eq 0 ] && awk -v p="$5" 'BEGIN { exit !(p < 500) }'; then
		echo "  p99 $5 ms (target < 500 ms: met)"
	else
		echo "  p99 $5 ms (target < 500 ms: MISSED)"
	fi
	awk -v m="$2" -v p="$5" 'BEGIN {
		printf "  polling every 5 min waits 150 s on average: %.0f times the mean here" \
		       " (%.0f times at p99 against the 300 s worst case)\n", 150000 / m, 300000 / p
	}'
	awk -v l="$layout" '$1 == l { print $2 }' "$work/pushes" | sort -n |
		awk '{ v[++n] = $1 } END { printf "  the push command itself: median %.1f ms, max %.1f ms\n",
			v[int((n + 1) / 2)], v[n] }'
	printf '  median per member:'
	i=1
	while [ "$i" -le "$peers" ]; do
		# shellcheck disable=SC2046 # seven numbers
		set -- $(stats "$layout" "$i")
		printf ' %s' "$3"
		i=$((i + 1))
	done
	echo
	breakdown "$layout"
	# A member that dials a daemon not yet listening logs "connection refused" and dials
	# again a second later: counted apart.
	refused=$(cat "$work/$layout".c*.log | grep -c 'cannot connect: connection refused')
	warns=$(cat "$work/$layout".c*.log | grep -E ' (warn|error) ' |
		grep -v -c 'cannot connect: connection refused')
	echo "  daemon log lines at warn or error: $warns (and $refused 'connection refused'" \
		"while the daemons started)"
	[ "$warns" -gt 0 ] && cat "$work/$layout".c*.log | grep -E ' (warn|error) ' |
		grep -v 'cannot connect: connection refused' | head -n 5 | sed 's/^/    /'
done
