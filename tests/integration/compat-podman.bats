#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# Podman 4.3 (Debian) drives usernet as its slirp4netns: containers.conf network_cmd_path points at a symlink
# named slirp4netns. Each scenario runs first with the real slirp4netns 1.2.0 (control), then with usernet.
# Podman runs as the test user; its busybox image, storage, runtime directory and DNS server are the test's
# own (compat.bash). Podman passes --enable-sandbox --enable-seccomp, --disable-host-loopback, -c, -e, -r,
# --netns-type=path, and with port_handler=slirp4netns --api-socket.

load lib
load compat
# lib.bash's setup_file and teardown_file (USERNET, the root-only setup, IT_DIR), extended below
eval "lib_$(declare -f setup_file)"
eval "lib_$(declare -f teardown_file)"
eval "lib_$(declare -f teardown)"

setup_file() {
	lib_setup_file || return
	need_root "Podman's DNS server is bound to 127.0.0.77:53, and its /etc/resolv.conf is bind-mounted" || return
	need podman curl socat dnsmasq || return
	compat_setup_file
	compat_udp_echo || return
	podman_setup_file
}

# teardown: also remove the containers of a test that failed half-way
teardown() {
	[[ -z ${PM_RUN:-} ]] || pm control rm -af -t 0 >/dev/null 2>&1 || true
	lib_teardown
}

teardown_file() {
	podman_teardown_file
	lib_teardown_file
}

# pm_http_container WHICH NETWORK PUBLISH...: a detached container serving the image's /etc with busybox
# httpd on port 80 and running udp-echo on 5353/udp; PM_CID
pm_http_container() {
	local which=$1 network=$2
	shift 2
	PM_CID=$(pm "$which" run -d --name "it$BATS_TEST_NUMBER-$which" --network "$network" "$@" \
		-v "$IT_DIR/udp-echo:/udp-echo:ro" "$PM_IMAGE" \
		sh -c '/udp-echo 5353 & exec httpd -f -p 80 -h /etc') || fail "podman run failed: $PM_CID" || return
}

# pm_stopped_clean WHICH: stop and remove the container; its helper must exit. usernet must also have removed
# its API socket file; slirp4netns 1.2.0 leaves it behind when sandboxed (its pivot_root hides the path), which
# is why Podman unlinks stale ones.
pm_stopped_clean() {
	pm "$1" stop -t 0 "$PM_CID" >/dev/null || fail "podman stop failed" || return
	wait_until 5 s4_none "$1" || fail "the helper is still running after the container stopped:" \
		"$(s4_pids "$1" | xargs -r ps -o pid,args -p)" || return
	if [[ $1 == usernet && -e $PM_RUN/libpod/tmp/$PM_CID.net ]]; then
		fail "the API socket file is left: $PM_RUN/libpod/tmp/$PM_CID.net" || return
	fi
	pm "$1" rm "$PM_CID" >/dev/null || fail "podman rm failed"
}

# --- default port handler (rootlessport), DNS, exit with the container

podman_default() {
	local which=$1 port out
	port=$(free_port)
	run_dnsmasq_start 127.0.0.77 usernet.test 192.0.2.42 2001:db8::42
	pm_http_container "$which" slirp4netns -p "$port:80" || return
	s4_pids "$which" >/dev/null || fail "podman did not start $(s4_bin "$which")" || return
	wait_until 10 curl_has "http://127.0.0.1:$port/page.html" 'usernet drop-in test page' ||
		fail "the container's server is not reached through 127.0.0.1:$port" || return
	out=$(pm "$which" exec "$PM_CID" nslookup usernet.test 10.0.2.3 2>&1) || true
	[[ $out == *192.0.2.42* ]] || fail "DNS through the helper (10.0.2.3 -> 127.0.0.77):" "$out" || return
	out=$(pm "$which" exec "$PM_CID" cat /etc/resolv.conf)
	[[ $out == *'nameserver 10.0.2.3'* ]] || fail "resolv.conf of the container:" "$out" || return
	pm_stopped_clean "$which"
}

@test "podman, control slirp4netns: -p HOST:80 (rootlessport), DNS via 10.0.2.3, helper exits with the container" {
	podman_default control
}

@test "podman, usernet: -p HOST:80 (rootlessport), DNS via 10.0.2.3, helper exits with the container" {
	podman_default usernet
}

