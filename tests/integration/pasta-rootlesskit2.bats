#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# RootlessKit 2.0.2 (Debian 13 root, tests/integration/trixie.bash) with --net=pasta and --pasta-binary pointed at
# one implementation of `pasta`: USERNET_PASTA_IMPL=real (the root's pasta 2025-05, the control) or usernet (the
# binary under test as `pasta`). tests/meson.build runs this file once per implementation. Both port drivers that
# RootlessKit 2.0.2 allows with pasta: none (pasta gets --tcp-ports=none --udp-ports=none) and implicit (pasta
# forwards the ports bound inside: --tcp-ports=auto --udp-ports=auto); it refuses builtin ("network "pasta" requires
# port driver "none" or "implicit""). RootlessKit 2.0.2 runs
# (rootless-containers/rootlesskit v2, pkg/network/pasta/pasta.go):
#   pasta --stderr --ns-ifname=tap0 --mtu=65520 --config-net --address=10.0.2.100 --netmask=24 --gateway=10.0.2.2
#         --dns-forward=10.0.2.3 [--no-map-gw] [--ipv4-only] --tcp-ports=none|auto --udp-ports=none|auto CHILD_PID
# and waits for it to exit 0.

load lib
load trixie
eval "lib_$(declare -f setup_file)"
eval "lib_$(declare -f teardown_file)"

setup_file() {
	lib_setup_file || return
	# the DNS server of the DNS test, one address per implementation: the usernet and real variants of this
	# file run at the same time in the host's network namespace, and other files use 127.0.0.77 and .78
	export DNS_ADDR=127.0.0.80
	if [[ $IMPL == real ]]; then DNS_ADDR=127.0.0.82; fi
	pasta_impl_setup_file "$DNS_ADDR" || return
	install -d -m 0755 "$IT_DIR/trixie/www"
	echo "rootlesskit page" >"$IT_DIR/trixie/www/index.html"
	chmod 0644 "$IT_DIR/trixie/www/index.html"
}

teardown_file() {
	trixie_teardown_file
	lib_teardown_file
}

# rk_start OPTIONS... -- CMD...: RootlessKit with pasta (the implementation IMPL) in the background -> RK_PID;
# its output goes to $T/rk.log
rk_start() {
	local opts=()
	while [[ $1 != -- ]]; do
		opts+=("$1")
		shift
	done
	shift
	trixie_as_user_cmd
	"${TRIXIE_AS_USER[@]}" rootlesskit --net=pasta --pasta-binary "$(pasta_dir "$IMPL")/pasta" \
		--state-dir "/tmp/rk-$BATS_TEST_NUMBER" "${opts[@]}" "$@" </dev/null >"$T/rk.log" 2>&1 3>&- &
	RK_PID=$!
	track "$RK_PID"
}

# rk_wait_get URL: up to 10 s until URL gives the test page, or fail with RootlessKit's output and the helpers
rk_wait_get() {
	wait_until 10 get_is "$1" "rootlesskit page" ||
		fail "$1 did not give the page; last try:" "$(timeout -k 1 5 curl -gsS --max-time 3 "$1" 2>&1)" \
			"rootlesskit:" "$(cat "$T/rk.log")" "helpers:" "$(pasta_show "$IMPL")"
}

# rk_stop_clean: SIGTERM to RootlessKit; it and the helper must be gone within 5 s
rk_stop_clean() {
	kill -TERM "$RK_PID" 2>/dev/null || true
	wait_gone "$RK_PID" 5 || fail "rootlesskit did not exit on SIGTERM" || return
	wait_until 5 pasta_none "$IMPL" || fail "helpers left after rootlesskit exited:" "$(pasta_show "$IMPL")"
}

@test "rootlesskit 2: --port-driver=none: the namespace is configured, a port bound inside is not forwarded" {
	local port out
	port=$(free_port tcp)
	rk_start --port-driver=none -- sh -c \
		"ip -4 addr show tap0 >$TRIXIE_IT/out/rk-addr-$BATS_TEST_NUMBER; exec busybox httpd -f -p $port -h $TRIXIE_IT/www"
	wait_until 10 test -s "$IT_DIR/trixie/out/rk-addr-$BATS_TEST_NUMBER" ||
		fail "the child did not start:" "$(cat "$T/rk.log")" || return
	out=$(cat "$IT_DIR/trixie/out/rk-addr-$BATS_TEST_NUMBER")
	[[ $out == *"10.0.2.100/24"* ]] || fail "tap0 has not 10.0.2.100/24:" "$out" || return
	pasta_pids "$IMPL" >/dev/null || fail "RootlessKit started no $(pasta_dir "$IMPL")/pasta" || return
	sleep 2
	! get_is "http://127.0.0.1:$port/" "rootlesskit page" ||
		fail "port $port is forwarded with --port-driver=none (pasta --tcp-ports=none)" || return
	rk_stop_clean
}

