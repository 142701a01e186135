# Real git servers on 127.0.0.1 for the sync tests (POSIX sh), each serving a folder of bare
# repositories: git daemon, sshd, smart HTTP and HTTPS (git http-backend behind lighttpd)
# and a proxy that cuts connections mid-stream. Source it after tests/lib.sh:
#     . "$SANCTUM_TEST_LIB"
#     . "$SANCTUM_TEST_SERVERS"
# Every base URL is set without a trailing slash: clone "$SRV_GIT_URL/NAME.git".
#
#   srv_git_daemon ROOT    SRV_GIT_URL=git://127.0.0.1:PORT  SRV_GIT_PORT
#   srv_sshd ROOT          SRV_SSH_URL=ssh://USER@127.0.0.1:PORT/ABSOLUTE/ROOT  SRV_SSH_PORT
#                          SRV_SSH_USER  SRV_SSH_KEY (private key, no passphrase)
#                          SRV_SSH_PUBKEY  SRV_SSH_KNOWN_HOSTS (one "[127.0.0.1]:PORT" line)
#                          SRV_GIT_SSH_COMMAND (for GIT_SSH_COMMAND: that key, that file only)
#                          and the same line appended to $HOME/.ssh/known_hosts, where
#                          libgit2 looks, when HOME is inside $TEST_TMP
#   srv_http ROOT          SRV_HTTP_URL=http://127.0.0.1:PORT/git  (no auth, push allowed)
#                          SRV_HTTP_AUTH_URL=http://127.0.0.1:PORT/auth  (basic auth)
#                          SRV_HTTP_PORT  SRV_HTTP_USER  SRV_HTTP_PASSWORD
#                          SRV_HTTP_CREDENTIALS (a `git credential-store` file for them)
#   srv_https ROOT         the same over TLS: SRV_HTTPS_URL=https://127.0.0.1:PORT/git
#                          SRV_HTTPS_AUTH_URL  SRV_HTTPS_PORT  SRV_HTTPS_USER
#                          SRV_HTTPS_PASSWORD  SRV_HTTPS_CREDENTIALS, and SRV_HTTPS_CA, the
#                          self-signed certificate to trust (GIT_SSL_CAINFO for git)
#   srv_drop_proxy PORT DOWN [UP]
#                          SRV_DROP_PORT  SRV_DROP_LOG: a relay to 127.0.0.1:PORT that cuts
#                          each connection after DOWN bytes to the client (or UP to the
#                          server); the log has a "dropped" line per cut connection
#   srv_flaky ROOT DOWN    SRV_FLAKY_URL=git://127.0.0.1:PORT  SRV_FLAKY_LOG: a git daemon
#                          of its own for ROOT behind srv_drop_proxy
#   srv_have NAME          whether git-daemon, sshd, http, https or drop-proxy can run here
#   srv_pids               the process ids of the servers still running, one a line
#   srv_stop_all           stops every server; the EXIT trap calls it
#
# Each function waits until the server itself logs that it is listening (so the port is
# surely its own), prints "# NAME listening on ... (N ms)", and returns 0; it returns 1
# after printing the server's log when the server cannot start. Call them directly, never
# in $(...) or ( ): a server belongs to the shell that started it and dies with it.
#
# Servers never outlive the test: this file replaces lib.sh's trap with one that stops them
# and then removes $TEST_TMP as lib.sh's did (a test that sets its own EXIT trap must call
# srv_stop_all in it), and each server runs under `setpriv --pdeathsig`, so the kernel
# stops it even when the test's shell is killed outright (a ctest timeout's SIGKILL).

# shellcheck disable=SC2034 # the SRV_* variables are for the scripts that source this file
: "${TEST_TMP:?tests/servers.sh is sourced after tests/lib.sh}"
SRV_DIR=$TEST_TMP/servers
mkdir -p "$SRV_DIR"
srv_list=""  # "NAME:PID:LOG ..." of the servers started, in order
srv_count=0

srv__on_exit() {
	srv_stop_all "$1"
	rm -rf "$TEST_TMP"
}
trap 'srv__on_exit $?' EXIT
# A signal ends the script (rather than resuming it after the trap), through the EXIT trap.
trap 'exit 130' INT
trap 'exit 143' TERM

