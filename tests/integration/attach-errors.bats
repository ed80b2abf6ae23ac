#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# usernet attach: bad inputs, each with its exit code (README, "Exit codes") and its one-line error message

load lib

# ---------------------------------------------------------------------------------------------- 3: target

@test "unknown PID 999999999: exit 3, 'no process with PID'" {
	run_usernet attach 999999999
	assert_error 3 'no process with PID'
}

@test "a reaped PID: exit 3, 'no process with PID'" {
	for i in 1 2 3; do
		as_user true &
		pid=$!
		wait "$pid"
		[[ -e /proc/$pid ]] || break # (else it was reused at once: try again)
	done
	run_usernet attach "$pid"
	assert_error 3 'no process with PID'
}

@test "a network namespace owned by root: exit 3, permission denied to join the namespace" {
	need_root "root makes the namespace"
	spawn unshare -n sleep 300
	rootns=$SPAWNED
	wait_until 5 holder_ready "$rootns" || fail "root's namespace holder did not start"
	run_usernet attach "$rootns"
	assert_error 3 namespace
	[[ $stderr == *'Operation not permitted'* || $stderr == *'Permission denied'* ]] ||
		fail "the error names neither EPERM nor EACCES:" "$stderr"
}

@test "--netns-type=path on a missing file: exit 3" {
	run_usernet attach --netns-type=path "$T/no-such-netns"
	assert_error 3 "$T/no-such-netns"
}

# ---------------------------------------------------------------------------------------------- 4: tap

@test "/dev/net/tun missing: exit 4, '/dev/net/tun does not exist'" {
	# an empty tmpfs on /dev/net, in a user+mount namespace of the user's own (see SESSION_SH in lib.bash)
	run_usernet_session 'mount -t tmpfs tmpfs /dev/net' --configure
	assert_error 4 '/dev/net/tun does not exist'
}

@test "/dev/net/tun not accessible: exit 4, 'Permission denied (distributions ship it with mode 0666'" {
	need_root "the file over /dev/net/tun must belong to root"
	# a root-owned mode-0600 file over /dev/net/tun: root in the user's namespace has no rights on it, since
	# its owner (the real root) is not mapped there
	install -m 0600 /dev/null "$T/tun-0600"
	run_usernet_session "mount --bind $T/tun-0600 /dev/net/tun" --configure
	assert_error 4 'Permission denied (distributions ship it with mode 0666'
}

@test "tap busy: a second helper on the same namespace and tap: exit 4, 'is busy'" {
	holder_start
	usernet_start --configure "$HOLDER_PID" tap0
	run_usernet attach "$HOLDER_PID" tap0
	assert_error 4 'is busy'
	alive "$USERNET_PID" || fail "the first helper died"
}

# ---------------------------------------------------------------------------------------------- 2: usage

# usage_error OPTION ARGS...: `usernet attach ARGS... HOLDER` exits 2 with an error line naming OPTION
usage_error() {
	local opt=$1
	shift
	holder_start
	run_usernet attach "$@" "$HOLDER_PID"
	assert_error 2 "$opt"
}

@test "--cidr 10.0.2.0/33: exit 2" { usage_error --cidr --cidr 10.0.2.0/33; }
@test "--cidr foo: exit 2" { usage_error --cidr --cidr foo; }
@test "--cidr 10.0.2.5/24 (host bits set): exit 2" { usage_error --cidr --cidr 10.0.2.5/24; }
@test "--cidr 10.0.0.0/26 (longer than /25): exit 2" { usage_error --cidr --cidr 10.0.0.0/26; }
@test "--mtu 67: exit 2" { usage_error --mtu --mtu 67; }
@test "--mtu 65522: exit 2" { usage_error --mtu --mtu 65522; }
@test "--mtu abc: exit 2" { usage_error --mtu --mtu abc; }
@test "--mtu 1279 with -6: exit 2" { usage_error --mtu -6 --mtu 1279; }
@test "-p 70000:80: exit 2" { usage_error --publish -p 70000:80; }
@test "-p 80-81 (a free host port for a range): exit 2" { usage_error --publish -p 80-81; }
@test "-p abc:80: exit 2" { usage_error --publish -p abc:80; }
@test "-p 8080:80/sctp: exit 2" { usage_error --publish -p 8080:80/sctp; }
@test "-p [::1:8080:80: exit 2" { usage_error --publish -p '[::1:8080:80'; }
@test "--netns-type=bogus: exit 2" { usage_error --netns-type --netns-type=bogus; }

@test "an unknown option: exit 2" {
	holder_start
	run_usernet attach --no-such-option "$HOLDER_PID"
	[[ $status == 2 ]] || fail "exit status $status" "$stderr"
	[[ $stderr == *--no-such-option* ]] || fail "stderr does not name the option:" "$stderr"
}

@test "no target: exit 2" {
	run_usernet attach
	[[ $status == 2 ]] || fail "exit status $status" "$stderr"
}

@test "an unknown command: exit 2" {
	run_usernet no-such-command
	[[ $status == 2 ]] || fail "exit status $status" "$stderr"
}

# ---------------------------------------------------------------------------------------------- 5: publish

@test "a host port in use: exit 5, 'already in use'" {
	holder_start
	port=$(free_port tcp)
	host_tcp_server 127.0.0.1 "$port" busy
	run_usernet attach --configure -p "127.0.0.1:$port:80" "$HOLDER_PID"
	assert_error 5 'already in use' "$port"
}

# privileged_port_error: after run_usernet with -p 80:80 where the sysctl is 1024
privileged_port_error() {
	assert_error 5 net.ipv4.ip_unprivileged_port_start 1024 \
		'sysctl -w net.ipv4.ip_unprivileged_port_start=80' CAP_NET_BIND_SERVICE
}

@test "a host port below ip_unprivileged_port_start (-p 80:80 as the user): exit 5, both remedies named" {
	holder_start
	if ((IT_ROOT)); then
		# a "host" network namespace of root's own, whose sysctl is 1024: the real host's may differ
		root_netns_start
		nsenter -t "$ROOT_NS_PID" -n sysctl -qw net.ipv4.ip_unprivileged_port_start=1024
		USERNET_PREFIX=(nsenter -t "$ROOT_NS_PID" -n --)
	elif [[ $(</proc/sys/net/ipv4/ip_unprivileged_port_start) != 1024 ]]; then
		skip_unless_ci "the host's net.ipv4.ip_unprivileged_port_start is not 1024 (and the runner is not root)"
		return
	fi
	run_usernet attach --configure -p 80:80 "$HOLDER_PID"
	privileged_port_error
}

@test "nothing is left running (attach-errors)" {
	assert_nothing_left
}
