#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# usernet run --bypass: the command's TCP connections that leave the namespace get host sockets (seccomp user
# notification answered by the helper's handler process): a host socket after connect (not in --pcap), the
# policy of the libslirp path (gateway only with --allow-host-loopback, martians), the namespace's loopback
# untouched, non-blocking connects, a command killed in the middle of a connect, a kernel without
# SECCOMP_ADDFD_FLAG_SETFD (simulated), --display

load lib

# probe_install: tests/integration/bypass-probe.py, readable by the test user, as $T/probe.py
probe_install() {
	[[ -e $T/probe.py ]] || install -m 0644 "$IT_REPO/tests/integration/bypass-probe.py" "$T/probe.py"
}

# probe MODE ARGS...: $T/probe.py inside `usernet run --bypass` (RUN_ARGS before --)
probe() {
	probe_install
	run_sandbox --bypass ${RUN_ARGS[@]+"${RUN_ARGS[@]}"} -- python3 "$T/probe.py" "$@"
}

# INNER_USERNET: usernet as a command inside the sandbox runs it. In the ASan builds its leak check at exit
# cannot run there: LeakSanitizer stops the world with PTRACE_ATTACH, which the command's seccomp profile
# refuses (confine/sysfilter_command.c), so the check is off for that client only.
INNER_USERNET="env ASAN_OPTIONS=${ASAN_OPTIONS:-}:detect_leaks=0 $IT_USERNET"

# syn_to PCAP PORT: SYNs from the guest to PORT in the capture
syn_to() {
	tshark -n -r "$1" -Y "tcp.dstport==$2 && tcp.flags.syn==1 && tcp.flags.ack==0" -T fields -e frame.number \
		2>/dev/null | grep -c . || true
}

@test "--bypass: the connect to the gateway is a host socket (not in the namespace, not in --pcap)" {
	probe_install
	need tshark
	port=$(pf_free_port tcp)
	host_tcp_server 127.0.0.1 "$port" "hello-$port"
	RUN_ARGS=(--allow-host-loopback --pcap "$T/run.pcap")
	probe connect 10.0.2.2 "$port"
	[[ $status == 0 ]] || fail "status $status: $output" "$stderr"
	# a host socket (not in the namespace's /proc/net/tcp), its addresses as the namespace sees them
	[[ $output == "ok 10.0.2.100 10.0.2.2 hello-$port host" ]] || fail "not a host socket: $output" "$stderr"
	[[ $(syn_to "$T/run.pcap" "$port") == 0 ]] || fail "the bypassed connection is in the capture"

	# without --bypass: libslirp's socket, in the capture
	run_sandbox --allow-host-loopback --pcap "$T/slirp.pcap" -- python3 "$T/probe.py" connect 10.0.2.2 "$port"
	[[ $output == "ok 10.0.2.100 10.0.2.2 hello-$port ns" ]] || fail "without --bypass: $output" "$stderr"
	(($(syn_to "$T/slirp.pcap" "$port") > 0)) || fail "without --bypass, no SYN in the capture"
}

@test "--bypass: the gateway is refused (EPERM) without --allow-host-loopback, martians too" {
	port=$(pf_free_port tcp)
	host_tcp_server 127.0.0.1 "$port" "hello-$port"
	probe connect 10.0.2.2 "$port"
	[[ $status == 0 && $output == EPERM ]] || fail "the host's loopback was reachable: $status: $output" "$stderr"
	for addr in 224.0.0.1 0.0.0.1 255.255.255.255 10.0.2.255; do
		probe connect "$addr" 80
		[[ $output == EPERM ]] || fail "martian $addr: $output" "$stderr"
	done
}

