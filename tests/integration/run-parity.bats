#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# usernet run, parity with usernet attach: --api-socket (usernet port, stats and capture against a running
# `usernet run`), --outbound-addr, --log-level, --disable-dns, --dns (the helper's meaning and checks), and ping
# inside without privilege (net.ipv4.ping_group_range of the sandbox's network namespace), --display of them

load lib

# parity_ping: PING, a copy of iputils ping without its file capability (the package installs it with
# cap_net_raw=ep): ping works inside only through ICMP echo sockets, which ping_group_range allows
parity_ping() {
	local src
	src=$(command -v ping) || skip_unless_ci "no iputils ping (apt-get install iputils-ping)" || return
	ping -V 2>/dev/null | grep -q iputils || skip_unless_ci "$src is not iputils ping" || return
	PING=$T/ping
	install -m 0755 "$src" "$PING"
	[[ -z $(getcap "$PING" 2>/dev/null) ]] || fail "the copy $PING keeps a file capability" || return
}

# ---------------------------------------------------------------------------------------------- ping

@test "ping inside without a capability: the gateway 10.0.2.2 (libslirp answers) and the sandbox's own 10.0.2.100" {
	parity_ping
	host_range=$(cat /proc/sys/net/ipv4/ping_group_range)
	run_sandbox -- sh -c "cat /proc/sys/net/ipv4/ping_group_range; grep CapEff /proc/self/status
		$PING -c 1 -W 5 10.0.2.2 && $PING -c 1 -W 5 10.0.2.100"
	[[ $status == 0 ]] || fail "ping inside: status $status" "$output" "$stderr"
	[[ ${lines[0]} == $'0\t0' ]] || fail "ping_group_range inside: ${lines[0]}, expected the mapped group 0"
	# no CAP_NET_RAW (bit 13): the ping is not a raw socket
	(((0x${lines[1]##*[[:space:]]} & 1 << 13) == 0)) || fail "CAP_NET_RAW is held inside: ${lines[1]}"
	[[ $output == *'64 bytes from 10.0.2.2'* && $output == *'64 bytes from 10.0.2.100'* ]] ||
		fail "no echo reply:" "$output"
	[[ $(cat /proc/sys/net/ipv4/ping_group_range) == "$host_range" ]] || fail "the host's ping_group_range changed"
}

@test "ping: --map-subids --user 1000: the range covers every mapped group (0 to the last subordinate one)" {
	parity_ping
	read -r _ count < <(run_subid /etc/subgid)
	[[ -n ${count:-} ]] || skip_unless_ci "no /etc/subgid range for $TEST_USER"
	run_sandbox --map-subids --user 1000 -- sh -c "cat /proc/sys/net/ipv4/ping_group_range; $PING -c 1 -W 5 10.0.2.2"
	[[ $status == 0 ]] || fail "ping as 1000: status $status" "$output" "$stderr"
	[[ ${lines[0]} == "0"$'\t'"$count" ]] || fail "ping_group_range inside: ${lines[0]}, expected 0 to $count"
}

@test "ping: --sysctl net.ipv4.ping_group_range='1 0' (the kernel's default) wins: ping fails; --net none: lo" {
	parity_ping
	[[ -n $(run_subid /etc/subgid) ]] || skip_unless_ci "no /etc/subgid range for $TEST_USER"
	# --map-subids: the kernel takes only mapped groups as bounds, and group 1 is mapped only so
	run_sandbox --map-subids --sysctl 'net.ipv4.ping_group_range=1 0' -- sh -c \
		"cat /proc/sys/net/ipv4/ping_group_range; $PING -c 1 -W 2 10.0.2.2"
	# (the kernel stores an empty range as the initial namespace's "1 0", which reads back unmapped here)
	[[ $status != 0 && ${lines[0]} != 0* ]] || fail "status $status" "$output" "$stderr"
	[[ $output$stderr != *'64 bytes from'* ]] || fail "ping worked without the sysctl:" "$output"

	run_sandbox --net none -- "$PING" -c 1 -W 2 127.0.0.1
	[[ $status == 0 && $output == *'64 bytes from 127.0.0.1'* ]] || fail "--net none: status $status" "$output" "$stderr"
}

@test "ping to an outside host through libslirp's ICMP (a 'host' namespace of root's with 192.0.2.1)" {
	parity_ping
	need_root "it makes a host network namespace of its own, whose ping_group_range allows the user"
	root_netns_start
	ns=(nsenter -t "$ROOT_NS_PID" -n --)
	"${ns[@]}" ip link add pa-srv type veth peer name pa-out && "${ns[@]}" ip link set pa-srv up &&
		"${ns[@]}" ip link set pa-out up && "${ns[@]}" ip addr add 192.0.2.1/24 dev pa-srv ||
		fail "cannot set up the veth pair"
	# libslirp pings from the helper with an ICMP echo socket of the host's namespace
	"${ns[@]}" sysctl -qw "net.ipv4.ping_group_range=0 2147483647"
	# three echoes, one reply is enough: a single one was lost once in CI under load (the other passes of the
	# same run answered it)
	run --separate-stderr timeout -k 5 60 "${ns[@]}" "${AS_USER[@]}" "$IT_USERNET" run -- \
		"$PING" -c 3 -i 0.5 -W 5 192.0.2.1 </dev/null
	[[ $status == 0 && $output == *'64 bytes from 192.0.2.1'* ]] || fail "status $status" "$output" "$stderr"
}

# ---------------------------------------------------------------------------------------------- --api-socket

@test "--api-socket: usernet port add publishes a new port a host client reaches; port ls, stats, capture answer" {
	api=$T/api.sock
	hp=$(pf_free_port tcp)
	run_www "hello-parity-$hp"
	run_spawn --api-socket "$api" -- busybox httpd -f -p 80 -h "$T/www"
	wait_until 20 test -S "$api" || {
		run_show
		fail "no API socket at $api"
	}
	# not published yet
	! http_get "http://127.0.0.1:$hp/index.html" 2>/dev/null || fail "port $hp answered before port add"

	run as_user "$IT_USERNET" port add --api-socket "$api" "127.0.0.1:$hp:80"
	[[ $status == 0 ]] || fail "port add: status $status" "$output"
	run_http_expect "http://127.0.0.1:$hp/index.html" "hello-parity-$hp"

	run as_user "$IT_USERNET" port ls --api-socket "$api"
	[[ $status == 0 && $output == *"$hp"* ]] || fail "port ls: status $status" "$output"
	run as_user "$IT_USERNET" stats --api-socket "$api" -o json
	[[ $status == 0 && $output == *'"tap"'* ]] || fail "stats: status $status" "$output"

	run as_user "$IT_USERNET" capture start --api-socket "$api" "$T/live.pcap"
	[[ $status == 0 ]] || fail "capture start: status $status" "$output"
	run http_get "http://127.0.0.1:$hp/index.html"
	run as_user "$IT_USERNET" capture stop --api-socket "$api"
	[[ $status == 0 && $output == *frames* ]] || fail "capture stop: status $status" "$output"
	[[ -s $T/live.pcap ]] || fail "the capture file is empty"

	kill -TERM "$RUN_PID"
	run_reap 10
	[[ ! -e $api ]] || fail "the API socket is left after usernet run exited"
	run_expect_clean
}

@test "--api-socket relative: made absolute (--display), and refused with --net none" {
	run_sandbox --display --api-socket rel.sock -- true
	[[ $status == 0 ]] || fail "status $status" "$stderr"
	grep -Eq "^  API socket: +/.*/rel\.sock$" <<<"$output" || fail "--display:" "$output"
	[[ $output == *'--api-socket=/'*'/rel.sock '* ]] || fail "the helper's line:" "$output"

	RUN_EXPECT=$RUN_USAGE run_sandbox --net none --api-socket "$T/a.sock" -- true
	[[ $stderr == *'--api-socket needs --net usernet'* ]] || fail "$stderr"
}

# ---------------------------------------------------------------------------------------------- DNS

@test "--disable-dns: nothing answers at 10.0.2.3, /etc/resolv.conf is the host's; with --dns ADDR it names ADDR" {
	host_resolv=$(cat /etc/resolv.conf 2>/dev/null || true)
	run_sandbox --disable-dns -- sh -c 'cat /etc/resolv.conf 2>/dev/null; echo ---
		busybox nslookup -timeout=2 localhost 10.0.2.3 >/dev/null 2>&1 && echo answered || echo silent'
	[[ $status == 0 ]] || fail "status $status" "$stderr"
	[[ ${output%%---*} == "$host_resolv"$'\n' || ${output%%---*} == "$host_resolv" ]] ||
		fail "resolv.conf inside is not the host's:" "$output"
	[[ ${lines[-1]} == silent ]] || fail "10.0.2.3 answered with --disable-dns"

	# [IPv6] as attach takes it; resolv.conf has no brackets
	run_sandbox --disable-dns --dns 192.0.2.53 --dns '[2001:db8::53]' -- cat /etc/resolv.conf
	[[ $status == 0 && $output == $'nameserver 192.0.2.53\nnameserver 2001:db8::53' ]] ||
		fail "resolv.conf with --disable-dns --dns: status $status" "$output" "$stderr"
}

@test "--dns ADDR: as in attach, the built-in DNS (10.0.2.3, named by resolv.conf) asks ADDR instead of resolv.conf's" {
	need_root "dnsmasq listens on port 53 of 127.0.0.79"
	need dnsmasq
	run_dnsmasq_start 127.0.0.79 parity.usernet.test 192.0.2.44 2001:db8::44
	# --allow-host-loopback is not needed: the helper asks from the host's namespace
	run_sandbox --dns 127.0.0.79 -- sh -c 'cat /etc/resolv.conf; echo ---; busybox nslookup parity.usernet.test'
	[[ $status == 0 && $output == *192.0.2.44* ]] || fail "nslookup: status $status" "$output" "$stderr"
	[[ ${lines[0]} == 'nameserver 10.0.2.3' && ${lines[1]} == --- ]] || fail "resolv.conf inside:" "$output"
	grep -q 'query\[A\] parity\.usernet\.test' "$T/bg.log" || fail "dnsmasq was not asked:" "$(cat "$T/bg.log")"
}

# ---------------------------------------------------------------------------------------------- outbound, logs

@test "--outbound-addr=192.0.2.7: a host server sees that source address (a 'host' namespace of root's)" {
	need_root "it makes a host network namespace of its own, with addresses to bind to"
	root_netns_start
	ns=(nsenter -t "$ROOT_NS_PID" -n --)
	"${ns[@]}" ip link add po-srv type veth peer name po-out && "${ns[@]}" ip link set po-srv up &&
		"${ns[@]}" ip link set po-out up && "${ns[@]}" ip addr add 192.0.2.1/24 dev po-srv &&
		"${ns[@]}" ip addr add 192.0.2.7/32 dev po-out || fail "cannot set up the veth pair"
	port=$(free_port tcp)
	spawn "${ns[@]}" "${AS_USER[@]}" python3 "$(pf_py_file)" serve --ready "$T/ready" --bind 192.0.2.1 --tcp "$port"
	wait_until 10 test -s "$T/ready" || fail "the host server did not start"
	for want in 192.0.2.1 192.0.2.7; do
		opt=()
		[[ $want == 192.0.2.7 ]] && opt=(--outbound-addr=192.0.2.7)
		run --separate-stderr timeout -k 5 60 "${ns[@]}" "${AS_USER[@]}" "$IT_USERNET" run "${opt[@]}" -- \
			python3 "$(pf_py_file)" get tcp 192.0.2.1 "$port" --timeout 5 </dev/null
		[[ $status == 0 && $output == "$port $want" ]] ||
			fail "${opt[*]:-no option}: status $status, the server saw: $output (want $want)" "$stderr"
	done
}

@test "--log-level debug: the helper's debug lines; --log-level error: none of its info lines" {
	run_sandbox --log-level debug -- true
	[[ $status == 0 && $stderr == *debug* ]] || fail "--log-level debug: status $status" "$stderr"
	[[ $output == *'MTU:'* ]] || fail "--log-level debug: the helper's summary is not shown:" "$output"

	run_sandbox --log-level error -- true
	[[ $status == 0 && $stderr != *debug* && $stderr != *info* ]] || fail "--log-level error: status $status" "$stderr"
	[[ -z $output ]] || fail "--log-level error: output:" "$output"
}

# ---------------------------------------------------------------------------------------------- --display, errors

@test "--display: API socket, DNS, outbound addresses, log level in the helper's line, ping_group_range, resolv.conf" {
	run_sandbox --display --api-socket "$T/a.sock" --dns 192.0.2.53 --outbound-addr 127.0.0.1 \
		--log-level warn -- true
	[[ $status == 0 ]] || fail "status $status" "$stderr"
	for want in "  API socket:     $T/a.sock" '  DNS:            built-in, asking 192.0.2.53' \
		'  outbound IPv4:  from 127.0.0.1' '  sysctl:         net.ipv4.ping_group_range=0 0 (ping without privilege)' \
		'mount namespace:  new; /etc/resolv.conf names 10.0.2.3'; do
		grep -qxF -- "$want" <<<"$output" || fail "no line '$want':" "$output"
	done
	for want in "--api-socket=$T/a.sock" --dns=192.0.2.53 --outbound-addr=127.0.0.1 --log-level=warn; do
		grep -q -- "^  helper: .* $want " <<<"$output" || fail "the helper's line lacks $want:" "$output"
	done

	# the last of --debug and --log-level wins, as in attach; the helper gets that one only
	run_sandbox --display --log-level error --debug -- true
	helper=$(grep '^  helper: ' <<<"$output")
	[[ $helper == *' --debug '* && $helper != *--log-level* ]] || fail "--log-level error --debug:" "$helper"
	run_sandbox --display --debug --log-level error -- true
	helper=$(grep '^  helper: ' <<<"$output")
	[[ $helper != *' --debug '* && $helper == *' --log-level=error '* ]] || fail "--debug --log-level error:" "$helper"

	run_sandbox --display --disable-dns --sysctl 'net.ipv4.ping_group_range=1 0' -- true
	[[ $output == *'  DNS:            none (--disable-dns)'* ]] || fail "--disable-dns:" "$output"
	[[ $output == *'mount namespace:  new'$'\n'* ]] || fail "resolv.conf with --disable-dns:" "$output"
	[[ $output != *'(ping without privilege)'* ]] || fail "the --sysctl of the key does not win:" "$output"
}

@test "bad command line: --dns, --outbound-addr(6), --log-level as attach refuses them (exit 125 as run's usage errors); --net host --dns" {
	for args in '--dns foo' '--dns 0.0.0.0' '--outbound-addr ::1' '--outbound-addr6 192.0.2.1' \
		'--outbound-addr no-such-if0' '--log-level loud' '--api-socket='; do
		# shellcheck disable=SC2086 # split on purpose
		RUN_EXPECT=$RUN_USAGE run_sandbox $args -- true
		[[ $stderr == *error:* ]] || fail "$args: $stderr"
		# shellcheck disable=SC2086
		attach=$(as_user "$IT_USERNET" attach $args 1 2>&1 >/dev/null) || true
		[[ $args == --api-socket= || $stderr == "$attach" ]] || fail "$args: run says '$stderr', attach '$attach'"
	done
	RUN_EXPECT=$RUN_USAGE run_sandbox --net host --dns 192.0.2.53 -- true
	[[ $stderr == *'--dns needs --net usernet'* ]] || fail "$stderr"
}

@test "nothing is left running (run-parity)" {
	assert_nothing_left
}