# Nanoseconds, for the start-up times.
srv__now() { date +%s%N; }

# A port below Linux's ephemeral range (32768-60999), so that it is not some outgoing
# connection's local port; a collision with another test's server is caught and retried.
srv__random_port() {
	srv_n=$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')
	echo $((20000 + srv_n % 12000))
}

# Whether PID is running (not gone, not a zombie waiting to be reaped).
srv__alive() {
	[ -r "/proc/$1/stat" ] && ! sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | grep -q '^Z'
}

# The kernel sends SIGTERM to a server whose parent (this shell) dies, however it dies.
if setpriv --help 2>/dev/null | grep -q pdeathsig; then
	srv_wrap="setpriv --pdeathsig TERM --"
else
	srv_wrap=""
fi

srv__path() {
	case $1 in
	/*) echo "$1" ;;
	*) echo "$(pwd)/$1" ;;
	esac
}

# srv__listen NAME READY BUSY START: picks a free port and calls START PORT LOG DIR, which
# must start the server in the background in this shell, then waits until LOG matches the
# extended regular expression READY. When the server dies and LOG matches BUSY (the port
# was taken), it tries another port, up to 20 times. Sets srv_port, srv_pid, srv_log,
# srv_dir and srv_ms.
srv__listen() {
	srv_name=$1; srv_ready=$2; srv_busy=$3; srv_start=$4
	srv_count=$((srv_count + 1))
	srv_dir=$SRV_DIR/$srv_name-$srv_count
	mkdir -p "$srv_dir"
	srv_t0=$(srv__now)
	srv_try=0
	while [ "$srv_try" -lt 20 ]; do
		srv_try=$((srv_try + 1))
		srv_port=$(srv__random_port)
		# SRV_FIRST_PORT (a port known to be taken) lets a test check the retry.
		[ "$srv_try" -gt 1 ] || srv_port=${SRV_FIRST_PORT:-$srv_port}
		srv_log=$srv_dir/log.$srv_try
		"$srv_start" "$srv_port" "$srv_log" "$srv_dir"
		srv_pid=$!
		# Listed at once, so that the EXIT trap stops it even while it is starting.
		srv_list="$srv_list $srv_name:$srv_pid:$srv_log"
		# Up to 15 s: sshd and lighttpd start in well under a second, but CI may be slow.
		srv_wait=0
		while [ "$srv_wait" -lt 750 ]; do
			if grep -Eq -- "$srv_ready" "$srv_log" 2>/dev/null; then
				srv_ms=$((($(srv__now) - srv_t0) / 1000000))
				echo "# $srv_name listening on 127.0.0.1:$srv_port (pid $srv_pid, ready in $srv_ms ms)"
				return 0
			fi
			srv__alive "$srv_pid" || break
			sleep 0.02
			srv_wait=$((srv_wait + 1))
		done
		srv__stop "$srv_pid"
		srv_list=${srv_list% "$srv_name:$srv_pid:$srv_log"}
		if [ "$srv_wait" -ge 750 ]; then
			echo "# $srv_name did not say it was listening within 15 s; its log:"
			sed 's/^/#   /' "$srv_log"
			return 1
		fi
		grep -Eq -- "$srv_busy" "$srv_log" 2>/dev/null || break
		echo "# $srv_name: port $srv_port was taken, trying another"
	done
	echo "# $srv_name could not start; its log:"
	sed 's/^/#   /' "$srv_log"
	return 1
}

# srv__stop PID...: SIGTERM to each, SIGKILL after 5 s to any still running, and reap them.
srv__stop() {
	for srv_p in "$@"; do
		kill -TERM "$srv_p" 2>/dev/null || :
	done
	srv_swait=0
	while [ "$srv_swait" -lt 250 ]; do
		srv_left=""
		for srv_p in "$@"; do
			! srv__alive "$srv_p" || srv_left="$srv_left $srv_p"
		done
		[ -n "$srv_left" ] || break
		sleep 0.02
		srv_swait=$((srv_swait + 1))
	done
	for srv_p in $srv_left; do
		echo "# pid $srv_p ignored SIGTERM for 5 s; killing it"
		kill -KILL "$srv_p" 2>/dev/null || :
	done
	for srv_p in "$@"; do
		wait "$srv_p" 2>/dev/null || :
	done
}

# srv_stop_all [STATUS]: stops every server started so far. When STATUS (the script's exit
# code) is not 0 or a check failed, it prints the end of each server's log, to show what
# the servers saw.
srv_stop_all() {
	srv_status=${1:-0}
	srv_names=""
	for srv_entry in $srv_list; do
		srv_names="$srv_names ${srv_entry%%:*}"
	done
	# shellcheck disable=SC2046 # one word per pid
	srv__stop $(srv_pids)
	if [ -n "$srv_list" ] && { [ "$srv_status" -ne 0 ] || [ "${test_failed:-0}" -ne 0 ]; }; then
		for srv_entry in $srv_list; do
			echo "# last lines of ${srv_entry%%:*}'s log, ${srv_entry##*:}:"
			tail -n 20 "${srv_entry##*:}" 2>/dev/null | sed 's/^/#   /'
		done
	fi
	[ -z "$srv_names" ] || echo "# stopped:$srv_names"
	srv_list=""
}

# srv_pids: the process ids of the servers started and not yet stopped, one a line.
srv_pids() {
	for srv_entry in $srv_list; do
		srv_pid=${srv_entry#*:}
		echo "${srv_pid%%:*}"
	done
}

# srv_have NAME: whether the server NAME (git-daemon, sshd, http, https, drop-proxy) can run
# here.
srv_have() {
	case $1 in
	git-daemon) [ -x "$(git --exec-path 2>/dev/null)/git-daemon" ] ;;
	sshd) [ -x /usr/sbin/sshd ] && command -v ssh-keygen >/dev/null 2>&1 &&
		command -v ssh >/dev/null 2>&1 && [ -n "$(id -un 2>/dev/null)" ] ;;
	http) [ -x /usr/sbin/lighttpd ] && [ -x "$(git --exec-path 2>/dev/null)/git-http-backend" ] ;;
	https) srv_have http && command -v openssl >/dev/null 2>&1 &&
		[ -f /usr/lib/lighttpd/mod_openssl.so ] ;;
	drop-proxy) [ -n "${SANCTUM_DROP_PROXY:-}" ] && [ -x "$SANCTUM_DROP_PROXY" ] ;;
	*) return 1 ;;
	esac
}

# ---- git daemon ------------------------------------------------------------------------------

srv__start_git_daemon() {
	# git-daemon itself, not `git daemon`, which would run it as a child process that a
	# signal to the recorded pid does not reach. --verbose makes it log "Ready to rumble"
	# once bound; --informative-errors tells a client which path was refused, which is what
	# a failing test wants to see.
	$srv_wrap "$(git --exec-path)/git-daemon" --reuseaddr --export-all \
		--enable=receive-pack --verbose --informative-errors --base-path="$srv_root" \
		--listen=127.0.0.1 --port="$1" "$srv_root" </dev/null >"$2" 2>&1 &
}

srv__git_daemon() {
	srv_root=$(srv__path "$1")
	srv__listen "$2" 'Ready to rumble' 'unable to allocate any listen sockets' \
		srv__start_git_daemon
}

# srv_git_daemon ROOT: git:// for every repository under ROOT, push included.
srv_git_daemon() {
	srv__git_daemon "$1" git-daemon || return 1
	SRV_GIT_PORT=$srv_port
	SRV_GIT_URL=git://127.0.0.1:$srv_port
}

# ---- sshd ------------------------------------------------------------------------------------

srv__start_sshd() {
	sed "s/^Port .*/Port $1/" "$srv_sdir/sshd_config.in" >"$3/sshd_config"
	# sshd must be run by its absolute path (it re-executes itself for each connection); -e
	# logs to stderr, where "Server listening on" says the port is bound.
	$srv_wrap /usr/sbin/sshd -D -e -f "$3/sshd_config" </dev/null >"$2" 2>&1 &
}

