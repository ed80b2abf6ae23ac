#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# The API socket's answers to bad requests: each gets {"error":{"desc":"bad request: ..."}} (slirp4netns's
# shape and, where it has one, its wording) and changes nothing; requests over 4096 bytes are refused; a
# client that sends nothing does not hold up the others.

load lib

# start_api: a holder, usernet with --api-socket $API and one rule (so that the list is not trivially empty)
start_api() {
	api_setup
	holder_start
	HP=$(pf_free_port tcp)
	usernet_start --configure --api-socket "$API" -p "127.0.0.1:$HP:80" "$HOLDER_PID"
	BEFORE=$(api_list)
	[[ $BEFORE == '{"return":{"entries":[{"id":1,'* ]] || fail "unexpected list: $BEFORE"
}

# bad REQUEST DESC: the reply to REQUEST is exactly {"error":{"desc":"bad request: DESC"}}
bad() {
	api_expect "$1" "{\"error\":{\"desc\":\"bad request: $2\"}}"
}

# list_unchanged: the rule list is byte for byte what it was at start
list_unchanged() {
	local now
	now=$(api_list)
	[[ $now == "$BEFORE" ]] || fail "the rule list changed:" "before: $BEFORE" "after:  $now"
}

@test "garbage, non-objects, no or unknown execute: the error of each, and the rule list unchanged" {
	start_api
	bad 'hello' 'cannot parse JSON'
	bad '{"execute":"list_hostfwd"' 'cannot parse JSON'
	bad '{"execute":"list_hostfwd"} trailing' 'cannot parse JSON'
	bad $'\x01\x02\xff\xfe' 'cannot parse JSON'
	bad '' 'cannot parse JSON'
	bad '[1,2,3]' 'not a JSON object'
	bad '"list_hostfwd"' 'not a JSON object'
	bad '42' 'not a JSON object'
	bad '{}' 'no execute found'
	bad '{"execute":42}' 'no execute found'
	bad '{"execute":null}' 'no execute found'
	bad '{"Execute":"list_hostfwd"}' 'no execute found'
	bad '{"execute":"reboot"}' 'unknown execute'
	bad '{"execute":"LIST_HOSTFWD"}' 'unknown execute'
	bad '{"execute":"add_hostfwd","arguments":[]}' 'add_hostfwd: bad arguments'
	bad '{"execute":"remove_hostfwd","arguments":"1"}' 'remove_hostfwd: bad arguments'
	list_unchanged
	# the helper is still serving its rule
	pf_serve --tcp 80
	pf_expect "80 10.0.2.2" tcp 127.0.0.1 "$HP"
	usernet_stop_ok
}

@test "add_hostfwd with missing or invalid arguments: the error names the argument; nothing is added" {
	start_api
	p=$(pf_free_port tcp)
	# add ARGS-JSON-MEMBERS DESC
	add() { bad "{\"execute\":\"add_hostfwd\",\"arguments\":{$1}}" "add_hostfwd: bad arguments.$2"; }
	ok_g='"guest_port":80'
	bad '{"execute":"add_hostfwd"}' 'add_hostfwd: bad arguments.proto'
	add "\"host_port\":$p,$ok_g" proto
	add "\"proto\":\"sctp\",\"host_port\":$p,$ok_g" proto
	add "\"proto\":\"TCP6\",\"host_port\":$p,$ok_g" proto
	add "\"proto\":6,\"host_port\":$p,$ok_g" proto
	add "\"proto\":\"tcp\",$ok_g" host_port
	add "\"proto\":\"tcp\",\"host_port\":\"$p\",$ok_g" host_port
	add "\"proto\":\"tcp\",\"host_port\":70000,$ok_g" host_port
	add "\"proto\":\"tcp\",\"host_port\":65536,$ok_g" host_port
	add "\"proto\":\"tcp\",\"host_port\":-1,$ok_g" host_port
	add "\"proto\":\"tcp\",\"host_port\":80.5,$ok_g" host_port
	add "\"proto\":\"tcp\",\"host_port\":true,$ok_g" host_port
	add "\"proto\":\"tcp\",\"host_port\":$p" guest_port
	add "\"proto\":\"tcp\",\"host_port\":$p,\"guest_port\":0" guest_port
	add "\"proto\":\"tcp\",\"host_port\":$p,\"guest_port\":70000" guest_port
	add "\"proto\":\"tcp\",\"host_port\":$p,\"guest_port\":\"80\"" guest_port
	add "\"proto\":\"tcp\",\"host_addr\":\"300.1.2.3\",\"host_port\":$p,$ok_g" host_addr
	add "\"proto\":\"tcp\",\"host_addr\":\"localhost\",\"host_port\":$p,$ok_g" host_addr
	add "\"proto\":\"tcp\",\"host_addr\":127,\"host_port\":$p,$ok_g" host_addr
	add "\"proto\":\"tcp\",\"host_port\":$p,\"guest_addr\":\"nope\",$ok_g" guest_addr
	add "\"proto\":\"tcp\",\"host_port\":$p,\"guest_addr\":\"10.0.2.256\",$ok_g" guest_addr
	list_unchanged
	! listening tcp "$p" || fail "port $p listens after refused requests"
	usernet_stop_ok
}

