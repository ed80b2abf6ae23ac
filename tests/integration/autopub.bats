#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# Auto-publish (--publish-auto[=RANGE]): servers started inside after the helper are published on the same host
# port within 2 s and unpublished within 2 s after they stop; UDP bound sockets too; loopback-only sockets,
# excluded ports and ports published with -p are left alone; a host port in use is skipped and logged once;
# bad ranges are usage errors; without RANGE only ports 1024-65535; `usernet run` passes the option on.

load lib

start_auto() {
	api_setup
	holder_start
	usernet_start --configure --api-socket "$API" "$@" "$HOLDER_PID"
}

# auto_rules: "proto:port" of the automatic rules, sorted, one line
auto_rules() {
	api_list | pf_json "' '.join(sorted('%s:%d' % (e['proto'], e['host_port']) for e in d['return']['entries'] if e.get('automatic')))"
}
not_listening() { ! listening "$@"; }
auto_rules_are() { [[ $(auto_rules 2>/dev/null) == "$1" ]]; }

refused() {
	run pf_client get tcp 127.0.0.1 "$1" --timeout 3
	[[ $status != 0 && $stderr$output == *ConnectionRefused* ]]
}

@test "a TCP server started inside is reachable from the host (127.0.0.1 and ::1) within 2 s, and gone within 2 s after it stops" {
	start_auto --publish-auto
	p=$(pf_free_port tcp)
	t0=$(now)
	pf_serve --tcp "$p"
	server=$SPAWNED
	wait_until 2 pf_reply_is "$p 10.0.2.2" tcp 127.0.0.1 "$p" ||
		fail "127.0.0.1:$p did not reach the server inside within 2 s: $(api_list)" "$(cat "$T/err")"
	echo "# published after $(elapsed_since "$t0") s" >&3
	# both families, as -p without an address: curl localhost works whichever localhost is
	wait_until 2 pf_reply_is "$p 10.0.2.2" tcp ::1 "$p" ||
		fail "[::1]:$p did not reach the server inside: $(api_list)" "$(cat "$T/err")"
	run api_list
	[[ $output == *"{\"id\":1,\"proto\":\"tcp\",\"host_addr\":\"0.0.0.0\",\"host_port\":$p,\"guest_addr\":\"10.0.2.100\",\"guest_port\":$p,\"dual_stack\":true,\"automatic\":true,\"stats\":{"* ]] ||
		fail "unexpected list:" "$output"
	run as_user "$IT_USERNET" port ls --api-socket "$API"
	[[ ${lines[1]} == "1* "*"*:$p"* && $output == *"* published automatically (--publish-auto)"* ]] ||
		fail "unexpected table:" "$output"
	grep -q "auto-publish: published tcp port $p (rule 1)" "$T/err" || fail "no log line:" "$(cat "$T/err")"

	stop_pid "$server"
	t0=$(now)
	wait_until 2 auto_rules_are "" || fail "the rule is still listed 2 s after the server stopped: $(api_list)"
	wait_until 2 not_listening tcp "$p" || fail "127.0.0.1:$p still listens"
	echo "# unpublished after $(elapsed_since "$t0") s" >&3
	refused "$p" || fail "127.0.0.1:$p did not refuse: $output"
	grep -q "auto-publish: tcp port $p closed inside: unpublished (rule 1)" "$T/err" || fail "no log line:" "$(cat "$T/err")"
	usernet_stop_ok
}

@test "UDP bound sockets are published; loopback-only sockets and excluded ports are not" {
	read -r u x l < <(pf_free_port tcp 3 | awk '{ print $1, $1 + 1, $1 + 2 }')
	start_auto --publish-auto="~$x"
	pf_serve --udp "$u" --tcp "$x"
	pf_serve --bind 127.0.0.1 --tcp "$l"
	pf_expect "$u 10.0.2.2" udp 127.0.0.1 "$u"
	# six scans later: still only the UDP port
	sleep 1.5
	run auto_rules
	[[ $output == "udp:$u" ]] || fail "unexpected automatic rules: $output"
	! listening tcp "$x" || fail "the excluded port $x is published"
	! listening tcp "$l" || fail "the loopback-only port $l is published"
	usernet_stop_ok
}

