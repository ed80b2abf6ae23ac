#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# Podman 5.4.2 (Debian 13 root, tests/integration/trixie.bash) with its default rootless network, pasta, pointed at
# one implementation of `pasta` through containers.conf helper_binaries_dir: USERNET_PASTA_IMPL=real (the root's
# pasta 2025-05, the control) or usernet (the binary under test as `pasta`). tests/meson.build runs this file once
# per implementation. Podman 5.4.2 runs, for `podman run -p 18500:80`:
#   pasta --config-net -t 18500-18500:80-80 --dns-forward 169.254.1.1 -u none -T none -U none --no-map-gw --quiet
#         --netns /run/user/UID/netns/netns-... --map-guest-addr 169.254.1.2
# and waits for it to exit 0 (it daemonises once the namespace is configured).

load lib
load compat
load trixie
eval "lib_$(declare -f setup_file)"
eval "lib_$(declare -f teardown_file)"
eval "lib_$(declare -f teardown)"

setup_file() {
	lib_setup_file || return
	# the DNS server of the DNS test, one address per implementation: the usernet and real variants of this
	# file run at the same time in the host's network namespace, and other files use 127.0.0.77 and .78
	export DNS_ADDR=127.0.0.79
	if [[ $IMPL == real ]]; then DNS_ADDR=127.0.0.81; fi
	pasta_impl_setup_file "$DNS_ADDR" || return
	trixie_image || return
	compat_udp_echo || return
	cp "$IT_DIR/udp-echo" "$IT_DIR/trixie/udp-echo"
}

# teardown: also remove the containers of a test that failed half-way
teardown() {
	[[ -z ${TRIXIE_PID:-} ]] || pm5 "$IMPL" rm -af -t 0 >/dev/null 2>&1 || true
	lib_teardown
}

teardown_file() {
	trixie_teardown_file
	lib_teardown_file
}

# http_container NAME PUBLISH...: a detached container NAME serving "page of NAME" with busybox httpd on port 80
http_container() {
	local name=$1 out
	shift
	out=$(pm5 "$IMPL" run -d --name "$name" "$@" "$PM5_IMAGE" \
		sh -c "mkdir -p /www && echo 'page of $name' >/www/index.html && exec httpd -f -p 80 -h /www" 2>&1) ||
		fail "podman run $name failed:" "$out"
}

# wait_get URL TEXT: up to 10 s until URL gives TEXT, or fail with the last answer and the helpers
wait_get() {
	wait_until 10 get_is "$1" "$2" ||
		fail "$1 did not give '$2'; last try:" "$(timeout -k 1 5 curl -gsS --max-time 3 "$1" 2>&1)" \
			"helpers:" "$(pasta_show "$IMPL")"
}

# removed_clean NAME...: podman rm -f the containers; no helper of the implementation is left
removed_clean() {
	local out
	out=$(pm5 "$IMPL" rm -f -t 0 "$@" 2>&1) || fail "podman rm -f failed:" "$out" || return
	wait_until 5 pasta_none "$IMPL" || fail "helpers left after podman rm -f:" "$(pasta_show "$IMPL")"
}

@test "podman 5: a published port serves from the host over IPv4 and IPv6 (loopback and the host's addresses)" {
	local port a4 a6
	port=$(free_port tcp)
	http_container "pub$BATS_TEST_NUMBER" -p "$port:80" || return
	pasta_pids "$IMPL" >/dev/null || fail "Podman started no $(pasta_dir "$IMPL")/pasta" || return
	wait_get "http://127.0.0.1:$port/" "page of pub$BATS_TEST_NUMBER" || return
	wait_get "http://[::1]:$port/" "page of pub$BATS_TEST_NUMBER" || return
	a4=$(host_addr 4) a6=$(host_addr 6)
	[[ -n $a4 && -n $a6 ]] || fail "the host has no global IPv4 and IPv6 address: '$a4' '$a6'" || return
	wait_get "http://$a4:$port/" "page of pub$BATS_TEST_NUMBER" || return
	wait_get "http://[$a6]:$port/" "page of pub$BATS_TEST_NUMBER" || return
	removed_clean "pub$BATS_TEST_NUMBER"
}

@test "podman 5: a container reaches a server on the host through host.containers.internal" {
	local port out
	port=$(free_port tcp)
	host_tcp_server 0.0.0.0 "$port" "hello-from-host-$port" || return
	out=$(pm5 "$IMPL" run --rm "$PM5_IMAGE" sh -c \
		"grep host.containers.internal /etc/hosts; nc -w 5 host.containers.internal $port </dev/null; echo nc=\$?" 2>&1) ||
		fail "podman run failed:" "$out" || return
	[[ $out == *"hello-from-host-$port"* ]] || fail "no answer from the host's server:" "$out" || return
	wait_until 5 pasta_none "$IMPL" || fail "helpers left after podman run --rm:" "$(pasta_show "$IMPL")"
}

@test "podman 5: podman run --rm passes the container's exit status through" {
	local want
	for want in 0 1 3 42 125; do
		run pm5 "$IMPL" run --rm "$PM5_IMAGE" sh -c "exit $want"
		[[ $status == "$want" ]] || fail "exit $want gave $status:" "$output" || return
	done
	wait_until 5 pasta_none "$IMPL" || fail "helpers left after podman run --rm:" "$(pasta_show "$IMPL")"
}

