#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# Published ports at runtime over the API socket (slirp4netns's protocol, /work/shared/reference/compat.md):
# add, list and remove with raw JSON (byte-exact replies) and with `usernet port`; ephemeral host ports;
# per-rule counters; a host port in use, at start and over the API.

load lib

# start_api: a holder, and usernet with --configure --api-socket $API
start_api() {
	api_setup
	holder_start
	usernet_start --configure --api-socket "$API" "$HOLDER_PID"
}

# add_req PROTO HOST_ADDR HOST_PORT GUEST_ADDR GUEST_PORT: an add_hostfwd request as Podman writes it
add_req() {
	printf '{"execute":"add_hostfwd","arguments":{"proto":"%s","host_addr":"%s","host_port":%s,"guest_addr":"%s","guest_port":%s}}' \
		"$@"
}

# entry ID PROTO HOST_ADDR HOST_PORT GUEST_ADDR GUEST_PORT: the keys slirp4netns has, in its order
entry() {
	printf '{"id":%s,"proto":"%s","host_addr":"%s","host_port":%s,"guest_addr":"%s","guest_port":%s' "$@"
}

# zero_stats: the extension after them, for a rule that carried nothing
zero_stats='"stats":{"active":0,"total":0,"bytes_to_guest":0,"bytes_from_guest":0,"refused":0}}'

# not_reachable PORT: nothing listens on 127.0.0.1:PORT (TCP) and a connection is refused
not_reachable() {
	! listening tcp "$1" || fail "port $1 still listens"
	run pf_client get tcp 127.0.0.1 "$1" --timeout 3
	[[ $status != 0 && $stderr$output == *ConnectionRefused* ]] || fail "127.0.0.1:$1 did not refuse: $output"
}

@test "raw JSON over socat: add_hostfwd, list_hostfwd, remove_hostfwd with byte-exact compat replies" {
	start_api
	pf_serve --tcp 80 --udp 53
	hp=$(pf_free_port tcp)
	up=$(pf_free_port udp)

	api_expect '{"execute":"list_hostfwd"}' '{"return":{"entries":[]}}'
	api_expect "$(add_req tcp 127.0.0.1 "$hp" "" 80)" '{"return":{"id":1}}'
	pf_expect "80 10.0.2.2" tcp 127.0.0.1 "$hp"
	# no host_addr (0.0.0.0), an explicit guest address, a newline after the request (as clients often send)
	api_expect "{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"udp\",\"host_port\":$up,\"guest_addr\":\"10.0.2.100\",\"guest_port\":53}}
" '{"return":{"id":2}}'
	pf_expect "53 10.0.2.2" udp 127.0.0.1 "$up"

	# entries: the compat keys in slirp4netns's order first, then the extensions
	run api_list
	[[ $output == "{\"return\":{\"entries\":[$(entry 1 tcp 127.0.0.1 "$hp" 10.0.2.100 80),"*"},$(entry 2 udp 0.0.0.0 "$up" 10.0.2.100 53),"*"}]}}" ]] ||
		fail "unexpected list:" "$output"
	run pf_json "[list(e.keys()) for e in d['return']['entries']]" <<<"$output"
	[[ $output == "[['id', 'proto', 'host_addr', 'host_port', 'guest_addr', 'guest_port', 'stats'], ['id', 'proto', 'host_addr', 'host_port', 'guest_addr', 'guest_port', 'stats']]" ]] ||
		fail "unexpected keys:" "$output"

	api_expect '{"execute":"remove_hostfwd","arguments":{"id":1}}' '{"return":{}}'
	not_reachable "$hp"
	run api_list
	[[ $output == "{\"return\":{\"entries\":[$(entry 2 udp 0.0.0.0 "$up" 10.0.2.100 53),\"stats\":{"*"}}]}}" ]] ||
		fail "after removing rule 1:" "$output"
	# the UDP rule still works; IDs are never reused
	pf_expect "53 10.0.2.2" udp 127.0.0.1 "$up"
	hp2=$(pf_free_port tcp)
	api_expect "$(add_req tcp 127.0.0.1 "$hp2" "" 80)" '{"return":{"id":3}}'
	pf_expect "80 10.0.2.2" tcp 127.0.0.1 "$hp2"
	api_expect '{"execute":"remove_hostfwd","arguments":{"id":2}}' '{"return":{}}'
	api_expect '{"execute":"remove_hostfwd","arguments":{"id":3}}' '{"return":{}}'
	api_expect '{"execute":"list_hostfwd"}' '{"return":{"entries":[]}}'
	not_reachable "$hp2"
	usernet_stop_ok
}