# srv_sshd ROOT: ssh:// for the repositories under ROOT, logging in as the current user with
# a throwaway key. Works as root and as any other user: a non-root sshd can only log its
# own user in, which is all the tests need.
srv_sshd() {
	srv_root=$(srv__path "$1")
	srv_user=$(id -un)
	srv_sdir=$SRV_DIR/sshd-keys-$((srv_count + 1))
	mkdir -p "$srv_sdir"
	ssh-keygen -q -t ed25519 -N '' -C sanctum-test-host -f "$srv_sdir/host_ed25519" ||
		return 1
	ssh-keygen -q -t ed25519 -N '' -C sanctum-test-user -f "$srv_sdir/user_ed25519" ||
		return 1
	# restrict: no forwarding or pty, nothing a git client needs.
	echo "restrict $(cat "$srv_sdir/user_ed25519.pub")" >"$srv_sdir/authorized_keys"
	if [ "$(id -u)" -eq 0 ]; then
		# As root, sshd insists on its privilege separation folder, which only the
		# service's start-up script creates (a container never ran it).
		[ -d /run/sshd ] || { mkdir -p /run/sshd && chmod 0755 /run/sshd; } || return 1
		# Without PAM, a root sshd refuses a locked account ("!" in /etc/shadow, which
		# Debian's images do not have: they have "*"); say so rather than fail at login.
		if grep -q '^root:!' /etc/shadow 2>/dev/null; then
			echo "# srv_sshd: root's account is locked ('!' in /etc/shadow) and sshd" \
				"without PAM refuses it; unlock it with: usermod -p '*' root"
			return 1
		fi
	fi
	# Port is filled in per attempt. StrictModes no: the keys live under $TEST_TMP, not in
	# the user's home, whose ownership rules sshd would otherwise apply to every folder
	# above them. UsePAM no: a non-root sshd cannot run PAM's account checks.
	cat >"$srv_sdir/sshd_config.in" <<-EOF
		Port 0
		ListenAddress 127.0.0.1
		HostKey $srv_sdir/host_ed25519
		PidFile $srv_sdir/sshd.pid
		AuthorizedKeysFile $srv_sdir/authorized_keys
		AllowUsers $srv_user
		PubkeyAuthentication yes
		PasswordAuthentication no
		KbdInteractiveAuthentication no
		PermitRootLogin prohibit-password
		StrictModes no
		UsePAM no
		PrintMotd no
		LogLevel VERBOSE
	EOF
	srv__listen sshd 'Server listening on 127\.0\.0\.1 port' \
		'Address already in use|Cannot bind any address' srv__start_sshd || return 1
	SRV_SSH_PORT=$srv_port
	SRV_SSH_USER=$srv_user
	SRV_SSH_URL=ssh://$srv_user@127.0.0.1:$srv_port$srv_root
	SRV_SSH_KEY=$srv_sdir/user_ed25519
	SRV_SSH_PUBKEY=$srv_sdir/user_ed25519.pub
	SRV_SSH_KNOWN_HOSTS=$srv_sdir/known_hosts
	echo "[127.0.0.1]:$srv_port $(cut -d' ' -f1,2 "$srv_sdir/host_ed25519.pub")" \
		>"$SRV_SSH_KNOWN_HOSTS"
	# -F /dev/null: nothing from the caller's ~/.ssh/config; BatchMode: never a prompt.
	SRV_GIT_SSH_COMMAND="ssh -F /dev/null -i '$SRV_SSH_KEY' -o IdentitiesOnly=yes \
-o UserKnownHostsFile='$SRV_SSH_KNOWN_HOSTS' -o GlobalKnownHostsFile=/dev/null \
-o StrictHostKeyChecking=yes -o BatchMode=yes"
	# libgit2 (1.5.1 and later) checks host keys against $HOME/.ssh/known_hosts only; write it
	# there, but never into a real home.
	case ${HOME:-} in
	"$TEST_TMP"/*)
		mkdir -p "$HOME/.ssh" && chmod 0700 "$HOME/.ssh"
		cat "$SRV_SSH_KNOWN_HOSTS" >>"$HOME/.ssh/known_hosts"
		;;
	*) echo "# srv_sshd: HOME is not inside \$TEST_TMP; \$HOME/.ssh/known_hosts left alone" ;;
	esac
}

# ---- smart HTTP and HTTPS --------------------------------------------------------------------

srv__start_http() {
	sed "s/^server\\.port = .*/server.port = $1/" "$srv_hdir/lighttpd.conf.in" >"$3/lighttpd.conf"
	# -D: stay in the foreground; with no server.errorlog, "server started" goes to stderr.
	$srv_wrap /usr/sbin/lighttpd -D -f "$3/lighttpd.conf" </dev/null >"$2" 2>&1 &
}

