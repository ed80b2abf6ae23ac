#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# A truthful shutdown (issue 13, items 8, 10, 15): the namespace agent is confined (no_new_privs, seccomp,
# not dumpable) and never holds the helper hostage (a stopped agent costs a request, never the helper); a
# confined helper (--sandbox) exits 0 on every shutdown path with connections open and a capture running;
# SIGHUP is SIGTERM; the ready and exit fds cannot be the standard streams.

load lib

status_field() { awk -F':[ \t]*' -v k="$2" '$1 == k { print $2; exit }' "/proc/$1/status"; }

# agent_pid: the namespace agent, the helper's only child -> AGENT_PID
agent_pid() {
	AGENT_PID=$(pgrep -P "$USERNET_PID" | head -n 1)
	[[ -n $AGENT_PID ]] || fail "the helper $USERNET_PID has no agent child"
}

# sanitized: the binary under test is an ASan build (which keeps the helper dumpable for LeakSanitizer)
sanitized() { grep -q __asan_init "$IT_USERNET" 2>/dev/null; }

# not_readable_by_user PID: the test user cannot read the environment or memory of PID (not dumpable)
not_readable_by_user() {
	local f
	for f in environ mem; do
		if as_user dd if="/proc/$1/$f" of=/dev/null bs=1 count=1 2>/dev/null; then
			fail "the user can read /proc/$1/$f ($(tr '\0' ' ' <"/proc/$1/cmdline"))"
			return
		fi
	done
}

# held_conns HP PORT: a published-port connection (host -> 127.0.0.1:HP -> inside :80) and a NAT connection
# (inside -> 10.0.2.2:PORT -> host 127.0.0.1:PORT), both held open; waits until both are established
held_conns() {
	spawn "${AS_USER[@]}" socat "TCP4:127.0.0.1:$1" SYSTEM:'sleep 60'
	spawn_in_ns socat "TCP4:10.0.2.2:$2" SYSTEM:'sleep 60'
	wait_until 5 conn_inside || fail "the published-port connection is not established inside" || return
	wait_until 5 conn_nat "$2" || fail "the NAT connection did not reach the host"
}
conn_inside() { [[ -n $(in_ns ss -Htn state established '( sport = :80 )' 2>/dev/null) ]]; }
conn_nat() { [[ -n $(ss -Htn state established "( sport = :$1 )" 2>/dev/null) ]]; }

# confined_stop HOW: a --sandbox helper with a published port, an API socket and a --pcap capture, a
# published-port connection and a NAT connection open, is stopped by HOW (TERM, INT, HUP, target, exit-fd):
# it exits 0 (no SIGSYS), the API socket is gone (signals), the capture holds frames
confined_stop() {
	local how=$1 port hp
	holder_start
	api_setup
	port=$(free_port tcp)
	spawn "${AS_USER[@]}" socat "TCP4-LISTEN:$port,bind=127.0.0.1,reuseaddr,fork" SYSTEM:'sleep 60'
	wait_until 5 listening tcp "$port" || fail "the host server did not start" || return
	pf_serve --tcp 80 --mode echo
	hp=$(pf_free_port tcp)
	mkfifo -m 0600 "$T/exit.fifo"
	((IT_ROOT)) && chown "$TEST_USER:" "$T/exit.fifo"
	exec 7<>"$T/exit.fifo"
	IT_EXIT_WRITER=1
	usernet_start --configure --sandbox --api-socket "$API" --pcap "$T/cap.pcap" --exit-fd 5 \
		-p "127.0.0.1:$hp:80" "$HOLDER_PID" 5<"$T/exit.fifo"
	[[ $(status_field "$USERNET_PID" Seccomp) == 2 ]] || fail "the helper is not under seccomp" || return
	held_conns "$hp" "$port" || return
	case $how in
	TERM | INT | HUP) kill -"$how" "$USERNET_PID" ;;
	target) kill -KILL "$HOLDER_PID" ;;
	exit-fd)
		exec 7>&-
		IT_EXIT_WRITER=
		;;
	esac
	usernet_reap 5 || return
	if [[ $USERNET_STATUS != 0 ]] || grep -qi 'bad system call\|SIGSYS' "$T/err"; then
		usernet_show
		fail "after $how: exit status $USERNET_STATUS (159 = SIGSYS, 129 = SIGHUP)"
		return
	fi
	run_no_sanitizer_report "$(cat "$T/err")" || return
	if [[ $how == TERM || $how == INT || $how == HUP ]]; then
		[[ ! -e $API ]] || fail "the API socket is left after SIG$how" || return
	fi
	(($(stat -c %s "$T/cap.pcap") > 24)) || fail "the capture holds no frame"
}

