#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# usernet run: the sandbox it makes (capabilities, no_new_privs, seccomp, id maps, sysctls, network, DNS,
# published ports), exit statuses and signals, what is left after it (nothing), --display, bad command lines

load lib

# Podman's default capability set: CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, NET_BIND_SERVICE, SETFCAP,
# SETGID, SETPCAP, SETUID, SYS_CHROOT
DEFAULT_CAPS=00000000800405fb
NONE=0000000000000000

# The inside's view of the host is the initial namespaces': compare with the runner's
host_netns() { readlink /proc/self/ns/net; }

# BIND80: a Python probe run inside: prints the uid, the namespace's ip_unprivileged_port_start, then
# "listening" if it could bind and listen on port 80 (and connect to it), else the errno's name (EACCES)
BIND80='import errno, os, socket
print(os.getuid())
print(open("/proc/sys/net/ipv4/ip_unprivileged_port_start").read().strip())
s = socket.socket()
try:
    s.bind(("0.0.0.0", 80))
    s.listen()
    socket.create_connection(("127.0.0.1", 80), timeout=10).close()
    print("listening")
except OSError as e:
    print(errno.errorcode.get(e.errno, e.errno))'

# try-syscall probes (tests/try-syscall.c) whose arguments make the kernel fail with something other than
# EPERM, or succeed, without a filter: EPERM then comes from the default profile. clone3 gets ENOSYS from it.
DENIED='bpf perf_event_open userfaultfd io_uring_setup io_uring_enter io_uring_register keyctl add_key
	request_key ptrace:attach ptrace:seize process_vm_readv process_vm_writev pidfd_getfd setns unshare:newuser
	clone:newuser open_by_handle_at ioctl:tiocsti ioctl:tioclinux settimeofday clock_settime clock_adjtime:other
	quotactl quotactl_fd personality:no-randomize swapon'
# ...and calls, or variants, that the profile lets through: the same answer with and without it
ALLOWED='getpid unshare:0 clone:plain ptrace:traceme ioctl:fionread personality:query adjtimex
	clock_adjtime:realtime kcmp'

# ---------------------------------------------------------------------------------------------- capabilities

@test "default: bounding, permitted, effective, inheritable = Podman's set ($DEFAULT_CAPS), ambient 0, uid 0" {
	run_sandbox -- sh -c 'id -u; cat /proc/self/status'
	[[ $status == 0 ]] || fail "status $status" "$stderr"
	[[ ${lines[0]} == 0 ]] || fail "id -u inside: ${lines[0]}"
	run_expect_caps "$DEFAULT_CAPS" "$NONE"
}

@test "--cap-drop ALL: every set is empty" {
	run_sandbox --cap-drop ALL -- cat /proc/self/status
	[[ $status == 0 ]] || fail "status $status" "$stderr"
	run_expect_caps "$NONE" "$NONE"
}

@test "--cap-add NET_ADMIN: the default set plus bit 12" {
	run_sandbox --cap-add NET_ADMIN -- cat /proc/self/status
	[[ $status == 0 ]] || fail "status $status" "$stderr"
	run_expect_caps 00000000800415fb "$NONE"
}

@test "capability names: any case, with or without CAP_ (--cap-add cap_net_raw --cap-drop kill, CAP_Net_Admin)" {
	run_sandbox --cap-add cap_net_raw --cap-drop kill -- cat /proc/self/status
	[[ $status == 0 ]] || fail "status $status" "$stderr"
	# + NET_RAW (13), - KILL (5)
	run_expect_caps "$(printf '%016x' $(((0x$DEFAULT_CAPS | 1 << 13) & ~(1 << 5))))" "$NONE"

	run_sandbox --cap-add CAP_Net_Admin --cap-drop Cap_Chown -- cat /proc/self/status
	[[ $status == 0 ]] || fail "status $status" "$stderr"
	run_expect_caps "$(printf '%016x' $(((0x$DEFAULT_CAPS | 1 << 12) & ~1)))" "$NONE"
}

@test "--cap-drop ALL --cap-add NET_BIND_SERVICE: only bit 10" {
	run_sandbox --cap-drop ALL --cap-add NET_BIND_SERVICE -- cat /proc/self/status
	[[ $status == 0 ]] || fail "status $status" "$stderr"
	run_expect_caps 0000000000000400 "$NONE"
}

@test "--cap-add ALL: every capability this kernel knows (0 to cap_last_cap)" {
	last=$(</proc/sys/kernel/cap_last_cap)
	if ((last >= 63)); then all=ffffffffffffffff; else all=$(printf '%016x' $(((1 << (last + 1)) - 1))); fi
	run_sandbox --cap-add ALL -- cat /proc/self/status
	[[ $status == 0 ]] || fail "status $status" "$stderr"
	run_expect_caps "$all" "$NONE"
}

@test "--map-subids --user 1000: id 1000:1000 inside, the default set also in CapAmb" {
	need newuidmap newgidmap
	run_sandbox --map-subids --user 1000 -- sh -c 'id -u; id -g; cat /proc/self/status'
	[[ $status == 0 ]] || fail "status $status" "$stderr"
	[[ ${lines[0]} == 1000 && ${lines[1]} == 1000 ]] || fail "id -u, id -g inside: ${lines[0]}, ${lines[1]}"
	run_expect_caps "$DEFAULT_CAPS" "$DEFAULT_CAPS"
	run_expect_fields "NoNewPrivs=1"
}

@test "--map-subids --user 1000:2000 --cap-drop ALL --cap-add NET_ADMIN: ids 1000:2000, NET_ADMIN only, ambient too" {
	need newuidmap newgidmap
	run_sandbox --map-subids --user 1000:2000 --cap-drop ALL --cap-add NET_ADMIN -- \
		sh -c 'id -u; id -g; id -G; cat /proc/self/status'
	[[ $status == 0 ]] || fail "status $status" "$stderr"
	[[ ${lines[0]} == 1000 && ${lines[1]} == 2000 ]] || fail "id -u, id -g inside: ${lines[0]}, ${lines[1]}"
	[[ ${lines[2]} == 2000 ]] || fail "supplementary groups inside (id -G): ${lines[2]}"
	run_expect_caps 0000000000001000 0000000000001000
}

@test "--map-subids --user 1000 --cap-drop ALL: every set is empty, ambient too" {
	need newuidmap newgidmap
	run_sandbox --map-subids --user 1000 --cap-drop ALL -- cat /proc/self/status
	[[ $status == 0 ]] || fail "status $status" "$stderr"
	run_expect_caps "$NONE" "$NONE"
}

# ---------------------------------------------------------------------------------------------- no_new_privs, seccomp

@test "NoNewPrivs 1 and Seccomp 2 (filter) by default" {
	run_sandbox -- cat /proc/self/status
	[[ $status == 0 ]] || fail "status $status" "$stderr"
	run_expect_fields NoNewPrivs=1 Seccomp=2
}

