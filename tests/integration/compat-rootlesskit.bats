#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# RootlessKit 1.1 (Debian) drives usernet as its slirp4netns (--slirp4netns-binary, a symlink named
# slirp4netns): it runs it as the unprivileged user with no capabilities, target by PID, separate-argument
# options, a persistent tap0 it configures itself, fd 3 as the ready pipe, and stops it with SIGKILL before
# waiting for its output pipe. Each scenario runs first with the real slirp4netns 1.2.0 (control).

load lib
load compat
eval "lib_$(declare -f setup_file)"

setup_file() {
	lib_setup_file || return
	need rootlesskit rootlessctl curl || return
	compat_setup_file
}

# rk_checks WHICH: what both port drivers share: the network RootlessKit asked for, the helper confined,
# the host's loopback out of reach, IPv6 (SLAAC from the helper's router advertisements)
rk_checks() {
	local which=$1 pid status_file port out
	out=$(rk_in ip -o addr show tap0)
	[[ $out == *'inet 10.0.3.100/24'* ]] || fail "tap0 (configured by RootlessKit) has no 10.0.3.100/24:" "$out" || return
	wait_until 5 sh -c '"$@" ip -6 -o addr show tap0 | grep -q "inet6 fd00::"' sh "${AS_USER[@]}" nsenter \
		-t "$RK_CHILD" -U -n --preserve-credentials -- || fail "no fd00::/64 address from router advertisements:" \
		"$(rk_in ip -6 -o addr show tap0)" || return
	pid=$(s4_pids "$which" | head -n1)
	[[ -n $pid ]] || fail "no $(s4_bin "$which") process" || return
	status_file=$(cat "/proc/$pid/status")
	[[ $status_file == *$'Seccomp:\t2'* ]] || fail "the helper has no seccomp filter" || return
	# slirp4netns keeps CAP_NET_BIND_SERVICE (0x400) in the child's user namespace, where it joined as root;
	# usernet drops it there: it binds host ports, in a network namespace that user namespace does not own
	if [[ $which == usernet ]]; then
		[[ $status_file == *$'CapEff:\t0000000000000000'* && $status_file == *$'CapPrm:\t0000000000000000'* ]] ||
			fail "the helper has capabilities:" "$(grep ^Cap <<<"$status_file")" || return
	fi
	port=$(free_port)
	host_tcp_server 127.0.0.1 "$port" host-loopback || return
	run rk_in timeout 5 busybox nc -w 2 10.0.3.2 "$port"
	[[ $output != *host-loopback* ]] || fail "--disable-host-loopback: 10.0.3.2:$port reached the host's 127.0.0.1" || return
	out=$(rk_in timeout 5 busybox nslookup localhost 10.0.3.3 2>&1) || true
	[[ $out == *'10.0.3.3'* ]] || fail "the DNS forwarder at 10.0.3.3 does not answer:" "$out"
}

# rk_ports_at_runtime: rootlessctl add-ports, list-ports, remove-ports; the page is served while published
rk_ports_at_runtime() {
	local which=$1 port id out
	port=$(free_port)
	out=$(rkctl add-ports "127.0.0.1:$port:80/tcp") || fail "rootlessctl add-ports failed:" "$out" || return
	id=$(awk 'NF { print $1 }' <<<"$out" | tail -n1)
	[[ $id =~ ^[0-9]+$ ]] || fail "add-ports printed no ID:" "$out" || return
	wait_until 5 curl_has "http://127.0.0.1:$port/" "rootlesskit page $which" ||
		fail "127.0.0.1:$port does not reach the child's httpd" || return
	out=$(rkctl list-ports)
	[[ $out == *"127.0.0.1"*"$port"*"80"* ]] || fail "list-ports does not show $port:" "$out" || return
	rkctl remove-ports "$id" >/dev/null || fail "rootlessctl remove-ports $id failed" || return
	wait_until 5 sh -c '! curl -gsS --max-time 2 "$1" >/dev/null 2>&1' sh "http://127.0.0.1:$port/" ||
		fail "127.0.0.1:$port still answers after remove-ports" || return
	out=$(rkctl list-ports)
	[[ $out != *"$port"* ]] || fail "list-ports still shows $port:" "$out"
}

# rk_clean_exit WHICH: RootlessKit exits with its child's status 0, and no helper is left
rk_clean_exit() {
	rk_stop || return
	[[ $RK_STATUS == 0 ]] || fail "rootlesskit exited with $RK_STATUS:" "$(cat "$T/rk.out")" || return
	wait_until 3 s4_none "$1" || fail "helper processes are left: $(s4_pids "$1" | xargs -r ps -o pid,args -p)"
}

rk_scenario() {
	local which=$1 driver=$2 port
	port=$(free_port)
	rk_start "$which" "$driver" --disable-host-loopback --cidr=10.0.3.0/24 --ipv6 --slirp4netns-sandbox=true \
		--slirp4netns-seccomp=true -p "127.0.0.1:$port:80/tcp" || return
	wait_until 5 curl_has "http://127.0.0.1:$port/" "rootlesskit page $which" ||
		fail "-p 127.0.0.1:$port:80/tcp at start: not reached:" "$(cat "$T/rk.out")" || return
	rk_checks "$which" || return
	rk_ports_at_runtime "$which" || return
	rk_clean_exit "$which"
}

@test "rootlesskit, control slirp4netns: --port-driver=slirp4netns, cidr, ipv6, sandbox, seccomp, add/list/remove-ports" {
	rk_scenario control slirp4netns
}

@test "rootlesskit, usernet: --port-driver=slirp4netns, cidr, ipv6, sandbox, seccomp, add/list/remove-ports" {
	rk_scenario usernet slirp4netns
}

@test "rootlesskit, control slirp4netns: --port-driver=builtin, cidr, ipv6, sandbox, seccomp, add/list/remove-ports" {
	rk_scenario control builtin
}

@test "rootlesskit, usernet: --port-driver=builtin, cidr, ipv6, sandbox, seccomp, add/list/remove-ports" {
	rk_scenario usernet builtin
}

# rk_plain WHICH: the defaults (host loopback allowed, MTU 65520, no sandbox), the helper killed while busy
rk_plain() {
	local which=$1 port out
	port=$(free_port)
	host_tcp_server 127.0.0.1 "$port" host-loopback-$which || return
	rk_start "$which" slirp4netns || return
	out=$(rk_in ip -o link show tap0)
	[[ $out == *'mtu 65520 '* ]] || fail "tap0's MTU is not 65520:" "$out" || return
	run rk_in timeout 5 busybox nc -w 2 10.0.2.2 "$port"
	[[ $output == *"host-loopback-$which"* ]] || fail "10.0.2.2:$port did not reach the host's loopback:" "$output" ||
		return
	rk_clean_exit "$which"
}

@test "rootlesskit, control slirp4netns: defaults (MTU 65520, host loopback at 10.0.2.2), clean exit" {
	rk_plain control
}

@test "rootlesskit, usernet: defaults (MTU 65520, host loopback at 10.0.2.2), clean exit" {
	rk_plain usernet
}

@test "rootlesskit: nothing left" {
	s4_none usernet || fail "usernet helpers left" || return
	s4_none control || fail "slirp4netns helpers left" || return
	assert_nothing_left
}