@test "RANGE: only the ports of the range are published, less the exclusions" {
	p=$(pf_free_port tcp 4)
	start_auto --publish-auto="$p-$((p + 2)),~$((p + 1))"
	pf_serve --tcp "$p,$((p + 1)),$((p + 2)),$((p + 3))"
	wait_until 2 auto_rules_are "tcp:$p tcp:$((p + 2))" || fail "unexpected automatic rules: $(auto_rules)"
	sleep 0.6
	auto_rules_are "tcp:$p tcp:$((p + 2))" || fail "unexpected automatic rules: $(auto_rules)"
	pf_expect "$((p + 2)) 10.0.2.2" tcp 127.0.0.1 "$((p + 2))"
	usernet_stop_ok
}

@test "ports published with -p are not published again; a rule removed through the API stays removed" {
	hp=$(pf_free_port tcp)
	p=$(pf_free_port tcp)
	start_auto --publish-auto -p "127.0.0.1:$hp:80"
	pf_serve --tcp "80,$p"
	wait_until 2 auto_rules_are "tcp:$p" || fail "unexpected automatic rules: $(auto_rules)"
	run api_list
	run pf_json "[(e['id'], e['host_port'], e.get('automatic', False)) for e in d['return']['entries']]" <<<"$output"
	[[ $output == "[(1, $hp, False), (2, $p, True)]" ]] || fail "unexpected rules: $output"
	! grep -q '"automatic"' <<<"$(api_raw '{"execute":"list_hostfwd"}' | pf_json "d['return']['entries'][0]")" ||
		fail "the explicit rule is marked automatic"
	api_expect '{"execute":"remove_hostfwd","arguments":{"id":2}}' '{"return":{}}'
	sleep 1
	auto_rules_are "" || fail "the removed rule came back: $(api_list)"
	usernet_stop_ok
}

@test "a host port already in use is skipped and logged once; tried again once the port closes and reopens inside" {
	p=$(pf_free_port tcp)
	host_tcp_server 0.0.0.0 "$p" "host-$p"
	start_auto --publish-auto
	pf_serve --tcp "$p"
	server=$SPAWNED
	wait_until 3 grep -q "auto-publish: tcp port $p not published" "$T/err" || fail "no log line:" "$(cat "$T/err")"
	sleep 1.5
	n=$(grep -c "auto-publish: tcp port $p not published" "$T/err")
	((n == 1)) || fail "logged $n times:" "$(cat "$T/err")"
	[[ $(tcp_get 127.0.0.1 "$p") == "host-$p" ]] || fail "the host's server lost its port"
	auto_rules_are "" || fail "unexpected automatic rules: $(auto_rules)"
	run api_raw '{"execute":"stats"}'
	run pf_json "d['return']['errors']['binds_refused']" <<<"$output"
	[[ $output == 1 ]] || fail "binds_refused: $output"

	stop_pid "$server"
	sleep 0.6
	pf_serve --tcp "$p"
	wait_until 3 eval '(($(grep -c "auto-publish: tcp port $p not published" "$T/err") == 2))' ||
		fail "not tried again after reopening:" "$(cat "$T/err")"
	usernet_stop_ok
}

# v6_server PORT V6ONLY: inside, a TCP server on [::]:PORT (IPV6_V6ONLY as given) that sends "v6-PORT"
v6_server() {
	spawn_in_ns python3 -c "
import socket
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, $2)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('::', $1)); s.listen()
while True:
    c, _ = s.accept(); c.sendall(b'v6-$1\\n'); c.close()"
}

@test "IPv6: a dual-stack [::] server is published; an IPv6-only one only with -6, forwarded to fd00::100" {
	read -r d o < <(pf_free_port tcp 2 | awk '{ print $1, $1 + 1 }')
	start_auto --publish-auto
	v6_server "$d" 0
	v6_server "$o" 1
	wait_until 3 auto_rules_are "tcp:$d" || fail "unexpected automatic rules: $(auto_rules)"
	wait_until 3 eval '[[ $(tcp_get 127.0.0.1 "$d") == "v6-$d" ]]' || fail "the dual-stack server is not reachable"
	sleep 0.6
	auto_rules_are "tcp:$d" || fail "the IPv6-only server was published without -6: $(auto_rules)"
	usernet_stop_ok

	api_setup
	holder_start -6
	usernet_start --configure --api-socket "$API" --publish-auto -6 "$HOLDER_PID"
	v6_server "$o" 1
	wait_until 3 eval '[[ $(tcp_get 127.0.0.1 "$o") == "v6-$o" ]]' ||
		fail "the IPv6-only server is not reachable with -6: $(api_list)" "$(cat "$T/err")"
	run api_list
	[[ $output == *"\"host_port\":$o,\"guest_addr\":\"fd00::100\",\"guest_port\":$o,\"dual_stack\":true,\"automatic\":true"* ]] ||
		fail "unexpected list:" "$output"
	usernet_stop_ok
}