@test "--seccomp unconfined: Seccomp 0, NoNewPrivs still 1" {
	run_sandbox --seccomp unconfined -- cat /proc/self/status
	[[ $status == 0 ]] || fail "status $status" "$stderr"
	run_expect_fields NoNewPrivs=1 Seccomp=0
}

@test "--map-subids --user 1000: NoNewPrivs 1, Seccomp 2" {
	need newuidmap newgidmap
	run_sandbox --map-subids --user 1000 -- cat /proc/self/status
	[[ $status == 0 ]] || fail "status $status" "$stderr"
	run_expect_fields NoNewPrivs=1 Seccomp=2
}

@test "seccomp: a denied call (unshare -U: a user namespace) fails with EPERM; with --seccomp unconfined it works" {
	run_sandbox --seccomp unconfined -- unshare -U true
	[[ $status == 0 ]] || fail "unshare -U inside, unconfined: status $status" "$stderr"

	run_sandbox -- unshare -U true
	[[ $status != 0 ]] || fail "unshare -U succeeded under the default seccomp profile"
	[[ $stderr == *'Operation not permitted'* ]] || fail "unshare -U did not fail with EPERM:" "$stderr"
}

# compare_probes UNCONFINED DEFAULT: try-syscall's lines without and with the profile, for DENIED, clone3 and
# ALLOWED (in that order)
compare_probes() {
	local -a unc def denied
	local i name bad=()
	mapfile -t unc <<<"$1"
	mapfile -t def <<<"$2"
	read -r -d '' -a denied <<<"$DENIED" || true
	i=0
	for name in $DENIED clone3 $ALLOWED; do
		[[ ${unc[i]} == "$name "* && ${def[i]} == "$name "* ]] ||
			fail "line $i is not $name's:" "${unc[i]}" "${def[i]}" || return
		if [[ $name == clone3 ]]; then
			[[ ${def[i]} == 'clone3 errno=38 '* ]] || bad+=("default profile: ${def[i]} (expected ENOSYS)")
			[[ ${unc[i]} != 'clone3 errno=38 '* ]] || bad+=("unconfined: ${unc[i]}")
		elif [[ " ${denied[*]} " == *" $name "* ]]; then
			[[ ${def[i]} == "$name errno=1 "* ]] || bad+=("default profile: ${def[i]} (expected EPERM)")
			[[ ${unc[i]} != "$name errno=1 "* ]] || bad+=("unconfined: ${unc[i]} (the probe cannot tell)")
		else
			[[ ${def[i]} == "${unc[i]}" ]] || bad+=("the profile changed ${unc[i]} into ${def[i]}")
		fi
		i=$((i + 1))
	done
	((${#bad[@]} == 0)) || fail "${bad[@]}"
}

@test "seccomp: try-syscall inside: the profile's calls get EPERM (clone3 ENOSYS), others unchanged; unconfined: none" {
	run_try_syscall
	# shellcheck disable=SC2086 # the lists are words
	run_sandbox --seccomp unconfined -- "$RUN_TRY" $DENIED clone3 $ALLOWED
	[[ $status == 0 ]] || fail "unconfined: status $status" "$output" "$stderr"
	unconfined=$output
	# shellcheck disable=SC2086
	run_sandbox -- "$RUN_TRY" $DENIED clone3 $ALLOWED
	[[ $status == 0 ]] || fail "default profile: status $status" "$output" "$stderr"
	compare_probes "$unconfined" "$output"
}

@test "seccomp: the profile applies to a non-root --user too (--map-subids --user 1000)" {
	need newuidmap newgidmap
	run_try_syscall
	# shellcheck disable=SC2086
	run_sandbox --map-subids --user 1000 --seccomp unconfined -- "$RUN_TRY" $DENIED clone3 $ALLOWED
	[[ $status == 0 ]] || fail "unconfined: status $status" "$output" "$stderr"
	unconfined=$output
	# shellcheck disable=SC2086
	run_sandbox --map-subids --user 1000 -- "$RUN_TRY" $DENIED clone3 $ALLOWED
	[[ $status == 0 ]] || fail "default profile: status $status" "$output" "$stderr"
	compare_probes "$unconfined" "$output"
}

@test "seccomp: threads still work under the default profile (libc falls back from clone3 to clone)" {
	need python3
	run_sandbox -- python3 -c 'import threading
t = threading.Thread(target=print, args=("from-a-thread",))
t.start()
t.join()'
	[[ $status == 0 && $output == from-a-thread ]] || fail "status $status, output: $output" "$stderr"
}

# ---------------------------------------------------------------------------------------------- port 80 inside

@test "--map-subids --user 1000: binds port 80 inside with the default set (NET_BIND_SERVICE)" {
	need newuidmap newgidmap python3
	run_sandbox --map-subids --user 1000 -- python3 -c "$BIND80"
	[[ $status == 0 ]] || fail "status $status" "$stderr"
	[[ ${lines[0]} == 1000 ]] || fail "uid inside: ${lines[0]}"
	[[ ${lines[1]} == 1024 ]] || fail "the new namespace's ip_unprivileged_port_start is ${lines[1]}, not 1024"
	[[ ${lines[2]} == listening ]] || fail "binding port 80 as uid 1000: ${lines[2]}" "$stderr"
}

@test "--map-subids --user 1000 --cap-drop NET_BIND_SERVICE: port 80 gives EACCES" {
	need newuidmap newgidmap python3
	run_sandbox --map-subids --user 1000 --cap-drop NET_BIND_SERVICE -- python3 -c "$BIND80"
	[[ $status == 0 ]] || fail "status $status" "$stderr"
	[[ ${lines[1]} == 1024 ]] || fail "the new namespace's ip_unprivileged_port_start is ${lines[1]}, not 1024"
	[[ ${lines[2]} == EACCES ]] || fail "binding port 80 without NET_BIND_SERVICE: ${lines[2]}" "$stderr"
}

@test "--sysctl net.ipv4.ip_unprivileged_port_start=80: 80 inside, port 80 works without the capability, host unchanged" {
	need newuidmap newgidmap python3
	before=$(</proc/sys/net/ipv4/ip_unprivileged_port_start)
	run_sandbox --map-subids --user 1000 --cap-drop NET_BIND_SERVICE \
		--sysctl net.ipv4.ip_unprivileged_port_start=80 -- python3 -c "$BIND80"
	after=$(</proc/sys/net/ipv4/ip_unprivileged_port_start)
	[[ $status == 0 ]] || fail "status $status" "$stderr"
	[[ ${lines[1]} == 80 ]] || fail "ip_unprivileged_port_start inside: ${lines[1]}"
	[[ ${lines[2]} == listening ]] || fail "binding port 80 with the sysctl at 80: ${lines[2]}" "$stderr"
	[[ $before == "$after" ]] || fail "the host's ip_unprivileged_port_start changed from $before to $after"
	[[ $after != 80 ]] || echo "# note: the host's own ip_unprivileged_port_start is 80 already" >&3
}

@test "--net none --sysctl twice: both set in the new namespace (81, TTL 33), the host's unchanged" {
	before=$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start /proc/sys/net/ipv4/ip_default_ttl)
	run_sandbox --net none --sysctl net.ipv4.ip_unprivileged_port_start=81 --sysctl net.ipv4.ip_default_ttl=33 \
		-- cat /proc/sys/net/ipv4/ip_unprivileged_port_start /proc/sys/net/ipv4/ip_default_ttl
	[[ $status == 0 ]] || fail "status $status" "$stderr"
	[[ $output == $'81\n33' ]] || fail "inside: $output"
	after=$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start /proc/sys/net/ipv4/ip_default_ttl)
	[[ $before == "$after" ]] || fail "the host's values changed:" "$before" "$after"
}

@test "--sysctl on a key that does not exist: exit 125, the key named, nothing ran, nothing left" {
	run_sandbox --sysctl net.ipv4.no_such_key=1 -- touch "$T/marker"
	assert_error 125 'net.ipv4.no_such_key=1' 'No such file or directory'
	[[ ! -e $T/marker ]] || fail "the command ran"
	run_expect_clean
}

# ---------------------------------------------------------------------------------------------- network

@test "default network: tap0 10.0.2.100/24 MTU 65520, default route via 10.0.2.2, lo up, resolv.conf 10.0.2.3" {
	resolv_before=$(cat /etc/resolv.conf)
	run_sandbox -- sh -c 'ip -o link show dev lo; ip -o link show dev tap0; ip -o -4 addr show dev tap0
		ip -4 route show default; echo ---; cat /etc/resolv.conf'
	[[ $status == 0 ]] || fail "status $status" "$stderr"
	[[ ${lines[0]} == *'<LOOPBACK,UP'* ]] || fail "lo: ${lines[0]}"
	[[ ${lines[1]} == *',UP'* && ${lines[1]} == *'mtu 65520 '* ]] || fail "tap0: ${lines[1]}"
	[[ ${lines[2]} == *'inet 10.0.2.100/24 '* ]] || fail "tap0's address: ${lines[2]}"
	[[ ${lines[3]} == *'default via 10.0.2.2 dev tap0'* ]] || fail "default route: ${lines[3]}"
	resolv=${output#*---$'\n'}
	[[ $resolv == 'nameserver 10.0.2.3' ]] || fail "/etc/resolv.conf inside:" "$resolv"
	[[ $(cat /etc/resolv.conf) == "$resolv_before" ]] || fail "the host's /etc/resolv.conf changed"
}

@test "--cidr 10.0.7.0/24 --mtu 9000 -6: address, route, MTU, IPv6 address and both nameservers follow" {
	[[ -d /proc/sys/net/ipv6 ]] || skip_unless_ci "the kernel has no IPv6"
	run_sandbox --cidr 10.0.7.0/24 --mtu 9000 -6 -- sh -c 'ip -o link show dev tap0
		ip -o -4 addr show dev tap0; ip -4 route show default; ip -o -6 addr show dev tap0; echo ---
		cat /etc/resolv.conf'
	[[ $status == 0 ]] || fail "status $status" "$stderr"
	[[ ${lines[0]} == *'mtu 9000 '* ]] || fail "tap0: ${lines[0]}"
	[[ ${lines[1]} == *'inet 10.0.7.100/24 '* ]] || fail "tap0's address: ${lines[1]}"
	[[ ${lines[2]} == *'default via 10.0.7.2 dev tap0'* ]] || fail "default route: ${lines[2]}"
	[[ $output == *'inet6 fd00::100/64 '* ]] || fail "no fd00::100/64 on tap0:" "$output"
	resolv=${output#*---$'\n'}
	[[ $resolv == $'nameserver 10.0.7.3\nnameserver fd00::3' ]] || fail "/etc/resolv.conf inside:" "$resolv"
}

@test "-p 127.0.0.1:HP:80 with busybox httpd inside: GET from the host returns the file; SIGTERM: 143, port freed" {
	hp=$(pf_free_port tcp)
	run_www "hello-from-the-sandbox-$hp"
	run_spawn -p "127.0.0.1:$hp:80" -- busybox httpd -f -p 80 -h "$T/www"
	run_http_expect "http://127.0.0.1:$hp/index.html" "hello-from-the-sandbox-$hp"

	kill -TERM "$RUN_PID"
	run_reap 10
	[[ $RUN_STATUS == 143 ]] || fail "exit status $RUN_STATUS after SIGTERM, expected 143 (httpd killed by it)" \
		"$(cat "$T/run.err")"
	! listening tcp "$hp" || fail "host port $hp is still bound after usernet run exited"
	run_expect_clean
}

@test "DNS: busybox nslookup (the sandbox's resolv.conf, 10.0.2.3) resolves a name of the host's nameserver" {
	need_root "dnsmasq listens on port 53 of 127.0.0.78"
	need dnsmasq
	[[ -e /etc/resolv.conf ]] || fail "/etc/resolv.conf is missing: nothing to bind-mount over"
	# 127.0.0.78, not attach-net.bats's 127.0.0.77: both files may run at once
	run_dnsmasq_start 127.0.0.78 run.usernet.test 192.0.2.43 2001:db8::43

	echo 'nameserver 127.0.0.78' >"$T/resolv.conf"
	chmod 0644 "$T/resolv.conf"
	run_sandbox_session "$T/resolv.conf" -- sh -c 'cat /etc/resolv.conf; echo ---; busybox nslookup run.usernet.test'
	if [[ $status != 0 || $output != *192.0.2.43* ]]; then
		echo "dnsmasq's log:" >&2
		cat "$T/bg.log" >&2
		fail "nslookup inside: status $status, output:" "$output" "stderr: $stderr"
	fi
	[[ ${lines[0]} == 'nameserver 10.0.2.3' && ${lines[1]} == --- ]] || fail "resolv.conf inside:" "$output"
	grep -Eq '^Server:[[:space:]]+10\.0\.2\.3$' <<<"$output" || fail "nslookup did not ask 10.0.2.3:" "$output"
	# the answer came from the host's nameserver, through the helper
	grep -q 'query\[A\] run\.usernet\.test from 127\.0\.0\.1' "$T/bg.log" ||
		fail "dnsmasq did not see the query:" "$(cat "$T/bg.log")"
}

@test "sandbox -> host: 10.0.2.2 does not reach the host's loopback by default, it does with --allow-host-loopback" {
	port=$(pf_free_port tcp)
	host_tcp_server 127.0.0.1 "$port" "hello-from-host-$port"

	run_sandbox -- socat -T 5 -u "TCP4:10.0.2.2:$port,connect-timeout=5" STDOUT
	[[ $status != 0 && $output != *hello-from-host* ]] ||
		fail "the host's loopback was reachable by default: status $status, output: $output"
	[[ $status != 124 ]] || fail "timed out"

	run_sandbox --allow-host-loopback -- socat -T 5 -u "TCP4:10.0.2.2:$port,connect-timeout=5" STDOUT
	[[ $status == 0 && $output == "hello-from-host-$port" ]] ||
		fail "--allow-host-loopback: status $status, output: $output" "$stderr"
}

@test "--net none: only lo, up, in a network namespace of its own" {
	run_sandbox --net none -- sh -c 'readlink /proc/self/ns/net; ip -o link'
	[[ $status == 0 ]] || fail "status $status" "$stderr"
	[[ ${lines[0]} != "$(host_netns)" ]] || fail "the host's network namespace"
	((${#lines[@]} == 2)) || fail "more than lo:" "$output"
	[[ ${lines[1]} == *' lo: <LOOPBACK,UP,'* ]] || fail "lo is not up:" "${lines[1]}"
}

@test "--net host: the host's network namespace and interfaces" {
	for i in 1 2 3; do # (retried: another test may add an interface meanwhile)
		host_links=$(ip -o link | awk -F': ' '{ print $2 }' | sort)
		run_sandbox --net host -- sh -c 'readlink /proc/self/ns/net; ip -o link'
		[[ $status == 0 ]] || fail "status $status" "$stderr"
		[[ ${lines[0]} == "$(host_netns)" ]] || fail "not the host's network namespace: ${lines[0]}"
		inside=$(tail -n +2 <<<"$output" | awk -F': ' '{ print $2 }' | sort)
		[[ $inside == "$host_links" ]] && break
	done
	[[ $inside == "$host_links" ]] || fail "the interfaces differ; inside:" "$inside" "host:" "$host_links"
	(($(wc -l <<<"$inside") == $(ip -o link | wc -l))) || fail "not as many interfaces as the host"
}

# ---------------------------------------------------------------------------------------------- exit status, signals

@test "exit status: the command's (42, 0, 1, 255)" {
	for code in 42 0 1 255; do
		run_sandbox -- sh -c "exit $code"
		[[ $status == "$code" ]] || fail "status $status, expected $code" "$stderr"
	done
}

@test "stdin, stdout and stderr are the command's" {
	run --separate-stderr bash -c 'printf "line-1\nline-2\n" | "$@"' _ timeout -k 5 60 "${AS_USER[@]}" "$IT_USERNET" \
		run -- sh -c 'cat; echo to-stderr >&2'
	[[ $status == 0 ]] || fail "status $status" "$stderr"
	[[ $output == $'line-1\nline-2' ]] || fail "stdout: $output"
	[[ $stderr == to-stderr ]] || fail "stderr: $stderr"
}

@test "the command gets no file descriptor of usernet's: only 0, 1, 2 when started with only those" {
	need python3
	# shellcheck disable=SC2016 # the inner shell's
	run --separate-stderr timeout -k 5 60 "${AS_USER[@]}" bash -c '
		for fd in /proc/$$/fd/*; do n=${fd##*/}; if ((n > 2)); then eval "exec $n>&-"; fi; done
		exec "$@"' _ "$IT_USERNET" run -- python3 -c 'import os; print(sorted(int(f) for f in os.listdir("/proc/self/fd")))' \
		</dev/null
	run_no_sanitizer_report "$stderr"
	[[ $status == 0 ]] || fail "status $status" "$stderr"
	# (3: the directory os.listdir reads)
	[[ $output == '[0, 1, 2, 3]' ]] || fail "the command's fds: $output"
}

@test "exit status: killed by a signal N -> 128+N (KILL 137, USR1 138, TERM 143)" {
	for sig in KILL:137 USR1:138 TERM:143; do
		run_sandbox -- sh -c "kill -${sig%:*} \$\$"
		[[ $status == "${sig#*:}" ]] || fail "SIG${sig%:*}: status $status, expected ${sig#*:}" "$stderr"
	done
}

@test "exit status: 127 when the command is not found, 126 when it cannot be executed" {
	RUN_EXPECT=127 run_sandbox -- no-such-command-usernet-test
	[[ $stderr == *no-such-command-usernet-test* ]] || fail "the error does not name the command:" "$stderr"
	RUN_EXPECT=127 run_sandbox -- "$T/no/such/file"

	printf '#!/bin/sh\necho ran\n' >"$T/not-executable"
	chmod 0644 "$T/not-executable"
	((IT_ROOT)) && chown "$TEST_USER:" "$T/not-executable"
	run_sandbox -- "$T/not-executable"
	[[ $status == 126 && $output != *ran* ]] || fail "not executable: status $status, output $output" "$stderr"
}

# signal_forwarded SIG: the launcher in the background runs a shell that traps SIG; SIG sent to the launcher
# reaches it: it prints got-SIG and exits 7; its background child is killed; nothing is left
signal_forwarded() {
	local sig=$1
	run_linger
	run_spawn -- sh -c "trap 'echo got-$sig; exit 7' $sig; $T/linger 1000 & echo ready >$T/ready.$sig; wait"
	wait_until 20 test -s "$T/ready.$sig" || {
		run_show
		fail "the command did not start"
		return
	}
	kill "-$sig" "$RUN_PID"
	run_reap 10 || return
	[[ $RUN_STATUS == 7 ]] || fail "SIG$sig: exit status $RUN_STATUS, expected 7 (the trap's)" "$(run_show 2>&1)" ||
		return
	[[ $(<"$T/run.out") == "got-$sig" ]] || fail "SIG$sig: the command's output: $(<"$T/run.out")" || return
	run_expect_clean
}

@test "SIGTERM sent to usernet run reaches the command (its trap runs: output, exit 7)" {
	signal_forwarded TERM
}

@test "SIGINT sent to usernet run reaches the command" {
	signal_forwarded INT
}

@test "SIGHUP sent to usernet run reaches the command" {
	signal_forwarded HUP
}

@test "SIGQUIT sent to usernet run reaches the command" {
	signal_forwarded QUIT
}

linger_running() { [[ -n $(run_left "$T/linger") ]]; }

@test "SIGTERM forwarded to a command without a handler: exit 143" {
	run_linger
	run_spawn -- "$T/linger" 1000
	wait_until 20 linger_running || {
		run_show
		fail "the command did not start"
	}
	kill -TERM "$RUN_PID"
	run_reap 10
	[[ $RUN_STATUS == 143 ]] || fail "exit status $RUN_STATUS, expected 143" "$(cat "$T/run.err")"
	run_expect_clean
}

# ---------------------------------------------------------------------------------------------- PID, IPC, UTS namespaces, init

# PTY_KEY: a Python script: runs ARGS... on a new terminal (pty, its foreground process group), waits for "ready" in
# its output, types the key of $PTY_KEY_BYTE (a control character: ^C is \x03), prints what the terminal showed
# (no CR), then "status N" (the exit status)
PTY_KEY='import os, pty, select, sys, time
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
out = b""
def read(until, seconds):
    global out
    end = time.time() + seconds
    while not until() and time.time() < end:
        if select.select([fd], [], [], 0.1)[0]:
            try:
                data = os.read(fd, 4096)
            except OSError:
                return
            if not data:
                return
            out += data
read(lambda: b"ready" in out, 30)
os.write(fd, bytes([int(os.environ["PTY_KEY_BYTE"], 0)]))
read(lambda: False, 20)
status = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
print(out.decode(errors="replace").replace("\r", ""))
print("status", status)'

# run_pty KEY ARGS...: `usernet run ARGS...` on a terminal, KEY (0x03 for ^C...) typed once it printed "ready"
run_pty() {
	need python3
	PTY_KEY_BYTE=$1 run --separate-stderr timeout -k 5 60 python3 -c "$PTY_KEY" "${AS_USER[@]}" "$IT_USERNET" run "${@:2}"
}

@test "PID namespace: init is PID 1, the command PID 2; /proc lists only the sandbox's; not the host's pid namespace" {
	run_sandbox -- sh -c 'echo $$; readlink /proc/self/ns/pid; cat /proc/1/comm
		ls /proc | grep -E "^[0-9]+$" | tr "\n" " "'
	[[ $status == 0 ]] || fail "status $status" "$stderr"
	[[ ${lines[0]} == 2 ]] || fail "the command is PID ${lines[0]}, not 2"
	[[ ${lines[1]} == pid:* && ${lines[1]} != "$(readlink /proc/self/ns/pid)" ]] ||
		fail "the pid namespace inside: ${lines[1]}, the host's: $(readlink /proc/self/ns/pid)"
	[[ ${lines[2]} == "$(basename "$IT_USERNET")" ]] || fail "PID 1 is ${lines[2]}, not usernet's init"
	for pid in ${lines[3]}; do
		((pid < 20)) || fail "PID $pid is visible inside: /proc shows more than the sandbox:" "${lines[3]}"
	done
}

@test "PID namespace: a process of the user outside is neither visible nor signalled (kill -0, kill -KILL fail)" {
	run_linger
	spawn "${AS_USER[@]}" "$T/linger" 1000
	out=$SPAWNED
	wait_until 5 alive "$out" || fail "the outside process did not start"
	run_sandbox -- sh -c "if [ -e /proc/$out ]; then echo visible; else echo invisible; fi
		kill -0 $out 2>/dev/null && echo kill-0-worked || echo kill-0-failed
		kill -KILL $out 2>/dev/null && echo killed || echo kill-failed"
	[[ $status == 0 ]] || fail "status $status" "$stderr"
	[[ $output == $'invisible\nkill-0-failed\nkill-failed' ]] || fail "inside, about PID $out:" "$output"
	alive "$out" || fail "the outside process $out was killed"
}

@test "init: PID 1 keeps no capability, no_new_privs, is not traceable; the command keeps its set and seccomp" {
	run_sandbox --cap-add ALL --seccomp unconfined -- sh -c 'cat /proc/1/status; echo ---; cat /proc/1/environ'
	[[ $status != 0 && $stderr == *'Permission denied'* ]] ||
		fail "init's environment was readable (it is dumpable): status $status" "$stderr"
	output=${output%%---*}
	run_expect_fields CapInh=0000000000000000 CapPrm=0000000000000000 CapEff=0000000000000000 \
		CapBnd=0000000000000000 CapAmb=0000000000000000 NoNewPrivs=1
	run_sandbox -- cat /proc/self/status
	run_expect_caps "$DEFAULT_CAPS" "$NONE"
	run_expect_fields NoNewPrivs=1 Seccomp=2
}

@test "init reaps orphans: an orphan's parent is PID 1, and once it exits no zombie is left; the status is the command's" {
	# shellcheck disable=SC2016 # the inner shell's
	run_sandbox -- sh -c 'o=$(sh -c "sleep 0.3 >/dev/null 2>&1 & echo \$!")
		read -r l </proc/$o/stat; set -- $l; echo "orphan ppid $4"
		sleep 1.5
		if [ -e /proc/$o ]; then read -r l </proc/$o/stat; set -- $l; echo "left in state $3"; else echo reaped; fi
		for f in /proc/[0-9]*/stat; do read -r l <$f; set -- $l; [ "$3" != Z ] || echo "zombie: $l"; done
		exit 3'
	[[ $status == 3 ]] || fail "status $status, expected 3" "$output" "$stderr"
	[[ $output == $'orphan ppid 1\nreaped' ]] || fail "inside:" "$output"
}

@test "init: the command exits while orphans still run: its status (4) at once, the orphans killed" {
	run_linger
	t0=$(now)
	run_sandbox -- sh -c "$T/linger 1000 >/dev/null 2>&1 & (trap '' TERM; exec $T/linger 1001) >/dev/null 2>&1 & exit 4"
	[[ $status == 4 ]] || fail "status $status, expected 4" "$stderr"
	(($(now) - t0 < 10000000)) || fail "usernet run took $(elapsed_since "$t0") s"
	run_expect_clean
}

@test "SIGUSR1, SIGUSR2 and SIGWINCH sent to usernet run reach the command" {
	signal_forwarded USR1
	signal_forwarded USR2
	signal_forwarded WINCH
}

@test "init forwards what is sent to it inside: kill -TERM 1 reaches the command; kill -KILL 1 is ignored" {
	run_sandbox -- sh -c "trap 'echo got-TERM; exit 7' TERM; kill -TERM 1; sleep 5 & wait"
	[[ $status == 7 && $output == got-TERM ]] || fail "kill -TERM 1: status $status, output $output" "$stderr"
	run_sandbox -- sh -c 'kill -KILL 1; sleep 0.3; kill -0 1 && echo init-alive'
	[[ $status == 0 && $output == init-alive ]] || fail "kill -KILL 1: status $status, output $output" "$stderr"
}

@test "^C on a terminal: the command gets SIGINT once (its trap: exit 7); without a trap: 130; nothing left" {
	run_pty 0x03 -- sh -c "trap 'echo got-INT; exit 7' INT; echo ready; while :; do sleep 0.1; done"
	[[ $status == 0 ]] || fail "the pty driver: status $status" "$output" "$stderr"
	[[ ${lines[-1]} == 'status 7' ]] || fail "exit status: ${lines[-1]}, expected 7" "$output"
	(($(grep -c got-INT <<<"$output") == 1)) || fail "the trap did not run once:" "$output"
	run_expect_clean

	run_pty 0x03 -- sh -c 'echo ready; exec sleep 100'
	[[ ${lines[-1]} == 'status 130' ]] || fail "exit status: ${lines[-1]}, expected 130" "$output" "$stderr"
	run_expect_clean
}

@test "UTS and IPC namespaces: hostname usernet by default, --hostname NAME; the host's unchanged" {
	host_name=$(</proc/sys/kernel/hostname)
	run_sandbox -- sh -c 'cat /proc/sys/kernel/hostname; readlink /proc/self/ns/uts /proc/self/ns/ipc'
	[[ $status == 0 ]] || fail "status $status" "$stderr"
	[[ ${lines[0]} == usernet ]] || fail "hostname inside: ${lines[0]}"
	[[ ${lines[1]} == uts:* && ${lines[1]} != "$(readlink /proc/self/ns/uts)" ]] || fail "uts namespace: ${lines[1]}"
	[[ ${lines[2]} == ipc:* && ${lines[2]} != "$(readlink /proc/self/ns/ipc)" ]] || fail "ipc namespace: ${lines[2]}"

	run_sandbox --hostname box-1.example -- hostname
	[[ $status == 0 && $output == box-1.example ]] || fail "--hostname: status $status, $output" "$stderr"
	[[ $(</proc/sys/kernel/hostname) == "$host_name" ]] || fail "the host's name changed"
}

@test "IPC namespace: a System V shared memory segment of the host is not seen inside, nor one made inside outside" {
	need python3 ipcrm
	id=$(python3 -c 'import ctypes; print(ctypes.CDLL(None).shmget(0x75736e75, 4096, 0o1600))')
	((id >= 0)) || fail "no segment made on the host"
	run_sandbox -- python3 -c 'import ctypes
libc = ctypes.CDLL(None, use_errno=True)
before = open("/proc/sysvipc/shm").read().count("\n") - 1
shm = libc.shmget(0x75736e74, 4096, 0o1600)
print(before, shm >= 0)'
	ipcrm -m "$id"
	[[ $status == 0 && $output == '0 True' ]] || fail "inside: status $status, $output" "$stderr"
	# the segment made inside went with the namespace
	! grep -q ' 1970499188 ' /proc/sysvipc/shm || fail "the sandbox's segment is on the host"
}

@test "bad command line: --hostname '', -x, 'a b', a_b, 65 characters" {
	bad --hostname '' -- "--hostname ''" '1 to 64'
	bad --hostname -x -- "--hostname '-x'"
	bad --hostname 'a b' -- "--hostname 'a b'"
	bad --hostname a_b -- "--hostname 'a_b'"
	bad --hostname "$(printf 'a%.0s' {1..65})" -- '--hostname' '1 to 64'
}

# mounts_of OUTPUT: "MOUNTPOINT OPTIONS FSTYPE" for the last mount (the visible one) of each mount point
mounts_of() {
	awk 'NF > 7 { for (i = 7; i < NF && $i != "-"; i++); t[$5] = $5 " " $6 " " $(i + 1); if (!($5 in o)) o[$5] = n++ }
		END { for (m in t) print o[m], t[m] }' <<<"$1" | sort -n | cut -d' ' -f2-
}

@test "/proc is the new PID namespace's (nosuid, nodev, noexec); /sys the new network namespace's sysfs, read-only" {
	run_sandbox -- sh -c 'cat /proc/self/mountinfo; echo ---; ls /sys/class/net; echo ---
		touch /sys/usernet-test 2>&1 || :'
	[[ $status == 0 ]] || fail "status $status" "$stderr"
	m=$(mounts_of "${output%%---*}")
	proc=$(grep '^/proc ' <<<"$m")
	sys=$(grep '^/sys ' <<<"$m")
	[[ $proc == '/proc '*' proc' && $proc == *nosuid* && $proc == *nodev* && $proc == *noexec* ]] || fail "/proc: $proc"
	[[ $sys == '/sys ro,'*' sysfs' ]] || fail "/sys: $sys"
	rest=${output#*---$'\n'}
	[[ ${rest%%---*} == $'lo\ntap0\n' ]] || fail "/sys/class/net is not the new namespace's:" "${rest%%---*}"
	[[ $output == *'Read-only file system'* ]] || fail "a write to /sys:" "$output"
}

@test "--net host: /sys is the host's, read-only with every mount under it" {
	run_sandbox --net host -- sh -c 'cat /proc/self/mountinfo; echo ---; ls /sys/class/net; echo ---
		touch /sys/usernet-test 2>&1 || :'
	[[ $status == 0 ]] || fail "status $status" "$stderr"
	m=$(mounts_of "${output%%---*}")
	bad=$(grep -E '^/sys(/| )' <<<"$m" | grep -v '^[^ ]* ro,' || true)
	[[ -n $(grep '^/sys ' <<<"$m") && -z $bad ]] || fail "/sys mounts not read-only:" "$bad" "$m"
	rest=${output#*---$'\n'}
	[[ ${rest%%---*} == "$(ls /sys/class/net)"$'\n' ]] || fail "/sys/class/net is not the host's:" "${rest%%---*}"
	[[ $output == *'Read-only file system'* ]] || fail "a write to /sys:" "$output"
}

@test "exit status table (Podman's): bad option 125, not found 127, not executable 126, exit 3, SIGKILL 137, busy port 125, --help 0" {
	run_sandbox --bogus -- true
	assert_error 125 'unknown option --bogus'
	RUN_EXPECT=127 run_sandbox -- no-such-command-usernet-test
	printf '#!/bin/sh\necho ran\n' >"$T/not-executable"
	chmod 0644 "$T/not-executable"
	((IT_ROOT)) && chown "$TEST_USER:" "$T/not-executable"
	RUN_EXPECT=126 run_sandbox -- "$T/not-executable"
	RUN_EXPECT=3 run_sandbox -- sh -c 'exit 3'
	RUN_EXPECT=137 run_sandbox -- sh -c 'kill -KILL $$'
	hp=$(pf_free_port tcp)
	host_tcp_server 127.0.0.1 "$hp" busy
	run_sandbox -p "127.0.0.1:$hp:80" -- true
	assert_error 125 'already in use'
	RUN_EXPECT=0 run_sandbox --help
	run_expect_clean
}

@test "--display: the PID, IPC and UTS namespaces, init, /proc and /sys, the host name; --net host's /sys" {
	run_sandbox --display --hostname box -- true
	[[ $status == 0 ]] || fail "status $status" "$stderr"
	for want in 'pid namespace:    new; init (usernet) is PID 1' 'the command is PID 2' \
		'/proc:          proc of the new PID namespace' '/sys:           sysfs of the new network namespace, read-only' \
		'ipc namespace:    new' 'uts namespace:    new, hostname box'; do
		[[ $output == *"$want"* ]] || fail "the plan lacks '$want':" "$output"
	done
	run_sandbox --display --net host -- true
	[[ $output == *"/sys:           the host's, bound read-only (--net host)"* ]] || fail "--net host's /sys:" "$output"
	[[ $output == *'uts namespace:    new, hostname usernet'* ]] || fail "the default host name:" "$output"
}

# ---------------------------------------------------------------------------------------------- nothing left

# (The children that should be killed get stdout and stderr /dev/null: bats' run would otherwise wait for
# them, forever when they are not killed.)
@test "nothing left after the command exits: its helper, and children it left behind (background, setsid, ignoring TERM)" {
	run_linger
	run_sandbox -- sh -c "readlink /proc/self/ns/user
		exec >/dev/null 2>&1
		$T/linger 1001 &
		setsid sh -c '$T/linger 1002 &'
		sh -c \"trap '' TERM HUP INT; exec $T/linger 1003\" &
		sleep 0.5
		exit 0"
	[[ $status == 0 ]] || fail "status $status" "$stderr"
	ns=${lines[0]}
	[[ $ns == user:* ]] || fail "no user namespace printed: $output"
	# the launcher waited for its helper: gone at once
	left=$(run_left "$IT_DIR/usernet")
	[[ -z $left ]] || fail "usernet processes are left:" "$left"
	run_expect_clean "$ns"
}

@test "nothing left: a command that keeps forking when it exits" {
	run_linger
	run_sandbox -- sh -c "readlink /proc/self/ns/user
		( while :; do $T/linger 1000 & sleep 0.01; done ) >/dev/null 2>&1 &
		sleep 0.5
		exit 0"
	[[ $status == 0 ]] || fail "status $status" "$stderr"
	run_expect_clean "${lines[0]}"
}

@test "nothing left: a child in a nested user namespace (--seccomp unconfined: the command may make one)" {
	run_linger
	run_sandbox --seccomp unconfined -- sh -c "unshare -U $T/linger 1000 >/dev/null 2>&1 &
		c=\$!
		i=0
		until [ \"\$(cat /proc/\$c/comm)\" = linger ] &&
			[ \"\$(readlink /proc/\$c/ns/user)\" != \"\$(readlink /proc/self/ns/user)\" ]; do
			i=\$((i + 1)); [ \$i -lt 200 ] || exit 99; sleep 0.05
		done
		echo nested"
	[[ $status == 0 && $output == nested ]] || fail "status $status, output $output" "$stderr"
	run_expect_clean
}

@test "nothing left when the command fails to start (127)" {
	RUN_EXPECT=127 run_sandbox -- no-such-command-usernet-test
	run_expect_clean
}

# ---------------------------------------------------------------------------------------------- --display

@test "--display: maps, identity, capabilities, sysctls, seccomp, ports, helper and command lines; exit 0; nothing made" {
	need newuidmap newgidmap
	hp=$(pf_free_port tcp)
	read -r us uc < <(run_subid /etc/subuid)
	read -r gs gc < <(run_subid /etc/subgid)
	gid=$(id -g "$TEST_USER")
	run_sandbox --display --map-subids --user 1000:1000 --cap-add NET_ADMIN --cap-drop KILL \
		--sysctl net.ipv4.ip_unprivileged_port_start=80 -p "127.0.0.1:$hp:80" --mtu 9000 \
		-- sh -c "touch $T/marker"
	[[ $status == 0 ]] || fail "status $status" "$stderr"
	[[ -z $stderr ]] || fail "--display wrote to stderr:" "$stderr"
	for want in "uid map:        0->$TEST_UID (1), 1->$us ($uc)" "gid map:        0->$gid (1), 1->$gs ($gc)" \
		"command runs as: uid 1000, gid 1000" "sysctl:         net.ipv4.ip_unprivileged_port_start=80" \
		"published:      127.0.0.1:$hp:80" "command:          sh -c touch $T/marker" \
		"helper:         $IT_USERNET attach " "--publish=127.0.0.1:$hp:80" "--mtu=9000" \
		"--disable-host-loopback" "no_new_privs:     yes" "seccomp:          default profile" \
		"inheritable: as above; ambient: as above"; do
		[[ $output == *"$want"* ]] || fail "the plan lacks '$want':" "$output"
	done
	caps=$(grep '^capabilities:' <<<"$output")
	for want in CAP_CHOWN CAP_DAC_OVERRIDE CAP_FOWNER CAP_FSETID CAP_NET_BIND_SERVICE CAP_SETFCAP CAP_SETGID \
		CAP_SETPCAP CAP_SETUID CAP_SYS_CHROOT CAP_NET_ADMIN; do
		[[ $caps == *"$want"* ]] || fail "the capabilities lack $want: $caps"
	done
	[[ $caps != *CAP_KILL* ]] || fail "CAP_KILL was dropped: $caps"
	# the rules: "seccomp: default profile: N system calls refused..." then N lines "  NAME  REASON"
	n=$(sed -n 's/^seccomp: *default profile[^0-9]*\([0-9]\+\) .*/\1/p' <<<"$output")
	[[ -n $n ]] && ((n > 0)) || fail "no rule count in the seccomp line:" "$output"
	rules=$(sed -n '/^seccomp:/,/^command:/p' <<<"$output" | grep -c '^  [a-z_0-9]\+ \+[^ ]')
	((rules == n)) || fail "$rules rule lines, the seccomp line says $n:" "$output"

	[[ ! -e $T/marker ]] || fail "--display ran the command"
	left=$(run_left "$IT_DIR/usernet")
	[[ -z $left ]] || fail "--display left a process:" "$left"
	! listening tcp "$hp" || fail "--display bound host port $hp"
}

@test "--display: the seccomp rules include unshare (the profile's EPERM probe); unconfined and --net none plans" {
	run_sandbox --display -- true
	[[ $status == 0 ]] || fail "status $status" "$stderr"
	grep -Eq '^  unshare +[^ ]' <<<"$output" || fail "unshare is not among the seccomp rules:" "$output"

	run_sandbox --display --seccomp unconfined --net none -- true
	[[ $status == 0 ]] || fail "status $status" "$stderr"
	[[ $output == *'seccomp:          unconfined'* ]] || fail "no 'seccomp: unconfined':" "$output"
	[[ $output == *'network namespace: new, loopback only'* ]] || fail "not loopback only:" "$output"
	[[ $output != *'helper:'* ]] || fail "a helper without a network:" "$output"
	[[ $output == *'ambient: none (root)'* ]] || fail "root's ambient set:" "$output"
}

# Where no namespace can be made, --display still works, which shows that it makes none: in a user namespace
# without id maps (unshare -U), the user's uid is unmapped, and the kernel refuses to make a user namespace
# under it (EPERM); the very same command line without --display fails there.
@test "--display works where no namespace can be made (an unmapped user namespace); a real run fails there" {
	# shellcheck disable=SC2034 # run_sandbox's
	RUN_PREFIX=(unshare -U)
	run_sandbox --display -p 8080:80 -- touch "$T/marker"
	[[ $status == 0 ]] || fail "--display: status $status" "$stderr"
	[[ $output == *'command:          touch '* ]] || fail "no plan:" "$output"

	run_sandbox -p 8080:80 -- touch "$T/marker"
	assert_error 125 'cannot create the namespaces'
	[[ ! -e $T/marker ]] || fail "the command ran"
	run_expect_clean
}

# ---------------------------------------------------------------------------------------------- id maps

@test "--map-subids: uid_map and gid_map inside: 0 -> the user, 1 -> the /etc/subuid (/etc/subgid) range" {
	need newuidmap newgidmap
	read -r us uc < <(run_subid /etc/subuid)
	read -r gs gc < <(run_subid /etc/subgid)
	[[ -n $us && -n $gs ]] || fail "no subordinate ranges for $TEST_USER (tests/setup-root.sh makes them)"
	gid=$(id -g "$TEST_USER")
	run_sandbox --map-subids -- sh -c 'cat /proc/self/uid_map; echo ---; cat /proc/self/gid_map'
	[[ $status == 0 ]] || fail "status $status" "$stderr"
	maps=$(awk '{ $1 = $1; print }' <<<"$output")
	want=$(printf '%s\n' "0 $TEST_UID 1" "1 $us $uc" --- "0 $gid 1" "1 $gs $gc")
	[[ $maps == "$want" ]] || fail "maps inside:" "$maps" "expected:" "$want"
	[[ $uc == 65536 ]] || echo "# note: the user's subuid range has $uc ids, not 65536" >&3
}

@test "--map-subids --user N:M: the last ids of the subordinate ranges exist inside (65536 for 65536 ids), the next ones do not" {
	need newuidmap newgidmap
	read -r _ uc < <(run_subid /etc/subuid)
	read -r _ gc < <(run_subid /etc/subgid)
	run_sandbox --map-subids --user "$uc:$gc" -- sh -c 'id -u; id -g'
	[[ $status == 0 ]] || fail "status $status" "$stderr"
	[[ $output == "$uc"$'\n'"$gc" ]] || fail "ids inside: $output, expected $uc, $gc"
	bad --map-subids --user $((uc + 1)):"$gc" -- "--user $((uc + 1)):$gc" 'does not exist'
	bad --map-subids --user "$uc:$((gc + 1))" -- "--user $uc:$((gc + 1))" 'does not exist'
}

@test "without --map-subids: one id (0 -> the user), setgroups denied" {
	run_sandbox -- sh -c 'cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups'
	[[ $status == 0 ]] || fail "status $status" "$stderr"
	maps=$(awk '{ $1 = $1; print }' <<<"$output")
	want=$(printf '%s\n' "0 $TEST_UID 1" "0 $(id -g "$TEST_USER") 1" deny)
	[[ $maps == "$want" ]] || fail "inside:" "$maps" "expected:" "$want"
}

# ---------------------------------------------------------------------------------------------- bad command lines

# bad ARGS... -- FRAGMENT...: see lib.bash

@test "bad command line: unknown options" {
	bad --bogus -- 'unknown option --bogus'
	bad -x -- 'unknown option -x'
}

@test "bad command line: --cap-add FOO, --cap-drop bar (the message lists the valid names)" {
	bad --cap-add FOO -- "unknown capability 'FOO'" ALL CHOWN NET_ADMIN SYS_ADMIN NET_BIND_SERVICE
	bad --cap-drop bar -- "unknown capability 'bar'" ALL CHOWN NET_ADMIN
	bad --cap-add '' -- "unknown capability ''"
}

@test "bad command line: --user usernet-nosuch, --user 1000:usernet-nosuch, --user 1000 without --map-subids" {
	bad --user usernet-nosuch -- "--user 'usernet-nosuch'" "no user 'usernet-nosuch' in /etc/passwd"
	bad --user 1000:usernet-nosuch -- "--user '1000:usernet-nosuch'" "no group 'usernet-nosuch' in /etc/group"
	bad --user 1000 -- '--user 1000' 'does not exist'
	bad --user 0:1000 -- 'does not exist'
}

@test "bad command line: --net bogus, --seccomp bogus, --port-mode bogus" {
	bad --net bogus -- '--net must be usernet, none or host' bogus
	bad --seccomp bogus -- '--seccomp must be default or unconfined' bogus
	bad --port-mode bogus -- '--port-mode' bogus
}

@test "bad command line: --sysctl outside net.*, without '=', without a value, with path tricks" {
	bad --sysctl kernel.x=1 -- "--sysctl 'kernel.x=1'" 'only net.*'
	bad --sysctl net.ipv4.foo -- "--sysctl 'net.ipv4.foo'" 'net.KEY=VALUE'
	bad --sysctl net.ipv4.ip_forward= -- "--sysctl 'net.ipv4.ip_forward='" 'bad value'
	bad --sysctl net.ipv4..x=1 -- 'only net.*'
	bad --sysctl net.ipv4/../../kernel/x=1 -- 'only net.*'
	bad --sysctl net.=1 -- 'only net.*'
	bad --net host --sysctl net.ipv4.ip_forward=1 -- '--sysctl needs a network namespace of its own'
}

@test "bad command line: --mtu 70000, --mtu 67, -6 --mtu 1000, --cidr foo, --cidr 10.0.0.0/30" {
	bad --mtu 70000 -- '--mtu must be between 68 and 65521' 70000
	bad --mtu 67 -- '--mtu must be between 68 and 65521' 67
	bad -6 --mtu 1000 -- '1280'
	bad --cidr foo -- "--cidr 'foo'"
	bad --cidr 10.0.0.0/30 -- "--cidr '10.0.0.0/30'"
}

@test "bad command line: -p 80-81 (bad spec), --net none -p 8080:80, --net host -p 8080:80" {
	bad -p 80-81 -- "'80-81'" 'HOSTPORT'
	bad -p 70000:80 -- '70000'
	bad --net none -p 8080:80 -- '--publish needs --net usernet'
	bad --net host -p 8080:80 -- '--publish needs --net usernet'
}

@test "bad command line: missing command, option without its value" {
	run_sandbox
	assert_error 125 'missing COMMAND'
	run_sandbox --
	assert_error 125 'missing COMMAND'
	run_sandbox --cap-drop ALL
	assert_error 125 'missing COMMAND'
	run_sandbox --user
	assert_error 125 'option --user needs a value'
}

@test "usernet run --help: exit 0, the options on stdout" {
	run_sandbox --help
	[[ $status == 0 ]] || fail "status $status" "$stderr"
	[[ -z $stderr ]] || fail "--help wrote to stderr:" "$stderr"
	for opt in --publish --cidr --mtu --enable-ipv6 --allow-host-loopback --net --sysctl --map-subids --user \
		--cap-add --cap-drop --seccomp --display --help; do
		grep -q -e "$opt\b" <<<"$output" || fail "the help lacks $opt:" "$output"
	done
}

@test "a busy host port for -p: the helper's message ('already in use'), exit 125, nothing ran, nothing left" {
	hp=$(pf_free_port tcp)
	host_tcp_server 127.0.0.1 "$hp" busy
	run_sandbox -p "127.0.0.1:$hp:80" -- touch "$T/marker"
	assert_error 125 'already in use' "$hp"
	[[ ! -e $T/marker ]] || fail "the command ran"
	run_expect_clean
	# the host server still answers
	run tcp_get 127.0.0.1 "$hp"
	[[ $output == busy ]] || fail "the host's server on $hp: $output"
}

@test "nothing is left running (run)" {
	assert_nothing_left
}
