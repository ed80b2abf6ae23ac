#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# TCP stream semantics through a published port (our splice forwarder): half-close both ways, resets both
# ways, and slow readers on either side with 20 MB transfers checked by size and sha256.

load lib

# start_stream SERVE-ARGS...: a holder, usernet with --api-socket $API and -p 127.0.0.1:HP:80, and
# `pf.py serve --tcp 80 SERVE-ARGS...` inside
start_stream() {
	api_setup
	holder_start
	HP=$(pf_free_port tcp)
	usernet_start --configure --api-socket "$API" -p "127.0.0.1:$HP:80" "$HOLDER_PID"
	pf_serve --tcp 80 "$@"
}

# no_active_connection: within 5 s the rule has no open connection left
no_active_connection() {
	wait_until 5 rule_stat_is 1 active 0 || fail "the rule still has open connections: $(api_list)"
}

# client_ok OUTPUT-PREFIX CLIENT-ARGS...: a pf.py client exits 0 with output starting with OUTPUT-PREFIX
client_ok() {
	local want=$1
	shift
	run --separate-stderr pf_client "$@"
	[[ $status == 0 && $output == "$want"* ]] && return
	usernet_show
	fail "pf.py $*: status $status" "stdout: $output" "stderr: $stderr" "--- server:" "$(cat "$T/bg.log")"
}

@test "half-close: the client ends its side after 1 MiB and still receives the server's 8 MiB reply" {
	start_stream --mode eofreply --size $((8 << 20)) --seed 3
	# the server reads to EOF, then says how much it got (with its sha256) and sends 8 MiB
	client_ok ok halfclose 127.0.0.1 "$HP" --send-size $((1 << 20)) --size $((8 << 20)) --seed 3
	# and a client that sends nothing at all before ending its side
	client_ok ok halfclose 127.0.0.1 "$HP" --send-size 0 --size $((8 << 20)) --seed 3
	no_active_connection
	usernet_stop_ok
}

@test "half-close the other way: the server ends its side first and still receives the client's 8 MiB" {
	start_stream --mode shutfirst --size 100000 --seed 4 --log "$T/server.log"
	client_ok "ok $((8 << 20)) " shutfirst 127.0.0.1 "$HP" --size 100000 --send-size $((8 << 20)) --seed 4
	sent=$(awk '{ print $2, $3 }' <<<"$output")
	wait_until 5 test -s "$T/server.log" || fail "the server did not log what it received"
	[[ $(<"$T/server.log") == "$sent" ]] || fail "the server received '$(<"$T/server.log")', the client sent '$sent'"
	no_active_connection
	usernet_stop_ok
}

@test "a client that resets (SO_LINGER 0) resets the server's side; nothing stays open; the rule still works" {
	start_stream --mode watch --log "$T/server.log"
	for i in 1 2 3; do
		client_ok 'reset sent' reset 127.0.0.1 "$HP"
	done
	got3() { [[ $(wc -l <"$T/server.log" 2>/dev/null) == 3 ]]; }
	wait_until 5 got3 || fail "the server did not see the end of 3 connections:" "$(cat "$T/server.log" 2>&1)"
	echo "# the server saw: $(sort "$T/server.log" | uniq -c | xargs)" >&3
	run grep -cvE '^(reset|eof)$' "$T/server.log"
	[[ $output == 0 ]] || fail "the server saw something else than a reset or EOF:" "$(cat "$T/server.log")"
	no_active_connection
	[[ $(rule_stat 1 total) == 3 ]] || fail "unexpected total: $(api_list)"
	client_ok 'reset sent' reset 127.0.0.1 "$HP"
	usernet_stop_ok
}

@test "a server that resets after 64 KiB: the client sees a reset, not a clean end of file" {
	start_stream --mode rst --size 65536
	for i in 1 2 3; do
		client_ok 'reset ' readreset 127.0.0.1 "$HP"
	done
	no_active_connection
	usernet_stop_ok
}

@test "slow reader: 20 MB from the server to a client reading 16 KiB at a time arrive complete (sha256)" {
	start_stream --mode send --size 20971520 --seed 5
	PF_CLIENT_TIMEOUT=300 client_ok "ok 20971520 " slowread 127.0.0.1 "$HP" --size 20971520 --seed 5 --timeout 60
	no_active_connection
	[[ $(rule_stat 1 bytes_from_guest) == 20971520 ]] || fail "unexpected counters: $(api_list)"
	usernet_stop_ok
}

@test "slow reader inside: 20 MB uploaded to a server reading 16 KiB at a time arrive complete (sha256)" {
	start_stream --mode slowsink
	PF_CLIENT_TIMEOUT=300 client_ok "ok 20971520 " upload 127.0.0.1 "$HP" --size 20971520 --seed 6 --timeout 60
	no_active_connection
	[[ $(rule_stat 1 bytes_to_guest) == 20971520 ]] || fail "unexpected counters: $(api_list)"
	usernet_stop_ok
}

@test "nothing is left running (portfwd-stream)" {
	assert_nothing_left
}
