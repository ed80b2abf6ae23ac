#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# usernet attach: the DNS relay at 10.0.2.3 (and fd00::3): every nameserver of resolv.conf in order, both
# families, failover, resolv.conf replaced while running, a resolver on the host's loopback with
# --disable-host-loopback, --dns, TCP, malformed queries and floods.
#
# Each test makes its own "host": a session (SESSION_SH in lib.bash) with private user, mount and network
# namespaces (SESSION_FLAGS=-Urmn), where the test's DNS servers (tests/integration/dns-tool.py, on port 53 of
# loopback addresses and of 2001:db8::53) run, and /etc is a tmpfs whose resolv.conf is a link to
# $T/r/resolv.conf, which the test rewrites or replaces by rename.

load lib

# dns_host SERVERS ARGS...: write $T/r/resolv.conf from "nameserver" lines in $DNS_RESOLV, start the servers
# SERVERS ("ADDR=IP" answers every A query with IP, "ADDR=silent" never answers; see dns-tool.py) in the session,
# then usernet with ARGS... and --configure; $DNS_SESSION_PRE (optional) runs first in the session
dns_host() {
	local servers=$1
	shift
	mkdir -p "$T/r"
	install -m 0644 "$IT_REPO/tests/integration/dns-tool.py" "$T/dns-tool.py"
	printf '%s\n' "${DNS_RESOLV[@]}" >"$T/r/resolv.conf"
	chmod 0755 "$T/r" && chmod 0644 "$T/r/resolv.conf"
	((IT_ROOT)) && chown -R "$TEST_USER:" "$T/r"
	local pre="${DNS_SESSION_PRE:-true} && ip link set lo up && ip addr add 2001:db8::53/128 dev lo nodad &&
		{ python3 $T/dns-tool.py serve $T/srv.log $servers </dev/null >$T/srv.out 2>&1 3>&- 7>&- &
		  echo \$! >$T/srv.pid; } &&
		mount -t tmpfs tmpfs /etc && ln -s $T/r/resolv.conf /etc/resolv.conf"
	SESSION_FLAGS=-Urmn usernet_start_session "$pre" --configure "$@" || return
	track "$(<"$T/srv.pid")"
	wait_until 5 test -s "$T/srv.log.ready" || fail "the DNS servers did not start: $(cat "$T/srv.out")"
}

# dns_ask SERVER NAME [tcp]: the guest asks SERVER for NAME (bats run: output holds the addresses)
dns_ask() { run in_ns timeout -k 1 8 python3 "$T/dns-tool.py" query "$@"; }

# dns_is IP SERVER NAME [tcp]: the answer is IP
dns_is() {
	dns_ask "${@:2}"
	[[ $status == 0 && $output == "$1" ]]
}

# dns_expect IP SERVER NAME [tcp]: the answer comes and is IP
dns_expect() {
	local ip=$1
	shift
	dns_ask "$@"
	[[ $status == 0 && $output == "$ip" ]] || {
		usernet_show
		echo "servers' log:" >&2
		cat "$T/srv.log" "$T/srv.out" >&2 2>/dev/null
		fail "query $* from the guest: status $status, expected $ip, got: $output"
	}
}

# dns_follows_rename: 127.0.0.4 answers, then resolv.conf replaced by rename names 127.0.0.5, which answers
# within 5 s
dns_follows_rename() {
	dns_expect 192.0.2.4 10.0.2.3 before.test
	echo 'nameserver 127.0.0.5' >"$T/r/resolv.conf.new"
	chmod 0644 "$T/r/resolv.conf.new"
	mv -f "$T/r/resolv.conf.new" "$T/r/resolv.conf"
	wait_until 5 dns_is 192.0.2.5 10.0.2.3 after.test || dns_expect 192.0.2.5 10.0.2.3 after.test
}

