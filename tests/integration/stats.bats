#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# Live statistics: the API's {"execute":"stats"} and `usernet stats`. The figures move by what the test sends:
# per-rule bytes to the byte through a published port, tap frames and bytes with pings, TCP connections
# through libslirp with a connection from the guest to the gateway, DNS queries answered with dnsmasq.

load lib

# stats_json: the reply's "return" object, from `usernet stats -o json`
stats_json() { as_user timeout -k 1 10 "$IT_USERNET" stats --api-socket "$API" -o json; }

# stat EXPR: a figure of the stats reply, d being its "return" object, e.g. stat "d['tap']['frames_in']"
stat() { stats_json | pf_json "$1"; }

# stat_is EXPR VALUE: wait_until-friendly check
stat_is() { [[ $(stat "$1" 2>/dev/null) == "$2" ]]; }

start_stats() {
	api_setup
	holder_start
	usernet_start --configure --api-socket "$API" "$@" "$HOLDER_PID"
}

@test "stats: one request answers every figure, compact JSON without a newline, slirp4netns's reply shape" {
	start_stats
	api_raw '{"execute":"stats"}' >"$T/reply"
	[[ $(tail -c 1 "$T/reply") == "}" ]] || fail "the reply does not end with '}':" "$(cat -A "$T/reply")"
	grep -q ' ' "$T/reply" && fail "the reply is not compact:" "$(cat "$T/reply")"
	run pf_json "sorted(d['return'].keys())" <"$T/reply"
	[[ $output == "['dns', 'errors', 'process', 'rules', 'tap', 'tcp', 'udp']" ]] || fail "unexpected keys: $output"
	run pf_json "[list(d['return'][k].keys()) for k in ('tap', 'tcp', 'udp', 'dns', 'errors')]" <"$T/reply"
	[[ $output == "[['frames_in', 'bytes_in', 'frames_out', 'bytes_out'], ['active', 'total'], ['active', 'total'], ['queries', 'answered'], ['frames_dropped', 'martian_frames', 'binds_refused', 'connections_refused']]" ]] ||
		fail "unexpected keys: $output"
	# the process: resident set (read through an fd kept from before the sandbox), CPU time, uptime
	run pf_json "[p['rss_bytes'] > 1000000 and p['max_rss_bytes'] > 1000000 and p['cpu_user_us'] + p['cpu_system_us'] > 0 and p['uptime_ms'] >= 0 for p in [d['return']['process']]][0]" <"$T/reply"
	[[ $output == True ]] || fail "unexpected process figures:" "$(cat "$T/reply")"
	# the other requests are unchanged
	api_expect '{"execute":"list_hostfwd"}' '{"return":{"entries":[]}}'
	usernet_stop_ok
}

@test "stats: per-rule bytes move by exactly the bytes sent through a published port; tap frames and bytes move with pings" {
	start_stats
	pf_serve --mode echo --tcp 7
	hp=$(pf_free_port tcp)
	api_expect "{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"tcp\",\"host_addr\":\"127.0.0.1\",\"host_port\":$hp,\"guest_port\":7}}" '{"return":{"id":1}}'

	run pf_client echo 127.0.0.1 "$hp" --size 12345 --seed 3
	[[ $status == 0 && $output == ok ]] || fail "echo of 12345 bytes: status $status" "$output"
	wait_until 5 rule_stat_is 1 active 0 || fail "the connection is still active: $(api_list)"
	run stat "d['rules'][0]['stats']"
	[[ $output == "{'active': 0, 'total': 1, 'bytes_to_guest': 12345, 'bytes_from_guest': 12345, 'refused': 0}" ]] ||
		fail "unexpected rule counters:" "$output"

	# 5 pings of the gateway: 5 echo requests of 98 bytes (14 + 20 + 8 + 56) in, 5 replies out, at least
	read -r fi0 bi0 fo0 bo0 < <(stat "' '.join(str(d['tap'][k]) for k in ('frames_in', 'bytes_in', 'frames_out', 'bytes_out'))")
	run in_ns busybox ping -c 5 -A -W 2 10.0.2.2
	[[ $status == 0 ]] || fail "ping of the gateway failed:" "$output"
	read -r fi1 bi1 fo1 bo1 < <(stat "' '.join(str(d['tap'][k]) for k in ('frames_in', 'bytes_in', 'frames_out', 'bytes_out'))")
	((fi1 - fi0 >= 5 && bi1 - bi0 >= 5 * 98 && fo1 - fo0 >= 5 && bo1 - bo0 >= 5 * 98)) ||
		fail "tap counters moved too little: in $fi0/$bi0 -> $fi1/$bi1, out $fo0/$bo0 -> $fo1/$bo1"
	# and not wildly more than what was sent (ARP and the odd neighbour frame aside)
	((fi1 - fi0 <= 10 && fo1 - fo0 <= 10)) ||
		fail "tap counters moved too much: in $fi0 -> $fi1, out $fo0 -> $fo1"
	usernet_stop_ok
}