@test "--bypass --outbound-addr=192.0.2.7: the host socket leaves from it (a 'host' namespace of root's)" {
	probe_install
	need_root "it makes a host network namespace of its own, with addresses to bind to"
	root_netns_start
	ns=(nsenter -t "$ROOT_NS_PID" -n --)
	"${ns[@]}" ip link add pb-srv type veth peer name pb-out && "${ns[@]}" ip link set pb-srv up &&
		"${ns[@]}" ip link set pb-out up && "${ns[@]}" ip addr add 192.0.2.1/24 dev pb-srv &&
		"${ns[@]}" ip addr add 192.0.2.7/32 dev pb-out || fail "cannot set up the veth pair"
	port=$(free_port tcp)
	spawn "${ns[@]}" "${AS_USER[@]}" python3 "$(pf_py_file)" serve --ready "$T/ready" --bind 192.0.2.1 --tcp "$port"
	wait_until 10 test -s "$T/ready" || fail "the host server did not start"
	for want in 192.0.2.1 192.0.2.7; do
		opt=()
		[[ $want == 192.0.2.7 ]] && opt=(--outbound-addr=192.0.2.7)
		run --separate-stderr timeout -k 5 60 "${ns[@]}" "${AS_USER[@]}" "$IT_USERNET" run --bypass "${opt[@]}" \
			-- python3 "$T/probe.py" connect 192.0.2.1 "$port" </dev/null
		# a host socket (getsockname: the guest's address), and the server sees $want
		[[ $status == 0 && $output == "ok 10.0.2.100 192.0.2.1 $port $want host" ]] ||
			fail "${opt[*]:-no option}: status $status: $output (want $want)" "$stderr"
	done
}

@test "--bypass: the namespace's loopback and addresses inside stay the namespace's" {
	probe loopback
	[[ $status == 0 && $output == "ok 127.0.0.1 127.0.0.1" ]] || fail "loopback: $status: $output" "$stderr"
	# the guest's own address: its own socket, inside (refused: nothing listens there)
	probe connect 10.0.2.100 1
	[[ $output == ECONNREFUSED ]] || fail "10.0.2.100: $output" "$stderr"
}

@test "--bypass: getsockname/getpeername of a host socket show the namespace's addresses, IPv4-mapped too" {
	port=$(pf_free_port tcp)
	host_tcp_server 127.0.0.1 "$port" "nm-$port"
	run_sandbox --bypass --allow-host-loopback -- python3 -c "
import socket
s = socket.socket(socket.AF_INET6)
s.connect(('::ffff:10.0.2.2', $port))
print(s.getsockname()[0], s.getpeername()[0], s.getpeername()[1] == $port, s.recv(100).decode().strip())
s = socket.create_connection(('10.0.2.2', $port))
print(s.getsockname()[0], s.getpeername()[0])"
	[[ $status == 0 ]] || fail "status $status: $output" "$stderr"
	[[ ${lines[0]} == "::ffff:10.0.2.100 ::ffff:10.0.2.2 True nm-$port" ]] || fail "$output" "$stderr"
	[[ ${lines[1]} == "10.0.2.100 10.0.2.2" ]] || fail "$output" "$stderr"
}

@test "--bypass: a non-blocking connect says EINPROGRESS, then poll says connected" {
	port=$(pf_free_port tcp)
	host_tcp_server 127.0.0.1 "$port" "nb-$port"
	RUN_ARGS=(--allow-host-loopback)
	probe nonblock 10.0.2.2 "$port"
	[[ $status == 0 ]] || fail "status $status: $output" "$stderr"
	[[ ${lines[0]} == EINPROGRESS && ${lines[1]} == "ok 10.0.2.100 nb-$port host" ]] || fail "$output" "$stderr"
}

@test "--bypass: a refused host connect leaves a socket that cannot listen on the host (EPERM)" {
	port=$(pf_free_port tcp)
	RUN_ARGS=(--allow-host-loopback)
	probe listen-after-fail 10.0.2.2 "$port"
	[[ $status == 0 && $output == "ECONNREFUSED listening" ]] ||
		fail "a blocking connect that fails keeps the namespace's socket: $output" "$stderr"
	# non-blocking: the host socket is the caller's before the answer comes
	probe listen-after-fail-nb 10.0.2.2 "$port"
	[[ $status == 0 && $output == "ECONNREFUSED EPERM" ]] || fail "non-blocking, refused: $output" "$stderr"
}

