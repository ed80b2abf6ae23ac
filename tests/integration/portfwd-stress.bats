#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# Many connections through one published port: 1000 at once with no error and no fd left behind in the
# helper; thousands of short ones that end on both sides at once; and --port-max-conns, the bound of open
# connections per rule; fd exhaustion (a flood under ulimit -n 128, the guest's NAT taking every fd): no
# spinning, the API and new connections served again; idle connections hold no pipes. UDP floods (one socket
# per source port): the flows take no more than their share of the fds, so a published TCP port and the API
# keep working, no fib rule outlives its flow, and SIGTERM removes the flows' rules in one sweep.

load lib

# start_echo USERNET-ARGS...: a holder, usernet with --api-socket $API, -p 127.0.0.1:HP:7 and USERNET-ARGS,
# an echo server on port 7 inside; fd limits raised (as root) for the helper, the server and the clients
start_echo() {
	nofile_raise
	api_setup
	holder_start
	HP=$(pf_free_port tcp)
	USERNET_PREFIX=("${NOFILE[@]}")
	usernet_start --configure --api-socket "$API" -p "127.0.0.1:$HP:7" "$@" "$HOLDER_PID"
	USERNET_PREFIX=()
	pf_serve --mode echo --tcp 7
}

# settled_fds COUNT: the helper has at most COUNT fds open
settled_fds() { (($(fd_count "$USERNET_PID") <= $1)); }

@test "1000 concurrent connections through one rule: every echo intact, no error, no fd left in the helper" {
	start_echo
	grep -q "^Max open files *\([0-9]\+\|unlimited\)" "/proc/$USERNET_PID/limits" || fail "cannot read the limits"
	echo "# helper: $(grep '^Max open files' "/proc/$USERNET_PID/limits" | xargs)" >&3
	# a first connection, so that whatever is set up once is there before counting
	run pf_client echo 127.0.0.1 "$HP" --size 100
	[[ $output == ok ]] || fail "the first echo failed: $output"
	wait_until 5 rule_stat_is 1 active 0 || fail "the first connection stays open: $(api_list)"
	sleep 1
	before=$(fd_count "$USERNET_PID")

	PF_NS=("${NOFILE[@]}")
	PF_CLIENT_TIMEOUT=180 run --separate-stderr pf_client stress 127.0.0.1 "$HP" --conns 1000 --api "$API" --timeout 60
	PF_NS=()
	echo "# $output" >&3
	[[ $status == 0 ]] || fail "the client failed: status $status" "$output" "$stderr" "$(usernet_show 2>&1)"
	run pf_json "(d['opened'], d['echoed'], d['error_count'], d['active_at_peak'])" <<<"$output"
	[[ $output == "(1000, 1000, 0, 1000)" ]] || fail "opened, echoed, errors, active at the peak: $output"

	wait_until 10 rule_stat_is 1 active 0 || fail "connections stay open: $(api_list)"
	[[ $(rule_stat 1 total) == 1001 ]] || fail "unexpected total: $(api_list)"
	[[ $(rule_stat 1 refused) == 0 ]] || fail "refused connections: $(api_list)"
	wait_until 10 settled_fds "$before" ||
		fail "the helper had $before fds before, $(fd_count "$USERNET_PID") after:" "$(ls -l "/proc/$USERNET_PID/fd")"
	echo "# helper fds: $before before, $(fd_count "$USERNET_PID") after" >&3
	# no warning either
	! grep -i 'warn\|error' "$T/err" | grep -v 'is accessible as' || fail "warnings:" "$(cat "$T/err")"
	# and it still works
	run pf_client echo 127.0.0.1 "$HP" --size 100
	[[ $output == ok ]] || fail "an echo after the 1000 failed: $output"
	usernet_stop_ok
}