# srv__http ROOT http|https: the configuration and start of srv_http and srv_https. Sets
# srv_user, srv_password, srv_hdir and srv_port.
srv__http() {
	srv_root=$(srv__path "$1")
	srv_hdir=$SRV_DIR/$2-conf-$((srv_count + 1))
	mkdir -p "$srv_hdir/htdocs" "$srv_hdir/uploads"
	srv_backend=$(git --exec-path)/git-http-backend
	srv_user=tester
	srv_password=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
	# lighttpd's "plain" backend: one user:password a line.
	echo "$srv_user:$srv_password" >"$srv_hdir/users"
	srv_tls=""
	if [ "$2" = https ]; then
		# A throwaway self-signed certificate for 127.0.0.1. The name is in the subject
		# alternative names twice: as an IP address for curl (git), and as a DNS name for
		# mbedTLS (Debian's libgit2), which matches no IP address entry.
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
			-days 2 -subj /CN=127.0.0.1 -addext "subjectAltName=IP:127.0.0.1,DNS:127.0.0.1" \
			-keyout "$srv_hdir/key.pem" -out "$srv_hdir/cert.pem" >"$srv_hdir/openssl.log" 2>&1 ||
			{ sed 's/^/#   /' "$srv_hdir/openssl.log"; return 1; }
		srv_tls="server.modules += ( \"mod_openssl\" )
ssl.engine = \"enable\"
ssl.pemfile = \"$srv_hdir/cert.pem\"
ssl.privkey = \"$srv_hdir/key.pem\""
	fi
	# git http-backend serves receive-pack only to an authenticated REMOTE_USER or where
	# http.receivepack is true: /auth has the user; for /git, GIT_CONFIG_* sets it for
	# every repository without touching them. HOME is not passed to the CGI, so no one's
	# ~/.gitconfig is read. A push larger than git's http.postBuffer comes without a length
	# (chunked): lighttpd must keep its default of spooling the whole request body, as a
	# CGI needs CONTENT_LENGTH (with server.stream-request-body set it answers 411), and
	# HTTP/2 is off, as lighttpd fails such a body sent over it (curl 92, "Stream error in
	# the HTTP/2 framing layer"); libgit2 speaks only HTTP/1.1 anyway.
	cat >"$srv_hdir/lighttpd.conf.in" <<-EOF
		server.modules = ( "mod_alias", "mod_setenv", "mod_auth", "mod_authn_file", "mod_cgi" )
		server.bind = "127.0.0.1"
		server.port = 0
		server.document-root = "$srv_hdir/htdocs"
		server.upload-dirs = ( "$srv_hdir/uploads" )
		server.feature-flags = ( "server.h2proto" => "disable" )
		$srv_tls
		alias.url = ( "/git/" => "$srv_backend/", "/auth/" => "$srv_backend/" )
		\$HTTP["url"] =~ "^/git/" {
			cgi.assign = ( "" => "" )
			setenv.set-environment = (
				"GIT_PROJECT_ROOT" => "$srv_root",
				"GIT_HTTP_EXPORT_ALL" => "",
				"GIT_CONFIG_COUNT" => "1",
				"GIT_CONFIG_KEY_0" => "http.receivepack",
				"GIT_CONFIG_VALUE_0" => "true"
			)
		}
		\$HTTP["url"] =~ "^/auth/" {
			cgi.assign = ( "" => "" )
			setenv.set-environment = (
				"GIT_PROJECT_ROOT" => "$srv_root",
				"GIT_HTTP_EXPORT_ALL" => ""
			)
			auth.backend = "plain"
			auth.backend.plain.userfile = "$srv_hdir/users"
			auth.require = ( "" => ( "method" => "basic", "realm" => "sanctum-test",
				"require" => "valid-user" ) )
		}
	EOF
	srv__listen "$2" 'server started' "can't bind to socket|Address already in use" \
		srv__start_http || return 1
	# A `git credential-store` file with the user and password, for credential.helper.
	echo "$2://$srv_user:$srv_password@127.0.0.1:$srv_port" >"$srv_hdir/git-credentials"
	chmod 0600 "$srv_hdir/git-credentials"
}

