#!/bin/sh
# The daemon's memory with N idle peers, and how many handshakes a second it completes,
# next to the raw libsodium cost of the same cryptographic work.
#     bench/daemon_rss.sh [BUILD_DIR] [N]
# BUILD_DIR defaults to build/release under the repository root and must hold sanctum and
# bench/daemon_conns. One founder store (one remote: a local bare repository) with one
# more member, whose identity daemon_conns uses, runs `sanctum daemon` on a free loopback
# port. The script reads the daemon's VmRSS and VmHWM (/proc/PID/status) and its Rss
# (/proc/PID/smaps_rollup, exact) idle, then while daemon_conns holds N (default 200)
# handshaked idle connections, then after they close. Then handshakes for 5 s one at a
# time and 5 s four at a time (the daemon's CPU time per handshake from /proc/PID/stat),
# a check that connection 513 is refused, and `daemon_conns --crypto`: the same
# cryptographic work in raw libsodium, and with the project's noise.c and SSHSIG code in
# one process. Everything lives in a folder under $TMPDIR (else /tmp), removed on exit;
# the daemon is stopped on exit. See bench/README.md. About 30 s.
set -u

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
build=${1:-$root/build/release}
build=$(cd "$build" 2>/dev/null && pwd) || {
	echo "daemon_rss.sh: no build folder '${1:-$root/build/release}'" >&2
	exit 1
}
n=${2:-200}
# How long the N connections are held (HOLD seconds, default 6). Over 15 s the daemon pings
# them (daemon_conns answers), which shows in "pings answered".
hold=${HOLD:-6}
hs_seconds=5
sanctum=$build/sanctum
[ -x "$sanctum" ] || sanctum=$build/cmd/sanctum
conns=$build/bench/daemon_conns

die() {
	echo "daemon_rss.sh: $*" >&2
	exit 1
}
note() {
	echo "daemon_rss.sh: $(date -u +%H:%M:%S) $*" >&2
}

case "$n" in
	''|*[!0-9]*) echo "usage: $0 [BUILD_DIR] [N]" >&2; exit 2 ;;
esac
if [ "$n" -lt 1 ] || [ "$n" -gt 512 ]; then
	die "N must be 1 to 512 (a daemon takes at most 512 connections)"
fi
for tool in "$sanctum" "$conns"; do
	[ -x "$tool" ] || die "'$tool' is missing: build with 'cmake --build --preset release'"
done
# The daemon and daemon_conns each need a descriptor per connection (520 for the limit
# check). `ulimit -n` is not POSIX, but dash, bash and busybox sh all have it.
# shellcheck disable=SC3045
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt 700 ] && ! ulimit -n 4096 2>/dev/null; then
	# shellcheck disable=SC3045
	die "ulimit -n is $(ulimit -n): need at least 700"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/sanctum-daemon-rss.XXXXXX") || die "cannot make a folder"
