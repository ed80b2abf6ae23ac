#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# usernet run under the name pasta (a symlink, as installed in <libexecdir>/usernet/pasta): the command lines
# the engines give pasta (tests/fixtures/pasta-argv/, one per project and version, replayed verbatim), and
# its errors.
#
# Each replay makes its own "host", as Podman has one: a session with private user, mount and network
# namespaces (`unshare -Urmn`, PASTA_SESSION_SH), where a DNS server (dns-tool.py on 127.0.0.3, answering
# every A query with 192.0.2.7) is the only nameserver of /etc/resolv.conf (a tmpfs), and the namespace holder
# is made. pasta runs there as Podman runs it (in the engine's user namespace, the host's network namespace)
# or, for RootlessKit, with the holder in a user namespace of its own (as RootlessKit's child) that pasta
# joins with --userns or through the PID. The test then checks from the session's side (the host) and from
# the holder's (the container).

load lib
eval "lib_$(declare -f setup_file)"

setup_file() {
	lib_setup_file || return
	ln -s usernet "$IT_DIR/pasta"
	export IT_PASTA=$IT_DIR/pasta
}

FIXTURES=$IT_REPO/tests/fixtures/pasta-argv

# PASTA_SESSION_SH: `unshare -Urmn bash -c "$PASTA_SESSION_SH" session T NESTED`: lo up, an address of the
# host's own (192.0.2.1 on a tap nobody reads, as a host has one: --map-guest-addr leads there), the DNS server, the
# resolver file, the holder (NESTED=1: in a user namespace of its own, `unshare -rn`; else `unshare -n`) with
# IPv6 on, then pasta with the arguments of $T/argv (one a line) once @PID@, @NETNS@ and @USERNS@ name the
# holder; its exit status to $T/rc, its output to $T/out and $T/err; then the session waits (sleep), holding
# the "host".
PASTA_SESSION_SH='
set -e
T=$1 nested=$2
ip link set lo up
ip tuntap add dev host0 mode tap
ip addr add 192.0.2.1/24 dev host0
ip link set host0 up
python3 "$T/dns-tool.py" serve "$T/srv.log" 127.0.0.3=192.0.2.7 </dev/null >"$T/srv.out" 2>&1 3>&- 7>&- &
echo $! >"$T/srv.pid"
mount -t tmpfs tmpfs /etc
echo "nameserver 127.0.0.3" >/etc/resolv.conf
if [ "$nested" = 1 ]; then flags=-rn; else flags=-n; fi
unshare $flags sleep infinity </dev/null >/dev/null 2>&1 3>&- 7>&- &
h=$!
echo "$h" >"$T/holder.pid"
for i in $(seq 100); do
	if [ "$(cat /proc/$h/comm 2>/dev/null)" = sleep ] &&
		[ "$(readlink /proc/$h/ns/net)" != "$(readlink /proc/$$/ns/net)" ]; then break; fi
	sleep 0.05
done
if [ "$nested" = 1 ]; then enter="-U --preserve-credentials"; else enter=; fi
nsenter -t "$h" $enter -n sh -c "echo 0 >/proc/sys/net/ipv6/conf/all/disable_ipv6;
	echo 0 >/proc/sys/net/ipv6/conf/default/disable_ipv6"
mapfile -t args < <(sed -e "s|@PID@|$h|g" -e "s|@NETNS@|/proc/$h/ns/net|g" -e "s|@USERNS@|/proc/$h/ns/user|g" "$T/argv")
set +e
"$IT_PASTA" "${args[@]}" </dev/null >"$T/out" 2>"$T/err"
echo $? >"$T/rc"
exec sleep infinity
'

# in_session CMD...: run CMD as the user in the session's user and network namespaces (the replay's host)
in_session() { "${AS_USER[@]}" nsenter -t "$SESSION_PID" -U -n --preserve-credentials -- "$@"; }

