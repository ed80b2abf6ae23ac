#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# usernet attach: a pre-created persistent tap, and when the helper exits (exit fd, signals, target gone);
# usernet --help and --version

load lib

# How soon usernet must exit after its exit fd fires or its target goes away (README: "within a second").
EXIT_WITHIN=1

@test "a persistent tap made beforehand: attached without --configure, the test configures it, traffic works" {
	holder_start
	in_ns ip tuntap add dev tap0 mode tap
	port=$(free_port tcp)
	host_tcp_server 127.0.0.1 "$port" "hello-persistent-$port"

	usernet_start "$HOLDER_PID" tap0
	# usernet did not configure it
	run in_ns ip -o -4 addr show dev tap0
	[[ $output != *inet* ]] || fail "usernet configured the tap without --configure: $output"

	in_ns ip link set lo up
	in_ns ip addr add 10.0.2.100/24 dev tap0
	in_ns ip link set tap0 up
	in_ns ip route add default via 10.0.2.2
	run in_ns socat -T 5 -u "TCP4:10.0.2.2:$port,connect-timeout=5" STDOUT
	[[ $status == 0 && $output == "hello-persistent-$port" ]] || fail "status $status, output: $output"

	usernet_stop
	[[ $USERNET_STATUS == 0 ]] || fail "exit status $USERNET_STATUS after SIGTERM"
	# the tap is persistent: it outlives the helper
	in_ns ip link show dev tap0 >/dev/null || fail "tap0 disappeared with usernet"
}

@test "exits 0 within ${EXIT_WITHIN} s when the write end of its exit fd is closed" {
	holder_start
	mkfifo -m 0600 "$T/exit.fifo"
	# the test shell holds the write end (opened read-write, so opening the read end does not block)...
	exec 7<>"$T/exit.fifo"
	IT_EXIT_WRITER=1
	# ...and usernet gets the read end as fd 5 (usernet_start closes fd 7 for it)
	usernet_start --configure --exit-fd 5 "$HOLDER_PID" 5<"$T/exit.fifo"
	sleep 0.3
	alive "$USERNET_PID" || fail "usernet exited while the exit fd was still open"

	exec 7>&-
	IT_EXIT_WRITER=
	started=$(now)
	usernet_reap "$EXIT_WITHIN" || fail "(after the exit fd's write end was closed)"
	echo "# exited after $(elapsed_since "$started") s" >&3
	[[ $USERNET_STATUS == 0 ]] || fail "exit status $USERNET_STATUS"
}

@test "exits 0 on SIGTERM" {
	holder_start
	usernet_start --configure "$HOLDER_PID"
	usernet_stop TERM
	[[ $USERNET_STATUS == 0 ]] || fail "exit status $USERNET_STATUS"
}

@test "exits 0 on SIGINT" {
	holder_start
	usernet_start --configure "$HOLDER_PID"
	usernet_stop INT
	[[ $USERNET_STATUS == 0 ]] || fail "exit status $USERNET_STATUS"
}

@test "exits 0 within ${EXIT_WITHIN} s when the target process dies" {
	holder_start
	usernet_start --configure "$HOLDER_PID"
	stop_pid "$HOLDER_PID"
	started=$(now)
	usernet_reap "$EXIT_WITHIN" || fail "(after the namespace holder died)"
	echo "# exited after $(elapsed_since "$started") s" >&3
	[[ $USERNET_STATUS == 0 ]] || fail "exit status $USERNET_STATUS"
}

@test "--netns-type=path on /proc/PID/ns/net: works, and exits 0 within ${EXIT_WITHIN} s when it goes away" {
	holder_start
	port=$(free_port tcp)
	host_tcp_server 127.0.0.1 "$port" "hello-path-$port"
	usernet_start --configure --netns-type=path --userns-path="/proc/$HOLDER_PID/ns/user" \
		"/proc/$HOLDER_PID/ns/net"
	run in_ns socat -T 5 -u "TCP4:10.0.2.2:$port,connect-timeout=5" STDOUT
	[[ $output == "hello-path-$port" ]] || fail "status $status, output: $output"

	stop_pid "$HOLDER_PID"
	started=$(now)
	usernet_reap "$EXIT_WITHIN" || fail "(after /proc/$HOLDER_PID/ns/net went away)"
	echo "# exited after $(elapsed_since "$started") s" >&3
	[[ $USERNET_STATUS == 0 ]] || fail "exit status $USERNET_STATUS"
}

@test "usernet attach --help exits 0 and lists the options" {
	run_usernet attach --help
	[[ $status == 0 ]] || fail "exit status $status" "$stderr"
	[[ -z $stderr ]] || fail "--help wrote to stderr:" "$stderr"
	for opt in --configure --ready-fd --exit-fd --mtu --cidr --enable-ipv6 --disable-host-loopback --disable-dns \
		--outbound-addr --outbound-addr6 --macaddress --netns-type --userns-path --publish --debug --help; do
		grep -q -e "$opt\b" <<<"$output" || fail "the help does not list $opt:" "$output"
	done
}

@test "usernet --help exits 0 and names the attach command" {
	run_usernet --help
	[[ $status == 0 ]] || fail "exit status $status" "$stderr"
	[[ $output == *attach* ]] || fail "the help does not name 'attach':" "$output"
}

@test "usernet --version exits 0 and names usernet's and libslirp's versions" {
	run_usernet --version
	[[ $status == 0 ]] || fail "exit status $status" "$stderr"
	grep -Eq 'usernet.*[0-9]+\.[0-9]+' <<<"$output" || fail "no usernet version:" "$output"
	grep -Eiq 'libslirp.*[0-9]+\.[0-9]+' <<<"$output" || fail "no libslirp version:" "$output"
}

@test "nothing is left running (attach-lifecycle)" {
	assert_nothing_left
}