@test "rootlesskit 2: --port-driver=builtin is refused with --net=pasta (RootlessKit itself), no helper started" {
	run in_trixie timeout 20 rootlesskit --net=pasta --pasta-binary "$(pasta_dir "$IMPL")/pasta" \
		--port-driver=builtin --state-dir "/tmp/rk-$BATS_TEST_NUMBER" true
	[[ $status != 0 && $output == *'requires port driver "none" or "implicit"'* ]] ||
		fail "expected RootlessKit's refusal:" "$output" || return
	pasta_none "$IMPL" || fail "a helper was started:" "$(pasta_show "$IMPL")"
}

@test "rootlesskit 2: --port-driver=implicit: a port bound inside is served on the host (pasta -t auto)" {
	local port a4
	port=$(free_port tcp)
	rk_start --port-driver=implicit -- busybox httpd -f -p "$port" -h "$TRIXIE_IT/www"
	rk_wait_get "http://127.0.0.1:$port/" || return
	a4=$(host_addr 4)
	rk_wait_get "http://$a4:$port/" || return
	rk_stop_clean
}

@test "rootlesskit 2: the namespace reaches a server on the host through the gateway 10.0.2.2" {
	local port out
	port=$(free_port tcp)
	host_tcp_server 0.0.0.0 "$port" "hello-from-host-$port" || return
	out=$(in_trixie timeout 20 rootlesskit --net=pasta --pasta-binary "$(pasta_dir "$IMPL")/pasta" \
		--port-driver=none --state-dir "/tmp/rk-$BATS_TEST_NUMBER" \
		sh -c "ip -4 addr show tap0; busybox nc -w 5 10.0.2.2 $port </dev/null" 2>&1) ||
		fail "rootlesskit failed:" "$out" || return
	[[ $out == *"10.0.2.100/24"* ]] || fail "tap0 has not 10.0.2.100/24:" "$out" || return
	[[ $out == *"hello-from-host-$port"* ]] || fail "no answer from the host's server:" "$out" || return
	wait_until 5 pasta_none "$IMPL" || fail "helpers left after rootlesskit exited:" "$(pasta_show "$IMPL")"
}

@test "rootlesskit 2: DNS is answered at --dns-forward 10.0.2.3 (the root's nameserver behind it)" {
	local out
	need dnsmasq || return
	run_dnsmasq_start "$DNS_ADDR" usernet.test 192.0.2.42 2001:db8::42 || return
	out=$(in_trixie timeout 20 rootlesskit --net=pasta --pasta-binary "$(pasta_dir "$IMPL")/pasta" \
		--port-driver=none --state-dir "/tmp/rk-$BATS_TEST_NUMBER" \
		sh -c 'cat /etc/resolv.conf; busybox nslookup usernet.test 10.0.2.3' 2>&1) ||
		fail "rootlesskit failed:" "$out" || return
	[[ $out == *'nameserver 10.0.2.3'* ]] || fail "resolv.conf inside:" "$out" || return
	[[ $out == *192.0.2.42* ]] || fail "no answer for usernet.test:" "$out" "dnsmasq:" "$(cat "$T/bg.log")" || return
	wait_until 5 pasta_none "$IMPL" || fail "helpers left after rootlesskit exited:" "$(pasta_show "$IMPL")"
}

@test "rootlesskit 2: the child's exit status passes through, the helper exits with the namespace" {
	local want
	for want in 0 3 42; do
		run in_trixie timeout 20 rootlesskit --net=pasta --pasta-binary "$(pasta_dir "$IMPL")/pasta" \
			--port-driver=implicit --state-dir "/tmp/rk-$BATS_TEST_NUMBER" sh -c "exit $want"
		[[ $status == "$want" ]] || fail "exit $want gave $status:" "$output" || return
	done
	wait_until 5 pasta_none "$IMPL" || fail "helpers left after rootlesskit exited:" "$(pasta_show "$IMPL")"
}

@test "rootlesskit 2: nothing is left running" {
	pasta_none "$IMPL" || fail "helpers left:" "$(pasta_show "$IMPL")" || return
	assert_nothing_left
}