# pasta_show: what pasta printed, for a failing test
pasta_show() {
	echo "--- pasta's argv:" >&2
	cat "$T/argv" >&2
	echo "--- exit status: $(cat "$T/rc" 2>/dev/null); stdout:" >&2
	cat "$T/out" >&2 2>/dev/null
	echo "--- stderr:" >&2
	cat "$T/err" >&2 2>/dev/null
}

# fixture_arg FIXTURE OPTION: the value of --OPTION (either form) in the fixture, or nothing
fixture_arg() {
	awk -v o="$2" '!/^#/ { if (take) { print; exit } if ($0 == o) take = 1
		else if (index($0, o "=") == 1) { print substr($0, length(o) + 2); exit } }' "$1"
}

# replay_start NAME: the session with the fixture NAME's argv, @PORT@ and @PIDFILE@ filled in; waits for
# pasta's exit; SESSION_PID, HOLDER_PID, PORT, PASTA_DAEMON (the daemon's PID), NESTED
replay_start() {
	local fixture=$FIXTURES/$1.argv started
	[[ -r $fixture ]] || fail "no fixture $fixture" || return
	PORT=$(free_port tcp)
	NESTED=0
	grep -Eq '@USERNS@|@PID@' "$fixture" && NESTED=1
	grep -v '^#' "$fixture" | sed -e "s|@PORT@|$PORT|g" -e "s|@PIDFILE@|$T/pasta.pid|g" >"$T/argv"
	install -m 0644 "$IT_REPO/tests/integration/dns-tool.py" "$T/dns-tool.py"
	((IT_ROOT)) && chown "$TEST_USER:" "$T/argv"
	started=$(now)
	"${AS_USER[@]}" "IT_PASTA=$IT_PASTA" unshare -Urmn bash -c "$PASTA_SESSION_SH" session "$T" "$NESTED" \
		</dev/null >"$T/session.out" 2>&1 7>&- &
	SESSION_PID=$!
	track "$SESSION_PID"
	wait_until 10 test -s "$T/rc" || {
		cat "$T/session.out" >&2
		pasta_show
		fail "pasta did not exit within 10 s (an engine waits for that exit)"
		return
	}
	echo "# pasta exited after $(elapsed_since "$started") s" >&3
	HOLDER_PID=$(<"$T/holder.pid") HOLDER_MNT=0
	track "$HOLDER_PID"
	track "$(<"$T/srv.pid")"
	[[ $(<"$T/rc") == 0 ]] || {
		pasta_show
		fail "pasta exited with $(<"$T/rc")"
		return
	}
	PASTA_DAEMON=$(pgrep -u "$TEST_USER" -o -f -- "^$IT_PASTA ") || fail "no pasta daemon is running" || return
	track "$PASTA_DAEMON"
	if grep -qx -- --pid "$T/argv"; then
		[[ $(<"$T/pasta.pid") == "$PASTA_DAEMON" ]] || fail "the pid file says $(cat "$T/pasta.pid"), not $PASTA_DAEMON"
	fi
}

