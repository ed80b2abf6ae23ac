#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# The API socket file: mode 0600 and owned by the user; a stale socket of the user's at the path is replaced
# (Podman never removes them), anything else is refused (another user's file, socket or link: untouched, never
# connected to, also by `usernet port`); a directory another user owns or may write to is refused unless it is
# sticky and root's (like /tmp) or the user's; the file goes away when the helper exits.

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

# other_dir MODE: $T/otherMODE, owned by the other user
other_dir() {
	install -d -m "$1" -o "$OTHER_USER" -g "$OTHER_USER" "$T/other$1"
}

@test "directories another user owns or may write to: refused at start (0755/0777/1777 of another user, 0777/0770 not sticky)" {
	need_root "directories of another user"
	holder_start
	# the user's own, writable by others (a group the other user is in, or the world) and not sticky
	for mode in 0770 0777; do
		install -d -m "$mode" -o "$TEST_USER" -g "$OTHER_USER" "$T/open$mode"
		run_usernet attach --configure --api-socket "$T/open$mode/sock" "$HOLDER_PID"
		refused_at_start "$T/open$mode" 'writable by other users' 'not sticky'
		[[ ! -e $T/open$mode/sock ]] || fail "a socket file was left in the $mode directory"
	done
	# another user's (1777 of theirs: they may remove or rename any file in it)
	for mode in 1777 0777 0755; do
		other_dir "$mode"
		run_usernet attach --configure --api-socket "$T/other$mode/sock" "$HOLDER_PID"
		refused_at_start "refusing to create the API socket in $T/other$mode: the directory belongs to another user (uid $(id -u "$OTHER_USER"))"
		[[ -z $(ls -A "$T/other$mode") ]] || fail "a file was left in the $mode directory: $(ls -lA "$T/other$mode")"
	done
}

# tmp_dir: $T/tmp, a sticky directory of root's that everybody may write to, like /tmp
tmp_dir() {
	need_root "a shared sticky directory of root's" || return
	install -d -m 1777 -o root -g root "$T/tmp"
	API=$T/tmp/usernet.sock
}

@test "a sticky directory of root's, like /tmp, is accepted (also a sticky one of the user's); the socket is ours, 0600" {
	tmp_dir || return
	holder_start
	usernet_start --configure --api-socket "$API" "$HOLDER_PID"
	[[ $(stat -c '%A %U' "$API") == "srw------- $TEST_USER" ]] || fail "the API socket is: $(stat -c '%A %U' "$API")"
	api_expect '{"execute":"list_hostfwd"}' '{"return":{"entries":[]}}'
	usernet_stop_ok
	[[ ! -e $API ]] || fail "the socket was left behind"
	install -d -m 1777 -o "$TEST_USER" "$T/mine"
	API=$T/mine/sock
	usernet_start --configure --api-socket "$API" "$HOLDER_PID"
	api_expect '{"execute":"list_hostfwd"}' '{"return":{"entries":[]}}'
	usernet_stop_ok
}

# squatter_listen PATH: as the other user, a UNIX socket listening at PATH that logs every connection and what it
# receives to $T/squat.log
squatter_listen() {
	install -m 0666 /dev/null "$T/squat.log"
	spawn "${AS_OTHER[@]}" python3 -c '
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1]); os.chmod(sys.argv[1], 0o777); s.listen()
while True:
    c, _ = s.accept()
    with open(sys.argv[2], "a") as f:
        f.write("connected\n"); f.flush()
        c.settimeout(2)
        try:
            f.write("got %r\n" % c.recv(4096))
        except OSError:
            pass
    c.close()' "$1" "$T/squat.log"
	wait_until 5 test -S "$1" || fail "the squatter did not start:" "$(cat "$T/bg.log")"
}

@test "in a sticky directory, another user's file, socket or symbolic link at the path: a clear error, left untouched, never connected to" {
	tmp_dir || return
	holder_start
	# a regular file
	as_other sh -c 'echo theirs >"$1"' _ "$API"
	run_usernet attach --configure --api-socket "$API" "$HOLDER_PID"
	refused_at_start "refusing to use $API as the API socket: a file of another user (uid $(id -u "$OTHER_USER"))"
	[[ $(<"$API") == theirs ]] || fail "the file was changed"
	rm -f "$API"
	# a symbolic link (to a path the user could create)
	as_other ln -s "$T/tmp/elsewhere" "$API"
	run_usernet attach --configure --api-socket "$API" "$HOLDER_PID"
	refused_at_start "refusing to use $API as the API socket: a symbolic link of another user"
	[[ -L $API && ! -e $T/tmp/elsewhere ]] || fail "the link was followed or replaced: $(ls -l "$T/tmp")"
	rm -f "$API"
	# a live socket: the helper neither removes nor connects to it
	squatter_listen "$API"
	before=$(sock_id "$API")
	run_usernet attach --configure --api-socket "$API" "$HOLDER_PID"
	refused_at_start "refusing to use $API as the API socket: a socket of another user"
	[[ $(sock_id "$API") == "$before" ]] || fail "the squatter's socket was replaced"
	# nor does a client of usernet's talk to it: it does not even connect
	run --separate-stderr as_user "$IT_USERNET" port ls --api-socket "$API"
	[[ $status != 0 && $stderr == *"refusing to talk to the API socket $API: it is served by another user"* ]] ||
		fail "usernet port ls: status $status" "$output" "$stderr"
	sleep 0.5
	[[ ! -s $T/squat.log ]] || fail "the squatter was connected to:" "$(cat "$T/squat.log")"
}

@test "in a sticky directory, a stale socket of the user's own is replaced" {
	tmp_dir || return
	holder_start
	pf_client mksock "$API"
	stale_refuses
	usernet_start --configure --api-socket "$API" "$HOLDER_PID"
	api_expect '{"execute":"list_hostfwd"}' '{"return":{"entries":[]}}'
	usernet_stop_ok
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