@test "podman 5: podman rm -f leaves no helper process" {
	local out
	out=$(pm5 "$IMPL" run -d --name "rm$BATS_TEST_NUMBER" "$PM5_IMAGE" sleep 1000 2>&1) ||
		fail "podman run failed:" "$out" || return
	pasta_pids "$IMPL" >/dev/null || fail "Podman started no $(pasta_dir "$IMPL")/pasta" || return
	removed_clean "rm$BATS_TEST_NUMBER"
}

@test "podman 5: four containers started in parallel, each with its published port" {
	local port i pids=() names=() st=0
	port=$(free_port tcp 4)
	for i in 0 1 2 3; do
		names+=("par$BATS_TEST_NUMBER-$i")
		http_container "par$BATS_TEST_NUMBER-$i" -p "$((port + i)):80" >"$T/par$i.log" 2>&1 &
		pids+=($!)
	done
	for i in 0 1 2 3; do
		wait "${pids[i]}" || st=1
	done
	((st == 0)) || fail "a parallel podman run failed:" "$(cat "$T"/par*.log)" || return
	for i in 0 1 2 3; do
		wait_get "http://127.0.0.1:$((port + i))/" "page of par$BATS_TEST_NUMBER-$i" || return
	done
	[[ $(pasta_netns_count "$IMPL") == 4 ]] || fail "expected helpers for 4 namespaces:" "$(pasta_show "$IMPL")" ||
		return
	removed_clean "${names[@]}"
}

@test "podman 5: DNS is answered at --dns-forward 169.254.1.1 (the root's nameserver behind it)" {
	local out
	need dnsmasq || return
	run_dnsmasq_start "$DNS_ADDR" usernet.test 192.0.2.42 2001:db8::42 || return
	out=$(pm5 "$IMPL" run --rm "$PM5_IMAGE" sh -c 'cat /etc/resolv.conf; nslookup usernet.test' 2>&1) ||
		fail "podman run failed:" "$out" || return
	[[ $out == *'nameserver 169.254.1.1'* ]] || fail "resolv.conf of the container:" "$out" || return
	[[ $out == *192.0.2.42* ]] || fail "no answer for usernet.test:" "$out" "dnsmasq:" "$(cat "$T/bg.log")"
}

@test "podman 5: a published UDP port (-p PORT:5353/udp) echoes from the host" {
	local port
	port=$(free_port udp)
	PUB_OUT=$(pm5 "$IMPL" run -d --name "udp$BATS_TEST_NUMBER" -p "$port:5353/udp" \
		-v "$TRIXIE_IT/udp-echo:/udp-echo:ro" "$PM5_IMAGE" /udp-echo 5353 2>&1) ||
		fail "podman run failed:" "$PUB_OUT" || return
	wait_until 10 udp_echo_is 127.0.0.1 "$port" ||
		fail "no echo on 127.0.0.1:$port/udp; helpers:" "$(pasta_show "$IMPL")" || return
	removed_clean "udp$BATS_TEST_NUMBER"
}

@test "podman 5: -p 127.0.0.1:PORT:80 serves on 127.0.0.1 only" {
	local port out
	port=$(free_port tcp)
	http_container "lo$BATS_TEST_NUMBER" -p "127.0.0.1:$port:80" || return
	wait_get "http://127.0.0.1:$port/" "page of lo$BATS_TEST_NUMBER" || return
	out=$(ss -Hltn "sport = :$port")
	[[ $out == *"127.0.0.1:$port"* && $out != *"0.0.0.0:$port"* && $out != *"[::]:$port"* ]] ||
		fail "-p 127.0.0.1:$port:80 must listen on 127.0.0.1 only:" "$out" || return
	removed_clean "lo$BATS_TEST_NUMBER"
}

@test "podman 5: stop and start: the restarted container gets a new helper and its port serves again" {
	local port out
	port=$(free_port tcp)
	http_container "re$BATS_TEST_NUMBER" -p "$port:80" || return
	wait_get "http://127.0.0.1:$port/" "page of re$BATS_TEST_NUMBER" || return
	out=$(pm5 "$IMPL" stop -t 0 "re$BATS_TEST_NUMBER" 2>&1) || fail "podman stop failed:" "$out" || return
	wait_until 5 pasta_none "$IMPL" || fail "helpers left after podman stop:" "$(pasta_show "$IMPL")" || return
	out=$(pm5 "$IMPL" start "re$BATS_TEST_NUMBER" 2>&1) || fail "podman start failed:" "$out" || return
	wait_get "http://127.0.0.1:$port/" "page of re$BATS_TEST_NUMBER" || return
	removed_clean "re$BATS_TEST_NUMBER"
}

@test "podman 5: an unknown pasta option in --network pasta:OPTS fails the run with the option named, nothing left" {
	run pm5 "$IMPL" run --rm --network pasta:--no-such-option "$PM5_IMAGE" true
	[[ $status != 0 && $output == *no-such-option* ]] || fail "expected a failure naming the option:" "$output" ||
		return
	wait_until 5 pasta_none "$IMPL" || fail "helpers left:" "$(pasta_show "$IMPL")"
}

@test "podman 5: nothing is left running" {
	pasta_none "$IMPL" || fail "helpers left:" "$(pasta_show "$IMPL")" || return
	assert_nothing_left
}
