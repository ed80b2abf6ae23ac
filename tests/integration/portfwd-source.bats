#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# Whose address the guest sees behind a published port (docs/ARCHITECTURE.md, "Published ports"):
#  - --port-mode auto (the default): a local client appears as the guest's own address (10.0.2.100); an outside
#    client with its real address (IP_TRANSPARENT socket inside, and a policy rule for the replies);
#  - --port-mode direct: everyone appears as 10.0.2.100;
#  - --port-mode slirp (libslirp's forwarding): outside clients with their address, local ones as 10.0.2.2.
# Root makes a "host" network namespace (root_netns_start), where usernet runs as the user, and an "outside"
# namespace joined to it by a veth pair: host 198.51.100.1/24, outside client 198.51.100.2/24 (TEST-NET-2).
# The real host's network is not touched; both namespaces go away with their holders.

load lib

# start_source USERNET-ARGS...: the two namespaces, a holder, usernet (as the user, in the host namespace)
# publishing 0.0.0.0:8080 -> 80/tcp, 0.0.0.0:5353 -> 5353/udp and 0.0.0.0:8007 -> 7/tcp, and servers inside:
# port 80 and 5353 say "PORT CLIENT-ADDRESS", port 7 echoes.
start_source() {
	need_root "it makes a host namespace and an outside namespace joined by a veth pair"
	root_netns_start
	outside_start
	holder_start
	USERNET_PREFIX=(nsenter -t "$ROOT_NS_PID" -n --)
	usernet_start --configure -p 8080:80 -p 5353:5353/udp -p 8007:7 "$@" "$HOLDER_PID"
	USERNET_PREFIX=()
	pf_serve --tcp 80 --udp 5353
	pf_serve --mode echo --tcp 7
}

# from_host / from_outside: the clients that follow run in the host / the outside namespace
from_host() { PF_NS=(nsenter -t "$ROOT_NS_PID" -n --); }
from_outside() { PF_NS=(nsenter -t "$OUTSIDE_PID" -n --); }

# outside_echo: 1 MiB through port 8007 from the outside client comes back intact
outside_echo() {
	from_outside
	run --separate-stderr pf_client echo 198.51.100.1 8007 --size $((1 << 20)) --seed 9
	[[ $status == 0 && $output == ok ]] || fail "1 MiB echo from outside: status $status" "$output" "$stderr"
}

@test "--port-mode auto: an outside client (veth) appears as 198.51.100.2, a local one as 10.0.2.100, TCP and UDP" {
	start_source
	from_outside
	pf_expect "80 198.51.100.2" tcp 198.51.100.1 8080
	pf_expect "5353 198.51.100.2" udp 198.51.100.1 5353
	# several connections and flows in a row (each from another client port)
	for i in 1 2 3; do
		pf_reply_is "80 198.51.100.2" tcp 198.51.100.1 8080 || fail "outside TCP connection $i"
		pf_reply_is "5353 198.51.100.2" udp 198.51.100.1 5353 || fail "outside UDP flow $i"
	done
	outside_echo

	from_host
	pf_expect "80 10.0.2.100" tcp 127.0.0.1 8080
	pf_expect "5353 10.0.2.100" udp 127.0.0.1 5353
	from_outside
	pf_reply_is "80 198.51.100.2" tcp 198.51.100.1 8080 || fail "outside TCP after local clients"
	pf_reply_is "5353 198.51.100.2" udp 198.51.100.1 5353 || fail "outside UDP after local clients"

	# the policy rules that bring the guest's replies back to the transparent sockets
	run in_ns ip rule show
	[[ $output == *'iif lo ipproto tcp sport 80 lookup '* && $output == *'iif lo ipproto udp sport 5353 lookup '* ]] ||
		fail "the namespace lacks the policy rules:" "$output"
	! grep -q 'transparent' "$T/err" || fail "a warning about transparent sockets:" "$(cat "$T/err")"
	usernet_stop_ok
}

# docs/ARCHITECTURE.md: "local clients (the peer address is loopback, or is the host's own address the client
# connected to)"
@test "--port-mode auto: the host connecting to its own address 198.51.100.1 is a local client (10.0.2.100), TCP and UDP" {
	start_source
	from_host
	pf_expect "80 10.0.2.100" tcp 198.51.100.1 8080
	pf_expect "5353 10.0.2.100" udp 198.51.100.1 5353
	usernet_stop_ok
}

@test "--port-mode direct: an outside client appears as 10.0.2.100, TCP and UDP; no policy rule inside" {
	start_source --port-mode direct
	from_outside
	pf_expect "80 10.0.2.100" tcp 198.51.100.1 8080
	pf_expect "5353 10.0.2.100" udp 198.51.100.1 5353
	outside_echo
	from_host
	pf_expect "80 10.0.2.100" tcp 127.0.0.1 8080
	pf_expect "5353 10.0.2.100" udp 127.0.0.1 5353
	run in_ns ip rule show
	[[ $output != *ipproto* ]] || fail "policy rules in direct mode:" "$output"
	usernet_stop_ok
}

@test "--port-mode slirp: a local client appears as 10.0.2.2, an outside client as 198.51.100.2, TCP and UDP" {
	start_source --port-mode slirp
	from_host
	pf_expect "80 10.0.2.2" tcp 127.0.0.1 8080
	pf_expect "5353 10.0.2.2" udp 127.0.0.1 5353
	from_outside
	pf_expect "80 198.51.100.2" tcp 198.51.100.1 8080
	pf_expect "5353 198.51.100.2" udp 198.51.100.1 5353
	outside_echo
	from_host
	pf_expect "80 10.0.2.2" tcp 127.0.0.1 8080
	run in_ns ip rule show
	[[ $output != *ipproto* ]] || fail "policy rules in slirp mode:" "$output"
	usernet_stop_ok
}


@test "nothing is left running (portfwd-source)" {
	assert_nothing_left
}