@test "2000 short connections, 20 at a time, where client and server end their sides at once: every reply arrives" {
	start_echo
	pf_serve --tcp 80
	api_expect "{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"tcp\",\"host_addr\":\"127.0.0.1\",\"host_port\":$(pf_free_port tcp),\"guest_port\":80}}" \
		'{"return":{"id":2}}'
	p=$(api_list | pf_json "d['return']['entries'][1]['host_port']")
	# the client shuts down its side as soon as it is connected; the server sends "80 10.0.2.100" and closes:
	# both sockets of a forwarded connection often become ready in the same epoll batch
	PF_CLIENT_TIMEOUT=300 run --separate-stderr pf_client churn 127.0.0.1 "$p" --conns 2000 --n 20 \
		--expect "80 10.0.2.2" --timeout 30
	echo "# $output" >&3
	alive "$USERNET_PID" || {
		usernet_show
		fail "usernet died during the connections"
	}
	[[ $status == 0 ]] || fail "the client failed: status $status" "$output" "$stderr"
	[[ $(pf_json "(d['done'], d['error_count'])" <<<"$output") == "(2000, 0)" ]] || fail "done, errors: $output"
	wait_until 10 rule_stat_is 2 active 0 || fail "connections stay open: $(api_list)"
	[[ $(rule_stat 2 total) == 2000 ]] || fail "unexpected total: $(api_list)"
	usernet_stop_ok
}

@test "--port-max-conns 5: the 6th concurrent connection is refused at once, with a warning; later ones work" {
	start_echo --port-max-conns 5
	run --separate-stderr pf_client maxconns 127.0.0.1 "$HP" --n 5 --timeout 5
	[[ $status == 0 ]] || fail "the client failed: status $status" "$output" "$stderr"
	[[ ${lines[0]} == 'held 5' ]] || fail "5 connections could not be held open:" "$output"
	[[ ${lines[1]} == 'extra reset' || ${lines[1]} == 'extra eof' ]] || fail "the 6th connection was not refused:" "$output"
	[[ ${lines[2]} == 'after close ok' ]] || fail "no connection was possible after closing one:" "$output"
	grep -q 'connections open' "$T/err" || fail "no warning on stderr:" "$(cat "$T/err")"
	grep 'connections open' "$T/err" | sed 's/^/# /' >&3
	[[ $(rule_stat 1 refused) -ge 1 ]] || fail "no refusal counted: $(api_list)"
	wait_until 10 rule_stat_is 1 active 0 || fail "connections stay open: $(api_list)"
	usernet_stop_ok
}

# flood_start PORT N: as the user, N connections to 127.0.0.1:PORT held open (whether the helper forwards or
# resets them) until the process is stopped; waits until all N are made -> FLOOD_PID
flood_start() {
	cat >"$T/flood.py" <<'PYEOF'
import socket, sys, time
port, n, ready = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
conns = []
for i in range(n):
    s = socket.socket()
    s.settimeout(5)
    try:
        s.connect(('127.0.0.1', port))
    except OSError:
        pass
    conns.append(s)
open(ready, 'w').write('%d\n' % len(conns))
time.sleep(3600)
PYEOF
	chmod 0644 "$T/flood.py"
	rm -f "$T/flood.ready"
	spawn "${AS_USER[@]}" python3 "$T/flood.py" "$1" "$2" "$T/flood.ready"
	FLOOD_PID=$SPAWNED
	wait_until 30 test -s "$T/flood.ready" || fail "the flood client did not make its $2 connections"
}

# cpu_ticks PID: user + system CPU time of PID so far, in clock ticks
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# below_half_core WHEN: the helper used less than half a core over 3 s (a bound, not a speed test)
below_half_core() {
	local hz t0 used
	hz=$(getconf CLK_TCK)
	t0=$(cpu_ticks "$USERNET_PID")
	sleep 3
	used=$(($(cpu_ticks "$USERNET_PID") - t0))
	echo "# helper CPU $1: $used ticks in 3 s ($hz a second)" >&3
	((used * 2 < 3 * hz)) || fail "the helper used $used of $((3 * hz)) ticks $1 (more than half a core):" "$(tail -5 "$T/err")"
}

# served_within SECONDS WHEN: an echo through 127.0.0.1:$HP works within SECONDS
served_within() {
	local t0
	t0=$(now)
	wait_until "$1" eval '[[ $(PF_CLIENT_TIMEOUT=3 pf_client echo 127.0.0.1 "$HP" --size 100 --timeout 1 2>/dev/null) == ok ]]' ||
		fail "no new connection served within $1 s $2:" "$(tail -5 "$T/err")" || return
	echo "# a new connection served $(elapsed_since "$t0") s $2" >&3
}

# user_pipe_size: the size of a new pipe of the user's (F_GETPIPE_SZ)
user_pipe_size() { "${AS_USER[@]}" python3 -c 'import fcntl, os; r, w = os.pipe(); print(fcntl.fcntl(w, 1032))'; }