@test "the namespace agent runs with no_new_privs, under seccomp, and not dumpable; so is the helper" {
	holder_start
	pf_serve --tcp 80
	hp=$(pf_free_port tcp)
	usernet_start --configure -p "127.0.0.1:$hp:80" "$HOLDER_PID"
	pf_expect "80 10.0.2.2" tcp 127.0.0.1 "$hp"
	agent_pid || return
	grep -E '^(NoNewPrivs|Seccomp)' "/proc/$AGENT_PID/status" | sed 's/^/# agent: /' >&3
	[[ $(status_field "$AGENT_PID" NoNewPrivs) == 1 ]] || fail "agent NoNewPrivs: $(status_field "$AGENT_PID" NoNewPrivs)"
	[[ $(status_field "$AGENT_PID" Seccomp) == 2 ]] || fail "agent Seccomp: $(status_field "$AGENT_PID" Seccomp)"
	not_readable_by_user "$AGENT_PID" || return
	# the helper too, even without --sandbox (but for sanitizer builds)
	sanitized || not_readable_by_user "$USERNET_PID" || return
	usernet_stop_ok
}

@test "a stopped agent: a new published-port connection fails within seconds, the API still answers, SIGTERM exits 0" {
	holder_start
	api_setup
	pf_serve --tcp 80
	hp=$(pf_free_port tcp)
	usernet_start --configure --api-socket "$API" -p "127.0.0.1:$hp:80" "$HOLDER_PID"
	agent_pid || return
	kill -STOP "$AGENT_PID"
	# the connections need sockets from the agent: more of them than the pool made ahead after ready holds
	# (2, at most 8), which a loaded machine may have filled before the STOP
	for _ in {1..9}; do
		spawn "${AS_USER[@]}" timeout 20 socat -u "TCP4:127.0.0.1:$hp,connect-timeout=5" STDOUT
	done
	t0=$(now)
	wait_until 10 sh -c 'printf %s "$1" | timeout 2 socat -t 2 - "UNIX-CONNECT:$2" | grep -q return' sh \
		'{"execute":"list_hostfwd"}' "$API" || {
		kill -CONT "$AGENT_PID" 2>/dev/null
		usernet_show
		fail "the API did not answer within 10 s while the agent was stopped"
		return
	}
	echo "# the API answered after $(elapsed_since "$t0") s" >&3
	wait_until 10 grep -q 'did not answer' "$T/err" || fail "no message about the agent:" "$(cat "$T/err")" ||
		return
	! alive "$AGENT_PID" || fail "the agent $AGENT_PID is still alive" || return
	usernet_stop_ok
}

@test "--sandbox: a stopped agent at SIGTERM: the helper kills it through its pidfd and exits 0 (no SIGSYS)" {
	holder_start
	hp=$(pf_free_port tcp)
	usernet_start --configure --sandbox -p "127.0.0.1:$hp:80" "$HOLDER_PID"
	agent_pid || return
	kill -STOP "$AGENT_PID"
	usernet_stop_ok
	wait_gone "$AGENT_PID" 2 || fail "the agent $AGENT_PID is still alive"
}

@test "--sandbox, connections open, a capture running: SIGTERM exits 0" {
	confined_stop TERM
}

@test "--sandbox, connections open, a capture running: SIGINT exits 0" {
	confined_stop INT
}

@test "--sandbox, connections open, a capture running: SIGHUP exits 0, as SIGTERM (the API socket removed)" {
	confined_stop HUP
}

@test "--sandbox, connections open, a capture running: the target's death exits 0" {
	confined_stop target
}

@test "--sandbox, connections open, a capture running: end of file on the exit fd exits 0" {
	confined_stop exit-fd
}