@test "first nameservers dead (refusing, silent), the third answers; the upstream id is not the guest's; stats" {
	DNS_RESOLV=('nameserver 127.0.0.2' 'nameserver 127.0.0.3' 'nameserver 127.0.0.4')
	api_setup
	dns_host "127.0.0.3=silent 127.0.0.4=192.0.2.4" --api-socket "$API"
	dns_expect 192.0.2.4 10.0.2.3 one.test
	# the stats API: one query, one answer
	run pf_json "d['return']['dns']" < <(api_raw '{"execute":"stats"}')
	[[ $output == "{'queries': 1, 'answered': 1}" ]] || fail "stats: $output"
	grep -q '^127\.0\.0\.3 .* one\.test$' "$T/srv.log" || fail "the silent server was not asked:" "$(cat "$T/srv.log")"
	# ids are randomised upstream (the guest used 0x1234 = 4660)
	run awk '$3 == "one.test" && $2 == 4660' "$T/srv.log"
	[[ -z $output ]] || fail "the guest's id reached a server: $output"
	usernet_stop_ok
}

@test "only an IPv6 nameserver: IPv4 and IPv6 queries are answered" {
	DNS_RESOLV=('nameserver 2001:db8::53')
	dns_host "2001:db8::53=192.0.2.6" --enable-ipv6
	dns_expect 192.0.2.6 10.0.2.3 v4.test
	wait_until 5 in_ns sh -c 'ip -6 addr show dev tap0 | grep -q "fd00::100.*scope global" &&
		! ip -6 addr show dev tap0 | grep -q tentative' || true
	dns_expect 192.0.2.6 fd00::3 v6.test
	usernet_stop_ok
}

@test "resolv.conf replaced by rename while running: the new server is used within 5 s" {
	DNS_RESOLV=('nameserver 127.0.0.4')
	dns_host "127.0.0.4=192.0.2.4 127.0.0.5=192.0.2.5"
	dns_follows_rename
	# edited in place, too
	echo 'nameserver 127.0.0.4' >"$T/r/resolv.conf"
	wait_until 5 dns_is 192.0.2.4 10.0.2.3 edited.test || dns_expect 192.0.2.4 10.0.2.3 edited.test
	usernet_stop_ok
}

@test "no inotify instance left to the user (user.max_inotify_instances 0): the helper starts and follows a replaced resolv.conf" {
	# A host with many containers runs out of inotify instances (128 a user by default); the relay needs none
	DNS_RESOLV=('nameserver 127.0.0.4')
	DNS_SESSION_PRE='echo 0 >/proc/sys/user/max_inotify_instances'
	dns_host "127.0.0.4=192.0.2.4 127.0.0.5=192.0.2.5"
	dns_follows_rename
	usernet_stop_ok
}

@test "no nameserver in resolv.conf, then no resolv.conf at all: the host's 127.0.0.1 is asked, as the C library does" {
	DNS_RESOLV=('# nothing here' 'search example.org')
	dns_host "127.0.0.1=192.0.2.1"
	dns_expect 192.0.2.1 10.0.2.3 empty.test
	rm -f "$T/r/resolv.conf"
	sleep 0.5
	dns_expect 192.0.2.1 10.0.2.3 missing.test
	usernet_stop_ok
}

@test "a nameserver on the host's loopback (127.0.0.53) with --disable-host-loopback" {
	DNS_RESOLV=('nameserver 127.0.0.53')
	dns_host "127.0.0.53=192.0.2.53" --disable-host-loopback
	dns_expect 192.0.2.53 10.0.2.3 stub.test
	usernet_stop_ok
}

@test "TCP: failover past a refusing and a silent server, IPv4 and IPv6, two queries on one connection" {
	DNS_RESOLV=('nameserver 127.0.0.2' 'nameserver 127.0.0.3' 'nameserver 2001:db8::53')
	dns_host "127.0.0.3=silent 2001:db8::53=192.0.2.6" --enable-ipv6
	dns_expect 192.0.2.6 10.0.2.3 tcp.test tcp
	grep -q '^127\.0\.0\.3 .* tcp\.test$' "$T/srv.log" || fail "the silent server was not asked:" "$(cat "$T/srv.log")"
	wait_until 5 in_ns sh -c '! ip -6 addr show dev tap0 | grep -q tentative' || true
	dns_expect 192.0.2.6 fd00::3 tcp6.test tcp
	# glibc's resolver asks A and AAAA on one connection
	run in_ns timeout -k 1 10 python3 "$T/dns-tool.py" query 10.0.2.3 two.test tcp2
	[[ $status == 0 && $output == $'192.0.2.6\n192.0.2.6' ]] || fail "two queries on one connection: $output"
	usernet_stop_ok
}