# --- port_handler=slirp4netns: the API socket

podman_api_ports() {
	local which=$1 tcp udp lo out
	tcp=$(free_port) udp=$(free_port) lo=$(free_port)
	pm_http_container "$which" slirp4netns:port_handler=slirp4netns \
		-p "$tcp:80" -p "$udp:5353/udp" -p "127.0.0.1:$lo:80" || return
	[[ -n $(pm_api_sockets) ]] || fail "no API socket in $PM_RUN/libpod/tmp" || return
	wait_until 10 curl_has "http://127.0.0.1:$tcp/page.html" 'usernet drop-in test page' ||
		fail "TCP $tcp: not reached" || return
	# slirp4netns 1.2.0 (libslirp 4.7) never answers here: its UDP forwarding is only checked with usernet
	if [[ $which == usernet ]]; then
		wait_until 5 udp_echo_is 127.0.0.1 "$udp" || fail "UDP $udp: no echo" || return
	elif ! wait_until 2 udp_echo_is 127.0.0.1 "$udp"; then
		echo "# control: slirp4netns gave no UDP echo on $udp (known)" >&3
	fi
	curl_has "http://127.0.0.1:$lo/page.html" 'usernet drop-in test page' ||
		fail "127.0.0.1:$lo: not reached" || return
	out=$(ss -Hltn "sport = :$lo")
	[[ $out == *"127.0.0.1:$lo"* && $out != *"0.0.0.0:$lo"* ]] ||
		fail "-p 127.0.0.1:$lo:80 must listen on 127.0.0.1 only:" "$out" || return
	pm_stopped_clean "$which"
}

@test "podman, control slirp4netns: port_handler=slirp4netns, TCP and 127.0.0.1 ports through the API (UDP unanswered)" {
	podman_api_ports control
}

@test "podman, usernet: port_handler=slirp4netns, TCP, UDP and 127.0.0.1 ports through the API" {
	podman_api_ports usernet
}

@test "podman, control slirp4netns: port_handler=slirp4netns refuses -p [::1]:PORT:80 (its known limitation)" {
	local port
	port=$(free_port)
	run pm control run -d --name "it$BATS_TEST_NUMBER" --network slirp4netns:port_handler=slirp4netns \
		-p "[::1]:$port:80" "$PM_IMAGE" httpd -f -p 80 -h /etc
	[[ $status != 0 && $output == *host_addr* ]] || fail "expected the refusal of an IPv6 host_addr:" "$output"
	pm control rm -f "it$BATS_TEST_NUMBER" >/dev/null 2>&1 || true
}

@test "podman, usernet: port_handler=slirp4netns publishes -p [::1]:PORT:80" {
	local port out
	[[ -e /proc/net/if_inet6 ]] || skip_unless_ci "the host has no IPv6" || return
	port=$(free_port)
	pm_http_container usernet slirp4netns:port_handler=slirp4netns -p "[::1]:$port:80" || return
	wait_until 10 curl_has "http://[::1]:$port/page.html" 'usernet drop-in test page' ||
		fail "[::1]:$port: not reached" || return
	out=$(ss -Hltn "sport = :$port")
	[[ $out == *"[::1]:$port"* ]] || fail "must listen on [::1] only:" "$out" || return
	pm_stopped_clean usernet
}

# podman_busy WHICH: a host port in use makes `podman run` fail; the container stays Created
podman_busy() {
	local which=$1 port
	port=$(free_port)
	host_tcp_server 0.0.0.0 "$port" busy || return
	run pm "$which" run -d --name "it$BATS_TEST_NUMBER-$which" --network slirp4netns:port_handler=slirp4netns \
		-p "$port:80" "$PM_IMAGE" httpd -f -p 80 -h /etc
	[[ $status != 0 ]] || fail "podman run succeeded with host port $port in use:" "$output" || return
	BUSY_OUTPUT=$output BUSY_PORT=$port
	run pm "$which" inspect -f '{{.State.Status}}' "it$BATS_TEST_NUMBER-$which"
	[[ $output == created ]] || fail "the container should stay Created:" "$output" || return
	pm "$which" rm -f "it$BATS_TEST_NUMBER-$which" >/dev/null
	wait_until 5 s4_none "$which" || fail "a helper is left after the failed run"
}