@test "--bypass: the command killed in the middle of a connect; the next connect is still answered" {
	probe_install
	port=$(pf_free_port tcp)
	hport=$(pf_free_port tcp)
	host_tcp_server 127.0.0.1 "$hport" "after-$hport"
	# a host server that never accepts: its queue full, further SYNs are dropped and connects hang
	spawn "${AS_USER[@]}" python3 -c "
import socket, time
s = socket.socket(); s.bind(('127.0.0.1', $port)); s.listen(0)
c = [socket.create_connection(('127.0.0.1', $port)) for _ in range(1)]
open('$T/full', 'w').close()
time.sleep(120)"
	wait_until 5 test -e "$T/full" || fail "the full server did not start"
	RUN_ARGS=(--allow-host-loopback)
	run_sandbox --bypass --allow-host-loopback -- sh -c "
		python3 $T/probe.py hang 10.0.2.2 $port & pid=\$!
		sleep 1; kill -9 \$pid; wait \$pid; echo killed \$?
		python3 $T/probe.py connect 10.0.2.2 $hport"
	[[ $status == 0 ]] || fail "status $status: $output" "$stderr"
	[[ ${lines[0]} == connecting && ${lines[1]} == "killed 137" ]] || fail "$output" "$stderr"
	[[ ${lines[2]} == "ok 10.0.2.100 10.0.2.2 after-$hport host" ]] || fail "after the kill: $output" "$stderr"
}

@test "--bypass on a kernel without SECCOMP_ADDFD_FLAG_SETFD (simulated): exit 125, says why" {
	RUN_PREFIX=(env USERNET_TEST_BYPASS_NO_SETFD=1)
	run_sandbox --bypass -- true
	RUN_PREFIX=()
	[[ $status == 125 ]] || fail "status $status" "$stderr"
	[[ $stderr == *"--bypass needs"*"SECCOMP_ADDFD_FLAG_SETFD"*"Linux 5.14"* ]] || fail "$stderr"
}

@test "--bypass: needs --net usernet" {
	run_sandbox --bypass --net none -- true
	[[ $status == 125 && $stderr == *"--bypass needs --net usernet"* ]] || fail "status $status" "$stderr"
}

@test "--display: the socket bypass, on or off" {
	run_sandbox --display --bypass -- true
	[[ $status == 0 ]] || fail "status $status" "$stderr"
	[[ $output == *"socket bypass:    on: "*"not in --pcap"* ]] || fail "$output"
	[[ $output == *"--bypass-fd=5"* ]] || fail "the helper's line: $output"
	run_sandbox --display -- true
	[[ $output == *"socket bypass:    off"* && $output != *--bypass-fd* ]] || fail "$output"
}

@test "--bypass: usernet stats counts the host connections and the refusals" {
	probe_install
	port=$(pf_free_port tcp)
	host_tcp_server 127.0.0.1 "$port" "st-$port"
	run_sandbox --bypass --allow-host-loopback --api-socket "$T/a.sock" -- sh -c "
		python3 $T/probe.py connect 10.0.2.2 $port && python3 $T/probe.py connect 224.0.0.1 80 &&
		$INNER_USERNET stats --api-socket $T/a.sock"
	[[ $status == 0 ]] || fail "status $status: $output" "$stderr"
	[[ $output == *"bypass      1 host connections (not on the tap), 0 in progress, 1 refused"* ]] ||
		fail "$output" "$stderr"
	# without --bypass: no such line
	run_sandbox --api-socket "$T/b.sock" -- $INNER_USERNET stats --api-socket "$T/b.sock"
	[[ $status == 0 && $output != *bypass* ]] || fail "$output" "$stderr"
}