@test "a large answer (3.2 kB, MTU 1500): whole over UDP in IP fragments and over TCP, IPv4 and IPv6" {
	DNS_RESOLV=('nameserver 127.0.0.4')
	dns_host "127.0.0.4=big:192.0.2.4" --enable-ipv6
	wait_until 5 in_ns sh -c '! ip -6 addr show dev tap0 | grep -q tentative' || true
	for server in 10.0.2.3 fd00::3; do
		for proto in udp tcp; do
			dns_ask "$server" "big-$proto.test" "$proto"
			[[ $status == 0 && $(wc -w <<<"$output") == 200 ]] ||
				fail "$server over $proto: status $status, $(wc -w <<<"$output") words: ${output:0:200}"
		done
	done
	usernet_stop_ok
}

@test "--dns ADDR (repeatable) overrides the host's resolv.conf, in order" {
	DNS_RESOLV=('nameserver 127.0.0.4')
	dns_host "127.0.0.3=silent 127.0.0.4=192.0.2.4 127.0.0.5=192.0.2.5" --dns 127.0.0.3 --dns 127.0.0.5
	dns_expect 192.0.2.5 10.0.2.3 override.test
	run awk '{ print $1 }' "$T/srv.log"
	[[ $output == $'127.0.0.3\n127.0.0.5' ]] || fail "servers asked, in order:" "$(cat "$T/srv.log")"
	usernet_stop_ok
}

@test "--dns: an address that is not one is refused" {
	run_usernet attach --dns nonsense 1
	assert_error 2 "--dns" "nonsense"
}

@test "--disable-dns: nothing answers at 10.0.2.3" {
	DNS_RESOLV=('nameserver 127.0.0.4')
	dns_host "127.0.0.4=192.0.2.4" --disable-dns
	dns_ask 10.0.2.3 off.test
	[[ $status != 0 ]] || fail "answered: $output"
	[[ ! -s $T/srv.log ]] || fail "a server was asked:" "$(cat "$T/srv.log")"
	usernet_stop_ok
}

@test "malformed queries over UDP and TCP (short, huge, answers, bad counts, junk): no crash, no upstream query, still answering" {
	DNS_RESOLV=('nameserver 127.0.0.4')
	dns_host "127.0.0.4=192.0.2.4" --enable-ipv6
	run in_ns python3 "$T/dns-tool.py" garbage 10.0.2.3
	run in_ns python3 "$T/dns-tool.py" garbage fd00::3
	sleep 0.5
	alive "$USERNET_PID" || { usernet_show; fail "usernet died"; }
	dns_expect 192.0.2.4 10.0.2.3 after-garbage.test
	run grep -c . "$T/srv.log"
	[[ $output == 1 ]] || fail "queries seen upstream (only the good one expected):" "$(cat "$T/srv.log")"
	usernet_stop_ok
}

@test "a flood of queries to a silent server: bounded sockets, then answers again" {
	DNS_RESOLV=('nameserver 127.0.0.3' 'nameserver 127.0.0.4')
	dns_host "127.0.0.3=silent 127.0.0.4=192.0.2.4"
	base=$(fd_count "$USERNET_PID")
	in_ns python3 "$T/dns-tool.py" flood 10.0.2.3 2000
	sleep 0.3
	n=$(fd_count "$USERNET_PID")
	((n <= base + 130)) || fail "the helper holds $n fds after the flood ($base before)"
	alive "$USERNET_PID" || { usernet_show; fail "usernet died"; }
	dns_expect 192.0.2.4 10.0.2.3 after-flood.test
	usernet_stop_ok
}

@test "nothing is left running (dns)" {
	assert_nothing_left
}