# srv_http ROOT: git http-backend behind lighttpd for the repositories under ROOT, at /git
# (anyone may push) and at /auth (HTTP basic auth as SRV_HTTP_USER, SRV_HTTP_PASSWORD).
srv_http() {
	srv__http "$1" http || return 1
	SRV_HTTP_PORT=$srv_port
	SRV_HTTP_URL=http://127.0.0.1:$srv_port/git
	SRV_HTTP_AUTH_URL=http://127.0.0.1:$srv_port/auth
	SRV_HTTP_USER=$srv_user
	SRV_HTTP_PASSWORD=$srv_password
	SRV_HTTP_CREDENTIALS=$srv_hdir/git-credentials
}

# srv_https ROOT: srv_http over TLS with a throwaway self-signed certificate, SRV_HTTPS_CA,
# which a client must be told to trust (git: GIT_SSL_CAINFO; libgit2:
# GIT_OPT_SET_SSL_CERT_LOCATIONS or a certificate_check callback).
srv_https() {
	srv__http "$1" https || return 1
	SRV_HTTPS_PORT=$srv_port
	SRV_HTTPS_URL=https://127.0.0.1:$srv_port/git
	SRV_HTTPS_AUTH_URL=https://127.0.0.1:$srv_port/auth
	SRV_HTTPS_USER=$srv_user
	SRV_HTTPS_PASSWORD=$srv_password
	SRV_HTTPS_CREDENTIALS=$srv_hdir/git-credentials
	SRV_HTTPS_CA=$srv_hdir/cert.pem
}

