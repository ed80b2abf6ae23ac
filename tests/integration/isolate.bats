#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# usernet attach --sandbox (--enable-sandbox --enable-seccomp): the helper's isolation (confine/isolate.c):
# no capability, no_new_privs, seccomp, an empty root holding only the resolver configuration; and everything
# still works: traffic both ways, DNS (also when the resolver file is replaced), published ports, the API,
# exit fd, target death, clean exit with the API socket removed.

load lib

# status_field PID NAME: the value of NAME in /proc/PID/status
status_field() { awk -F':[ \t]*' -v k="$2" '$1 == k { print $2; exit }' "/proc/$1/status"; }

# expect_isolated PID CAPS: the sets of PID are CAPS (16 hex digits; CapBnd too), no_new_privs, seccomp on
expect_isolated() {
	local f bad=()
	for f in CapEff CapPrm CapBnd CapInh CapAmb; do
		want=$2
		[[ $f == CapInh || $f == CapAmb ]] && want=0000000000000000
		[[ $(status_field "$1" "$f") == "$want" ]] || bad+=("$f: $(status_field "$1" "$f"), expected $want")
	done
	[[ $(status_field "$1" NoNewPrivs) == 1 ]] || bad+=("NoNewPrivs: $(status_field "$1" NoNewPrivs)")
	[[ $(status_field "$1" Seccomp) == 2 ]] || bad+=("Seccomp: $(status_field "$1" Seccomp)")
	((${#bad[@]} == 0)) || fail "${bad[@]}"
}

@test "--sandbox: after ready, no capability at all, no_new_privs, seccomp, and a root holding only etc and proc/sys/net/ipv4" {
	holder_start
	usernet_start --configure --sandbox "$HOLDER_PID"
	grep -E '^(Cap|NoNewPrivs|Seccomp)' "/proc/$USERNET_PID/status" | sed 's/^/# /' >&3
	expect_isolated "$USERNET_PID" 0000000000000000
	[[ $(status_field "$USERNET_PID" Uid) == "$TEST_UID"* ]] || fail "Uid: $(status_field "$USERNET_PID" Uid)"
	need_root "reading the root of a process that is not dumpable"
	# etc (the resolver's directory), and proc/sys/net/ipv4 and the link proc/self/exe that the explanation
	# of a refused privileged port reads
	run ls -A "/proc/$USERNET_PID/root"
	[[ $status == 0 && $output == $'etc\nproc' ]] || fail "the root holds: $output (status $status)"
	# (a sanitizer build binds all of /proc instead, for LeakSanitizer)
	if [[ ! -e /proc/$USERNET_PID/root/proc/1 ]]; then
		run ls -A "/proc/$USERNET_PID/root/proc" "/proc/$USERNET_PID/root/proc/sys" \
			"/proc/$USERNET_PID/root/proc/sys/net"
		[[ $output == *self*sys*net*ipv4 ]] || fail "the root's proc holds: $output"
		[[ $(readlink "/proc/$USERNET_PID/root/proc/self/exe") == "$IT_USERNET" ]] ||
			fail "proc/self/exe: $(readlink "/proc/$USERNET_PID/root/proc/self/exe")"
	fi
	# read-only, even for root of the user namespace the helper joined
	grep -q ' / .*\bro\b' "/proc/$USERNET_PID/mountinfo" || fail "the root is not read-only:" \
		"$(cat "/proc/$USERNET_PID/mountinfo")"
	# and the resolver file is there
	[[ -e /proc/$USERNET_PID/root/etc/resolv.conf ]] || fail "no resolv.conf in the sandbox"
	usernet_stop_ok
}

@test "--enable-sandbox alone: no seccomp; --enable-seccomp alone: the root is not changed" {
	[[ -z ${USERNET_ATTACH_EXTRA:-} ]] || skip "USERNET_ATTACH_EXTRA adds options to every helper"
	need_root "reading the root of a process that is not dumpable"
	holder_start
	usernet_start --configure --enable-sandbox "$HOLDER_PID"
	[[ $(status_field "$USERNET_PID" Seccomp) == 0 ]] || fail "Seccomp: $(status_field "$USERNET_PID" Seccomp)"
	[[ $(status_field "$USERNET_PID" NoNewPrivs) == 1 ]] || fail "NoNewPrivs is not set"
	[[ $(ls -A "/proc/$USERNET_PID/root") == $'etc\nproc' ]] || fail "the root holds: $(ls -A "/proc/$USERNET_PID/root")"
	usernet_stop_ok
	usernet_start --configure --enable-seccomp "$HOLDER_PID"
	[[ $(status_field "$USERNET_PID" Seccomp) == 2 ]] || fail "Seccomp: $(status_field "$USERNET_PID" Seccomp)"
	[[ -e /proc/$USERNET_PID/root/usr ]] || fail "--enable-seccomp alone changed the root"
	usernet_stop_ok
}

@test "--sandbox: traffic both ways (namespace -> host's loopback, published port -> namespace), ICMP" {
	holder_start
	port=$(free_port tcp)
	host_tcp_server 127.0.0.1 "$port" "hello-sandbox-$port"
	pf_serve --tcp 80
	hp=$(pf_free_port tcp)
	usernet_start --configure --sandbox -p "127.0.0.1:$hp:80" "$HOLDER_PID"

	run in_ns socat -T 5 -u "TCP4:10.0.2.2:$port,connect-timeout=5" STDOUT
	[[ $status == 0 && $output == "hello-sandbox-$port" ]] || fail "namespace -> host: status $status, output: $output"
	pf_expect "80 10.0.2.2" tcp 127.0.0.1 "$hp"
	in_ns busybox ping -c 1 -W 2 10.0.2.2 >/dev/null || fail "no ping to the gateway"
	usernet_stop_ok
}

@test "--sandbox: a guest's ping to an outside host where the host refuses ping sockets (ping_group_range '1 0'): no answer, and the helper lives on" {
	need_root "it makes a host network namespace of its own, with ping_group_range '1 0' and an outside address"
	root_netns_start
	local ns=(nsenter -t "$ROOT_NS_PID" -n --)
	# libslirp asks for a ping socket, is refused (EACCES) and falls back to a raw ICMP socket, which the
	# helper's seccomp filter must refuse with an error (EPERM), not by killing the helper
	"${ns[@]}" sh -c 'echo "1 0" >/proc/sys/net/ipv4/ping_group_range' &&
		"${ns[@]}" ip link add pg-a type veth peer name pg-b && "${ns[@]}" ip link set pg-a up &&
		"${ns[@]}" ip link set pg-b up && "${ns[@]}" ip addr add 192.0.2.1/24 dev pg-a ||
		fail "cannot set up the host namespace" || return
	holder_start
	USERNET_PREFIX=("${ns[@]}")
	usernet_start --configure --sandbox "$HOLDER_PID"
	in_ns busybox ping -c 1 -W 2 192.0.2.1 >/dev/null 2>&1 || true
	sleep 0.5
	kill -0 "$USERNET_PID" 2>/dev/null || { usernet_show; fail "the helper died after the guest's ping"; }
	in_ns busybox ping -c 1 -W 2 10.0.2.2 >/dev/null || fail "no ping to the gateway after that"
	usernet_stop_ok
}

@test "--sandbox: Landlock on the empty root; the API adds, lists and removes rules; the socket is removed after SIGTERM" {
	holder_start
	api_setup
	pf_serve --tcp 80
	hp=$(pf_free_port tcp)
	usernet_start --configure --sandbox --debug --api-socket "$API" "$HOLDER_PID"
	[[ -S $API ]] || fail "no API socket"
	# the directory fds kept for the socket lead out of the empty root: Landlock closes that way
	grep -qE 'sandbox: Landlock \(ABI [0-9]+\) on top of the empty root' "$T/err" ||
		fail "no Landlock on the empty root:" "$(grep sandbox "$T/err")"
	api_expect "{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"tcp\",\"host_addr\":\"127.0.0.1\",\"host_port\":$hp,\"guest_addr\":\"\",\"guest_port\":80}}" \
		'{"return":{"id":1}}'
	pf_expect "80 10.0.2.2" tcp 127.0.0.1 "$hp"
	run api_list
	[[ $output == '{"return":{"entries":[{"id":1,"proto":"tcp","host_addr":"127.0.0.1","host_port":'"$hp"',"guest_addr":"10.0.2.100","guest_port":80,'* ]] ||
		fail "unexpected list: $output"
	api_expect '{"execute":"remove_hostfwd","arguments":{"id":1}}' '{"return":{}}'
	api_expect '{"execute":"list_hostfwd"}' '{"return":{"entries":[]}}'
	! listening tcp "$hp" || fail "port $hp still listens after remove_hostfwd"
	usernet_stop_ok
	[[ ! -e $API ]] || fail "the API socket $API is left after SIGTERM"
}

@test "--sandbox: exits 0 when the write end of its exit fd is closed, and when the target dies" {
	holder_start
	mkfifo -m 0600 "$T/exit.fifo"
	exec 7<>"$T/exit.fifo"
	IT_EXIT_WRITER=1
	usernet_start --configure --sandbox --exit-fd 5 "$HOLDER_PID" 5<"$T/exit.fifo"
	sleep 0.3
	alive "$USERNET_PID" || fail "usernet exited while the exit fd was still open"
	exec 7>&-
	IT_EXIT_WRITER=
	usernet_reap 1 || fail "(after the exit fd's write end was closed)"
	[[ $USERNET_STATUS == 0 ]] || fail "exit status $USERNET_STATUS after the exit fd"

	usernet_start --configure --sandbox "$HOLDER_PID"
	stop_pid "$HOLDER_PID"
	usernet_reap 1 || fail "(after the namespace holder died)"
	[[ $USERNET_STATUS == 0 ]] || fail "exit status $USERNET_STATUS after the target died"
}

@test "--sandbox --netns-type=path: works, and exits 0 within 1 s when the namespace file goes away" {
	holder_start
	port=$(free_port tcp)
	host_tcp_server 127.0.0.1 "$port" "hello-path-$port"
	usernet_start --configure --sandbox --netns-type=path --userns-path="/proc/$HOLDER_PID/ns/user" \
		"/proc/$HOLDER_PID/ns/net"
	run in_ns socat -T 5 -u "TCP4:10.0.2.2:$port,connect-timeout=5" STDOUT
	[[ $output == "hello-path-$port" ]] || fail "status $status, output: $output"
	stop_pid "$HOLDER_PID"
	usernet_reap 1 || fail "(after /proc/$HOLDER_PID/ns/net went away)"
	[[ $USERNET_STATUS == 0 ]] || fail "exit status $USERNET_STATUS"
}

@test "--sandbox without privilege: a privileged port refused through the API is explained with the sysctl's value and the binary's path" {
	need_root "it makes a host network namespace of its own, to set its sysctl there"
	root_netns_start
	nsenter -t "$ROOT_NS_PID" -n sysctl -qw net.ipv4.ip_unprivileged_port_start=900
	holder_start
	USERNET_PREFIX=(nsenter -t "$ROOT_NS_PID" -n --)
	api_setup
	usernet_start --configure --sandbox --api-socket "$API" "$HOLDER_PID"
	run api_raw '{"execute":"add_hostfwd","arguments":{"proto":"tcp","host_addr":"127.0.0.1","host_port":80,"guest_addr":"","guest_port":80}}'
	[[ $output == *'(currently 900)'*"(setcap cap_net_bind_service=+ep $IT_USERNET)"* ]] || fail "reply: $output"
	usernet_stop_ok
}

# The DNS server, as in attach-net.bats: dnsmasq run by root on 127.0.0.77:53, answering usernet.test.
dns_query() {
	run in_ns busybox nslookup usernet.test 10.0.2.3
	[[ $output == *192.0.2.42* ]]
}


@test "--sandbox as root of a user namespace of its own (a session): DNS through the host's resolv.conf; no capability left" {
	dns_server_start || return
	usernet_start_session "mount --bind $T/resolv.conf /etc/resolv.conf" --configure --sandbox
	wait_until 5 dns_query || {
		cat "$T/bg.log" >&2
		usernet_show
		fail "nslookup usernet.test 10.0.2.3 inside did not give 192.0.2.42:" "$output"
	}
	# root of its own user namespace, it had every capability there: all gone, the bounding set too
	expect_isolated "$USERNET_PID" 0000000000000000
	[[ $(ls -A "/proc/$USERNET_PID/root") == $'etc\nproc' ]] || fail "the root holds: $(ls -A "/proc/$USERNET_PID/root")"
	usernet_stop_ok
}

@test "--sandbox: DNS follows a resolv.conf reached through two links and replaced by rename" {
	dns_server_start || return
	# /etc/resolv.conf -> $T/l/link.conf -> ../r/resolv.conf, in the session's mount namespace (a tmpfs on
	# its /etc); the file first names a server that does not answer
	mkdir -p "$T/l" "$T/r"
	ln -s ../r/resolv.conf "$T/l/link.conf"
	echo 'nameserver 127.0.0.78' >"$T/r/resolv.conf"
	chmod 0755 "$T/l" "$T/r" && chmod 0644 "$T/r/resolv.conf"
	((IT_ROOT)) && chown -R "$TEST_USER:" "$T/l" "$T/r"
	usernet_start_session "mount -t tmpfs tmpfs /etc && ln -s $T/l/link.conf /etc/resolv.conf" --configure --sandbox
	need_root "reading the root of a process that is not dumpable"
	run readlink "/proc/$USERNET_PID/root/etc/resolv.conf"
	[[ $output == "$T/l/link.conf" ]] || fail "/etc/resolv.conf in the sandbox: $output"
	run readlink "/proc/$USERNET_PID/root$T/l/link.conf"
	[[ $output == ../r/resolv.conf ]] || fail "$T/l/link.conf in the sandbox: $output"

	# replaced by rename, as resolver managers do: the new file is seen
	echo 'nameserver 127.0.0.77' >"$T/r/resolv.conf.new"
	chmod 0644 "$T/r/resolv.conf.new"
	mv -f "$T/r/resolv.conf.new" "$T/r/resolv.conf"
	wait_until 10 dns_query || {
		cat "$T/bg.log" >&2
		usernet_show
		fail "after the rename, nslookup usernet.test 10.0.2.3 did not give 192.0.2.42:" "$output"
	}
	usernet_stop_ok
}

# isolate_setcap CAPS: the helper as a copy of the binary with file capabilities CAPS, sandboxed, in a host
# network namespace whose privileged-port sysctl is 1024; checks its sets and port 80 through the API
isolate_setcap() {
	need setcap
	need_root "it makes a host network namespace of its own, to keep the privileged-port sysctl at 1024"
	root_netns_start
	nsenter -t "$ROOT_NS_PID" -n sysctl -qw net.ipv4.ip_unprivileged_port_start=1024
	holder_start
	USERNET_PREFIX=(nsenter -t "$ROOT_NS_PID" -n --)
	PF_NS=(nsenter -t "$ROOT_NS_PID" -n --)
	pf_serve --tcp 80,81
	install -m 0755 "$IT_USERNET" "$IT_DIR/usernet-cap"
	setcap "$1=+ep" "$IT_DIR/usernet-cap"
	IT_USERNET=$IT_DIR/usernet-cap
	api_setup
	usernet_start --configure --sandbox --api-socket "$API" -p 127.0.0.1:81:81 "$HOLDER_PID"
	grep -E '^(Cap|NoNewPrivs|Seccomp)' "/proc/$USERNET_PID/status" | sed 's/^/# /' >&3
	for f in CapEff CapPrm; do
		[[ $(status_field "$USERNET_PID" $f) == 0000000000000400 ]] || fail "$f: $(status_field "$USERNET_PID" $f)"
	done
	[[ $(status_field "$USERNET_PID" CapInh) == 0000000000000000 ]] || fail "CapInh is not empty"
	[[ $(status_field "$USERNET_PID" CapAmb) == 0000000000000000 ]] || fail "CapAmb is not empty"
	[[ $(status_field "$USERNET_PID" NoNewPrivs) == 1 ]] || fail "NoNewPrivs is not set"
	[[ $(status_field "$USERNET_PID" Seccomp) == 2 ]] || fail "no seccomp"
	pf_expect "81 10.0.2.2" tcp 127.0.0.1 81
	api_expect '{"execute":"add_hostfwd","arguments":{"proto":"tcp","host_addr":"127.0.0.1","host_port":80,"guest_addr":"","guest_port":80}}' \
		'{"return":{"id":2}}'
	pf_expect "80 10.0.2.2" tcp 127.0.0.1 80
}

@test "--sandbox with cap_net_bind_service=+ep: keeps that capability only, and a port-80 rule added through the API after the sandbox works" {
	isolate_setcap cap_net_bind_service
	usernet_stop_ok
	[[ ! -e $API ]] || fail "the API socket $API is left after SIGTERM"
}

@test "--sandbox with cap_net_bind_service,cap_setpcap=+ep: the bounding set is cleared too, but for CAP_NET_BIND_SERVICE" {
	isolate_setcap cap_net_bind_service,cap_setpcap
	[[ $(status_field "$USERNET_PID" CapBnd) == 0000000000000400 ]] || fail "CapBnd: $(status_field "$USERNET_PID" CapBnd)"
	usernet_stop_ok
}

@test "nothing is left running (isolate)" {
	assert_nothing_left
}
