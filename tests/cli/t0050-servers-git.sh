#!/bin/sh
# tests/servers.sh itself, checked with stock git alone before any sync test leans on it:
# push, clone and fetch through git daemon, sshd (its own host key, user key and
# known_hosts), smart HTTP and HTTPS (a throwaway certificate), open and behind basic auth
# (a credential-store file); the refusals that show each server really checks (unknown
# host key, unknown user key, untrusted certificate, no or wrong password); a proxy that
# cuts a fetch and a push mid-pack; a taken port; and servers that stop with the test, even
# a test killed outright.
# shellcheck source=/dev/null # tests/lib.sh and tests/servers.sh, named by ctest
. "$SANCTUM_TEST_LIB"
. "$SANCTUM_TEST_SERVERS"

require_tool git
T=$TEST_TMP

# A private home, no system or user git configuration, and never a prompt.
HOME=$T/home
export HOME
mkdir "$HOME"
unset XDG_CONFIG_HOME GIT_DIR GIT_WORK_TREE GIT_SSH GIT_SSH_COMMAND GIT_ASKPASS SSH_ASKPASS
GIT_CONFIG_NOSYSTEM=1
GIT_TERMINAL_PROMPT=0
export GIT_CONFIG_NOSYSTEM GIT_TERMINAL_PROMPT
git config --global user.name "Test Person"
git config --global user.email test@example.invalid
git config --global init.defaultBranch main

R=$T/repos
mkdir "$R"
for name in daemon ssh http auth; do
	git init -q --bare "$R/$name.git"
done

# The source: a commit with 1.5 MB of random bytes, more than git's 1 MiB http.postBuffer
# so that an HTTP push is sent chunked, and a pack large enough to be cut in the middle.
SRC=$T/src
git init -q "$SRC"
head -c 1500000 /dev/urandom >"$SRC/big.bin"
echo "first" >"$SRC/note.txt"
git -C "$SRC" add big.bin note.txt
git -C "$SRC" commit -q -m first

# rev GIT_DIR REV: the commit id, or nothing.
rev() { git --git-dir "$1" rev-parse -q --verify "$2^{commit}" 2>/dev/null; }

# roundtrip LABEL BASE NAME: push main from the source to the empty BASE/NAME.git, clone
# it, push a new commit from the clone, and fetch that commit back into the source.
roundtrip() {
	label=$1; url=$2/$3.git; clone=$T/clone-$3
	expect_success "$label: push to an empty repository" git -C "$SRC" push -q "$url" main
	check "$label: the server has the pushed main" \
		test "$(rev "$R/$3.git" main)" = "$(rev "$SRC/.git" main)"
	expect_success "$label: clone" git clone -q "$url" "$clone"
	check "$label: the clone has the same main" \
		test "$(rev "$clone/.git" main)" = "$(rev "$SRC/.git" main)"
	check "$label: the clone has the large file" cmp "$clone/big.bin" "$SRC/big.bin"
	echo "from the $3 clone" >"$clone/$3.txt"
	git -C "$clone" add "$3.txt" && git -C "$clone" commit -q -m "$3"
	expect_success "$label: push a new commit" git -C "$clone" push -q origin main
	expect_success "$label: fetch it back" git -C "$SRC" fetch -q "$url" main
	check "$label: the fetch brought the new commit" \
		test "$(rev "$SRC/.git" FETCH_HEAD)" = "$(rev "$clone/.git" main)"
}

# ---- git daemon --------------------------------------------------------------------------

if srv_have git-daemon; then
	expect_success "srv_git_daemon starts" srv_git_daemon "$R"
	cat "$T/out"
	check "SRV_GIT_URL is git://127.0.0.1:PORT" test "$SRV_GIT_URL" = "git://127.0.0.1:$SRV_GIT_PORT"
	roundtrip "git://" "$SRV_GIT_URL" daemon
	expect_exit 128 'remote error: no such repository: /missing.git' \
		"git://: a missing repository is refused" git ls-remote "$SRV_GIT_URL/missing.git"
else
	echo "# skipped: git daemon is not installed"
fi

# ---- sshd --------------------------------------------------------------------------------