# replay_checks NAME: the guest's address and routes, the published port from the host in both families, DNS
# at the --dns-forward address, the daemon confined, and its exit once the holder is gone
replay_checks() {
	local fixture=$FIXTURES/$1.argv dns gport=80 family families map
	run in_ns ip -o -4 addr show dev tap0
	[[ $output == *'inet 10.0.2.100/24 '* ]] || fail "tap0's address: $output" || return
	run in_ns ip -4 route show default
	[[ $output == *'default via 10.0.2.2 dev tap0'* ]] || fail "IPv4 default route: $output" || return
	if ! grep -qx -- --ipv4-only "$fixture"; then
		run in_ns ip -6 route show default
		[[ $output == *'default via fd00::2 dev tap0'* ]] || fail "IPv6 default route: $output" || return
	fi

	# the published port, from the host over IPv4 and IPv6: Podman's -p PORT:80, or RootlessKit's auto (the
	# guest's own listening port, auto-published)
	families=(127.0.0.1 ::1)
	if grep -q -- '--tcp-ports=auto' "$fixture"; then gport=$PORT; fi
	if grep -q -e @PORT@ -e '--tcp-ports=auto' "$fixture"; then
		spawn_in_ns socat "TCP4-LISTEN:$gport,reuseaddr,fork" "SYSTEM:echo hello-$1"
		for family in "${families[@]}"; do
			wait_until 5 tcp_get_in_session "$family" "$PORT" "hello-$1" || {
				pasta_show
				fail "[$family]:$PORT from the host: $(in_session timeout 5 socat -u "TCP:[$family]:$PORT" - 2>&1)"
				return
			}
		done
	fi

	dns=$(fixture_arg "$fixture" --dns-forward)
	run in_ns timeout -k 1 8 python3 "$T/dns-tool.py" query "${dns:-10.0.2.3}" replay.test
	[[ $status == 0 && $output == 192.0.2.7 ]] || {
		pasta_show
		cat "$T/srv.out" >&2
		fail "DNS at ${dns:-10.0.2.3}: status $status, output: $output"
		return
	}

	map=$(fixture_arg "$fixture" --map-guest-addr)
	if [[ -n $map ]]; then
		# Podman's host.containers.internal: a server on the host's address, reached at the mapped address
		spawn "${AS_USER[@]}" nsenter -t "$SESSION_PID" -U -n --preserve-credentials -- \
			socat "TCP4-LISTEN:$((PORT + 1)),bind=192.0.2.1,reuseaddr,fork" "SYSTEM:echo host-$1"
		wait_until 5 session_listening "$((PORT + 1))" || fail "the host's server did not start" || return
		run in_ns timeout -k 1 8 socat -T 5 -u "TCP4:$map:$((PORT + 1)),connect-timeout=5" STDOUT
		[[ $status == 0 && $output == "host-$1" ]] ||
			fail "--map-guest-addr $map: status $status, output: $output" || return
	fi

	# confined as pasta confines itself (attach --sandbox): no capability but CAP_NET_BIND_SERVICE (kept where
	# the caller holds it, for ports below 1024), no_new_privs, seccomp
	run grep -E '^(CapEff|CapPrm|NoNewPrivs|Seccomp):' "/proc/$PASTA_DAEMON/status"
	[[ $output =~ CapPrm:.0000000000000[04]00.*CapEff:.0000000000000[04]00.*NoNewPrivs:.1.*Seccomp:.2 ]] ||
		fail "the pasta daemon is not confined:" "$output" || return

	kill -KILL "$HOLDER_PID"
	wait_gone "$PASTA_DAEMON" 3 || fail "the pasta daemon still runs 3 s after the namespace's holder died"
}

# session_listening PORT: a TCP server listens on PORT on the replay's host
session_listening() { [[ -n $(in_session ss -Hltn "sport = :$1") ]]; }

# tcp_get_in_session ADDR PORT TEXT: from the host, ADDR:PORT gives TEXT
tcp_get_in_session() {
	local connect
	if [[ $1 == *:* ]]; then connect="TCP6:[$1]:$2"; else connect="TCP4:$1:$2"; fi
	[[ $(in_session timeout -k 1 5 socat -T 3 -u "$connect,connect-timeout=3" STDOUT 2>/dev/null) == "$3" ]]
}

replay() {
	replay_start "$1" || return
	replay_checks "$1"
}

@test "replay Podman 4.4's pasta command line" { replay podman-4.4; }
@test "replay Podman 4.x's (late) pasta command line, DNS at 169.254.0.1" { replay podman-4.9; }
@test "replay Podman 5.4.2's pasta command line, DNS at 169.254.1.1" { replay podman-5.4.2; }
@test "replay Podman 6's pasta command line, with --pid" { replay podman-6; }
@test "replay RootlessKit 2's pasta command line (--userns, --netns, ports auto)" { replay rootlesskit-2; }
@test "replay RootlessKit 2's pasta command line (PID, IPv4 only, no ports)" { replay rootlesskit-2-pid; }

