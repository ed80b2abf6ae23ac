#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# The -p forms (Podman's) in usernet attach, `usernet port add` and usernet run: a port without an address on
# both families (0.0.0.0 and [::]), an explicit 0.0.0.0 or [::] on one, free host ports chosen by the kernel,
# ranges, UDP, and what is refused

load lib

# refused URL: fetching URL fails (nothing listens there)
refused() { ! as_user timeout -k 1 3 busybox wget -q -O - "$1" >/dev/null 2>&1; }

# serve TEXT [ARGS...]: usernet attach ARGS... on a new holder, busybox httpd on port 80 inside saying TEXT
serve() {
	local text=$1
	shift
	holder_start
	api_setup
	usernet_start --configure --api-socket "$API" "$@" "$HOLDER_PID"
	www "$text"
	spawn_in_ns busybox httpd -f -p 80 -h "$WWW"
}

# sockets PORT: the TCP sockets listening on PORT on the host, as ss shows their local addresses
sockets() { ss -Hltn "sport = :$1" | awk '{ print $4 }' | sort | tr '\n' ' '; }

# port_ls: `usernet port ls` of $API, as the user
port_ls() {
	run --separate-stderr as_user "$IT_USERNET" port ls --api-socket "$API"
	[[ $status == 0 ]] || fail "usernet port ls: status $status" "$output" "$stderr"
}