# ---- a proxy that drops connections ----------------------------------------------------------

srv__start_drop_proxy() {
	# shellcheck disable=SC2086 # $srv_limits is zero to four words
	$srv_wrap "$SANCTUM_DROP_PROXY" --listen "$1" --target "$srv_target" $srv_limits \
		</dev/null >/dev/null 2>"$2" &
}

# srv_drop_proxy PORT DOWN [UP]: a relay to 127.0.0.1:PORT that cuts each connection after
# DOWN bytes from the server (- for no limit), or UP bytes from the client.
srv_drop_proxy() {
	srv_have drop-proxy || { echo "# srv_drop_proxy: \$SANCTUM_DROP_PROXY is not set"; return 1; }
	srv_target=$1
	srv_limits=""
	[ "$2" = - ] || srv_limits="--down $2"
	[ -z "${3:-}" ] || srv_limits="$srv_limits --up $3"
	srv__listen drop-proxy '^drop_proxy: listening on' 'cannot listen' \
		srv__start_drop_proxy || return 1
	SRV_DROP_PORT=$srv_port
	SRV_DROP_LOG=$srv_log
}

# srv_flaky ROOT DOWN: git:// for ROOT through a proxy that cuts each connection after DOWN
# bytes from the server; a git daemon of its own, so SRV_GIT_* are left as they were.
srv_flaky() {
	srv_have drop-proxy || { echo "# srv_flaky: \$SANCTUM_DROP_PROXY is not set"; return 1; }
	srv__git_daemon "$1" git-daemon-flaky || return 1
	srv_drop_proxy "$srv_port" "$2" || return 1
	SRV_FLAKY_URL=git://127.0.0.1:$SRV_DROP_PORT
	SRV_FLAKY_LOG=$SRV_DROP_LOG
}