# helper_pipe_pages: pages of pipe buffer the helper's pipes have (each pipe counted once, by its own size)
helper_pipe_pages() {
	python3 - "$USERNET_PID" <<'PYEOF'
import fcntl, os, sys
d = '/proc/%s/fd' % sys.argv[1]
seen, pages = set(), 0
for fd in os.listdir(d):
    try:
        target = os.readlink(os.path.join(d, fd))
        if not target.startswith('pipe:') or target in seen:
            continue
        seen.add(target)
        f = os.open(os.path.join(d, fd), os.O_RDONLY | os.O_NONBLOCK)
        pages += fcntl.fcntl(f, 1032) // 4096
        os.close(f)
    except OSError:
        pass
print(pages)
PYEOF
}

# helper_pipes: pipe fds the helper holds
helper_pipes() { find "/proc/$USERNET_PID/fd" -mindepth 1 -maxdepth 1 -lname 'pipe:*' 2>/dev/null | wc -l; }

@test "fd exhaustion: under ulimit -n 128, 400 connections held open: no spinning, the API answers, a new connection works once they close" {
	api_setup
	holder_start
	HP=$(pf_free_port tcp)
	USERNET_PREFIX=(prlimit --nofile=128:128 --)
	usernet_start --configure --api-socket "$API" -p "127.0.0.1:$HP:7" "$HOLDER_PID"
	USERNET_PREFIX=()
	grep '^Max open files' "/proc/$USERNET_PID/limits" | sed 's/^/# helper: /' >&3
	pf_serve --mode echo --tcp 7
	flood_start "$HP" 400
	sleep 1
	below_half_core "with 400 connections held" || return
	t0=$(now)
	run api_list
	took=$(elapsed_since "$t0")
	[[ $status == 0 && $output == '{"return":{"entries":[{"id":1,'* ]] || fail "the API did not answer: status $status: $output"
	(($(now) - t0 < 2000000)) || fail "list_hostfwd took $took s"
	echo "# list_hostfwd answered in $took s; $(pf_json "d['return']['entries'][0]['stats']" <<<"$output")" >&3
	grep -m1 'refusing new ones' "$T/err" | sed 's/^/# /' >&3 || true
	stop_pid "$FLOOD_PID"
	served_within 2 "after the flood closed" || return
	alive "$USERNET_PID" || fail "the helper died"
	usernet_stop_ok
}

@test "fd exhaustion by the guest's NAT connections (ulimit -n 128): accept() fails, the listener pauses instead of spinning" {
	api_setup
	holder_start
	HP=$(pf_free_port tcp)
	NP=$(pf_free_port tcp)
	# a host server that holds every connection the guest makes through the NAT
	cat >"$T/hold.py" <<'PYEOF'
import socket, sys, threading, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', int(sys.argv[1]))); s.listen(1024)
held = []
while True:
    held.append(s.accept()[0])
PYEOF
	chmod 0644 "$T/hold.py"
	spawn "${AS_USER[@]}" python3 "$T/hold.py" "$NP"
	hold=$SPAWNED
	wait_until 5 listening tcp "$NP" || fail "the host server did not start"
	USERNET_PREFIX=(prlimit --nofile=128:128 --)
	usernet_start --configure --api-socket "$API" -p "127.0.0.1:$HP:7" "$HOLDER_PID"
	USERNET_PREFIX=()
	pf_serve --mode echo --tcp 7
	# inside, 200 connections to the host through libslirp: its sockets take every fd the helper has left
	spawn_in_ns python3 -c "
import socket, time
held = []
for i in range(200):
    s = socket.socket(); s.settimeout(3)
    try:
        s.connect(('10.0.2.2', $NP)); held.append(s)
    except OSError:
        pass
open('$T/nat.ready', 'w').write('%d\n' % len(held))
time.sleep(3600)"
	nat=$SPAWNED
	wait_until 60 test -s "$T/nat.ready" || fail "the guest's NAT connections did not finish"
	echo "# the guest holds $(<"$T/nat.ready") NAT connections; the helper $(fd_count "$USERNET_PID") fds" >&3
	flood_start "$HP" 50
	wait_until 5 grep -q 'accept: Too many open files' "$T/err" ||
		fail "accept() did not run out of fds:" "$(tail -5 "$T/err")"
	below_half_core "while out of fds" || return
	grep -q 'not accepting new connections for a while' "$T/err" || fail "no word of the pause:" "$(tail -5 "$T/err")"
	(($(grep -c 'accept: Too many open files' "$T/err") <= 10)) || fail "the warning is not rate-limited"
	stop_pid "$FLOOD_PID"
	stop_pid "$nat"
	stop_pid "$hold"
	served_within 5 "after the fds were freed" || return
	run api_list
	[[ $output == '{"return":{"entries":[{"id":1,'* ]] || fail "the API does not answer: $output"
	usernet_stop_ok
}