@test "remove_hostfwd with a missing, invalid or unknown id: an error; nothing is removed" {
	start_api
	bad '{"execute":"remove_hostfwd"}' 'remove_hostfwd: bad arguments.id'
	bad '{"execute":"remove_hostfwd","arguments":{}}' 'remove_hostfwd: bad arguments.id'
	bad '{"execute":"remove_hostfwd","arguments":{"id":"1"}}' 'remove_hostfwd: bad arguments.id'
	bad '{"execute":"remove_hostfwd","arguments":{"id":0}}' 'remove_hostfwd: bad arguments.id'
	bad '{"execute":"remove_hostfwd","arguments":{"id":-1}}' 'remove_hostfwd: bad arguments.id'
	bad '{"execute":"remove_hostfwd","arguments":{"id":1.0}}' 'remove_hostfwd: bad arguments.id'
	bad '{"execute":"remove_hostfwd","arguments":{"id":99}}' 'remove_hostfwd: no such rule id 99'
	list_unchanged
	usernet_stop_ok
}

@test "a 5000-byte request: 'too large message'; 4097 bytes too; a 4096-byte request is served" {
	start_api
	# valid JSON, padded with spaces inside the object
	pad() { printf '{"execute":"list_hostfwd"%*s}' $(($1 - 26)) ''; }
	[[ $(pad 5000 | wc -c) == 5000 ]] || fail "the padded request is not 5000 bytes"
	bad "$(pad 5000)" 'too large message'
	bad "$(pad 4097)" 'too large message'
	# 5000 bytes of garbage, and of an add_hostfwd that would be valid but for its size
	bad "$(head -c 5000 /dev/zero | tr '\0' x)" 'too large message'
	big_add="{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"tcp\",\"host_port\":$(pf_free_port tcp),\"guest_port\":80,\"x\":\"$(head -c 5000 /dev/zero | tr '\0' y)\"}}"
	bad "$big_add" 'too large message'
	list_unchanged
	api_expect "$(pad 4096)" "$BEFORE"
	usernet_stop_ok
}

@test "a client that connects and sends nothing (or half a request) does not block a second client" {
	start_api
	spawn "${AS_USER[@]}" python3 "$(pf_py_file)" stall "$API" --seconds 60
	spawn "${AS_USER[@]}" python3 "$(pf_py_file)" stall "$API" --send '{"execute":"list_' --seconds 60
	connected() { (($(grep -c '^connected' "$T/bg.log" 2>/dev/null) >= 2)); }
	wait_until 5 connected ||
		fail "the stalled clients did not connect:" "$(cat "$T/bg.log")"
	# while they hold their connections, other requests are answered at once
	for i in 1 2 3; do
		run as_user timeout -k 1 3 sh -c 'printf "%s" "{\"execute\":\"list_hostfwd\"}" | socat -t 2 - "UNIX-CONNECT:$1"' _ "$API"
		[[ $status == 0 && $output == "$BEFORE" ]] || fail "request $i while a client stalls: status $status" "$output"
	done
	p=$(pf_free_port tcp)
	run as_user timeout -k 1 3 "$IT_USERNET" port add --api-socket "$API" "127.0.0.1:$p:81"
	[[ $status == 0 && $output == 2 ]] || fail "usernet port add while a client stalls: status $status" "$output"
	usernet_stop_ok
}

@test "nothing is left running (portfwd-api-errors)" {
	assert_nothing_left
}