@test "stats: a TCP connection from the guest to the gateway adds exactly one to tcp.total" {
	port=$(free_port tcp)
	host_tcp_server 127.0.0.1 "$port" "hello-stats-$port"
	start_stats
	t0=$(stat "d['tcp']['total']")
	u0=$(stat "d['udp']['total']")
	run in_ns python3 -c "import socket, sys; s = socket.create_connection(('10.0.2.2', $port), timeout=5); print(s.recv(100).decode().strip())"
	[[ $output == "hello-stats-$port" ]] || fail "no reply through the gateway:" "$output"
	t1=$(stat "d['tcp']['total']")
	((t1 == t0 + 1)) || fail "tcp.total went from $t0 to $t1"
	# UDP: two datagrams from one socket are one flow, a second socket another
	in_ns python3 -c "
import socket
for i in range(2):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.sendto(b'a', ('10.0.2.2', $port)); s.sendto(b'b', ('10.0.2.2', $port)); s.close()"
	wait_until 3 stat_is "d['udp']['total']" $((u0 + 2)) || fail "udp.total: $u0 -> $(stat "d['udp']")"
	run stat "d['tcp']['active'] >= 0 and d['udp']['active'] >= 1"
	[[ $output == True ]] || fail "active sockets: $(stat "(d['tcp'], d['udp'])")"
	usernet_stop_ok
}

@test "stats: DNS queries answered increase after a lookup through the built-in forwarder" {
	dns_server_start || return
	api_setup
	usernet_start_session "mount --bind $T/resolv.conf /etc/resolv.conf" --configure --api-socket "$API"

	q0=$(stat "d['dns']['queries']")
	a0=$(stat "d['dns']['answered']")
	run in_ns busybox nslookup -type=a usernet.test 10.0.2.3
	[[ $output == *192.0.2.42* ]] || fail "the lookup failed:" "$output"
	q1=$(stat "d['dns']['queries']")
	a1=$(stat "d['dns']['answered']")
	((q1 > q0 && a1 > a0 && a1 - a0 == q1 - q0)) || fail "dns queries $q0 -> $q1, answered $a0 -> $a1"
	usernet_stop_ok
}

@test "usernet stats: -o json parses, the table is readable, --watch prints again until stopped, bad options" {
	start_stats -p "127.0.0.1:$(pf_free_port tcp):80"
	run stats_json
	[[ $status == 0 ]] || fail "usernet stats -o json: status $status" "$stderr"
	run pf_json "d['rules'][0]['guest_port']" <<<"$output"
	[[ $output == 80 ]] || fail "unexpected JSON: $output"

	run as_user "$IT_USERNET" stats --api-socket "$API"
	[[ $status == 0 ]] || fail "usernet stats: status $status"
	for want in 'uptime ' 'tap in ' 'tap out ' 'tcp ' 'udp ' 'dns ' 'errors ' 'process ' 'ID  PROTO'; do
		[[ $output == *"$want"* ]] || fail "no '$want' in the table:" "$output"
	done
	[[ $output == *"0 frames dropped, 0 martian frames, 0 binds refused, 0 connections refused"* ]] || fail "errors line:" "$output"

	run timeout --preserve-status -s INT 2.6 "${AS_USER[@]}" "$IT_USERNET" stats --api-socket "$API" --watch=0.5
	[[ $status == 0 ]] || fail "--watch ended by SIGINT: status $status (0 expected)"
	n=$(grep -c '^uptime ' <<<"$output")
	((n >= 4)) || fail "--watch=0.5 printed $n samples in 2.6 s:" "$output"
	[[ $output == *frames/s* ]] || fail "no rates with --watch:" "$output"
	run timeout -s INT 1.5 "${AS_USER[@]}" "$IT_USERNET" stats --api-socket "$API" --watch -o json
	n=$(grep -c '^{"tap"' <<<"$output")
	((n >= 1)) || fail "--watch -o json printed $n samples:" "$output"

	run_usernet stats --api-socket "$API" --watch=0
	assert_error 2 "--watch must be a number of seconds"
	run_usernet stats --api-socket "$API" -o yaml
	assert_error 2 "unknown output format 'yaml'"
	run_usernet stats
	assert_error 2 "needs --api-socket PATH"
	run_usernet stats --api-socket "$T/api/nothing"
	[[ $status == 1 ]] || fail "a missing socket: status $status"
	usernet_stop_ok
}

@test "nothing is left running (stats)" {
	assert_nothing_left
}