@test "400 idle connections hold no pipes: the user's other pipes keep 64 KiB (fs.pipe-user-pages-soft)" {
	nofile_raise 2048
	api_setup
	holder_start
	HP=$(pf_free_port tcp)
	USERNET_PREFIX=("${NOFILE[@]}")
	usernet_start --configure --api-socket "$API" -p "127.0.0.1:$HP:7" "$HOLDER_PID"
	USERNET_PREFIX=()
	pf_serve --mode echo --tcp 7
	soft=$(</proc/sys/fs/pipe-user-pages-soft)
	echo "# fs.pipe-user-pages-soft: $soft pages" >&3
	# data moved first, so that pipes were made and used
	run pf_client echo 127.0.0.1 "$HP" --size 3000000
	[[ $output == ok ]] || fail "echo: $output"
	# other programs of the user (a benchmark's pasta...) may hold much of the budget already
	before=$(user_pipe_size)
	flood_start "$HP" 400
	wait_until 10 rule_stat_is 1 active 400 || fail "400 connections are not all open: $(api_list)"
	n=$(helper_pipes) pages=$(helper_pipe_pages)
	echo "# with 400 idle connections the helper holds $n pipe fds, $pages pages of pipe buffers" >&3
	# the helper's own pipes: a small pool, well under the user's budget (a quarter at most)
	((pages * 4 <= soft)) || fail "the helper's pipes take $pages of the user's $soft pages ($n pipe fds)"
	((n <= 32)) || fail "the helper holds $n pipe fds for 400 idle connections"
	# and so the user's other pipes keep their size
	if [[ $before == 65536 ]]; then
		after=$(user_pipe_size)
		[[ $after == 65536 ]] || fail "a new pipe of $TEST_USER has $after bytes, not 65536"
	else
		echo "# other programs of $TEST_USER already hold its pipe budget (a new pipe has $before bytes)" >&3
	fi
	stop_pid "$FLOOD_PID"
	wait_until 10 rule_stat_is 1 active 0 || fail "connections stay open: $(api_list)"
	run pf_client echo 127.0.0.1 "$HP" --size 3000000
	[[ $output == ok ]] || fail "echo after: $output"
	usernet_stop_ok
}

# udp_flood PORT COUNT [PER_SECOND]: as the user, one datagram to 127.0.0.1:PORT from each of COUNT source ports
# (a socket each, bound to 127.0.0.1:20000 and up, ports in use skipped), at most PER_SECOND a second
udp_flood() {
	"${AS_USER[@]}" python3 -c '
import socket, sys, time
port, n, rate = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
sent, p, t0 = 0, 20000, time.monotonic()
while sent < n and p < 65000:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.bind(("127.0.0.1", p))
        s.sendto(b"flood", ("127.0.0.1", port))
        sent += 1
    except OSError:
        pass
    s.close()
    p += 1
    if sent % 50 == 0 and t0 + sent / rate > time.monotonic():
        time.sleep(t0 + sent / rate - time.monotonic())' "$1" "$2" "${3:-1000000}"
}

# flow_rules: the fib rules of UDP flows in the guest's namespace
flow_rules() { in_ns ip rule show | grep -c 'ipproto udp' || true; }

# start_udp_flooded NOFILE USERNET-ARGS...: a holder, usernet under ulimit -n NOFILE with --api-socket $API,
# -p 127.0.0.1:UP:5353/udp and USERNET-ARGS
start_udp_flooded() {
	local nofile=$1
	shift
	api_setup
	holder_start
	UP=$(pf_free_port udp)
	USERNET_PREFIX=(prlimit "--nofile=$nofile:$nofile" --)
	usernet_start --configure --api-socket "$API" "$@" -p "127.0.0.1:$UP:5353/udp" "$HOLDER_PID"
	USERNET_PREFIX=()
}

