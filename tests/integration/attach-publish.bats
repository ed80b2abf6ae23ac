#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# usernet attach -p/--publish: host ports forwarded to servers inside the namespace

load lib

@test "published TCP port -p 127.0.0.1:HP:80/tcp reaches busybox httpd on port 80 inside" {
	holder_start
	hp=$(free_port tcp)
	usernet_start --configure -p "127.0.0.1:$hp:80/tcp" "$HOLDER_PID"
	www "hello through 127.0.0.1:$hp"
	spawn_in_ns busybox httpd -f -p 80 -h "$WWW"

	wait_http "http://127.0.0.1:$hp/" "hello through 127.0.0.1:$hp"
	# bound to 127.0.0.1 only
	run ss -Hltn "sport = :$hp"
	[[ $output == *"127.0.0.1:$hp "* ]] || fail "the host port is not bound to 127.0.0.1: $output"
}

@test "published TCP port without an address -p HP:80 listens on every address" {
	holder_start
	hp=$(free_port tcp)
	usernet_start --configure -p "$hp:80" "$HOLDER_PID"
	www "hello through $hp"
	spawn_in_ns busybox httpd -f -p 80 -h "$WWW"

	wait_http "http://127.0.0.1:$hp/" "hello through $hp"
	run ss -Hltn "sport = :$hp"
	[[ $output == *"0.0.0.0:$hp "* || $output == *"*:$hp "* ]] ||
		fail "the host port is not bound to every address: $output"
}

# usernet forwards a port published on an IPv6 host address to the guest's IPv6 address, so it needs -6
@test "published TCP port with an IPv6 host address -6 -p [::1]:HP:80" {
	holder_start -6
	hp=$(free_port tcp)
	usernet_start -6 --configure -p "[::1]:$hp:80" "$HOLDER_PID"
	www "hello through [::1]:$hp"
	spawn_in_ns busybox httpd -f -p 80 -h "$WWW"

	wait_http "http://[::1]:$hp/" "hello through [::1]:$hp"
}

@test "published TCP port range -p 127.0.0.1:HP-HP+1:8000-8001" {
	holder_start
	hp=$(free_port tcp 2)
	usernet_start --configure -p "127.0.0.1:$hp-$((hp + 1)):8000-8001" "$HOLDER_PID"
	www "hello from the range"
	spawn_in_ns busybox httpd -f -p 8000 -h "$WWW"
	spawn_in_ns socat TCP4-LISTEN:8001,reuseaddr,fork "SYSTEM:echo second of the range"

	wait_http "http://127.0.0.1:$hp/" "hello from the range"
	wait_until 5 sh -c "[ \"\$(socat -T 3 -u TCP4:127.0.0.1:$((hp + 1)),connect-timeout=3 STDOUT)\" = 'second of the range' ]" ||
		fail "127.0.0.1:$((hp + 1)) does not reach port 8001 inside"
}

# udp_echo PORT TEXT: send TEXT to 127.0.0.1:PORT over UDP (as the user); the reply must be TEXT
udp_echo() {
	[[ $(echo "$2" | as_user timeout -k 1 5 socat -T 1 - "UDP4:127.0.0.1:$1") == "$2" ]]
}

@test "published UDP port -p HP:5353/udp reaches a UDP echo server inside" {
	holder_start
	hp=$(free_port udp)
	usernet_start --configure -p "$hp:5353/udp" "$HOLDER_PID"
	spawn_in_ns socat UDP4-RECVFROM:5353,reuseaddr,fork EXEC:cat

	wait_until 5 udp_echo "$hp" "udp-hello-$hp" || {
		usernet_show
		cat "$T/bg.log" >&2
		fail "no UDP echo through 127.0.0.1:$hp"
	}
	# a second datagram works too
	udp_echo "$hp" "udp-again-$hp" || fail "the second datagram got no echo"
}

@test "a host port below ip_unprivileged_port_start is published when the sysctl of the host's namespace allows it" {
	need_root "it makes a host network namespace of its own, to set its sysctl there and not on the host"
	root_netns_start
	nsenter -t "$ROOT_NS_PID" -n sysctl -qw net.ipv4.ip_unprivileged_port_start=80
	holder_start
	# usernet runs, as the user, in root's namespace: that is its "host"
	USERNET_PREFIX=(nsenter -t "$ROOT_NS_PID" -n --)
	usernet_start --configure -p 127.0.0.1:80:80 "$HOLDER_PID"
	www "hello on a privileged port"
	spawn_in_ns busybox httpd -f -p 80 -h "$WWW"

	USERNET_PREFIX=()
	wait_until 5 sh -c "nsenter -t $ROOT_NS_PID -n timeout -k 1 3 busybox wget -q -O - http://127.0.0.1:80/ |
		grep -qx 'hello on a privileged port'" || {
		usernet_show
		fail "http://127.0.0.1:80/ in the host namespace did not answer"
	}
}

@test "nothing is left running (attach-publish)" {
	assert_nothing_left
}