daemon_pid=""
tool_pid=""
cleanup() {
	[ -n "$tool_pid" ] && kill "$tool_pid" 2>/dev/null
	if [ -n "$daemon_pid" ]; then
		kill "$daemon_pid" 2>/dev/null
		wait "$daemon_pid" 2>/dev/null
	fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

GIT_CONFIG_NOSYSTEM=1
GIT_CONFIG_GLOBAL=/dev/null
HOME=$work/home
export GIT_CONFIG_NOSYSTEM GIT_CONFIG_GLOBAL HOME
unset SANCTUM_DIR SANCTUM_PASSPHRASE_FILE XDG_CONFIG_HOME
mkdir "$HOME" || die "cannot make $HOME"
load_start=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- the store: a founder, one more member (the tool's identity), a remote ------------
note "making the store"
"$sanctum" keys gen --name founder --device server --no-passphrase \
	--identity "$work/founder.id" >"$work/founder.card" 2>"$work/err" || die "keys gen: $(cat "$work/err")"
"$sanctum" keys gen --name bench --device conns --no-passphrase \
	--identity "$work/tool.id" >"$work/tool.card" 2>"$work/err" || die "keys gen: $(cat "$work/err")"
SANCTUM_IDENTITY=$work/founder.id
export SANCTUM_IDENTITY
store=$work/store
"$sanctum" init --group bench "$store" >/dev/null 2>"$work/err" || die "init: $(cat "$work/err")"
"$sanctum" -C "$store" member add "$(cat "$work/tool.card")" >/dev/null 2>"$work/err" ||
	die "member add: $(cat "$work/err")"
git init -q --bare "$work/hub.git" || die "git init --bare failed"
"$sanctum" -C "$store" remote add origin "$work/hub.git" >/dev/null 2>&1 || die "remote add failed"
"$sanctum" -C "$store" push -q 2>"$work/err" || die "push: $(cat "$work/err")"
group=$("$sanctum" -C "$store" group show --json | sed -n 's/.*"id": *"\([0-9a-f]*\)".*/\1/p')
[ "${#group}" -eq 32 ] || die "cannot read the group id"

# ---- the daemon, on a free port ---------------------------------------------------------
log=$work/daemon.log
for try in 1 2 3 4 5; do
	port=$("$conns" --free-ports 1) || die "no free port"
	"$sanctum" -C "$store" daemon --listen "127.0.0.1:$port" --interval 1h 2>"$log" &
	daemon_pid=$!
	started=""
	for _ in $(seq 1 100); do
		if grep -q 'listening on' "$log"; then started=1; break; fi
		grep -q 'cannot' "$log" && break
		kill -0 "$daemon_pid" 2>/dev/null || break
		sleep 0.05
	done
	[ -n "$started" ] && break
	note "try $try: the daemon did not start on port $port: $(tail -n 1 "$log")"
	kill "$daemon_pid" 2>/dev/null
	wait "$daemon_pid" 2>/dev/null
	daemon_pid=""
done
[ -n "$daemon_pid" ] || die "the daemon would not start"
note "daemon $daemon_pid on 127.0.0.1:$port, group $group"
# Its first scheduled sync runs within a second of the start: let it finish.
sleep 2

# mem: "VmRSS VmHWM Rss" of the daemon, KiB.
mem() {
	awk '/^VmRSS:/ { r = $2 } /^VmHWM:/ { h = $2 } END { printf "%s %s", r, h }' \
		"/proc/$daemon_pid/status"
	awk '/^Rss:/ { printf " %s\n", $2 }' "/proc/$daemon_pid/smaps_rollup"
}
# The daemon's CPU time (user + system), in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$daemon_pid/stat"; }
ticks_per_s=$(getconf CLK_TCK)
kv() { awk -v k="$2" '$1 == k { print $2 }' "$work/$1"; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

mem_idle=$(mem)

# ---- N idle connections ----------------------------------------------------------------
note "opening $n connections, holding them $hold s"
"$conns" --connect "127.0.0.1:$port" --group "$group" --identity "$work/tool.id" \
	--conns "$n" --hold "$hold" >"$work/conns.out" 2>"$work/conns.err" &
tool_pid=$!
for _ in $(seq 1 400); do
	grep -q '^holding' "$work/conns.out" && break
	kill -0 "$tool_pid" 2>/dev/null || break
	sleep 0.05
done
grep -q '^holding' "$work/conns.out" || die "daemon_conns did not get to hold: $(cat "$work/conns.err")"
sleep 1
mem_held=$(mem)
peers_seen=$("$sanctum" -C "$store" status --json 2>/dev/null | grep -o '"state": *"connected"' | wc -l)
wait "$tool_pid"
tool_pid=""
sleep 0.5
mem_after=$(mem)

# ---- handshakes per second ------------------------------------------------------------------
# handshakes NAME PARALLEL: one run, its output to $work/NAME, the daemon's CPU ticks appended.
handshakes() {
	c0=$(cpu_ticks)
	"$conns" --connect "127.0.0.1:$port" --group "$group" --identity "$work/tool.id" \
		--handshakes "$hs_seconds" --parallel "$2" >"$work/$1" 2>&1 || note "$1: some handshakes failed"
	c1=$(cpu_ticks)
	echo "daemon_cpu_s $(awk -v a="$c0" -v b="$c1" -v t="$ticks_per_s" 'BEGIN { printf "%.2f", (b - a) / t }')" \
		>>"$work/$1"
}
note "handshakes for $hs_seconds s, one at a time"
handshakes hs1 1
note "handshakes for $hs_seconds s, four at a time"
handshakes hs4 4
mem_churn=$(mem)

# ---- connection 513 -----------------------------------------------------------------------
note "520 connections: the daemon takes 512"
"$conns" --connect "127.0.0.1:$port" --group "$group" --identity "$work/tool.id" \
	--conns 520 --hold 1 >"$work/limit.out" 2>&1
sleep 0.5
mem_limit=$(mem)

# ---- the baseline -------------------------------------------------------------------------
note "the cryptographic baseline (daemon_conns --crypto 2000)"
"$conns" --identity "$work/tool.id" --crypto 2000 >"$work/crypto.out" ||
	die "daemon_conns --crypto failed"
kill "$daemon_pid"
wait "$daemon_pid" 2>/dev/null
daemon_pid=""

# ---- the report -----------------------------------------------------------------------------
row() { printf '%-52s %10s %10s %10s\n' "$@"; }
memrow() {
	# shellcheck disable=SC2086 # three numbers
	set -- "$1" $2
	row "$1" "$(mib "$2")" "$(mib "$3")" "$(mib "$4")"
}
check() { awk "BEGIN { print (($1) ? \"met\" : \"MISSED\") }"; }
per_hs_us() { awk -v c="$(kv "$1" daemon_cpu_s)" -v h="$(kv "$1" handshakes)" \
	'BEGIN { if (h > 0) printf "%.0f", c * 1e6 / h; else print "-" }'; }
raw_side=$(kv crypto.out raw_one_side_us)
raw_both=$(kv crypto.out raw_both_sides_us)
inproc_side=$(kv crypto.out inproc_one_side_us)
rate1=$(kv hs1 handshakes_per_s)
rate4=$(kv hs4 handshakes_per_s)
held_rss=$(echo "$mem_held" | cut -d' ' -f1)
idle_rss=$(echo "$mem_idle" | cut -d' ' -f1)

echo
echo "sanctum daemon: memory with $n idle peers, handshakes per second"
echo "  $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
echo "  $("$sanctum" --version 2>/dev/null | head -n 1)"
echo "  load average (1, 5, 15 min) at start: $load_start; at end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
row "daemon memory (MiB)" "VmRSS" "VmHWM" "Rss"
memrow "idle (started, first sync done)" "$mem_idle"
memrow "holding $n handshaked idle connections" "$mem_held"
memrow "after they closed" "$mem_after"
memrow "after the handshake runs below" "$mem_churn"
memrow "after 520 connections (512 taken) closed" "$mem_limit"
awk -v h="$held_rss" -v i="$idle_rss" -v n="$n" \
	'BEGIN { printf "%-52s %10.1f KiB\n", "per idle connection (VmRSS held - idle) / N", (h - i) / n }'
echo "  VmRSS with $n connections: $(mib "$held_rss") MiB (target < 50 MiB with 200: $(check "$held_rss < 50 * 1024"))"
echo "  connections completed $(kv conns.out conns_completed) of $n in $(kv conns.out conns_seconds) s" \
	"(handshake p50 $(kv conns.out handshake_ms_p50) ms, p99 $(kv conns.out handshake_ms_p99) ms);" \
	"still open after $hold s: $(kv conns.out still_open) (pings answered:" \
	"$(kv conns.out pings_answered)); 'sanctum status' listed $peers_seen connected"
echo "  520 connections: $(kv limit.out conns_completed) completed, $(kv limit.out conns_failed) refused" \
	"(expected 512 and 8: $(check "$(kv limit.out conns_completed) == 512"))"
echo
row "handshakes (connect, XX, proofs, ping/pong, close)" "per s" "p50 ms" "daemon CPU"
row "  one at a time, $hs_seconds s" "$rate1" "$(kv hs1 handshake_ms_p50)" "$(per_hs_us hs1) us"
row "  four at a time, $hs_seconds s" "$rate4" "$(kv hs4 handshake_ms_p50)" "$(per_hs_us hs4) us"
echo
echo "baseline: the same cryptographic work without sockets (daemon_conns --crypto 2000, best of 3)"
row "  X25519 crypto_scalarmult" "$(kv crypto.out x25519_us) us" "" ""
row "  raw libsodium, one side (the daemon's share)" "$raw_side us" \
	"$(kv crypto.out raw_one_side_per_s)/s" ""
row "  raw libsodium, both sides" "$raw_both us" \
	"$(awk -v u="$raw_both" 'BEGIN { printf "%.0f/s", 1e6 / u }')" ""
row "  noise.c + SSHSIG in one process, one side" "$inproc_side us" \
	"$(kv crypto.out inproc_one_side_per_s)/s" ""
row "  X25519 crypto_scalarmult_base" "$(kv crypto.out x25519_base_us) us" "" ""
row "  Ed25519 sign / verify, raw" "$(kv crypto.out ed25519_sign_us) us" \
	"$(kv crypto.out ed25519_verify_us) us" ""
row "  sanctum_identity_sign / sanctum_sshsig_verify" "$(kv crypto.out sshsig_sign_us) us" \
	"$(kv crypto.out sshsig_verify_us) us" ""
echo
awk -v r1="$rate1" -v r4="$rate4" -v rs="$raw_side" -v rb="$raw_both" -v c1="$(per_hs_us hs1)" \
	-v c4="$(per_hs_us hs4)" 'BEGIN {
	printf "  one at a time / raw both sides (both sides in turn on one path): %.2f\n", r1 * rb / 1e6
	printf "  four at a time / raw one side on one core (the daemon is one thread): %.2f\n", r4 * rs / 1e6
	printf "  daemon CPU per handshake / raw one side: %.2f (one at a time), %.2f (four)\n", c1 / rs, c4 / rs
	printf "  what one whole core would give at that CPU cost: %.0f handshakes/s\n", 2e6 / (c1 + c4)
}'
if [ "$(kv conns.out conns_completed)" != "$n" ] || [ -n "$(kv conns.out first_failure)" ]; then
	echo "  failures: $(grep '^first_failure' "$work/conns.out" "$work/hs1" "$work/hs4" 2>/dev/null)"
fi
