#!/bin/sh
# `sanctum daemon` between five cities joined through a local bare repository (the hub),
# each daemon on its own loopback port, linked as a chain and a branch:
#
#     coldharbor - brightwater - aldport - dunmore        eastfield dials aldport and
#                                                          brightwater
#
# A push at one city reaches every other (the times from `sanctum push` returning to each
# city's main holding the head are printed), through relays where there is no direct
# link. `sanctum status` (and --json) shows the peers and remotes, `sanctum sync` is done
# by the daemon, a second daemon on a store exits 5, SIGHUP reloads and SIGTERM stops
# cleanly, even during a sync. tests/tools/noise_peer ($SANCTUM_NOISE_PEER) plays the
# hostile and the honest peer: an outsider's key is refused at the handshake while a
# member's is accepted (one the founder just added, at once); text, random frames, an
# oversized frame, a truncated handshake, a connection that says nothing, a replayed frame
# and a peer that goes silent are dropped, an old announcement is ignored, and good peers
# still hear the next push. A member removed by the founder is disconnected, refused from
# then on and dialled with backoff. A daemon killed with SIGKILL during a sync restarts
# and its store verifies; a city stopped and started again catches up. A forge webhook
# signed with the secret makes a daemon pull, a bad signature gets 401. A head announced
# but never served is reported as possibly withheld. About 50 s, most of it waiting for
# the daemon's 45 s idle timeout, which runs alongside the rest.
# shellcheck source=/dev/null # tests/lib.sh, named by ctest
. "$SANCTUM_TEST_LIB"
require_tool git openssl od
NP=${SANCTUM_NOISE_PEER:-}
if [ -z "$NP" ] || [ ! -x "$NP" ]; then
	skip_all "\$SANCTUM_NOISE_PEER (tests/tools/noise_peer) is not set"
fi