@test "rules from -p and from the API are listed together, in order, with zero counters" {
	api_setup
	holder_start
	hp=$(pf_free_port tcp)
	usernet_start --configure --api-socket "$API" -p "127.0.0.1:$hp:8080" "$HOLDER_PID"
	hp2=$(pf_free_port tcp)
	api_expect "$(add_req tcp "" "$hp2" "" 81)" '{"return":{"id":2}}'
	api_expect '{"execute":"list_hostfwd"}' \
		"{\"return\":{\"entries\":[$(entry 1 tcp 127.0.0.1 "$hp" 10.0.2.100 8080),$zero_stats,$(entry 2 tcp 0.0.0.0 "$hp2" 10.0.2.100 81),$zero_stats]}}"
	usernet_stop_ok
}

@test "usernet port add, ls (table and -o json) and rm" {
	start_api
	pf_serve --tcp 80 --udp 5353,5354
	hp=$(pf_free_port tcp)
	up=$(pf_free_port udp 2)

	run as_user "$IT_USERNET" port add --api-socket "$API" "127.0.0.1:$hp:80"
	[[ $status == 0 && $output == 1 ]] || fail "port add: status $status" "$output"
	# a range is one rule per port, one ID per line
	run as_user "$IT_USERNET" port add --api-socket "$API" "127.0.0.1:$up-$((up + 1)):5353-5354/udp"
	[[ $status == 0 && $output == $'2\n3' ]] || fail "port add (range): status $status" "$output"
	pf_expect "80 10.0.2.2" tcp 127.0.0.1 "$hp"
	pf_expect "5353 10.0.2.2" udp 127.0.0.1 "$up"
	pf_expect "5354 10.0.2.2" udp 127.0.0.1 $((up + 1))

	run as_user "$IT_USERNET" port ls --api-socket "$API" -o json
	[[ $status == 0 ]] || fail "port ls -o json: status $status" "$output"
	run pf_json "[(e['id'], e['proto'], e['host_addr'], e['host_port'], e['guest_addr'], e['guest_port']) for e in d]" <<<"$output"
	[[ $output == "[(1, 'tcp', '127.0.0.1', $hp, '10.0.2.100', 80), (2, 'udp', '127.0.0.1', $up, '10.0.2.100', 5353), (3, 'udp', '127.0.0.1', $((up + 1)), '10.0.2.100', 5354)]" ]] ||
		fail "unexpected entries:" "$output"

	run as_user "$IT_USERNET" port ls --api-socket "$API"
	[[ $status == 0 ]] || fail "port ls: status $status" "$output"
	[[ ${lines[0]} == 'ID  PROTO  HOST '*' GUEST '*'ACTIVE  TOTAL  IN  '*'OUT' ]] || fail "unexpected header:" "$output"
	[[ ${#lines[@]} == 4 && ${lines[1]} == "1   tcp    127.0.0.1:$hp "*" 10.0.2.100:80 "* ]] ||
		fail "unexpected table:" "$output"

	run as_user "$IT_USERNET" port rm --api-socket "$API" 1 3
	[[ $status == 0 && -z $output ]] || fail "port rm: status $status" "$output"
	not_reachable "$hp"
	run as_user "$IT_USERNET" port ls --api-socket "$API" -o json
	run pf_json "[e['id'] for e in d]" <<<"$output"
	[[ $output == "[2]" ]] || fail "after rm 1 3, the rules are $output"
	pf_expect "5353 10.0.2.2" udp 127.0.0.1 "$up"

	run --separate-stderr as_user "$IT_USERNET" port rm --api-socket "$API" 99
	[[ $status != 0 && $stderr == *'no such rule id 99'* ]] || fail "port rm 99: status $status" "$stderr"
	usernet_stop_ok
}

@test "host_port 0 over the API: the reply gives the ephemeral port, which works and is listed" {
	start_api
	pf_serve --tcp 80,81

	api_raw "$(add_req tcp 127.0.0.1 0 "" 80)" >"$T/reply"
	[[ $(<"$T/reply") =~ ^\{\"return\":\{\"id\":1,\"host_port\":([0-9]+)\}\}$ ]] ||
		fail "unexpected reply: $(cat -A "$T/reply")"
	p=${BASH_REMATCH[1]}
	((p > 0 && p < 65536)) || fail "host port $p"
	pf_expect "80 10.0.2.2" tcp 127.0.0.1 "$p"
	run api_list
	[[ $output == "{\"return\":{\"entries\":[$(entry 1 tcp 127.0.0.1 "$p" 10.0.2.100 80),"* ]] ||
		fail "the rule is not listed with port $p:" "$output"

	# the same through usernet port: "ID PORT"
	run as_user "$IT_USERNET" port add --api-socket "$API" 127.0.0.1:0:81
	[[ $status == 0 && $output =~ ^2\ ([0-9]+)$ ]] || fail "port add 127.0.0.1:0:81: status $status" "$output"
	p2=${BASH_REMATCH[1]}
	[[ $p2 != "$p" ]] || fail "the same ephemeral port twice"
	pf_expect "81 10.0.2.2" tcp 127.0.0.1 "$p2"
	usernet_stop_ok
}

@test "per-rule counters in list_hostfwd move by exactly the bytes sent through an echo server" {
	start_api
	pf_serve --mode echo --tcp 7 --udp 7
	hp=$(pf_free_port tcp)
	up=$(pf_free_port udp)
	api_expect "$(add_req tcp 127.0.0.1 "$hp" "" 7)" '{"return":{"id":1}}'
	api_expect "$(add_req udp 127.0.0.1 "$up" "" 7)" '{"return":{"id":2}}'

	run pf_client echo 127.0.0.1 "$hp" --size 12345 --seed 1
	[[ $status == 0 && $output == ok ]] || fail "echo of 12345 bytes: status $status" "$output"
	wait_until 5 rule_stat_is 1 active 0 || fail "the connection is still active: $(api_list)"
	run api_list
	run pf_json "[e['stats'] for e in d['return']['entries']]" <<<"$output"
	[[ $output == "[{'active': 0, 'total': 1, 'bytes_to_guest': 12345, 'bytes_from_guest': 12345, 'refused': 0}, {'active': 0, 'total': 0, 'bytes_to_guest': 0, 'bytes_from_guest': 0, 'refused': 0}]" ]] ||
		fail "unexpected counters after one connection:" "$output"

	run pf_client echo 127.0.0.1 "$hp" --size 54321 --seed 2
	[[ $status == 0 && $output == ok ]] || fail "echo of 54321 bytes: status $status" "$output"
	wait_until 5 rule_stat_is 1 active 0 || fail "the connection is still active: $(api_list)"
	run api_list
	run pf_json "d['return']['entries'][0]['stats']" <<<"$output"
	[[ $output == "{'active': 0, 'total': 2, 'bytes_to_guest': 66666, 'bytes_from_guest': 66666, 'refused': 0}" ]] ||
		fail "unexpected counters after two connections:" "$output"

	# UDP: three datagrams of one flow (it stays open: flows expire after 60 s idle)
	run pf_client udpecho 127.0.0.1 "$up" --sizes 100,200,300
	[[ $status == 0 && $output == ok ]] || fail "UDP echo: status $status" "$output"
	run api_list
	run pf_json "d['return']['entries'][1]['stats']" <<<"$output"
	[[ $output == "{'active': 1, 'total': 1, 'bytes_to_guest': 600, 'bytes_from_guest': 600, 'refused': 0}" ]] ||
		fail "unexpected UDP counters:" "$output"

	# usernet port ls shows them
	run as_user "$IT_USERNET" port ls --api-socket "$API"
	[[ ${lines[1]} == *' 0 '*' 2 '*'65.1KiB  65.1KiB' ]] || fail "unexpected table:" "$output"
	usernet_stop_ok
}

# ---------------------------------------------------------------------------------------------- port in use

@test "a UDP host port in use at start: exit 5, 'already in use'" {
	holder_start
	up=$(pf_free_port udp)
	# held without SO_REUSEADDR (two sockets that both set it may share a UDP port)
	spawn "${AS_USER[@]}" python3 "$(pf_py_file)" bind udp 127.0.0.1 "$up"
	wait_until 5 listening udp "$up" || fail "the port holder did not bind"
	run_usernet attach --configure -p "127.0.0.1:$up:53/udp" "$HOLDER_PID"
	assert_error 5 'already in use' "$up/udp"
}

@test "a TCP range whose middle port is in use at start: exit 5, and nothing of the range is left listening" {
	holder_start
	hp=$(pf_free_port tcp 3)
	host_tcp_server 127.0.0.1 $((hp + 1)) busy
	run_usernet attach --configure -p "127.0.0.1:$hp-$((hp + 2)):80-82" "$HOLDER_PID"
	assert_error 5 'already in use' "$((hp + 1))/tcp"
	! listening tcp "$hp" || fail "port $hp listens after the failure"
	! listening tcp $((hp + 2)) || fail "port $((hp + 2)) listens after the failure"
}

@test "add_hostfwd on a host port in use: an error naming 'already in use', the rule list unchanged" {
	start_api
	pf_serve --tcp 80
	hp=$(pf_free_port tcp)
	api_expect "$(add_req tcp 127.0.0.1 "$hp" "" 80)" '{"return":{"id":1}}'
	base=$(pf_free_port tcp 3)
	busy=$((base + 1))
	host_tcp_server 127.0.0.1 "$busy" busy
	spawn "${AS_USER[@]}" python3 "$(pf_py_file)" bind udp 127.0.0.1 "$busy"
	wait_until 5 listening udp "$busy" || fail "the UDP port holder did not bind"
	before=$(api_list)

	api_expect "$(add_req tcp 127.0.0.1 "$busy" "" 80)" \
		"{\"error\":{\"desc\":\"bad request: add_hostfwd: cannot publish host port $busy/tcp: address 127.0.0.1:$busy is already in use\"}}"
	api_expect "$(add_req udp 127.0.0.1 "$busy" "" 80)" \
		"{\"error\":{\"desc\":\"bad request: add_hostfwd: cannot publish host port $busy/udp: address 127.0.0.1:$busy is already in use\"}}"
	# the same port as an existing rule
	run api_raw "$(add_req tcp 127.0.0.1 "$hp" "" 80)"
	[[ $output == '{"error":{"desc":"bad request: add_hostfwd: '*'already in use"}}' ]] || fail "re-adding rule 1's port:" "$output"
	[[ $(api_list) == "$before" ]] || fail "the rule list changed:" "before: $before" "after:  $(api_list)"

	# usernet port add of a range with a busy port: all or nothing
	run --separate-stderr as_user "$IT_USERNET" port add --api-socket "$API" "127.0.0.1:$base-$((base + 2)):80-82"
	[[ $status != 0 && $stderr == *'already in use'* ]] || fail "port add of a busy range: status $status" "$output" "$stderr"
	[[ $(api_list) == "$before" ]] || fail "the rule list changed:" "before: $before" "after:  $(api_list)"
	# and rule 1 still works
	pf_expect "80 10.0.2.2" tcp 127.0.0.1 "$hp"
	usernet_stop_ok
}

@test "nothing is left running (portfwd-api)" {
	assert_nothing_left
}
