#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# Privileged host ports (below net.ipv4.ip_unprivileged_port_start): refused with both remedies named, at
# start and over the API; allowed when the sysctl permits it, or when the binary has CAP_NET_BIND_SERVICE (and
# then it keeps that capability only).
#
# usernet runs as the user in a "host" network namespace that root makes (root_netns_start): owned by the
# initial user namespace, where the user has no capability, so binding there is as unprivileged as on the real
# host, while the test may set that namespace's sysctl without touching the host's. (A namespace of the user's
# own, `unshare -rn`, would not do: the user is root there and holds CAP_NET_BIND_SERVICE in it.)

load lib

# start_host_ns SYSCTL: root's "host" namespace with net.ipv4.ip_unprivileged_port_start=SYSCTL, a holder,
# servers inside (ports 80, 81, 53/udp say "PORT CLIENT-ADDRESS"); usernet (usernet_start/run_usernet) and
# the clients (pf_client) then run in the host namespace
start_host_ns() {
	need_root "it makes a host network namespace of its own, to set its sysctl there and not on the host"
	root_netns_start
	nsenter -t "$ROOT_NS_PID" -n sysctl -qw "net.ipv4.ip_unprivileged_port_start=$1"
	[[ $(nsenter -t "$ROOT_NS_PID" -n cat /proc/sys/net/ipv4/ip_unprivileged_port_start) == "$1" ]] ||
		fail "cannot set the sysctl in the host namespace"
	holder_start
	USERNET_PREFIX=(nsenter -t "$ROOT_NS_PID" -n --)
	PF_NS=(nsenter -t "$ROOT_NS_PID" -n --)
	pf_serve --tcp 80,81 --udp 53
}

# privileged_msg PORT PROTO SYSCTL: the explanation, as usernet words it (portfwd/privport.c)
privileged_msg() {
	echo "cannot publish host port $1/$2: ports below net.ipv4.ip_unprivileged_port_start (currently $3) need" \
		"privilege; either lower it as root (sysctl -w net.ipv4.ip_unprivileged_port_start=$1) or grant" \
		"CAP_NET_BIND_SERVICE to usernet (setcap cap_net_bind_service=+ep $IT_USERNET)"
}