@test "podman, control slirp4netns: a busy host port makes podman run fail (slirp_add_hostfwd failed)" {
	podman_busy control || return
	[[ $BUSY_OUTPUT == *'add_hostfwd'* ]] || fail "$BUSY_OUTPUT"
}

@test "podman, usernet: a busy host port makes podman run fail, naming the port and the cause" {
	podman_busy usernet || return
	[[ $BUSY_OUTPUT == *'already in use'* && $BUSY_OUTPUT == *":$BUSY_PORT"* ]] ||
		fail "the port and the cause are not named:" "$BUSY_OUTPUT"
}

# --- network options: allow_host_loopback, mtu, cidr

podman_options() {
	local which=$1 port out
	port=$(free_port)
	host_tcp_server 127.0.0.1 "$port" host-loopback-$which || return
	run pm "$which" run --rm --network slirp4netns:allow_host_loopback=true,mtu=1500,cidr=10.0.7.0/24 \
		"$PM_IMAGE" sh -c "ip -o addr show tap0; ip -o link show tap0; ip route; nc 10.0.7.2 $port </dev/null"
	[[ $status == 0 ]] || fail "podman run failed:" "$output" || return
	[[ $output == *'inet 10.0.7.100/24'* ]] || fail "no 10.0.7.100/24 on tap0:" "$output" || return
	[[ $output == *'mtu 1500 '* ]] || fail "tap0's MTU is not 1500:" "$output" || return
	[[ $output == *'default via 10.0.7.2'* ]] || fail "no default route via 10.0.7.2:" "$output" || return
	[[ $output == *"host-loopback-$which"* ]] || fail "10.0.7.2:$port did not reach the host's 127.0.0.1:" "$output" ||
		return
	# and by default (no allow_host_loopback) Podman passes --disable-host-loopback
	run pm "$which" run --rm --network slirp4netns "$PM_IMAGE" sh -c "nc -w 2 10.0.2.2 $port </dev/null"
	[[ $output != *"host-loopback-$which"* ]] || fail "the host's loopback is reachable by default:" "$output" || return
	wait_until 5 s4_none "$which" || fail "a helper is left after podman run --rm"
}

@test "podman, control slirp4netns: allow_host_loopback=true, mtu=1500, cidr=10.0.7.0/24" {
	podman_options control
}

@test "podman, usernet: allow_host_loopback=true, mtu=1500, cidr=10.0.7.0/24" {
	podman_options usernet
}

@test "podman, usernet: the helper ran as usernet, confined as Podman asked (sandbox and seccomp)" {
	local pid status_file
	pm_http_container usernet slirp4netns || return
	pid=$(s4_pids usernet | head -n1)
	[[ -n $pid ]] || fail "no helper" || return
	[[ $(readlink "/proc/$pid/exe") == */usernet ]] || fail "the helper is $(readlink "/proc/$pid/exe")" || return
	status_file=$(cat "/proc/$pid/status")
	[[ $status_file == *$'Seccomp:\t2'* ]] || fail "no seccomp filter:" "$status_file" || return
	[[ $status_file == *$'NoNewPrivs:\t1'* ]] || fail "no_new_privs is not set" || return
	[[ $(ls "/proc/$pid/root/") != *usr* ]] || fail "not in the empty sandbox root: $(ls "/proc/$pid/root/")" || return
	pm_stopped_clean usernet
}

@test "podman info: the network command is usernet, with slirp4netns's version lines" {
	run pm usernet info
	[[ $status == 0 ]] || fail "podman info failed:" "$output" || return
	[[ $output == *"executable: $S4_USERNET"* && $output == *'slirp4netns version 1.2.0 (usernet '* ]] ||
		fail "podman info:" "$(grep -A8 'slirp4netns:' <<<"$output")"
}

@test "podman: nothing left" {
	pm control ps -a --format '{{.Names}}' >"$IT_DIR/pm-left" 2>/dev/null || true
	[[ ! -s $IT_DIR/pm-left ]] || fail "containers left: $(cat "$IT_DIR/pm-left")" || return
	s4_none usernet || fail "usernet helpers left" || return
	s4_none control || fail "slirp4netns helpers left" || return
	assert_nothing_left
}
