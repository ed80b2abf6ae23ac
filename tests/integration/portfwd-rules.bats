#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# Published ports (our forwarders, --port-mode auto): TCP and UDP rules on IPv4 and IPv6 host addresses, the
# dual-stack [::], and port ranges. The servers inside reply with their own port and the address they see the
# client come from ("PORT ADDR"): a client on the host's loopback is a local client, seen as the guest itself.

load lib

# need_host_ipv6: the host's loopback has ::1
need_host_ipv6() {
	if [[ ! -d /proc/sys/net/ipv6 ]] || ! ip -6 addr show dev lo 2>/dev/null | grep -q 'inet6 ::1/128'; then
		skip_unless_ci "the host's loopback has no ::1"
	fi
}

@test "TCP and UDP rules on 127.0.0.1 reach the servers inside, which see the gateway 10.0.2.2" {
	holder_start
	hp=$(pf_free_port tcp)
	up=$(pf_free_port udp)
	usernet_start --configure -p "127.0.0.1:$hp:80/tcp" -p "127.0.0.1:$up:5353/udp" "$HOLDER_PID"
	pf_serve --tcp 80 --udp 5353

	pf_expect "80 10.0.2.2" tcp 127.0.0.1 "$hp"
	pf_expect "5353 10.0.2.2" udp 127.0.0.1 "$up"
	# a second UDP datagram of the same flow, and a second TCP connection
	pf_reply_is "5353 10.0.2.2" udp 127.0.0.1 "$up" || fail "a second UDP datagram got no reply"
	pf_reply_is "80 10.0.2.2" tcp 127.0.0.1 "$hp" || fail "a second TCP connection got no reply"

	run ss -Hltn "sport = :$hp"
	[[ $output == *"127.0.0.1:$hp "* ]] || fail "the TCP port is not bound to 127.0.0.1: $output"
	run ss -Hlun "sport = :$up"
	[[ $output == *"127.0.0.1:$up "* ]] || fail "the UDP port is not bound to 127.0.0.1: $output"
	usernet_stop_ok
}

@test "an echo through a TCP rule returns 1 MiB intact, and UDP datagrams of 1 to 60000 bytes come back intact" {
	holder_start
	hp=$(pf_free_port tcp)
	up=$(pf_free_port udp)
	usernet_start --configure -p "127.0.0.1:$hp:7/tcp" -p "127.0.0.1:$up:7/udp" "$HOLDER_PID"
	pf_serve --mode echo --tcp 7 --udp 7

	run pf_client echo 127.0.0.1 "$hp" --size $((1 << 20)) --seed 7
	[[ $status == 0 && $output == ok ]] || fail "TCP echo: status $status" "$output"
	run pf_client udpecho 127.0.0.1 "$up" --sizes 1,100,1472,9000,60000
	[[ $status == 0 && $output == ok ]] || fail "UDP echo: status $status" "$output"
	usernet_stop_ok
}

@test "TCP and UDP rules on [::1] (no -6 needed) reach the IPv4 guest; not reachable over 127.0.0.1" {
	need_host_ipv6
	holder_start
	hp=$(pf_free_port tcp)
	up=$(pf_free_port udp)
	usernet_start --configure -p "[::1]:$hp:80" -p "[::1]:$up:5353/udp" "$HOLDER_PID"
	pf_serve --tcp 80 --udp 5353

	pf_expect "80 10.0.2.2" tcp ::1 "$hp"
	pf_expect "5353 10.0.2.2" udp ::1 "$up"
	run ss -Hltn "sport = :$hp"
	[[ $output == *"[::1]:$hp "* ]] || fail "the TCP port is not bound to [::1]: $output"
	run ss -Hlun "sport = :$up"
	[[ $output == *"[::1]:$up "* ]] || fail "the UDP port is not bound to [::1]: $output"
	run pf_client get tcp 127.0.0.1 "$hp" --timeout 3
	[[ $status != 0 ]] || fail "127.0.0.1:$hp answered a rule bound to [::1] only: $output"
	usernet_stop_ok
}

