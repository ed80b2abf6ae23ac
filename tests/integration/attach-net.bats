#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# usernet attach: the network the namespace gets (--configure, gateway to the host, IPv6, DNS, ICMP, summary)

load lib

@test "--configure: lo and tap0 up, 10.0.2.100/24, default route via 10.0.2.2, MTU 1500" {
	holder_start
	usernet_start --configure "$HOLDER_PID"

	run in_ns ip -o link show dev lo
	[[ $output == *'<LOOPBACK,UP'* ]] || fail "lo is not up: $output"
	run in_ns ip -o link show dev tap0
	[[ $output == *',UP'* && $output == *'mtu 1500 '* ]] || fail "tap0: $output"
	run in_ns ip -o -4 addr show dev tap0
	[[ $output == *'inet 10.0.2.100/24 '* ]] || fail "tap0's address: $output"
	run in_ns ip -4 route show default
	[[ $output == *'default via 10.0.2.2 dev tap0'* ]] || fail "default route: $output"
}

@test "namespace -> host TCP: 10.0.2.2:P reaches the host's 127.0.0.1:P, with a warning on stderr" {
	holder_start
	port=$(free_port tcp)
	host_tcp_server 127.0.0.1 "$port" "hello-from-host-$port"
	usernet_start --configure "$HOLDER_PID"

	run in_ns socat -T 5 -u "TCP4:10.0.2.2:$port,connect-timeout=5" STDOUT
	[[ $status == 0 && $output == "hello-from-host-$port" ]] || fail "status $status, output: $output"

	# the warning says that the host's loopback is reachable at the gateway address
	grep -Ei 'warning.*(127\.0\.0\.1|loopback)' "$T/err" || {
		usernet_show
		fail "no warning about the host's loopback on stderr"
	}
}

@test "--disable-host-loopback: 10.0.2.2:P does not reach the host's 127.0.0.1:P, and no warning" {
	holder_start
	port=$(free_port tcp)
	host_tcp_server 127.0.0.1 "$port" "hello-from-host-$port"
	usernet_start --configure --disable-host-loopback "$HOLDER_PID"

	# the server does answer on the host itself
	run as_user socat -T 5 -u "TCP4:127.0.0.1:$port,connect-timeout=5" STDOUT
	[[ $output == "hello-from-host-$port" ]] || fail "the host server does not answer: $output"

	# the namespace's network works (ICMP to the gateway is answered by libslirp itself)...
	in_ns busybox ping -c 1 -W 2 10.0.2.2 >/dev/null || fail "no ping to the gateway"
	# ...but TCP to the gateway does not reach the host's loopback
	run in_ns socat -T 5 -u "TCP4:10.0.2.2:$port,connect-timeout=3" STDOUT
	[[ $status != 0 && $output != *hello-from-host* ]] ||
		fail "the connection through the gateway should fail: status $status, output: $output"

	if grep -Ei 'warning.*(127\.0\.0\.1|loopback)' "$T/err"; then
		fail "a warning about the host's loopback despite --disable-host-loopback"
	fi
}

@test "IPv6 (-6 --configure --mtu 65520 --macaddress): fd00::100/64 usable, routes, [fd00::2]:P reaches [::1]:P" {
	holder_start -6
	port=$(free_port tcp)
	host_tcp_server ::1 "$port" "hello-v6-$port"
	usernet_start -6 --configure --mtu 65520 --macaddress 02:00:5e:10:20:30 "$HOLDER_PID"

	run in_ns ip -6 -o addr show dev tap0
	grep -q 'inet6 fd00::100/64 ' <<<"$output" || fail "no fd00::100/64 on tap0: $output"
	if grep 'inet6 fd00::100/64 ' <<<"$output" | grep -q tentative; then
		fail "fd00::100 is still tentative (DAD should be off): $output"
	fi
	run in_ns ip -4 route show default
	[[ $output == *'default via 10.0.2.2 dev tap0'* ]] || fail "IPv4 default route: $output"
	run in_ns ip -6 route show default
	[[ $output == *'default via fd00::2 dev tap0'* ]] || fail "IPv6 default route: $output"
	run in_ns ip -o link show dev tap0
	[[ $output == *'mtu 65520 '* ]] || fail "tap0's MTU: $output"
	[[ $output == *'link/ether 02:00:5e:10:20:30 '* ]] || fail "tap0's MAC address: $output"

	run in_ns socat -T 5 -u "TCP6:[fd00::2]:$port,connect-timeout=5" STDOUT
	[[ $status == 0 && $output == "hello-v6-$port" ]] || fail "status $status, output: $output"
}

