#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# --outbound-addr / --outbound-addr6: outbound connections through libslirp leave from the given address (or
# from the first address of the given interface), as a host server sees them, for IPv4 and IPv6.
#
# usernet runs as the user in a "host" network namespace that root makes (root_netns_start), where the two ends
# of a veth pair (no dummy driver on every kernel) carry the addresses: ob-srv has the server's 192.0.2.1/24 and 2001:db8::1/64, ob-out has the
# outbound addresses 192.0.2.7/32 and 2001:db8::7/128. Without the option, the kernel picks the server's own
# address as the source (192.0.2.1, 2001:db8::1): only the option makes it .7.

load lib

# outbound_setup: the host namespace, its addresses, servers on 192.0.2.1:PORT and [2001:db8::1]:PORT that
# reply "PORT CLIENT-ADDRESS", a holder with IPv6; PORT
outbound_setup() {
	need_root "it makes a host network namespace of its own, with addresses to bind to"
	root_netns_start
	local ns=(nsenter -t "$ROOT_NS_PID" -n --)
	"${ns[@]}" ip link add ob-srv type veth peer name ob-out &&
		"${ns[@]}" ip link set ob-srv up && "${ns[@]}" ip link set ob-out up &&
		"${ns[@]}" ip addr add 192.0.2.1/24 dev ob-srv &&
		"${ns[@]}" ip addr add 2001:db8::1/64 dev ob-srv nodad &&
		"${ns[@]}" ip addr add 192.0.2.7/32 dev ob-out &&
		"${ns[@]}" ip addr add 2001:db8::7/128 dev ob-out nodad ||
		fail "cannot set up the veth pair" || return
	PORT=$(free_port tcp)
	local a ready
	for a in 192.0.2.1 2001:db8::1; do
		ready=$T/serve.$a.ready
		spawn "${ns[@]}" "${AS_USER[@]}" python3 "$(pf_py_file)" serve --ready "$ready" --bind "$a" --tcp "$PORT"
		wait_until 10 test -s "$ready" || fail "the host server on $a did not start" || return
	done
	holder_start -6
	USERNET_PREFIX=("${ns[@]}")
}

# peer_is WANT ADDR: from inside, a connection to ADDR:PORT is seen by the server as coming from WANT
peer_is() {
	run in_ns timeout -k 1 10 python3 "$(pf_py_file)" get tcp "$2" "$PORT" --timeout 5
	[[ $status == 0 && $output == "$PORT $1" ]] && return
	usernet_show
	fail "connection to $2:$PORT: status $status, the server saw: $output (want $1)"
}

@test "without --outbound-addr: the kernel picks the source (the server's own address)" {
	outbound_setup
	usernet_start --configure -6 "$HOLDER_PID"
	peer_is 192.0.2.1 192.0.2.1
	peer_is 2001:db8::1 2001:db8::1
	usernet_stop_ok
}

@test "--outbound-addr=192.0.2.7: host servers see that address, at every connection" {
	outbound_setup
	usernet_start --configure -6 --outbound-addr=192.0.2.7 "$HOLDER_PID"
	# not only the first connection: libslirp reads the address at every one
	peer_is 192.0.2.7 192.0.2.1
	peer_is 192.0.2.7 192.0.2.1
	# IPv6 is left to the kernel
	peer_is 2001:db8::1 2001:db8::1
	usernet_stop_ok
}

@test "--outbound-addr6=2001:db8::7: host servers see that address, at every connection" {
	outbound_setup
	usernet_start --configure -6 --outbound-addr6=2001:db8::7 "$HOLDER_PID"
	peer_is 2001:db8::7 2001:db8::1
	peer_is 2001:db8::7 2001:db8::1
	peer_is 192.0.2.1 192.0.2.1
	usernet_stop_ok
}

@test "--outbound-addr=IFACE --outbound-addr6=IFACE: the interface's address" {
	outbound_setup
	usernet_start --configure -6 --outbound-addr=ob-out --outbound-addr6=ob-out "$HOLDER_PID"
	peer_is 192.0.2.7 192.0.2.1
	peer_is 2001:db8::7 2001:db8::1
	usernet_stop_ok
}

@test "nothing is left running (attach-outbound)" {
	assert_nothing_left
}