@test "privileged ports (below 1024) only when RANGE asks for them, even where the host's sysctl permits the bind" {
	need_root "it makes a host network namespace of its own, to set its sysctl there and not on the host"
	root_netns_start
	nsenter -t "$ROOT_NS_PID" -n sysctl -qw net.ipv4.ip_unprivileged_port_start=0
	USERNET_PREFIX=(nsenter -t "$ROOT_NS_PID" -n --)
	PF_NS=(nsenter -t "$ROOT_NS_PID" -n --)
	p=$(pf_free_port tcp)
	start_auto --publish-auto
	pf_serve --tcp "80,$p"
	# plain --publish-auto: the unprivileged one only, also after several scans
	wait_until 2 auto_rules_are "tcp:$p" || fail "unexpected automatic rules: $(auto_rules)"
	sleep 1
	auto_rules_are "tcp:$p" || fail "plain --publish-auto published a privileged port: $(auto_rules)"
	usernet_stop_ok
	# a RANGE that names port 80: published and reachable; 1-65535: both
	for r in 80-80 1-65535; do
		usernet_start --configure --api-socket "$API" "--publish-auto=$r" "$HOLDER_PID"
		want="tcp:80"
		[[ $r == 1-65535 ]] && want=$(printf '%s\n' "tcp:$p" tcp:80 | LC_ALL=C sort | paste -sd ' ')
		wait_until 3 auto_rules_are "$want" || fail "--publish-auto=$r: unexpected automatic rules: $(auto_rules)"
		pf_expect "80 10.0.2.2" tcp 127.0.0.1 80
		usernet_stop_ok
	done
}

@test "--port-mode slirp: auto rules go through libslirp's host forwarding, and away again" {
	start_auto --publish-auto --port-mode slirp
	p=$(pf_free_port tcp)
	pf_serve --tcp "$p"
	server=$SPAWNED
	wait_until 2 pf_reply_is "$p 10.0.2.2" tcp 127.0.0.1 "$p" ||
		fail "127.0.0.1:$p did not reach the server inside within 2 s: $(api_list)" "$(cat "$T/err")"
	auto_rules_are "tcp:$p" || fail "unexpected automatic rules: $(auto_rules)"
	stop_pid "$server"
	wait_until 2 auto_rules_are "" || fail "the rule is still listed: $(api_list)"
	wait_until 2 not_listening tcp "$p" || fail "127.0.0.1:$p still listens"
	usernet_stop_ok
}

@test "--publish-auto: bad ranges are usage errors (exit 2 in usernet attach, 125 in usernet run)" {
	for r in '' 0 65536 80- -80 9-8 '~' a 80,,81 '80 ' 8080/tcp; do
		run_usernet attach "--publish-auto=$r" 1
		assert_error 2 "--publish-auto"
	done
	run_usernet run "--publish-auto=9-8" -- true
	[[ $status == 125 && $stderr == *"--publish-auto: the range '9-8' in '9-8' ends before it starts"* ]] ||
		fail "usernet run: status $status" "$stderr"
	run_usernet run --net none --publish-auto -- true
	[[ $status == 125 && $stderr == *"--publish-auto needs --net usernet"* ]] || fail "status $status" "$stderr"
	run_usernet attach --help
	[[ $output == *"--publish-auto[=RANGE]"* ]] || fail "no --publish-auto in --help"
}

@test "usernet run --publish-auto: the command's server is published on the host" {
	p=$(pf_free_port tcp)
	run_usernet run --display --publish-auto=~22 -- true
	[[ $output == *"auto-publish:   ~22"* && $output == *"--publish-auto=~22"* ]] || fail "--display:" "$output"
	spawn "${AS_USER[@]}" "$IT_USERNET" run --publish-auto -- python3 "$(pf_py_file)" serve --tcp "$p"
	wait_until 10 pf_reply_is "$p 10.0.2.2" tcp 127.0.0.1 "$p" ||
		fail "the command's server on $p was not published:" "$(cat "$T/bg.log")"
	stop_pid "$SPAWNED"
}

@test "nothing is left running (autopub)" {
	assert_nothing_left
}