if srv_have sshd; then
	expect_success "srv_sshd starts" srv_sshd "$R"
	cat "$T/out"
	check "SRV_SSH_URL names the user, port and folder" \
		test "$SRV_SSH_URL" = "ssh://$(id -un)@127.0.0.1:$SRV_SSH_PORT$R"
	check "the known_hosts line is [127.0.0.1]:PORT" \
		grep -q "^\\[127\\.0\\.0\\.1\\]:$SRV_SSH_PORT ssh-ed25519 " "$SRV_SSH_KNOWN_HOSTS"
	check "and it is in \$HOME/.ssh/known_hosts for libgit2" \
		grep -qxF "$(cat "$SRV_SSH_KNOWN_HOSTS")" "$HOME/.ssh/known_hosts"
	GIT_SSH_COMMAND=$SRV_GIT_SSH_COMMAND
	export GIT_SSH_COMMAND
	roundtrip "ssh://" "$SRV_SSH_URL" ssh
	# The host key is checked: with no known host, ssh refuses before logging in.
	: >"$T/empty_known_hosts"
	GIT_SSH_COMMAND="ssh -F /dev/null -i '$SRV_SSH_KEY' -o IdentitiesOnly=yes \
-o UserKnownHostsFile='$T/empty_known_hosts' -o GlobalKnownHostsFile=/dev/null \
-o StrictHostKeyChecking=yes -o BatchMode=yes"
	expect_exit 128 'Host key verification failed' "ssh://: an unknown host key is refused" \
		git ls-remote "$SRV_SSH_URL/ssh.git"
	# Only the throwaway key logs in, and there is no password to fall back on.
	ssh-keygen -q -t ed25519 -N '' -f "$T/stranger"
	GIT_SSH_COMMAND="ssh -F /dev/null -i '$T/stranger' -o IdentitiesOnly=yes \
-o UserKnownHostsFile='$SRV_SSH_KNOWN_HOSTS' -o GlobalKnownHostsFile=/dev/null \
-o StrictHostKeyChecking=yes -o BatchMode=yes"
	expect_exit 128 'Permission denied \(publickey\)' "ssh://: another key is refused" \
		git ls-remote "$SRV_SSH_URL/ssh.git"
	unset GIT_SSH_COMMAND
else
	echo "# skipped: sshd (Debian package openssh-server) is not installed"
fi

# ---- smart HTTP --------------------------------------------------------------------------

if srv_have http; then
	expect_success "srv_http starts" srv_http "$R"
	cat "$T/out"
	check "SRV_HTTP_URL is http://127.0.0.1:PORT/git" \
		test "$SRV_HTTP_URL" = "http://127.0.0.1:$SRV_HTTP_PORT/git"
	roundtrip "http://" "$SRV_HTTP_URL" http

	expect_exit 128 'terminal prompts disabled' "http:// with auth: no credentials, no access" \
		git ls-remote "$SRV_HTTP_AUTH_URL/auth.git"
	echo "http://$SRV_HTTP_USER:wrong@127.0.0.1:$SRV_HTTP_PORT" >"$T/wrong-credentials"
	expect_exit 128 'Authentication failed' "http:// with auth: a wrong password is refused" \
		git -c credential.helper="store --file=$T/wrong-credentials" \
		ls-remote "$SRV_HTTP_AUTH_URL/auth.git"
	git config --global credential.helper "store --file=$SRV_HTTP_CREDENTIALS"
	roundtrip "http:// with auth" "$SRV_HTTP_AUTH_URL" auth
	git config --global --unset credential.helper
else
	echo "# skipped: lighttpd or git http-backend is not installed"
fi

# ---- smart HTTPS -------------------------------------------------------------------------

if srv_have https; then
	for name in https https-auth; do
		git init -q --bare "$R/$name.git"
	done
	expect_success "srv_https starts" srv_https "$R"
	cat "$T/out"
	check "SRV_HTTPS_URL is https://127.0.0.1:PORT/git" \
		test "$SRV_HTTPS_URL" = "https://127.0.0.1:$SRV_HTTPS_PORT/git"
	expect_exit 128 'certificate' "https://: a certificate no one trusts is refused" \
		git ls-remote "$SRV_HTTPS_URL/https.git"
	GIT_SSL_CAINFO=$SRV_HTTPS_CA
	export GIT_SSL_CAINFO
	roundtrip "https://" "$SRV_HTTPS_URL" https
	git config --global credential.helper "store --file=$SRV_HTTPS_CREDENTIALS"
	roundtrip "https:// with auth" "$SRV_HTTPS_AUTH_URL" https-auth
	git config --global --unset credential.helper
	unset GIT_SSL_CAINFO
else
	echo "# skipped: lighttpd's mod_openssl or openssl is not installed"
fi

# ---- a connection cut mid-pack -----------------------------------------------------------

if srv_have git-daemon && srv_have drop-proxy; then
	# The ref advertisement is a few hundred bytes; the pack is over 1.5 MB.
	expect_success "srv_flaky starts" srv_flaky "$R" 65536
	cat "$T/out"
	git init -q "$T/fetcher"
	expect_exit 128 'unexpected disconnect|early EOF|hung up unexpectedly' \
		"a fetch cut after 64 KiB fails" \
		git -C "$T/fetcher" fetch "$SRV_FLAKY_URL/daemon.git" main
	check "the proxy cut it after exactly 64 KiB" grep -q ': 65536 bytes down, .* dropped$' \
		"$SRV_FLAKY_LOG"
	check "the failed fetch wrote no ref" sh -c "! git -C '$T/fetcher' rev-parse -q --verify FETCH_HEAD"
	# The same proxy without a limit relays a whole fetch: the cut, not the relay, failed it.
	expect_success "srv_drop_proxy without a limit starts" srv_drop_proxy "$SRV_GIT_PORT" -
	expect_success "a fetch through it succeeds" \
		git -C "$T/fetcher" fetch -q "git://127.0.0.1:$SRV_DROP_PORT/daemon.git" main
	check "and brings the whole history" \
		test "$(rev "$T/fetcher/.git" FETCH_HEAD)" = "$(rev "$R/daemon.git" main)"
	check "its log says the connection closed whole" grep -q ' closed$' "$SRV_DROP_LOG"
	# A push cut on its way up: the server must not take a ref from half a pack.
	git init -q --bare "$R/cut.git"
	expect_success "srv_drop_proxy cutting uploads starts" srv_drop_proxy "$SRV_GIT_PORT" - 65536
	expect_exit 128 'unexpected disconnect|hung up unexpectedly|Broken pipe|Connection reset' \
		"a push cut after 64 KiB fails" \
		git -C "$SRC" push "git://127.0.0.1:$SRV_DROP_PORT/cut.git" main
	check "the proxy cut it after exactly 64 KiB up" grep -q ', 65536 bytes up, dropped$' \
		"$SRV_DROP_LOG"
	check "the server took no ref from it" test -z "$(rev "$R/cut.git" main)"