@test "ICMP: ping to the gateway 10.0.2.2 from inside" {
	holder_start
	usernet_start --configure "$HOLDER_PID"
	run in_ns busybox ping -c 1 -W 2 10.0.2.2
	[[ $status == 0 ]] || fail "ping failed: $output"
	[[ $output == *'1 packets received'* ]] || fail "$output"
}

# The DNS server: dnsmasq run by root on 127.0.0.77:53, answering usernet.test with 192.0.2.42. usernet runs in
# a session of the user (unshare -Urm, see SESSION_SH in lib.bash) whose /etc/resolv.conf names it.
dns_query() {
	run in_ns busybox nslookup usernet.test 10.0.2.3
	[[ $output == *192.0.2.42* ]]
}

@test "DNS: the built-in forwarder at 10.0.2.3 asks the host's resolv.conf nameserver" {
	[[ -e /etc/resolv.conf ]] || fail "/etc/resolv.conf is missing: nothing to bind-mount over"
	dns_server_start || return
	usernet_start_session "mount --bind $T/resolv.conf /etc/resolv.conf" --configure

	wait_until 5 dns_query || {
		echo "dnsmasq's log:" >&2
		cat "$T/bg.log" >&2
		usernet_show
		fail "nslookup usernet.test 10.0.2.3 inside did not give 192.0.2.42:" "$output"
	}
}

@test "startup summary on stdout: MTU, network, gateway, DNS, recommended address" {
	holder_start
	usernet_start --configure "$HOLDER_PID"
	usernet_stop
	[[ $USERNET_STATUS == 0 ]] || fail "exit status $USERNET_STATUS"
	out=$(<"$T/out")
	grep -Eiq 'mtu.*\b1500\b' <<<"$out" || fail "no MTU 1500 in the summary:" "$out"
	grep -q '10\.0\.2\.0' <<<"$out" || fail "no network 10.0.2.0 in the summary:" "$out"
	grep -Eiq 'gateway.*\b10\.0\.2\.2\b' <<<"$out" || fail "no gateway 10.0.2.2 in the summary:" "$out"
	grep -Eiq 'dns.*\b10\.0\.2\.3\b' <<<"$out" || fail "no DNS 10.0.2.3 in the summary:" "$out"
	grep -q '\b10\.0\.2\.100\b' <<<"$out" || fail "no recommended address 10.0.2.100 in the summary:" "$out"
}

@test "--cidr 10.0.7.0/24 --mtu 9000: summary, address, route and gateway follow" {
	holder_start
	port=$(free_port tcp)
	host_tcp_server 127.0.0.1 "$port" "hello-cidr-$port"
	usernet_start --configure --cidr 10.0.7.0/24 --mtu 9000 "$HOLDER_PID"

	run in_ns ip -o -4 addr show dev tap0
	[[ $output == *'inet 10.0.7.100/24 '* ]] || fail "tap0's address: $output"
	run in_ns ip -4 route show default
	[[ $output == *'default via 10.0.7.2 dev tap0'* ]] || fail "default route: $output"
	run in_ns socat -T 5 -u "TCP4:10.0.7.2:$port,connect-timeout=5" STDOUT
	[[ $output == "hello-cidr-$port" ]] || fail "through 10.0.7.2: status $status, output: $output"

	usernet_stop
	[[ $USERNET_STATUS == 0 ]] || fail "exit status $USERNET_STATUS"
	out=$(<"$T/out")
	grep -Eiq 'mtu.*\b9000\b' <<<"$out" || fail "no MTU 9000 in the summary:" "$out"
	grep -q '10\.0\.7\.0' <<<"$out" || fail "no network 10.0.7.0 in the summary:" "$out"
	grep -Eiq 'gateway.*\b10\.0\.7\.2\b' <<<"$out" || fail "no gateway 10.0.7.2 in the summary:" "$out"
	grep -Eiq 'dns.*\b10\.0\.7\.3\b' <<<"$out" || fail "no DNS 10.0.7.3 in the summary:" "$out"
	grep -q '\b10\.0\.7\.100\b' <<<"$out" || fail "no recommended address 10.0.7.100 in the summary:" "$out"
}

@test "nothing is left running (attach-net)" {
	assert_nothing_left
}