@test "SIGHUP without confinement: exit 0 and the API socket removed, as SIGTERM" {
	holder_start
	api_setup
	usernet_start --configure --api-socket "$API" "$HOLDER_PID"
	[[ -S $API ]] || fail "no API socket"
	usernet_stop HUP
	[[ $USERNET_STATUS == 0 ]] || fail "exit status $USERNET_STATUS after SIGHUP"
	run_no_sanitizer_report "$(cat "$T/err")" || return
	[[ ! -e $API ]] || fail "the API socket $API is left after SIGHUP"
}

# no_agent: the helper has no child (its agent went after start-up), within 2 s of ready
no_agent() {
	wait_until 2 sh -c '! pgrep -P "$1" >/dev/null' sh "$USERNET_PID" ||
		fail "the helper $USERNET_PID still has a child: $(pgrep -a -P "$USERNET_PID")"
}

@test "no -p, no --api-socket, no --publish-auto: the agent goes after start-up, one process is left, NAT works" {
	holder_start
	local port
	port=$(free_port tcp)
	host_tcp_server 127.0.0.1 "$port" "hello-alone-$port" || return
	usernet_start --configure "$HOLDER_PID"
	no_agent || return
	run in_ns socat -T 5 -u "TCP4:10.0.2.2:$port,connect-timeout=5" STDOUT
	[[ $output == "hello-alone-$port" ]] || fail "no answer from the host through NAT: $output" || return
	usernet_stop_ok
}

@test "a helper killed with a published port, then one without: the return rules it left are swept after ready" {
	holder_start
	hp=$(pf_free_port tcp)
	usernet_start --configure -p "127.0.0.1:$hp:80" "$HOLDER_PID"
	run in_ns ip rule show
	[[ $output == *'fwmark 0x756e lookup '* ]] || fail "no return rule while publishing:" "$output" || return
	kill -KILL "$USERNET_PID"
	wait_gone "$USERNET_PID" 5
	usernet_start "$HOLDER_PID"
	no_agent || return
	run in_ns ip rule show
	[[ $output != *'fwmark 0x756e'* ]] || fail "the killed helper's return rule is left:" "$output" || return
	usernet_stop_ok
}

@test "--ready-fd and --exit-fd refuse 0, 1 and 2 with a usage error (exit 2), also as slirp4netns" {
	holder_start
	run_usernet attach --ready-fd 1 "$HOLDER_PID"
	assert_error 2 "--ready-fd: fd 1 is standard output" || return
	run_usernet attach --exit-fd=0 "$HOLDER_PID"
	assert_error 2 "--exit-fd: fd 0 is standard input" || return
	ln -sf usernet "$IT_DIR/slirp4netns"
	run --separate-stderr timeout -k 2 10 "${AS_USER[@]}" "$IT_DIR/slirp4netns" -r 2 "$HOLDER_PID" tap0
	[[ $status == 2 && $stderr == *"--ready-fd: fd 2 is standard error"* ]] ||
		fail "as slirp4netns: status $status, stderr: $stderr"
}

@test "nothing is left running (shutdown)" {
	assert_nothing_left
}

# The idle agent leaves only where a new one can be forked back (netns/agent.c, nsagent_allow_park()): never
# from a --sandbox helper, whose seccomp filter allows neither fork nor setns
@test "--sandbox: the idle agent stays (a confined helper could not bring it back); without: it leaves" {
	holder_start
	local hp
	hp=$(pf_free_port tcp)
	usernet_start --configure --sandbox -p "127.0.0.1:$hp:80" "$HOLDER_PID"
	agent_pid || return
	sleep 5
	alive "$AGENT_PID" || fail "the agent $AGENT_PID of the --sandbox helper left while idle" || return
	usernet_stop_ok
	usernet_start --configure -p "127.0.0.1:$hp:80" "$HOLDER_PID"
	agent_pid || return
	if sandboxed; then # USERNET_ATTACH_EXTRA confines this one too
		sleep 5
		alive "$AGENT_PID" || fail "the agent $AGENT_PID of the confined helper left while idle" || return
	else
		wait_gone "$AGENT_PID" 10 || fail "the agent $AGENT_PID of the idle helper did not leave" || return
	fi
	pf_serve --tcp 80
	pf_expect "80 10.0.2.2" tcp 127.0.0.1 "$hp"
	usernet_stop_ok
}
