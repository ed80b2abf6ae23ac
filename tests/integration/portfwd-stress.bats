#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# Many connections through one published port: 1000 at once with no error and no fd left behind in the
# helper; thousands of short ones that end on both sides at once; and --port-max-conns, the bound of open
# connections per rule.

load lib

# start_echo USERNET-ARGS...: a holder, usernet with --api-socket $API, -p 127.0.0.1:HP:7 and USERNET-ARGS,
# an echo server on port 7 inside; fd limits raised (as root) for the helper, the server and the clients
start_echo() {
	nofile_raise
	api_setup
	holder_start
	HP=$(pf_free_port tcp)
	USERNET_PREFIX=("${NOFILE[@]}")
	usernet_start --configure --api-socket "$API" -p "127.0.0.1:$HP:7" "$@" "$HOLDER_PID"
	USERNET_PREFIX=()
	pf_serve --mode echo --tcp 7
}

# settled_fds COUNT: the helper has at most COUNT fds open
settled_fds() { (($(fd_count "$USERNET_PID") <= $1)); }

@test "1000 concurrent connections through one rule: every echo intact, no error, no fd left in the helper" {
	start_echo
	grep -q "^Max open files *\([0-9]\+\|unlimited\)" "/proc/$USERNET_PID/limits" || fail "cannot read the limits"
	echo "# helper: $(grep '^Max open files' "/proc/$USERNET_PID/limits" | xargs)" >&3
	# a first connection, so that whatever is set up once is there before counting
	run pf_client echo 127.0.0.1 "$HP" --size 100
	[[ $output == ok ]] || fail "the first echo failed: $output"
	wait_until 5 rule_stat_is 1 active 0 || fail "the first connection stays open: $(api_list)"
	sleep 1
	before=$(fd_count "$USERNET_PID")

	PF_NS=("${NOFILE[@]}")
	PF_CLIENT_TIMEOUT=180 run --separate-stderr pf_client stress 127.0.0.1 "$HP" --conns 1000 --api "$API" --timeout 60
	PF_NS=()
	echo "# $output" >&3
	[[ $status == 0 ]] || fail "the client failed: status $status" "$output" "$stderr" "$(usernet_show 2>&1)"
	run pf_json "(d['opened'], d['echoed'], d['error_count'], d['active_at_peak'])" <<<"$output"
	[[ $output == "(1000, 1000, 0, 1000)" ]] || fail "opened, echoed, errors, active at the peak: $output"

	wait_until 10 rule_stat_is 1 active 0 || fail "connections stay open: $(api_list)"
	[[ $(rule_stat 1 total) == 1001 ]] || fail "unexpected total: $(api_list)"
	[[ $(rule_stat 1 refused) == 0 ]] || fail "refused connections: $(api_list)"
	wait_until 10 settled_fds "$before" ||
		fail "the helper had $before fds before, $(fd_count "$USERNET_PID") after:" "$(ls -l "/proc/$USERNET_PID/fd")"
	echo "# helper fds: $before before, $(fd_count "$USERNET_PID") after" >&3
	# no warning either
	! grep -i 'warn\|error' "$T/err" | grep -v 'is accessible as' || fail "warnings:" "$(cat "$T/err")"
	# and it still works
	run pf_client echo 127.0.0.1 "$HP" --size 100
	[[ $output == ok ]] || fail "an echo after the 1000 failed: $output"
	usernet_stop_ok
}

@test "2000 short connections, 20 at a time, where client and server end their sides at once: every reply arrives" {
	start_echo
	pf_serve --tcp 80
	api_expect "{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"tcp\",\"host_addr\":\"127.0.0.1\",\"host_port\":$(pf_free_port tcp),\"guest_port\":80}}" \
		'{"return":{"id":2}}'
	p=$(api_list | pf_json "d['return']['entries'][1]['host_port']")
	# the client shuts down its side as soon as it is connected; the server sends "80 10.0.2.100" and closes:
	# both sockets of a forwarded connection often become ready in the same epoll batch
	PF_CLIENT_TIMEOUT=300 run --separate-stderr pf_client churn 127.0.0.1 "$p" --conns 2000 --n 20 \
		--expect "80 10.0.2.2" --timeout 30
	echo "# $output" >&3
	alive "$USERNET_PID" || {
		usernet_show
		fail "usernet died during the connections"
	}
	[[ $status == 0 ]] || fail "the client failed: status $status" "$output" "$stderr"
	[[ $(pf_json "(d['done'], d['error_count'])" <<<"$output") == "(2000, 0)" ]] || fail "done, errors: $output"
	wait_until 10 rule_stat_is 2 active 0 || fail "connections stay open: $(api_list)"
	[[ $(rule_stat 2 total) == 2000 ]] || fail "unexpected total: $(api_list)"
	usernet_stop_ok
}

@test "--port-max-conns 5: the 6th concurrent connection is refused at once, with a warning; later ones work" {
	start_echo --port-max-conns 5
	run --separate-stderr pf_client maxconns 127.0.0.1 "$HP" --n 5 --timeout 5
	[[ $status == 0 ]] || fail "the client failed: status $status" "$output" "$stderr"
	[[ ${lines[0]} == 'held 5' ]] || fail "5 connections could not be held open:" "$output"
	[[ ${lines[1]} == 'extra reset' || ${lines[1]} == 'extra eof' ]] || fail "the 6th connection was not refused:" "$output"
	[[ ${lines[2]} == 'after close ok' ]] || fail "no connection was possible after closing one:" "$output"
	grep -q 'connections open' "$T/err" || fail "no warning on stderr:" "$(cat "$T/err")"
	grep 'connections open' "$T/err" | sed 's/^/# /' >&3
	[[ $(rule_stat 1 refused) -ge 1 ]] || fail "no refusal counted: $(api_list)"
	wait_until 10 rule_stat_is 1 active 0 || fail "connections stay open: $(api_list)"
	usernet_stop_ok
}

@test "nothing is left running (portfwd-stress)" {
	assert_nothing_left
}