@test "host port 80 at the default sysctl (1024): exit 5, the message names the port, the sysctl, its value and both remedies" {
	start_host_ns 1024
	run_usernet attach --configure -p 80:80 "$HOLDER_PID"
	assert_error 5 'cannot publish host port 80/tcp' net.ipv4.ip_unprivileged_port_start 'currently 1024' \
		'sysctl -w net.ipv4.ip_unprivileged_port_start=80' CAP_NET_BIND_SERVICE
	[[ ${stderr##*usernet: error: } == "$(privileged_msg 80 tcp 1024)" ]] || fail "unexpected message:" "$stderr"
	# UDP too, and a port in a range
	run_usernet attach --configure -p 127.0.0.1:53:53/udp "$HOLDER_PID"
	assert_error 5 'cannot publish host port 53/udp' 'currently 1024' 'sysctl -w net.ipv4.ip_unprivileged_port_start=53'
	run_usernet attach --configure -p 127.0.0.1:1023-1024:80-81 "$HOLDER_PID"
	assert_error 5 'cannot publish host port 1023/tcp' 'currently 1024' 'ip_unprivileged_port_start=1023'
}

@test "add_hostfwd of host port 80 at the default sysctl: the same explanation reaches the API client" {
	start_host_ns 1024
	api_setup
	usernet_start --configure --api-socket "$API" "$HOLDER_PID"
	before=$(api_list)
	api_expect '{"execute":"add_hostfwd","arguments":{"proto":"tcp","host_addr":"","host_port":80,"guest_addr":"","guest_port":80}}' \
		"{\"error\":{\"desc\":\"bad request: add_hostfwd: $(privileged_msg 80 tcp 1024)\"}}"
	run --separate-stderr as_user "$IT_USERNET" port add --api-socket "$API" 127.0.0.1:80:80
	[[ $status != 0 && $stderr == *"$(privileged_msg 80 tcp 1024)"* ]] || fail "usernet port add: status $status" "$stderr"
	[[ $(api_list) == "$before" ]] || fail "the rule list changed: $(api_list)"
	# the same text as at start
	usernet_stop_ok
	run_usernet attach --configure -p 80:80 "$HOLDER_PID"
	[[ ${stderr##*usernet: error: } == "$(privileged_msg 80 tcp 1024)" ]] || fail "start and API differ:" "$stderr"
}

@test "with the host namespace's sysctl lowered to 80, host port 80 works, at start and over the API; 79 does not" {
	start_host_ns 80
	api_setup
	usernet_start --configure --api-socket "$API" -p 127.0.0.1:80:80 "$HOLDER_PID"
	pf_expect "80 10.0.2.2" tcp 127.0.0.1 80
	api_expect '{"execute":"add_hostfwd","arguments":{"proto":"udp","host_addr":"127.0.0.1","host_port":80,"guest_addr":"","guest_port":53}}' \
		'{"return":{"id":2}}'
	pf_expect "53 10.0.2.2" udp 127.0.0.1 80
	run api_raw '{"execute":"add_hostfwd","arguments":{"proto":"tcp","host_addr":"127.0.0.1","host_port":79,"guest_addr":"","guest_port":81}}'
	[[ $output == '{"error":{"desc":"bad request: add_hostfwd: cannot publish host port 79/tcp: '*'(currently 80)'*'ip_unprivileged_port_start=79'* ]] ||
		fail "port 79 with the sysctl at 80:" "$output"
	usernet_stop_ok
}

@test "a copy of the binary with cap_net_bind_service=+ep publishes port 80 at the default sysctl, and keeps only that capability" {
	need setcap
	start_host_ns 1024
	install -m 0755 "$IT_USERNET" "$IT_DIR/usernet-cap"
	setcap cap_net_bind_service=+ep "$IT_DIR/usernet-cap"
	[[ $(getcap "$IT_DIR/usernet-cap") == *cap_net_bind_service* ]] || fail "setcap did not take: $(getcap "$IT_DIR/usernet-cap")"
	IT_USERNET=$IT_DIR/usernet-cap
	api_setup
	usernet_start --configure --api-socket "$API" -p 127.0.0.1:80:80 "$HOLDER_PID"
	pf_expect "80 10.0.2.2" tcp 127.0.0.1 80
	run grep -E '^(Uid|Cap(Inh|Prm|Eff|Amb)):' "/proc/$USERNET_PID/status"
	echo "$output" | sed 's/^/# /' >&3
	# it runs as the user...
	grep -qx "Uid:	$TEST_UID	$TEST_UID	$TEST_UID	$TEST_UID" "/proc/$USERNET_PID/status" ||
		fail "the helper does not run as $TEST_USER:" "$output"
	# ...with CAP_NET_BIND_SERVICE (bit 10) and nothing else
	grep -qx $'CapPrm:\t0000000000000400' "/proc/$USERNET_PID/status" || fail "CapPrm:" "$output"
	grep -qx $'CapEff:\t0000000000000400' "/proc/$USERNET_PID/status" || fail "CapEff:" "$output"
	grep -qx $'CapInh:\t0000000000000000' "/proc/$USERNET_PID/status" || fail "CapInh:" "$output"
	grep -qx $'CapAmb:\t0000000000000000' "/proc/$USERNET_PID/status" || fail "CapAmb:" "$output"
	# and it may still publish a privileged port over the API
	api_expect '{"execute":"add_hostfwd","arguments":{"proto":"tcp","host_addr":"127.0.0.1","host_port":81,"guest_addr":"","guest_port":81}}' \
		'{"return":{"id":2}}'
	pf_expect "81 10.0.2.2" tcp 127.0.0.1 81
	usernet_stop_ok
}

@test "nothing is left running (portfwd-privileged)" {
	assert_nothing_left
}
