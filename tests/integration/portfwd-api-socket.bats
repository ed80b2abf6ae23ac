#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# The API socket file: mode 0600 and owned by the user; a stale socket at the path is replaced (Podman never
# removes them), anything else is refused; a directory others may write to is refused; the file goes away
# when the helper exits.

load lib

# refused_at_start FRAGMENT...: after run_usernet, usernet exited non-zero (not by the timeout) with one error
# line containing every FRAGMENT
refused_at_start() {
	[[ $status != 0 && $status != 124 ]] || fail "exit status $status" "stdout: $output" "stderr: $stderr" || return
	assert_error "$status" "$@"
}

# sock_id PATH: "TYPE INODE" of PATH
sock_id() { stat -c '%F %i' "$1"; }

# stale_refuses: $API is a socket file that nothing listens on (connecting to it is refused)
stale_refuses() {
	[[ -S $API ]] || fail "$API is not a socket file" || return
	run api_list
	[[ $status != 0 && $stderr$output == *'Connection refused'* ]] || fail "the stale socket $API did not refuse:" "$output"
}

@test "the API socket is srw------- and owned by the user, even under umask 000" {
	api_setup
	holder_start
	umask 000
	usernet_start --configure --api-socket "$API" "$HOLDER_PID"
	umask 022
	run stat -c '%A %U %G' "$API"
	[[ $output == "srw------- $TEST_USER $TEST_USER" ]] || fail "the API socket is: $output"
	api_expect '{"execute":"list_hostfwd"}' '{"return":{"entries":[]}}'
	grep -qx "\* API socket: *$API" "$T/out" || fail "the summary does not name the API socket:" "$(cat "$T/out")"
	usernet_stop_ok
}

@test "a stale socket file at the path is replaced: one left by a program, one left by a killed usernet" {
	api_setup
	holder_start
	pf_client mksock "$API"
	stale_refuses
	usernet_start --configure --api-socket "$API" "$HOLDER_PID"
	api_expect '{"execute":"list_hostfwd"}' '{"return":{"entries":[]}}'

	# SIGKILL leaves the file behind: the next helper replaces it
	kill -KILL "$USERNET_PID"
	usernet_reap 5
	stale_refuses
	usernet_start --configure --api-socket "$API" "$HOLDER_PID"
	api_expect '{"execute":"list_hostfwd"}' '{"return":{"entries":[]}}'
	usernet_stop_ok
}

@test "a regular file at the API socket path: refused at start, the file left alone" {
	api_setup
	holder_start
	as_user sh -c 'echo precious >"$1"' _ "$API"
	run_usernet attach --configure --api-socket "$API" "$HOLDER_PID"
	refused_at_start "$API" 'not a socket'
	[[ $(<"$API") == precious ]] || fail "the file was changed"
}

@test "an API socket in a directory writable by others (0777, and 1777 like /tmp): refused at start" {
	holder_start
	for mode in 0777 1777; do
		install -d -m "$mode" "$T/open$mode"
		((IT_ROOT)) && chown "$TEST_USER:" "$T/open$mode"
		run_usernet attach --configure --api-socket "$T/open$mode/sock" "$HOLDER_PID"
		refused_at_start "$T/open$mode" 'writable by other users'
		[[ ! -e $T/open$mode/sock ]] || fail "a socket file was left in the $mode directory"
	done
}

@test "the API socket file is removed when usernet exits: SIGTERM, SIGINT, the target gone" {
	api_setup
	holder_start
	for sig in TERM INT; do
		usernet_start --configure --api-socket "$API" "$HOLDER_PID"
		[[ -S $API ]] || fail "no socket"
		usernet_stop "$sig"
		[[ $USERNET_STATUS == 0 ]] || fail "exit status $USERNET_STATUS after SIG$sig"
		[[ ! -e $API ]] || fail "the API socket is still there after SIG$sig"
	done
	usernet_start --configure --api-socket "$API" "$HOLDER_PID"
	stop_pid "$HOLDER_PID"
	usernet_reap 5
	[[ $USERNET_STATUS == 0 ]] || fail "exit status $USERNET_STATUS after the target went away"
	[[ ! -e $API ]] || fail "the API socket is still there after the target went away"
}

@test "a socket file that another program put at the path meanwhile is not removed at exit" {
	api_setup
	holder_start
	usernet_start --configure --api-socket "$API" "$HOLDER_PID"
	rm -f "$API"
	pf_client mksock "$API"
	other=$(sock_id "$API")
	usernet_stop_ok
	[[ -S $API && $(sock_id "$API") == "$other" ]] || fail "the other program's socket file was removed"
}

@test "nothing is left running (portfwd-api-socket)" {
	assert_nothing_left
}