# pasta_error WORD ARGS...: pasta ARGS exits 1 with WORD in its message, and leaves nothing running
pasta_error() {
	local word=$1
	shift
	run --separate-stderr timeout -k 2 10 "${AS_USER[@]}" "$IT_PASTA" "$@"
	[[ $status == 1 ]] || fail "exit status $status, expected 1:" "$stderr" || return
	[[ $stderr == *"$word"* ]] || fail "the message does not name '$word':" "$stderr" || return
	[[ $stderr == pasta:* ]] || fail "the message does not start with 'pasta:':" "$stderr" || return
	! pgrep -u "$TEST_USER" -f -- "^$IT_PASTA " || fail "a pasta process is left running"
}

@test "pasta: unknown option, bad port spec, missing namespace: exit 1, a message naming it, nothing left" {
	pasta_error --bogus --config-net --bogus --netns /nonexistent
	pasta_error "-t 80x" --config-net -t 80x --netns /nonexistent
	pasta_error "-t 1-2:5-9" --config-net -t 1-2:5-9 --netns /nonexistent
	pasta_error "-T auto" --config-net -T auto --netns /nonexistent
	pasta_error "/nonexistent" --config-net -t none --netns /nonexistent
	pasta_error "-a 10.0.2.7" -a 10.0.2.7 --netns /nonexistent
}

@test "pasta: a namespace that is not ours (root's): exit 1 with the reason, nothing left" {
	need_root "a network namespace of root's" || return
	root_netns_start
	pasta_error "namespace" --config-net --netns "/proc/$ROOT_NS_PID/ns/net"
	mkdir -p "$T/ns" && touch "$T/ns/f"
	pasta_error "namespace" --config-net --netns "$T/ns/f"
}

@test "pasta -f runs in the foreground and -P names it; it exits 0 when the namespace goes" {
	holder_start
	"${AS_USER[@]}" nsenter -t "$HOLDER_PID" -U --preserve-credentials -- "$IT_PASTA" -f --config-net -q \
		-P "$T/fg.pid" --netns "/proc/$HOLDER_PID/ns/net" </dev/null >"$T/out" 2>"$T/err" &
	USERNET_PID=$!
	track "$USERNET_PID"
	wait_until 5 test -s "$T/fg.pid" || fail "no pid file" || return
	[[ $(<"$T/fg.pid") == "$USERNET_PID" ]] || fail "the pid file says $(cat "$T/fg.pid"), not $USERNET_PID"
	wait_until 5 in_ns ip -o -4 addr show dev tap0 || fail "no tap0"
	kill -KILL "$HOLDER_PID"
	wait_gone "$USERNET_PID" 3 || fail "pasta -f still runs after the holder died"
	wait "$USERNET_PID"
}

@test "pasta CMD runs the command as usernet run does, with the network" {
	run --separate-stderr timeout -k 2 20 "${AS_USER[@]}" "$IT_PASTA" --config-net -t none sh -c \
		'ip -o -4 addr show dev tap0; exit 7'
	[[ $status == 7 ]] || fail "exit status $status, expected the command's 7:" "$stderr"
	[[ $output == *'inet 10.0.2.100/24'* ]] || fail "no address in the command's namespace: $output"
}

@test "pasta --version and --help exit 0" {
	run --separate-stderr "${AS_USER[@]}" "$IT_PASTA" --version
	[[ $status == 0 && $output == pasta* ]] || fail "status $status: $output" "$stderr"
	run --separate-stderr "${AS_USER[@]}" "$IT_PASTA" --help
	[[ $status == 0 ]] || fail "status $status" "$stderr"
	for opt in --config-net --netns --tcp-ports --dns-forward --map-guest-addr --no-map-gw --pid --quiet; do
		grep -q -e "$opt\b" <<<"$output" || fail "the help does not list $opt:" "$output"
	done
}

@test "nothing is left running (pasta)" {
	assert_nothing_left
}