S=$SANCTUM
case $S in /*) ;; *) S=$(pwd)/$S ;; esac
T=$(cd "$TEST_TMP" && pwd -P)   # local remotes are recorded as real paths
HOME=$T/home
export HOME
unset SANCTUM_IDENTITY SANCTUM_PASSPHRASE_FILE SANCTUM_DIR XDG_CONFIG_HOME GIT_DIR GIT_WORK_TREE
GIT_CONFIG_NOSYSTEM=1
export GIT_CONFIG_NOSYSTEM
mkdir "$HOME"
test_t0=$(date +%s)

# ---- processes: every daemon and background peer is stopped, whatever ends the test ---------

pids=""   # daemons and background noise_peers still running
# The kernel sends SIGTERM to a daemon whose parent (this shell) dies, however it dies.
wrap=""
! setpriv --help 2>/dev/null | grep -q pdeathsig || wrap="setpriv --pdeathsig TERM --"

alive() { [ -r "/proc/$1/stat" ] && ! sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | grep -q '^Z'; }
forget() { pids=$(echo " $pids " | sed "s/ $1 / /"); }

# stop_pid PID: SIGTERM, SIGKILL after 5 s; sets stop_rc to its exit status.
stop_pid() {
	kill -TERM "$1" 2>/dev/null
	n=0
	while alive "$1" && [ "$n" -lt 250 ]; do sleep 0.02; n=$((n + 1)); done
	if alive "$1"; then echo "# pid $1 ignored SIGTERM for 5 s; killing it"; kill -KILL "$1"; fi
	wait "$1" 2>/dev/null
	stop_rc=$?
	forget "$1"
}

on_exit() {
	for pid in $pids; do stop_pid "$pid"; done
	if [ "$1" -ne 0 ] || [ "${test_failed:-0}" -ne 0 ]; then
		for log in "$T"/*.log; do
			[ -f "$log" ] || continue
			echo "# last lines of $(basename "$log"):"
			tail -n 25 "$log" | sed 's/^/#   /'
		done
	fi
	rm -rf "$TEST_TMP"
}
trap 'on_exit $?' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- helpers -------------------------------------------------------------------------------

now_ms() { echo $(($(date +%s%N) / 1000000)); }
# A port in 32000-39999; one another process holds is caught at start and another tried.
random_port() { echo $((32000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 8000)); }
at() { who=$1; shift; SANCTUM_IDENTITY=$T/$who.id "$S" -C "$T/$who" "$@"; }
head_of() { git --git-dir "$T/$1/.sanctum" rev-parse -q --verify main; }
var() { eval "echo \"\${$1_$2:-}\""; }   # var port aldport: $port_aldport
# fingerprint WHO: WHO's key fingerprint as the daemons log it, as an extended regular
# expression (base64 has '+').
fingerprint() {
	"$S" keys show --json --identity "$T/$1.id" 2>/dev/null |
		sed -n 's/^ *"fingerprint": "\(SHA256:[^"]*\)",*$/\1/p' | sed 's/+/\\+/g'
}

# retry5 CMD...: runs CMD again while it exits 5 (a daemon's sync holds the store).
retry5() {
	n=0
	while :; do
		"$@" >"$T/retry.out" 2>"$T/retry.err"
		rc=$?
		if [ "$rc" -ne 5 ] || [ "$n" -ge 50 ]; then break; fi
		n=$((n + 1))
		sleep 0.1
	done
	cat "$T/retry.out"
	cat "$T/retry.err" >&2
	return "$rc"
}

# log_since CITY LINE: CITY's daemon log from line LINE + 1 on.
log_lines() { if [ -f "$T/$1.log" ]; then wc -l <"$T/$1.log"; else echo 0; fi; }
log_since() { tail -n "+$(($2 + 1))" "$T/$1.log"; }
# wait_log CITY LINE PATTERN [MS]: waits (10 s by default) until CITY's log after LINE
# matches the extended regular expression PATTERN.
wait_log() {
	deadline=$(($(now_ms) + ${4:-10000}))
	until log_since "$1" "$2" | grep -Eq -- "$3"; do
		[ "$(now_ms)" -lt "$deadline" ] || return 1
		sleep 0.05
	done
}
# expect_log CITY LINE PATTERN DESCRIPTION [MS]
expect_log() {
	if wait_log "$1" "$2" "$3" "${5:-}"; then ok "$4"; else
		not_ok "$4 ($1's log does not match '$3')"; log_since "$1" "$2" | tail -n 15 | sed 's/^/#   /'; fi
}

# connected CITY: how many peers CITY's daemon has connected.
connected() { at "$1" status --json 2>/dev/null | grep -c '"state": "connected"'; }
# wait_connected CITY PEER...: waits up to 10 s until CITY's status shows each PEER city
# connected.
wait_connected() {
	who=$1; shift
	deadline=$(($(now_ms) + 10000))
	while :; do
		at "$who" status >"$T/status.out" 2>&1
		missing=""
		for peer in "$@"; do
			grep -Eq " $peer/main +connected," "$T/status.out" || missing="$missing $peer"
		done
		[ -n "$missing" ] || return 0
		[ "$(now_ms)" -lt "$deadline" ] || { echo "not connected:$missing"; return 1; }
		sleep 0.05
	done
}

# start_daemon CITY ARGS...: starts CITY's daemon on a free port (port_CITY; with
# hook_CITY=1 a webhook listener too, on hookport_CITY), remembered in pid_CITY and
# args_CITY, and waits until it says it started. restart_daemon CITY starts it again on
# the same ports.
launch() {
	who=$1; shift
	first=$(log_lines "$who")
	# shellcheck disable=SC2086 # $wrap is zero or several words
	SANCTUM_IDENTITY=$T/$who.id $wrap "$S" -C "$T/$who" daemon \
		--listen "127.0.0.1:$(var port "$who")" --interval 1h --debug "$@" \
		</dev/null >/dev/null 2>>"$T/$who.log" &
	pid=$!
	pids="$pids $pid"
	eval "pid_$who=$pid"
	deadline=$(($(now_ms) + 15000))
	while ! log_since "$who" "$first" | grep -q '^[^ ]* info  started on'; do
		if ! alive "$pid" || [ "$(now_ms)" -gt "$deadline" ]; then
			stop_pid "$pid"
			log_since "$who" "$first" | grep -q 'address already in use' && return 2
			echo "# $who's daemon did not start (exit $stop_rc):"
			log_since "$who" "$first" | sed 's/^/#   /'
			return 1
		fi
		sleep 0.02
	done
	echo "# $who: daemon pid $pid on 127.0.0.1:$(var port "$who")$(
		[ -z "$(var hookport "$who")" ] || echo ", webhooks on $(var hookport "$who")")"
}
start_daemon() {
	who=$1; shift
	eval "args_$who=\"\$*\""
	for try in 1 2 3 4 5 6 7 8 9 10; do
		eval "port_$who=$(random_port)"
		hookargs=""
		if [ "$(var hook "$who")" = 1 ]; then
			eval "hookport_$who=$(random_port)"
			hookargs="--webhook 127.0.0.1:$(var hookport "$who")"
		fi
		# shellcheck disable=SC2086 # $hookargs is zero or two words
		launch "$who" "$@" $hookargs
		case $? in
		0) return 0 ;;
		2) echo "# $who: a port was taken, trying others (try $try)" ;;
		*) return 1 ;;
		esac
	done
	return 1
}
restart_daemon() {
	who=$1
	# shellcheck disable=SC2046 # the arguments were simple words
	set -- $(var args "$who")
	[ -z "$(var hookport "$who")" ] || set -- "$@" --webhook "127.0.0.1:$(var hookport "$who")"
	launch "$who" "$@"
}

# converge DESCRIPTION HEAD T0 CITY...: polls every 20 ms until each CITY's main is HEAD,
# and prints how long after T0 (ms) each got there; fails after 10 s.
converge() {
	desc=$1; want=$2; t0=$3; shift 3
	pending=" $* "; times=""
	while :; do
		for who in $pending; do
			if [ "$(head_of "$who")" = "$want" ]; then
				times="$times $who $(($(now_ms) - t0)) ms,"
				pending=$(echo "$pending" | sed "s/ $who / /")
			fi
		done
		if [ -z "$(echo "$pending" | tr -d ' ')" ] || [ $(($(now_ms) - t0)) -gt 10000 ]; then
			break
		fi
		sleep 0.02
	done
	echo "# $desc:${times%,}"
	if [ -z "$(echo "$pending" | tr -d ' ')" ]; then ok "$desc"; else
		not_ok "$desc (not there after 10 s:$pending)"; fi
}

# idle CITY: waits (10 s at most) until CITY's daemon runs no sync, so that a sync of its
# own does not push what the test commits next before the test's `sanctum push` does.
idle() {
	deadline=$(($(now_ms) + 10000))
	while at "$1" status --json 2>/dev/null | grep -q '"running": true'; do
		[ "$(now_ms)" -lt "$deadline" ] || return 1
		sleep 0.02
	done
}

doc_n=0
# new_doc CITY: CITY adds a document (one commit) once its daemon is idle; H is the new
# head.
new_doc() {
	idle "$1" || echo "# $1's daemon is still syncing after 10 s"
	doc_n=$((doc_n + 1))
	printf 'notice %s from %s\n' "$doc_n" "$1" >"$T/doc$doc_n.md"
	retry5 at "$1" add "$T/doc$doc_n.md" -t daemon >/dev/null 2>"$T/add.err" ||
		{ echo "# $1 cannot add a document:"; sed 's/^/#   /' "$T/add.err"; }
	H=$(head_of "$1")
}

# ---- five cities, a member without a daemon, an outsider ------------------------------------

CITIES="aldport brightwater coldharbor dunmore eastfield"
for who in $CITIES fenwick outsider; do
	"$S" keys gen --name "$who" --no-passphrase --identity "$T/$who.id" >"$T/$who.card" \
		2>/dev/null || { echo "cannot make identities"; exit 1; }
done
HUB=$T/hub.git
git -c init.defaultBranch=main init -q --bare "$HUB"
expect_success "aldport founds the group" \
	env SANCTUM_IDENTITY="$T/aldport.id" "$S" init --group "Daemon Cities" "$T/aldport"
for who in brightwater coldharbor dunmore eastfield fenwick; do
	at aldport member add "$(cat "$T/$who.card")" >/dev/null 2>&1 ||
		{ echo "cannot add $who"; exit 1; }
done
printf 'hotline: call the duty lawyer\n' >"$T/hotline.md"
expect_success "aldport adds a document" at aldport add "$T/hotline.md" -t hotline
expect_success "aldport publishes to the hub" at aldport remote add origin "$HUB"
expect_success "aldport pushes" at aldport push -q
INVITE=$(at aldport invite --remote "$HUB" 2>/dev/null)
for who in brightwater coldharbor dunmore eastfield; do
	expect_success "$who joins" env SANCTUM_IDENTITY="$T/$who.id" "$S" join "$INVITE" "$T/$who"
done
# dunmore listens for forge webhooks, signed with this secret.
openssl rand -hex 32 >"$T/hook.secret"
chmod 600 "$T/hook.secret"
expect_success "dunmore names its webhook secret" \
	at dunmore config sanctum.webhook.secretFile "$T/hook.secret"
# shellcheck disable=SC2034 # read through var
hook_dunmore=1
# brightwater reports a head announced but not delivered after 2 s (60 s by default).
expect_success "brightwater shortens its withhold timeout" \
	at brightwater config sanctum.daemon.withholdTimeout 2s

# ---- the daemons ---------------------------------------------------------------------------

start_daemon aldport || { not_ok "aldport's daemon starts"; exit 1; }
PA=127.0.0.1:$(var port aldport)
start_daemon brightwater --peer "$PA" || { not_ok "brightwater's daemon starts"; exit 1; }
PB=127.0.0.1:$(var port brightwater)
start_daemon coldharbor --peer "$PB" || { not_ok "coldharbor's daemon starts"; exit 1; }
start_daemon dunmore --peer "$PA" || { not_ok "dunmore's daemon starts"; exit 1; }
start_daemon eastfield --peer "$PA" --peer "$PB" || { not_ok "eastfield's daemon starts"; exit 1; }
ok "five daemons start"
for who in $CITIES; do
	check "$who's daemon has run its first sync" wait_log "$who" 0 "sync with 'origin': "
done

# The slow hostile connections to brightwater run while the rest goes on: a handshake cut
# in its middle and a connection that says nothing are dropped after the 10 s handshake
# timeout; a peer that completes the handshake and then never answers (not even pings) is
# dropped after 45 s of silence.
# shellcheck disable=SC2086 # $wrap is zero or several words
$wrap "$NP" "$PB" --truncate --expect-close --wait 15000 </dev/null >"$T/np-truncate.out" 2>&1 &
np_truncate=$!
# shellcheck disable=SC2086
$wrap "$NP" "$PB" --expect-close --wait 15000 </dev/null >"$T/np-quiet.out" 2>&1 &
np_quiet=$!
# shellcheck disable=SC2086
$wrap "$NP" "$PB" --identity "$T/fenwick.id" --store "$T/brightwater" --silent --expect-close \
	--wait 60000 </dev/null >"$T/np-silent.out" 2>&1 &
np_silent=$!
pids="$pids $np_truncate $np_quiet $np_silent"

check "aldport has brightwater, dunmore and eastfield connected" \
	wait_connected aldport brightwater dunmore eastfield
check "brightwater has aldport, coldharbor and eastfield connected" \
	wait_connected brightwater aldport coldharbor eastfield
check "coldharbor has brightwater connected" wait_connected coldharbor brightwater
check "dunmore has aldport connected" wait_connected dunmore aldport

# ---- a push reaches every city, through relays where there is no link ------------------------

new_doc aldport
expect_success "aldport pushes with the daemon running" retry5 at aldport push
t0=$(now_ms)
expect_stderr 'the daemon announced the new head to its peers' "push tells the daemon"
converge "push at aldport to each city's main" "$H" "$t0" brightwater coldharbor dunmore eastfield
check "coldharbor heard it through brightwater" \
	grep -Eq "aldport/main announced main ${H%????????????????????????????} \(via $PB\)" \
	"$T/coldharbor.log"

new_doc coldharbor
expect_success "coldharbor, at the end of the chain, pushes" retry5 at coldharbor push
t0=$(now_ms)
converge "push at coldharbor to each city's main (dunmore is three hops away)" "$H" "$t0" \
	brightwater aldport dunmore eastfield
check "coldharbor has no link but to brightwater" test "$(connected coldharbor)" -eq 1
check "dunmore heard it through aldport" \
	grep -Eq "coldharbor/main announced main ${H%????????????????????????????} \(via $PA\)" \
	"$T/dunmore.log"

# ---- status ----------------------------------------------------------------------------------

check "brightwater's daemon is done with its sync" idle brightwater
expect_success "status at brightwater" at brightwater status
expect_stdout '^daemon +running \(pid [0-9]+\)' "status says the daemon runs"
expect_stdout "^main +${H%????????????????????????????}\$" "status shows main"
expect_stdout '^  origin +last sync .*; next in' "status shows the remote and its next sync"
expect_stdout "^  $PA +aldport/main +connected" "status shows aldport connected"
expect_stdout ' coldharbor/main +connected' "status shows coldharbor connected"
expect_success "status --json at brightwater" at brightwater status --json
expect_stdout '"daemon": true' "the JSON says a daemon runs"
expect_stdout '"name": "origin"' "the JSON lists the remote"
expect_stdout '"member": "aldport/main"' "the JSON lists the peers"
expect_stdout "\"listen\": \"$PB\"" "the JSON has the listen address"
check "the JSON shows three peers connected" test "$(grep -c '"state": "connected"' "$TEST_TMP/out")" -ge 3

# ---- one daemon per store, SIGHUP ------------------------------------------------------------

expect_exit 5 'another daemon is running on this store \(pid [0-9]+\)' \
	"a second daemon on brightwater's store exits 5" \
	at brightwater daemon --listen "127.0.0.1:$(random_port)" --interval 1h
lines=$(log_lines brightwater)
kill -HUP "$(var pid brightwater)"
expect_log brightwater "$lines" 'info  SIGHUP: reloading peers and intervals' "SIGHUP is logged"
expect_log brightwater "$lines" 'info  reloaded: 1 peer' "SIGHUP reloads the peers"
expect_log brightwater "$lines" "peer $PA \(aldport/main\): connected" \
	"brightwater dials aldport again after the reload"
check "brightwater has its three peers connected again" \
	wait_connected brightwater aldport coldharbor eastfield

# ---- the handshake refuses an outsider, not a member ------------------------------------------

lines=$(log_lines brightwater)
expect_success "a member (fenwick, no daemon of its own) completes the handshake" \
	"$NP" "$PB" --identity "$T/fenwick.id" --store "$T/brightwater" --ping --wait 300
expect_stdout 'handshake ok' "noise_peer says the handshake is done"
expect_stdout 'pong after' "the daemon answers its ping"
expect_success "an outsider is cut off at the handshake" \
	"$NP" "$PB" --identity "$T/outsider.id" --store "$T/brightwater" --ping --expect-close
expect_stdout 'closed by peer' "noise_peer sees the connection closed"
expect_log brightwater "$lines" "refused: $(fingerprint outsider) is not an active member of the group" \
	"brightwater logs the outsider as refused"
check "brightwater's good peers stay connected" \
	wait_connected brightwater aldport coldharbor eastfield

# A member added while the daemons run: the founder's daemon, whose own push added it,
# accepts it at once.
"$S" keys gen --name glenrock --no-passphrase --identity "$T/glenrock.id" >"$T/glenrock.card" 2>/dev/null
expect_success "aldport adds glenrock" retry5 at aldport member add "$(cat "$T/glenrock.card")"
expect_success "aldport pushes the new member" retry5 at aldport push -q
expect_success "aldport's daemon accepts glenrock at once" \
	"$NP" "$PA" --identity "$T/glenrock.id" --store "$T/aldport" --ping --wait 300
expect_stdout 'pong after' "and answers its ping"

# ---- hostile connections are dropped; good peers carry on --------------------------------------

# np_case NAME LOGPATTERN DESCRIPTION ARGS...: `noise_peer brightwater ARGS` must exit 0,
# and brightwater's log must say LOGPATTERN for that connection.
np_case() {
	name=$1; logpat=$2; desc=$3; shift 3
	lines=$(log_lines brightwater)
	"$NP" "$PB" "$@" >"$T/np-$name.out" 2>&1
	rc=$?
	from=$(sed -n 's/^connected to .* from //p' "$T/np-$name.out")
	if [ "$rc" -ne 0 ]; then
		not_ok "$desc (noise_peer exits $rc)"; sed 's/^/#   /' "$T/np-$name.out"
	elif ! wait_log brightwater "$lines" "peer $from( \([^)]*\))?: $logpat" 5000; then
		not_ok "$desc (the log does not say '$logpat')"; log_since brightwater "$lines" | sed 's/^/#   /'
	else
		ok "$desc"; echo "#   noise_peer: $(tail -n 1 "$T/np-$name.out")"
	fi
}
printf 'GET / HTTP/1.1\r\nHost: sanctum\r\n\r\n' >"$T/http.txt"
np_case text 'refused: frame: 18245 bytes, over the limit of 4096' \
	"text instead of frames is dropped at once" --send "$T/http.txt" --expect-close
np_case garbage 'refused: a broken handshake message' \
	"random frames are dropped at the handshake" --garbage 400 --expect-close
np_case oversize 'refused: frame: 65535 bytes, over the limit of 4096' \
	"an oversized frame is dropped before its body is read" --oversize --expect-close
H=$(head_of brightwater)
np_case replay 'a message failed authentication \(tampered or replayed\)' \
	"a replayed transport frame is dropped" \
	--identity "$T/fenwick.id" --store "$T/brightwater" --announce "$H" --replay --expect-close
np_case old "old announcement from $(fingerprint fenwick) \(counter [0-9]+ <= [0-9]+\), ignored" \
	"an old announcement in a new frame is ignored, the connection kept" \
	--identity "$T/fenwick.id" --store "$T/brightwater" --announce "$H" --announce "$H" --old \
	--ping --wait 300
check "noise_peer's ping after the old announcement was answered" \
	grep -q '^pong after' "$T/np-old.out"

# A good peer of brightwater's hears the next push, and every city still gets it.
new_doc aldport
# shellcheck disable=SC2086
$wrap "$NP" "$PB" --identity "$T/fenwick.id" --store "$T/brightwater" --expect-announce "$H" \
	--wait 15000 </dev/null >"$T/np-listen.out" 2>&1 &
np_listen=$!
pids="$pids $np_listen"
n=0
until grep -q 'handshake ok' "$T/np-listen.out" || [ "$n" -ge 250 ]; do sleep 0.02; n=$((n + 1)); done
expect_success "aldport pushes after the attacks" retry5 at aldport push
t0=$(now_ms)
converge "push at aldport after the attacks" "$H" "$t0" brightwater coldharbor dunmore eastfield
wait "$np_listen"
rc=$?
forget "$np_listen"
if [ "$rc" -eq 0 ] && grep -q "^announcement of ${H%????????????????????????????}" "$T/np-listen.out"; then
	ok "a good peer connected to brightwater hears the new head"
else
	not_ok "a good peer connected to brightwater hears the new head (exit $rc)"
	sed 's/^/#   /' "$T/np-listen.out"
fi

# ---- a removed member is disconnected and refused ----------------------------------------------

lines_a=$(log_lines aldport)
lines_b=$(log_lines brightwater)
expect_success "aldport removes eastfield" at aldport member remove eastfield/main
H=$(head_of aldport)
expect_success "aldport pushes the removal" retry5 at aldport push
removed_at=$(now_ms)
converge "the removal reaches the members" "$H" "$(now_ms)" brightwater coldharbor dunmore
expect_log aldport "$lines_a" 'peer [^ ]* \(eastfield/main\): removed from the group: disconnected' \
	"aldport's daemon drops eastfield when its own push removes it"
expect_log brightwater "$lines_b" 'peer [^ ]* \(eastfield/main\): removed from the group: disconnected' \
	"brightwater's daemon drops eastfield once it pulled the removal"
FE=$(fingerprint eastfield)
expect_log brightwater "$lines_b" "refused: $FE is not an active member of the group" \
	"eastfield's daemon is refused by brightwater when it dials again"
expect_log aldport "$lines_a" "refused: $FE is not an active member of the group" \
	"and by aldport"
check "no city keeps eastfield connected" \
	sh -c "! '$S' -C '$T/aldport' status --json | grep -q '\"member\": \"eastfield' &&
		! '$S' -C '$T/brightwater' status --json | grep -q '\"member\": \"eastfield'"
removed_line=$lines_b

# ---- the slow hostile connections ---------------------------------------------------------------

# np_wait NAME PID LOGPATTERN DESCRIPTION: the background noise_peer exits 0 (closed by
# the daemon) and brightwater's log says LOGPATTERN for its connection.
np_wait() {
	wait "$2"
	rc=$?
	forget "$2"
	from=$(sed -n 's/^connected to .* from //p' "$T/np-$1.out")
	if [ "$rc" -eq 0 ] && grep -Eq "peer $from( \([^)]*\))?: $3" "$T/brightwater.log"; then
		ok "$4"; echo "#   noise_peer: $(tail -n 1 "$T/np-$1.out")"
	else
		not_ok "$4 (noise_peer exits $rc)"; sed 's/^/#   /' "$T/np-$1.out"
	fi
}
np_wait truncate "$np_truncate" 'the handshake did not finish in time' \
	"a truncated handshake is dropped after the handshake timeout"
np_wait quiet "$np_quiet" 'the handshake did not finish in time' \
	"a connection that says nothing is dropped after the handshake timeout"

# ---- SIGKILL during a sync; a partition that heals ------------------------------------------

new_doc aldport
lines=$(log_lines coldharbor)
expect_success "aldport pushes again" retry5 at aldport push
# coldharbor pulls at once (the news comes through brightwater): kill it as its sync starts.
deadline=$(($(now_ms) + 10000))
until log_since coldharbor "$lines" | grep -q "sync with 'origin' starts"; do
	[ "$(now_ms)" -lt "$deadline" ] || break
done
kill -KILL "$(var pid coldharbor)"
wait "$(var pid coldharbor)" 2>/dev/null
forget "$(var pid coldharbor)"
if log_since coldharbor "$lines" | grep -q "sync with 'origin': pull"; then
	echo "# the sync had finished before the SIGKILL landed"
else
	echo "# the SIGKILL landed during the sync (main at $(head_of coldharbor | cut -c1-12))"
fi
check "coldharbor's daemon lock is free again" restart_daemon coldharbor
t0=$(now_ms)
converge "coldharbor catches up after the restart" "$H" "$t0" coldharbor
expect_success "coldharbor's store verifies" at coldharbor verify

# SIGTERM as dunmore's sync of the next push starts: the sync finishes, the daemon stops.
new_doc aldport
lines=$(log_lines dunmore)
expect_success "aldport pushes" retry5 at aldport push
deadline=$(($(now_ms) + 10000))
until log_since dunmore "$lines" | grep -q "sync with 'origin' starts"; do
	[ "$(now_ms)" -lt "$deadline" ] || break
done
stop_pid "$(var pid dunmore)"
check "SIGTERM stops dunmore's daemon (exit 0)" test "$stop_rc" -eq 0
expect_log dunmore "$lines" 'info  stopping \(SIGTERM\)' "the log says why it stops"
expect_log dunmore "$lines" 'info  stopped$' "and that it stopped"
if log_since dunmore "$lines" | grep -q 'letting the running sync finish'; then
	echo "# the SIGTERM came during the sync, which finished first"
fi
expect_success "dunmore's store verifies" at dunmore verify
converge "the others have it" "$H" "$(now_ms)" brightwater coldharbor
new_doc brightwater
expect_success "brightwater pushes while dunmore is down" retry5 at brightwater push
converge "the others have it" "$H" "$(now_ms)" aldport coldharbor
check "dunmore is behind" test "$(head_of dunmore)" != "$H"
check "dunmore's daemon starts again" restart_daemon dunmore
converge "dunmore catches up when it comes back" "$H" "$(now_ms)" dunmore
check "dunmore is connected to aldport again" wait_connected dunmore aldport

# ---- webhooks -------------------------------------------------------------------------------

# A push the daemons are not told of (git itself, as from a city without a daemon).
check "dunmore's daemon is done with its sync" idle dunmore
new_doc aldport
check "aldport's new head goes to the hub behind the daemons' backs" \
	git --git-dir "$T/aldport/.sanctum" push -q "$HUB" main:main
# post NAME BODY SIGNATURE: POSTs BODY to dunmore's webhook listener, as GitHub does.
post() {
	printf 'POST /hook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nX-GitHub-Event: push\r\nX-Hub-Signature-256: sha256=%s\r\nContent-Length: %s\r\n\r\n%s' \
		"$3" "$(printf '%s' "$2" | wc -c)" "$2" >"$T/$1.http"
	"$NP" "127.0.0.1:$(var hookport dunmore)" --send "$T/$1.http" --expect-close --wait 5000
}
body='{"ref":"refs/heads/main","after":"'$H'"}'
sig=$(printf '%s' "$body" | openssl dgst -sha256 -hmac "$(cat "$T/hook.secret")" | sed 's/^.* //')
lines=$(log_lines dunmore)
t0=$(now_ms)
expect_success "a webhook with a bad signature is answered" post bad "$body " "$sig"
expect_stdout '^HTTP/1.1 401 ' "with 401"
expect_log dunmore "$lines" 'webhook from 127.0.0.1: 401 ' "the daemon logs the 401"
check "and does not pull" sh -c "! tail -n +$((lines + 1)) '$T/dunmore.log' | grep -q 'a forge webhook'"
expect_success "a webhook signed with the secret is answered" post good "$body" "$sig"
expect_stdout '^HTTP/1.1 202 Accepted' "with 202"
expect_log dunmore "$lines" 'webhook from 127.0.0.1: 202 .*pulling \(github\)$' "the daemon logs the pull"
converge "the webhooks (401, then 202) make dunmore pull" "$H" "$t0" dunmore

# ---- sync through the daemon; everyone ends at one verified head --------------------------

for who in brightwater coldharbor; do
	retry5 at "$who" sync >"$TEST_TMP/out" 2>"$TEST_TMP/err"
	rc=$?
	if [ "$rc" -eq 0 ] || [ "$rc" -eq 6 ]; then
		ok "sync at $who with its daemon running"
	else
		not_ok "sync at $who with its daemon running (exit $rc)"; sed 's/^/#   /' "$TEST_TMP/err"
	fi
	expect_stderr '^origin: synced by the daemon: (changed|nothing to do)$' "the daemon did the sync"
done
converge "every city at one head" "$H" "$(now_ms)" aldport brightwater coldharbor dunmore
for who in aldport brightwater coldharbor dunmore; do
	expect_success "$who verifies" at "$who" verify
done

# A member announces a head that the hub never serves: brightwater tries to pull it, then
# reports that the host may be withholding it.
fake=$(od -An -N20 -tx1 /dev/urandom | tr -d ' \n')
lines=$(log_lines brightwater)
expect_success "fenwick announces a head the hub does not have" \
	"$NP" "$PB" --identity "$T/fenwick.id" --store "$T/brightwater" --announce "$fake" --wait 300
expect_log brightwater "$lines" "fenwick/main announced main $(echo "$fake" | cut -c1-12) \(via [^)]*\): pulling" \
	"brightwater pulls at once"
expect_log brightwater "$lines" "head $(echo "$fake" | cut -c1-12), announced by $(fingerprint fenwick), is still not in any remote after 2 s: the host may be withholding updates" \
	"brightwater reports the head as possibly withheld"
expect_success "status at brightwater" at brightwater status
expect_stdout "^warning +head $(echo "$fake" | cut -c1-12) announced by SHA256:.* the host may be withholding updates" \
	"status shows the withheld head"
expect_stdout '^last error .*withholding' "and it is the last error"

# The silent peer (handshake, then nothing) is dropped after 45 s without a word.
np_wait silent "$np_silent" 'silent for too long' "a peer that goes silent is dropped"

# eastfield's daemon went on dialling brightwater all along, refused each time: with
# backoff (1 s, 2 s, 4 s, ...), not once a second.
stop_pid "$(var pid eastfield)"
check "eastfield's daemon stops on SIGTERM (exit 0)" test "$stop_rc" -eq 0
elapsed=$((($(now_ms) - removed_at) / 1000))
tries=$(log_since brightwater "$removed_line" | grep -Ec "refused: $FE is not an active member")
most=2; span=1
while [ "$span" -le "$elapsed" ]; do most=$((most + 1)); span=$((span * 2 + 1)); done
echo "# eastfield was refused $tries times by brightwater in $elapsed s"
check "a refused member is dialled with backoff (at most $most tries in $elapsed s)" \
	test "$tries" -le "$most"

for who in aldport brightwater coldharbor dunmore; do
	first=$(log_lines "$who")
	stop_pid "$(var pid "$who")"
	if [ "$stop_rc" -eq 0 ] && log_since "$who" "$first" | grep -q 'info  stopped$'; then
		ok "$who's daemon stops cleanly on SIGTERM"
	else
		not_ok "$who's daemon stops cleanly on SIGTERM (exit $stop_rc)"
	fi
done
echo "# $(($(date +%s) - test_t0)) s"
test_done