@test "UDP flood from 400 source ports under ulimit -n 256: a published TCP port serves a new connection within 2 s, the API answers" {
	HP=$(pf_free_port tcp)
	start_udp_flooded 256 -p "127.0.0.1:$HP:7"
	pf_serve --mode echo --tcp 7
	udp_flood "$UP" 400
	sleep 1
	served_within 2 "after 400 udp clients" || return
	t0=$(now)
	run api_list
	[[ $status == 0 && $output == '{"return":{"entries":[{"id":1,'* ]] || fail "the API did not answer: status $status: $output" || return
	(($(now) - t0 < 2000000)) || fail "list_hostfwd took $(elapsed_since "$t0") s" || return
	echo "# udp rule after the flood: $(pf_json "d['return']['entries'][1]['stats']" <<<"$output")" >&3
	grep -m1 'udp flows' "$T/err" | sed 's/^/# /' >&3 || true
	usernet_stop_ok
}

@test "UDP flood from 600 source ports under ulimit -n 256: no fib rule outlives its flow; after SIGTERM the namespace has the rules of before" {
	start_udp_flooded 256
	# the rules of the namespace without the helper's (a clean exit takes its mark rule away too)
	before=$(in_ns ip rule show | grep -vc 'lookup 30062')
	udp_flood "$UP" 600
	sleep 1
	n=$(flow_rules)
	echo "# $n flow rules in the namespace" >&3
	((n <= 128)) || fail "$n flow rules in the namespace, more than the flows half of 256 fds allow" || return
	usernet_stop_ok || return
	run in_ns ip rule show
	((${#lines[@]} == before)) || fail "$before rules before the flood, ${#lines[@]} after the helper exited:" "$(head -5 <<<"$output")"
}

# SIGTERM with 1400 flows: the helper asks the agent once per family for their rules to go, not once per
# flow. The agent's requests are counted with strace (attached as root: recvmsg on its channel, not on its
# netlink sockets); its exit is timed too, though the 1400 round trips of one request per flow
# take only ~0.1 s here (more with many rules in the namespace)
@test "SIGTERM with 1400 UDP flows open: one request to the agent removes their rules, the helper exits within 1 s" {
	need strace
	nofile_raise 20000
	start_udp_flooded 20000
	udp_flood "$UP" 1400 400
	wait_until 5 rule_stat_is 1 active 1400 || fail "not 1400 flows open: $(rule_stat 1 active)" || return
	echo "# $(flow_rules) flow rules in the namespace" >&3
	AGENT_PID=$(pgrep -P "$USERNET_PID" | head -n 1)
	# the agent's channel: its one socket between requests
	chan=$(find "/proc/$AGENT_PID/fd" -mindepth 1 -maxdepth 1 -lname 'socket:*' -printf '%f\n' | head -n 1)
	[[ -n $chan ]] || fail "no socket in the agent $AGENT_PID" || return
	spawn strace -qq -p "$AGENT_PID" -e trace=recvmsg -o "$T/agent.strace"
	wait_until 5 eval '[[ $(awk "/^TracerPid:/ { print \$2 }" /proc/$AGENT_PID/status) != 0 ]]' ||
		fail "strace did not attach to the agent" || return
	t0=$(now)
	kill -TERM "$USERNET_PID"
	usernet_reap 10 || return
	echo "# SIGTERM to exit: $(elapsed_since "$t0") s (the agent traced)" >&3
	[[ $USERNET_STATUS == 0 ]] || fail "exit status $USERNET_STATUS" || return
	wait_gone "$SPAWNED" 5 || true
	n=$(grep -c "^recvmsg($chan," "$T/agent.strace" || true)
	echo "# the agent read $n requests during the shutdown" >&3
	((n <= 4)) || fail "the agent read $n requests during the shutdown (one per flow?)" || return
	(($(now) - t0 < 1000000)) || fail "the helper took $(elapsed_since "$t0") s to exit" || return
	n=$(flow_rules)
	((n == 0)) || fail "$n flow rules left in the namespace"
}

@test "nothing is left running (portfwd-stress)" {
	assert_nothing_left
}