@test "-p HP:80 (no address) listens on 0.0.0.0 and [::]: one rule, fetched over 127.0.0.1 and ::1" {
	hp=$(free_port tcp)
	serve "dual $hp" -p "$hp:80"
	wait_http "http://127.0.0.1:$hp/" "dual $hp"
	wait_http "http://[::1]:$hp/" "dual $hp"
	[[ $(sockets "$hp") == "0.0.0.0:$hp [::]:$hp " ]] || fail "sockets on $hp: $(sockets "$hp")"
	port_ls
	[[ ${#lines[@]} == 2 && ${lines[1]} == "1 "*"tcp "*"*:$hp "*"10.0.2.100:80 "* ]] ||
		fail "usernet port ls:" "$output"
	run api_list
	[[ $output == *"\"host_addr\":\"0.0.0.0\",\"host_port\":$hp,"*"\"dual_stack\":true"* ]] ||
		fail "list_hostfwd:" "$output"

	# Removing the rule closes both sockets
	run as_user "$IT_USERNET" port rm --api-socket "$API" 1
	[[ $status == 0 ]] || fail "usernet port rm: $status" "$output"
	[[ -z $(sockets "$hp") ]] || fail "still listening after rm: $(sockets "$hp")"
	refused "http://[::1]:$hp/" || fail "[::1]:$hp still answers"
	usernet_stop_ok
}

@test "-p 0.0.0.0:HP:80 is IPv4 only, -p [::]:HP2:80 IPv6 only" {
	read -r hp hp2 < <(free_port tcp 2 | awk '{ print $1, $1 + 1 }')
	serve "one family" -p "0.0.0.0:$hp:80" -p "[::]:$hp2:80"
	wait_http "http://127.0.0.1:$hp/" "one family"
	wait_http "http://[::1]:$hp2/" "one family"
	refused "http://[::1]:$hp/" || fail "[::1]:$hp answers: 0.0.0.0 is IPv4 only"
	refused "http://127.0.0.1:$hp2/" || fail "127.0.0.1:$hp2 answers: [::] is IPv6 only"
	[[ $(sockets "$hp") == "0.0.0.0:$hp " ]] || fail "sockets on $hp: $(sockets "$hp")"
	[[ $(sockets "$hp2") == "[::]:$hp2 " ]] || fail "sockets on $hp2: $(sockets "$hp2")"
	usernet_stop_ok
}

@test "-p 80 and -p 127.0.0.1::80: free host ports chosen by the kernel, printed at start and listed" {
	serve "free port" -p 80 -p 127.0.0.1::80
	port_ls
	p1=$(awk '$1 == "1" { sub(/.*:/, "", $3); print $3 }' <<<"$output")
	p2=$(awk '$1 == "2" { sub(/.*:/, "", $3); print $3 }' <<<"$output")
	[[ $p1 =~ ^[0-9]+$ && $p1 != 0 && $p2 =~ ^[0-9]+$ && $p2 != 0 ]] || fail "no chosen ports listed:" "$output"
	[[ $output == *"*:$p1 "* && $output == *"127.0.0.1:$p2 "* ]] || fail "usernet port ls:" "$output"
	grep -qF "published *:$p1 -> 10.0.2.100:80/tcp: host port $p1 chosen by the kernel" "$T/err" ||
		fail "the chosen port $p1 is not printed:" "$(cat "$T/err")"
	grep -qF "published 127.0.0.1:$p2 -> 10.0.2.100:80/tcp: host port $p2 chosen by the kernel" "$T/err" ||
		fail "the chosen port $p2 is not printed:" "$(cat "$T/err")"
	wait_http "http://127.0.0.1:$p1/" "free port"
	wait_http "http://[::1]:$p1/" "free port"
	wait_http "http://127.0.0.1:$p2/" "free port"
	refused "http://[::1]:$p2/" || fail "[::1]:$p2 answers"
	usernet_stop_ok
}

@test "-p [::1]:HP:80, a range -p HP-HP+1:80-81, and UDP -p HP:5353/udp over both families" {
	read -r h6 r u < <(free_port tcp 4 | awk '{ print $1, $1 + 1, $1 + 3 }')
	serve "forms" -p "[::1]:$h6:80" -p "$r-$((r + 1)):80-81" -p "$u:5353/udp"
	spawn_in_ns socat TCP4-LISTEN:81,reuseaddr,fork "SYSTEM:echo second of the range"
	spawn_in_ns socat UDP4-LISTEN:5353,fork PIPE
	wait_http "http://[::1]:$h6/" "forms"
	refused "http://127.0.0.1:$h6/" || fail "127.0.0.1:$h6 answers"
	wait_http "http://[::1]:$r/" "forms"
	wait_until 5 sh -c "[ \"\$(socat -T 3 -u TCP6:[::1]:$((r + 1)),connect-timeout=3 STDOUT)\" = 'second of the range' ]" ||
		fail "[::1]:$((r + 1)) does not reach port 81 inside"
	for a in 127.0.0.1 '[::1]'; do
		wait_until 5 sh -c "[ \"\$(echo ping-$u | timeout -k 1 5 socat -T 1 - UDP:$a:$u)\" = ping-$u ]" ||
			fail "UDP $a:$u did not echo"
	done
	port_ls
	[[ $output == *"[::1]:$h6 "* && $output == *"*:$r-$((r + 1)) "* && $output == *"udp "*"*:$u "* ]] ||
		fail "usernet port ls:" "$output"
	usernet_stop_ok
}

@test "usernet port add: no address is both families, a free port is printed, rm removes both sockets" {
	serve "added"
	run --separate-stderr as_user "$IT_USERNET" port add --api-socket "$API" 80
	[[ $status == 0 && $output =~ ^1\ [0-9]+$ ]] || fail "usernet port add 80: $status" "$output" "$stderr"
	p=${output#1 }
	wait_http "http://127.0.0.1:$p/" "added"
	wait_http "http://[::1]:$p/" "added"
	run --separate-stderr as_user "$IT_USERNET" port add --api-socket "$API" 80/sctp
	[[ $status == 2 && $stderr == *"sctp is not supported"* ]] || fail "80/sctp: $status" "$stderr"
	run as_user "$IT_USERNET" port rm --api-socket "$API" 1
	[[ -z $(sockets "$p") ]] || fail "still listening after rm: $(sockets "$p")"
	usernet_stop_ok
}

@test "the API keeps slirp4netns's meaning: add_hostfwd without host_addr is 0.0.0.0, IPv4 only" {
	hp=$(free_port tcp)
	serve "api"
	api_expect "{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"tcp\",\"host_port\":$hp,\"guest_port\":80}}" \
		'{"return":{"id":1}}'
	wait_http "http://127.0.0.1:$hp/" "api"
	refused "http://[::1]:$hp/" || fail "[::1]:$hp answers"
	[[ $(sockets "$hp") == "0.0.0.0:$hp " ]] || fail "sockets on $hp: $(sockets "$hp")"
	usernet_stop_ok
}

@test "/sctp and malformed -p specs are refused with the reason" {
	holder_start
	for spec in 80/sctp 8080:80/sctp; do
		run_usernet attach -p "$spec" "$HOLDER_PID"
		assert_error 2 "invalid --publish spec '$spec'" "sctp is not supported" || return
	done
	run_usernet attach -p 80-81 "$HOLDER_PID"
	assert_error 2 "a free host port" || return
	run_usernet attach -p 1.2.3.4:5:6:7 "$HOLDER_PID"
	assert_error 2 "too many colons" || return
	run_usernet attach -p 8080-8081:80 "$HOLDER_PID"
	assert_error 2 "host and guest ranges differ in length" || return
	run_usernet run -p 80/sctp -- true
	[[ $status != 0 && $stderr == *"sctp is not supported"* ]] || fail "usernet run -p 80/sctp: $status" "$stderr"
}

@test "usernet run -p HP:80 is reached over 127.0.0.1 and ::1" {
	hp=$(free_port tcp)
	www "run dual $hp"
	run_spawn -p "$hp:80" -- busybox httpd -f -p 80 -h "$WWW"
	wait_until 5 http_is "http://127.0.0.1:$hp/" "run dual $hp" || {
		run_show
		fail "127.0.0.1:$hp did not answer"
	}
	wait_http "http://[::1]:$hp/" "run dual $hp"
	[[ $(sockets "$hp") == "0.0.0.0:$hp [::]:$hp " ]] || fail "sockets on $hp: $(sockets "$hp")"
}