@test "TCP and UDP rules on [::] are IPv6 only; without an address on both families (127.0.0.1 and ::1)" {
	need_host_ipv6
	holder_start
	hp=$(pf_free_port tcp)
	up=$(pf_free_port udp)
	read -r dp du < <(pf_free_port tcp 2 | awk '{ print $1, $1 + 1 }')
	usernet_start --configure -p "[::]:$hp:80/tcp" -p "[::]:$up:5353/udp" \
		-p "$dp:80/tcp" -p "$du:5353/udp" "$HOLDER_PID"
	pf_serve --tcp 80 --udp 5353

	pf_expect "80 10.0.2.2" tcp ::1 "$hp"
	pf_expect "5353 10.0.2.2" udp ::1 "$up"
	run pf_client get tcp 127.0.0.1 "$hp" --timeout 3
	[[ $status != 0 ]] || fail "127.0.0.1:$hp answered a rule on [::] (IPv6 only): $output"
	run ss -Hltn "sport = :$hp"
	[[ $output == *"[::]:$hp "* ]] || fail "the TCP port is not bound to [::]: $output"

	pf_expect "80 10.0.2.2" tcp 127.0.0.1 "$dp"
	pf_expect "80 10.0.2.2" tcp ::1 "$dp"
	pf_expect "5353 10.0.2.2" udp 127.0.0.1 "$du"
	pf_expect "5353 10.0.2.2" udp ::1 "$du"
	usernet_stop_ok
}

@test "a TCP port range 127.0.0.1:HP-HP+2:8000-8002: each host port reaches its own guest port" {
	holder_start
	hp=$(pf_free_port tcp 3)
	usernet_start --configure -p "127.0.0.1:$hp-$((hp + 2)):8000-8002/tcp" "$HOLDER_PID"
	pf_serve --tcp 8000,8001,8002

	pf_expect "8000 10.0.2.2" tcp 127.0.0.1 "$hp"
	pf_expect "8001 10.0.2.2" tcp 127.0.0.1 $((hp + 1))
	pf_expect "8002 10.0.2.2" tcp 127.0.0.1 $((hp + 2))
	# and the port after the range is not published
	! listening tcp $((hp + 3)) || fail "port $((hp + 3)) after the range listens"
	usernet_stop_ok
}

@test "a UDP port range HP-HP+2:6000-6002/udp: each host port reaches its own guest port" {
	holder_start
	up=$(pf_free_port udp 3)
	usernet_start --configure -p "$up-$((up + 2)):6000-6002/udp" "$HOLDER_PID"
	pf_serve --udp 6000,6001,6002

	pf_expect "6000 10.0.2.2" udp 127.0.0.1 "$up"
	pf_expect "6001 10.0.2.2" udp 127.0.0.1 $((up + 1))
	pf_expect "6002 10.0.2.2" udp 127.0.0.1 $((up + 2))
	usernet_stop_ok
}

@test "an IPv6 port range [::1]:HP-HP+2:8000-8002 and the same ports over TCP and UDP at once" {
	need_host_ipv6
	holder_start
	hp=$(pf_free_port tcp 3)
	up=$(pf_free_port udp 3)
	usernet_start --configure -p "[::1]:$hp-$((hp + 2)):8000-8002" -p "[::1]:$up-$((up + 2)):8000-8002/udp" \
		"$HOLDER_PID"
	pf_serve --tcp 8000,8001,8002 --udp 8000,8001,8002

	for i in 0 1 2; do
		pf_expect "$((8000 + i)) 10.0.2.2" tcp ::1 $((hp + i))
		pf_expect "$((8000 + i)) 10.0.2.2" udp ::1 $((up + i))
	done
	usernet_stop_ok
}

@test "nothing is left running (portfwd-rules)" {
	assert_nothing_left
}