else
	echo "# skipped: the drop proxy needs git daemon and \$SANCTUM_DROP_PROXY"
fi

# ---- a port already taken ----------------------------------------------------------------

# SRV_FIRST_PORT makes the first try the port of the running git daemon: each server must
# notice from its own log that the port was taken and come up on another.
if srv_have git-daemon && [ -n "${SRV_GIT_PORT:-}" ]; then
	taken=$SRV_GIT_PORT
	# shellcheck disable=SC2034 # read by tests/servers.sh
	SRV_FIRST_PORT=$taken
	for kind in git-daemon sshd http https drop-proxy; do
		srv_have "$kind" || continue
		case $kind in
		git-daemon) expect_success "$kind: a taken port is retried" srv_git_daemon "$R"
			port=$SRV_GIT_PORT ;;
		sshd) expect_success "$kind: a taken port is retried" srv_sshd "$R"
			port=$SRV_SSH_PORT ;;
		http) expect_success "$kind: a taken port is retried" srv_http "$R"
			port=$SRV_HTTP_PORT ;;
		https) expect_success "$kind: a taken port is retried" srv_https "$R"
			port=$SRV_HTTPS_PORT ;;
		drop-proxy) expect_success "$kind: a taken port is retried" srv_drop_proxy "$taken" -
			port=$SRV_DROP_PORT ;;
		esac
		expect_stdout "^# $kind: port $taken was taken, trying another\$" "$kind: says so"
		check "$kind: it listens on another port" test "$port" != "$taken"
	done
	unset SRV_FIRST_PORT
	expect_success "the retried git daemon serves" git ls-remote "$SRV_GIT_URL/daemon.git"
	if srv_have sshd; then
		expect_success "the retried sshd serves" \
			env GIT_SSH_COMMAND="$SRV_GIT_SSH_COMMAND" git ls-remote "$SRV_SSH_URL/ssh.git"
	fi
	if srv_have http; then
		expect_success "the retried http server serves" git ls-remote "$SRV_HTTP_URL/http.git"
	fi
fi

# ---- servers stop with the test ----------------------------------------------------------

# A test killed outright (a ctest timeout's SIGKILL) runs no trap: the kernel's parent-death
# signal must stop its servers all the same. (srv_wrap and srv__alive are servers.sh's own.)
if [ -n "$srv_wrap" ]; then
	cat >"$T/killed.sh" <<-EOF
		. "\$SANCTUM_TEST_LIB"
		. "\$SANCTUM_TEST_SERVERS"
		HOME=\$TEST_TMP
		srv_have git-daemon && srv_git_daemon "$R" >/dev/null
		srv_have sshd && srv_sshd "$R" >/dev/null
		srv_have http && srv_http "$R" >/dev/null
		srv_have https && srv_https "$R" >/dev/null
		srv_have drop-proxy && srv_drop_proxy 9 - >/dev/null
		srv_pids >"$T/killed.pids"
		kill -KILL \$\$
	EOF
	# TMPDIR: the killed script's own $TEST_TMP, which no trap removes, is under ours.
	TMPDIR=$T sh "$T/killed.sh" >/dev/null 2>&1
	check "the killed script had started servers" test -s "$T/killed.pids"
	left=$(cat "$T/killed.pids")
	n=0
	while [ -n "$left" ] && [ "$n" -lt 50 ]; do
		still=""
		for pid in $left; do
			! srv__alive "$pid" || still="$still $pid"
		done
		left=$still
		[ -z "$left" ] || sleep 0.1
		n=$((n + 1))
	done
	check "a killed test's servers stop by themselves" test -z "$left"
else
	echo "# skipped: setpriv --pdeathsig is not available"
fi

pids=$(srv_pids)
check "servers are running before srv_stop_all" test -n "$pids"
srv_stop_all >"$T/stop.out"
alive=""
for pid in $pids; do
	[ ! -e "/proc/$pid" ] || alive="$alive $pid"
done
check "srv_stop_all stops every server" test -z "$alive"
check "srv_stop_all says what it stopped" grep -q '^# stopped: ' "$T/stop.out"
if [ -n "${SRV_GIT_URL:-}" ]; then
	expect_exit 128 '' "the stopped git daemon no longer answers" \
		git ls-remote "$SRV_GIT_URL/daemon.git"
fi

test_done
