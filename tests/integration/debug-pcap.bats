#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# Debugging: packet capture of the tap (--pcap, --pcap-max-size rotation, SIGUSR1 flush, start_capture and
# stop_capture over the API, usernet run --pcap) read back with tshark; the per-connection --debug lines of
# published ports; --log-level; capture files in a shared directory (another user's file or link is refused),
# the default size cap.

load lib

# tsh FILE FILTER FIELD...: tshark's FIELDs (space-separated) of the frames of FILE that match the display
# filter FILTER, one line per frame; tshark's exit status (non-zero for a damaged file)
tsh() {
	local file=$1 filter=$2 f args=()
	shift 2
	for f; do args+=(-e "$f"); done
	tshark -n -r "$file" -Y "$filter" -T fields -E separator=' ' "${args[@]}" 2>>"$T/tshark.err"
}

# tsh_count FILE FILTER: how many frames of FILE match FILTER (fails if tshark cannot read FILE)
tsh_count() {
	local out
	out=$(tsh "$1" "$2" frame.number) || { fail "tshark cannot read $1:" "$(cat "$T/tshark.err")"; return; }
	grep -c . <<<"$out" || true
}

# sandboxed (lib.bash): the API cannot create files then

# gw_get PORT: inside, connect to the gateway 10.0.2.2:PORT (the host's loopback) and print what it sends
gw_get() { in_ns timeout -k 1 10 socat -T 5 -u "TCP4:10.0.2.2:$1,connect-timeout=5" STDOUT; }

# syn_count FILE PORT, synack_count FILE PORT: the guest's SYNs to 10.0.2.2:PORT, and the answers
syn_count() {
	tsh_count "$1" "ip.src==10.0.2.100 && ip.dst==10.0.2.2 && tcp.dstport==$2 && tcp.flags.syn==1 && tcp.flags.ack==0"
}
synack_count() {
	tsh_count "$1" "ip.src==10.0.2.2 && ip.dst==10.0.2.100 && tcp.srcport==$2 && tcp.flags.syn==1 && tcp.flags.ack==1"
}

# assert_some N WHAT: N is a number of at least 1 (an empty N, from a failed tsh_count, is not)
assert_some() { [[ $1 =~ ^[0-9]+$ && $1 -ge 1 ]] || fail "$2: $1"; }

@test "--pcap: tshark shows the guest's TCP handshake with the gateway and a DNS query and its answer" {
	need tshark
	dns_server_start || return
	port=$(pf_free_port tcp)
	host_tcp_server 127.0.0.1 "$port" "hello-$port"

	usernet_start_session "mount --bind $T/resolv.conf /etc/resolv.conf" --configure --pcap "$T/cap.pcap"
	run gw_get "$port"
	[[ $status == 0 && $output == "hello-$port" ]] || fail "TCP to 10.0.2.2:$port: status $status: $output"
	run in_ns busybox nslookup usernet.test 10.0.2.3
	[[ $output == *192.0.2.42* ]] || fail "nslookup usernet.test 10.0.2.3: $output"
	usernet_stop
	[[ $USERNET_STATUS == 0 ]] || fail "exit status $USERNET_STATUS"
	grep -q 'packet capture: [1-9][0-9]* frames' "$T/err" || fail "no capture summary at exit:" "$(cat "$T/err")"

	# a classic pcap file (magic a1b2c3d4 in host order, v2.4), Ethernet, 0600, the user's
	[[ $(od -A n -t x1 -N 8 "$T/cap.pcap" | tr -d ' \n') == d4c3b2a102000400 ]] || fail "not a pcap header"
	[[ $(stat -c '%a %U' "$T/cap.pcap") == "600 $TEST_USER" ]] || fail "mode/owner: $(stat -c '%a %U' "$T/cap.pcap")"
	assert_some "$(tsh_count "$T/cap.pcap" "eth && ip")" "Ethernet/IPv4 frames"
	assert_some "$(syn_count "$T/cap.pcap" "$port")" "SYN from the guest to 10.0.2.2:$port"
	assert_some "$(synack_count "$T/cap.pcap" "$port")" "SYN/ACK to the guest from 10.0.2.2:$port"
	assert_some "$(tsh_count "$T/cap.pcap" 'ip.src==10.0.2.100 && ip.dst==10.0.2.3 && dns.flags.response==0 && dns.qry.name=="usernet.test"')" "DNS query for usernet.test to 10.0.2.3"
	assert_some "$(tsh_count "$T/cap.pcap" 'ip.src==10.0.2.3 && ip.dst==10.0.2.100 && dns.flags.response==1 && dns.a==192.0.2.42')" "DNS answer 192.0.2.42 from 10.0.2.3"
}

# capped_not_rotated BASE CAP: under --enable-seccomp the capture does not rotate: one file BASE within CAP,
# no BASE.1, frames past the cap dropped and counted in the exit summary, which says so at start
capped_not_rotated() {
	[[ -f $1 && ! -e $1.1 ]] || fail "expected one file and no rotation: $(ls "$T")" || return
	(($(stat -c %s "$1") <= $2)) || fail "$1 is above the cap: $(stat -c %s "$1")" || return
	assert_some "$(tsh_count "$1" frame)" "frames in $1" || return
	grep -q 'no rotation under --enable-seccomp' "$T/err" || fail "no word about rotation:" "$(cat "$T/err")" || return
	grep -qE 'packet capture: [0-9]+ frames \([0-9]+ bytes\) in 1 file\(s\), [1-9][0-9]* dropped' "$T/err" ||
		fail "unexpected summary:" "$(cat "$T/err")"
}

@test "--pcap-max-size 64k: no file above the cap, FILE.1 to FILE.4 kept (no FILE.5), each readable by tshark" {
	need tshark
	port=$(pf_free_port tcp)
	spawn "${AS_USER[@]}" socat "TCP4-LISTEN:$port,bind=127.0.0.1,reuseaddr,fork" "SYSTEM:head -c 2000000 /dev/zero"
	wait_until 5 listening tcp "$port" || fail "the host server did not start"
	holder_start
	usernet_start --configure --pcap "$T/r.pcap" --pcap-max-size 64k "$HOLDER_PID"

	run in_ns sh -c "timeout -k 1 20 socat -T 10 -u TCP4:10.0.2.2:$port,connect-timeout=5 STDOUT | wc -c"
	[[ $status == 0 && $output == 2000000 ]] || fail "transfer: status $status: $output"
	kill -USR1 "$USERNET_PID"
	sleep 0.5
	for f in "$T"/r.pcap*; do
		(($(stat -c %s "$f") <= 65536)) || fail "$f is above the cap while running: $(stat -c %s "$f")"
	done
	usernet_stop
	[[ $USERNET_STATUS == 0 ]] || fail "exit status $USERNET_STATUS"
	if sandboxed; then
		capped_not_rotated "$T/r.pcap" 65536
		return
	fi

	total=0
	for f in "$T/r.pcap" "$T/r.pcap".{1..4}; do
		[[ -f $f ]] || fail "$f is missing: $(ls "$T")"
		size=$(stat -c %s "$f")
		((size <= 65536)) || fail "$f is above the cap: $size"
		((size > 30000)) || [[ $f == "$T/r.pcap" ]] || fail "$f is small for a rotated file: $size"
		n=$(tsh_count "$f" "frame") || return
		assert_some "$n" "frames in $f"
		[[ $(stat -c %a "$f") == 600 ]] || fail "$f: mode $(stat -c %a "$f")"
		total=$((total + n))
	done
	[[ ! -e $T/r.pcap.5 ]] || fail "more than 4 rotated files are kept: $(ls "$T")"
	# the summary counts every file started: 2 MB of frames in 64k files is more than 5 of them
	grep -qE 'packet capture: [0-9]+ frames \([0-9]+ bytes\) in ([6-9]|[1-9][0-9]+) file\(s\)' "$T/err" ||
		fail "unexpected summary:" "$(cat "$T/err")"
}

@test "--pcap-max-size under --sandbox (seccomp): no rotation, the capture stops growing at the cap" {
	need tshark
	port=$(pf_free_port tcp)
	spawn "${AS_USER[@]}" socat "TCP4-LISTEN:$port,bind=127.0.0.1,reuseaddr,fork" "SYSTEM:head -c 300000 /dev/zero"
	wait_until 5 listening tcp "$port" || fail "the host server did not start"
	holder_start
	usernet_start --configure --sandbox --pcap "$T/s.pcap" --pcap-max-size 16k "$HOLDER_PID"
	run in_ns sh -c "timeout -k 1 20 socat -T 10 -u TCP4:10.0.2.2:$port,connect-timeout=5 STDOUT | wc -c"
	[[ $output == 300000 ]] || fail "transfer: $output"
	usernet_stop
	[[ $USERNET_STATUS == 0 ]] || fail "exit status $USERNET_STATUS"
	capped_not_rotated "$T/s.pcap" 16384
}

@test "--enable-sandbox with cap_net_bind_service=+ep (Landlock instead of an empty root): --pcap still rotates" {
	need setcap
	need_root "it makes a host network namespace of its own, to keep the privileged-port sysctl at 1024"
	root_netns_start
	nsenter -t "$ROOT_NS_PID" -n sysctl -qw net.ipv4.ip_unprivileged_port_start=1024
	port=$(pf_free_port tcp)
	spawn nsenter -t "$ROOT_NS_PID" -n -- "${AS_USER[@]}" socat "TCP4-LISTEN:$port,bind=127.0.0.1,reuseaddr,fork" \
		"SYSTEM:head -c 300000 /dev/zero"
	wait_until 5 nsenter -t "$ROOT_NS_PID" -n -- sh -c "ss -Hltn 'sport = :$port' | grep -q ." ||
		fail "the server did not start"
	holder_start
	install -m 0755 "$IT_USERNET" "$IT_DIR/usernet-cap"
	setcap cap_net_bind_service=+ep "$IT_DIR/usernet-cap"
	IT_USERNET=$IT_DIR/usernet-cap
	USERNET_PREFIX=(nsenter -t "$ROOT_NS_PID" -n --)
	usernet_start --configure --enable-sandbox --debug --pcap "$T/l.pcap" --pcap-max-size 16k "$HOLDER_PID"
	grep -q 'confined with Landlock' "$T/err" || fail "the helper did not take the Landlock way:" "$(cat "$T/err")"
	run in_ns sh -c "timeout -k 1 20 socat -T 10 -u TCP4:10.0.2.2:$port,connect-timeout=5 STDOUT | wc -c"
	[[ $output == 300000 ]] || fail "transfer: $output"
	usernet_stop
	[[ $USERNET_STATUS == 0 ]] || fail "exit status $USERNET_STATUS"
	if sandboxed; then
		capped_not_rotated "$T/l.pcap" 16384
		return
	fi
	! grep -q 'packet capture to .* stopped' "$T/err" || fail "the capture stopped:" "$(grep capture "$T/err")"
	for f in "$T/l.pcap" "$T/l.pcap".{1..4}; do
		[[ -f $f ]] || fail "$f is missing: $(ls "$T")"
		(($(stat -c %s "$f") <= 16384)) || fail "$f is above the cap"
	done
}

@test "SIGUSR1 flushes the buffered capture: empty file before, the handshake readable after, helper still up" {
	need tshark
	port=$(pf_free_port tcp)
	host_tcp_server 127.0.0.1 "$port" "hello-$port"
	holder_start
	usernet_start --configure --pcap "$T/u.pcap" "$HOLDER_PID"
	run gw_get "$port"
	[[ $output == "hello-$port" ]] || fail "TCP to 10.0.2.2:$port: $output"
	[[ $(stat -c %s "$T/u.pcap") == 0 ]] || fail "the capture is not buffered: $(stat -c %s "$T/u.pcap") bytes"

	kill -USR1 "$USERNET_PID"
	wait_until 5 test -s "$T/u.pcap" || fail "SIGUSR1 did not flush the capture"
	alive "$USERNET_PID" || fail "the helper exited on SIGUSR1"
	assert_some "$(syn_count "$T/u.pcap" "$port")" "SYN after SIGUSR1"
	assert_some "$(synack_count "$T/u.pcap" "$port")" "SYN/ACK after SIGUSR1"

	# and again: what came after goes out on the next one
	port2=$(pf_free_port tcp)
	host_tcp_server 127.0.0.1 "$port2" "hello-$port2"
	run gw_get "$port2"
	[[ $output == "hello-$port2" ]] || fail "TCP to 10.0.2.2:$port2: $output"
	kill -USR1 "$USERNET_PID"
	wait_until 5 sh -c "[ \$(tshark -n -r '$T/u.pcap' -Y 'tcp.dstport==$port2' 2>/dev/null | wc -l) -gt 0 ]" ||
		fail "the second SIGUSR1 did not flush"
	usernet_stop
	[[ $USERNET_STATUS == 0 ]] || fail "exit status $USERNET_STATUS"
}

@test "API: start_capture and stop_capture: frames only between them (sandbox: a clear refusal)" {
	need tshark
	api_setup
	holder_start
	usernet_start --configure --api-socket "$API" "$HOLDER_PID"
	for i in 1 2 3; do
		p[i]=$(pf_free_port tcp)
		host_tcp_server 127.0.0.1 "${p[i]}" "hello-${p[i]}"
	done
	if sandboxed; then
		api_expect "{\"execute\":\"start_capture\",\"arguments\":{\"path\":\"$T/a.pcap\"}}" \
			'{"error":{"desc":"bad request: start_capture: the helper runs with --enable-sandbox or --enable-seccomp (an empty root, no file creation): pass the file instead (`usernet capture start`), or give --pcap at start"}}'
		[[ ! -e $T/a.pcap ]] || fail "a file was created"
		api_expect '{"execute":"stop_capture"}' '{"error":{"desc":"bad request: stop_capture: no capture is running"}}'
		alive "$USERNET_PID" || fail "the helper exited"
		run gw_get "${p[1]}"
		[[ $output == "hello-${p[1]}" ]] || fail "the network broke: $output"
		return
	fi

	run gw_get "${p[1]}"
	[[ $output == "hello-${p[1]}" ]] || fail "before: $output"
	api_expect "{\"execute\":\"start_capture\",\"arguments\":{\"path\":\"$T/a.pcap\"}}" '{"return":{}}'
	[[ $(stat -c '%a %U' "$T/a.pcap") == "600 $TEST_USER" ]] || fail "mode/owner: $(stat -c '%a %U' "$T/a.pcap")"
	run gw_get "${p[2]}"
	[[ $output == "hello-${p[2]}" ]] || fail "during: $output"
	run api_raw '{"execute":"stop_capture"}'
	[[ $output =~ ^\{\"return\":\{\"frames\":([0-9]+),\"bytes\":([0-9]+),\"dropped\":0,\"files\":1\}\}$ ]] ||
		fail "stop_capture: $output"
	frames=${BASH_REMATCH[1]}
	((frames >= 4)) || fail "only $frames frames"
	run gw_get "${p[3]}"
	[[ $output == "hello-${p[3]}" ]] || fail "after: $output"

	[[ $(tsh_count "$T/a.pcap" frame) == "$frames" ]] || fail "the file does not hold the $frames frames reported"
	assert_some "$(syn_count "$T/a.pcap" "${p[2]}")" "SYN to ${p[2]} while capturing"
	assert_some "$(synack_count "$T/a.pcap" "${p[2]}")" "SYN/ACK from ${p[2]} while capturing"
	[[ $(tsh_count "$T/a.pcap" "tcp.port==${p[1]} || tcp.port==${p[3]}") == 0 ]] ||
		fail "frames from before start_capture or after stop_capture are in the file"

	# with a size cap, rotation would replace FILE.N: an existing one is refused, and left alone
	echo keep >"$T/c.pcap.2"
	api_expect "{\"execute\":\"start_capture\",\"arguments\":{\"path\":\"$T/c.pcap\",\"max_size\":65536}}" \
		"{\"error\":{\"desc\":\"bad request: start_capture: cannot capture into $T/c.pcap with a size cap: $T/c.pcap.2 exists, and rotation would replace it (a capture never overwrites a file)\"}}"
	[[ ! -e $T/c.pcap && $(<"$T/c.pcap.2") == keep ]] || fail "files touched: $(ls "$T")"

	# a second capture, with a size cap, into another file
	api_expect "{\"execute\":\"start_capture\",\"arguments\":{\"path\":\"$T/b.pcap\",\"max_size\":65536}}" '{"return":{}}'
	run gw_get "${p[3]}"
	run api_raw '{"execute":"stop_capture"}'
	[[ $output == '{"return":{"frames":'* ]] || fail "second stop_capture: $output"
	assert_some "$(syn_count "$T/b.pcap" "${p[3]}")" "SYN in the second capture"
	usernet_stop
	[[ $USERNET_STATUS == 0 ]] || fail "exit status $USERNET_STATUS"
}

@test "usernet capture start/stop: a sandboxed helper writes into the file the client passed (SCM_RIGHTS)" {
	local p1 p2 p3 frames
	need tshark
	api_setup
	holder_start
	usernet_start --configure --sandbox --api-socket "$API" "$HOLDER_PID"
	p1=$(pf_free_port tcp) p2=$(pf_free_port tcp) p3=$(pf_free_port tcp)
	for p in "$p1" "$p2" "$p3"; do host_tcp_server 127.0.0.1 "$p" "hello-$p" || return; done

	run gw_get "$p1"
	run_usernet capture start --api-socket "$API" "$T/live.pcap"
	[[ $status == 0 && $output == "capturing into $T/live.pcap" ]] || fail "start: $status $output $stderr" || return
	[[ $(stat -c '%a %U' "$T/live.pcap") == "600 $TEST_USER" ]] || fail "mode/owner: $(stat -c '%a %U' "$T/live.pcap")" ||
		return
	# one capture at a time: the second file is not left behind
	run_usernet capture start --api-socket "$API" "$T/second.pcap"
	[[ $status == 1 && $stderr == *'already running'* && ! -e $T/second.pcap ]] ||
		fail "second start: $status $stderr" || return
	run gw_get "$p2"
	[[ $output == "hello-$p2" ]] || fail "during: $output" || return
	run_usernet capture stop --api-socket "$API"
	[[ $status == 0 && $output =~ ^stopped:\ ([0-9]+)\ frames\ .*\ 1\ file\(s\),\ 0\ dropped$ ]] ||
		fail "stop: $status $output $stderr" || return
	frames=${BASH_REMATCH[1]}
	run gw_get "$p3"
	[[ $(tsh_count "$T/live.pcap" frame) == "$frames" ]] || fail "the file does not hold the $frames frames reported" ||
		return
	assert_some "$(syn_count "$T/live.pcap" "$p2")" "SYN to $p2 while capturing" || return
	assert_some "$(synack_count "$T/live.pcap" "$p2")" "SYN/ACK from $p2 while capturing" || return
	[[ $(tsh_count "$T/live.pcap" "tcp.port==$p1 || tcp.port==$p3") == 0 ]] ||
		fail "frames from before start or after stop are in the file" || return

	# --max-size: no rotation with a passed file, frames past the cap are dropped and counted
	run_usernet capture start --api-socket "$API" --max-size 1k "$T/capped.pcap"
	[[ $status == 0 ]] || fail "capped start: $stderr" || return
	for p in "$p1" "$p2" "$p3"; do gw_get "$p" >/dev/null; done
	run_usernet capture stop --api-socket "$API"
	[[ $output =~ \ ([1-9][0-9]*)\ dropped$ ]] || fail "nothing dropped past 1 KiB: $output" || return
	(($(stat -c %s "$T/capped.pcap") <= 1024)) || fail "the cap does not hold: $(stat -c %s "$T/capped.pcap") bytes" ||
		return
	tsh_count "$T/capped.pcap" frame >/dev/null || return

	# an existing file is never replaced; "fd":true without a descriptor is refused clearly
	echo keep >"$T/exists.pcap"
	run_usernet capture start --api-socket "$API" "$T/exists.pcap"
	[[ $status == 1 && $stderr == *'File exists'* && $(<"$T/exists.pcap") == keep ]] || fail "existing: $stderr" || return
	api_expect '{"execute":"start_capture","arguments":{"fd":true}}' \
		'{"error":{"desc":"bad request: start_capture: arguments.fd is true but no file descriptor came with the request (send it with SCM_RIGHTS, as `usernet capture start` does)"}}' ||
		return
	run_usernet capture stop --api-socket "$API"
	[[ $status == 1 && $stderr == *'no capture is running'* ]] || fail "stop without start: $status $stderr" || return
	alive "$USERNET_PID" || fail "the helper exited" || return
	usernet_stop_ok
}

@test "API: bad capture requests get clear errors and change nothing; the helper keeps running" {
	api_setup
	holder_start
	usernet_start --configure --api-socket "$API" "$HOLDER_PID"
	e='{"error":{"desc":"bad request: '

	api_expect '{"execute":"start_capture","arguments":{"path":"x.pcap"}}' \
		"${e}start_capture: arguments.path must be an absolute path, not 'x.pcap'\"}}"
	api_expect '{"execute":"start_capture"}' "${e}start_capture: missing arguments.path\"}}"
	api_expect '{"execute":"start_capture","arguments":{}}' "${e}start_capture: missing arguments.path\"}}"
	api_expect '{"execute":"start_capture","arguments":{"path":5}}' \
		"${e}start_capture: arguments.path must be a string\"}}"
	api_expect '{"execute":"start_capture","arguments":[]}' "${e}start_capture: bad arguments\"}}"
	api_expect "{\"execute\":\"start_capture\",\"arguments\":{\"path\":\"$T/s.pcap\",\"max_size\":10}}" \
		"${e}start_capture: arguments.max_size must be an integer of at least 1024 (bytes)\"}}"
	api_expect "{\"execute\":\"start_capture\",\"arguments\":{\"path\":\"$T/s.pcap\",\"max_size\":\"1M\"}}" \
		"${e}start_capture: arguments.max_size must be an integer of at least 1024 (bytes)\"}}"
	api_expect '{"execute":"stop_capture"}' "${e}stop_capture: no capture is running\"}}"

	as_user sh -c "echo keep >'$T/exists.pcap'"
	as_user ln -s "$T/exists.pcap" "$T/link.pcap"
	install -d -m 0555 "$T/ro"
	((IT_ROOT)) && chown "$TEST_USER:" "$T/ro"
	if sandboxed; then
		api_expect "{\"execute\":\"start_capture\",\"arguments\":{\"path\":\"$T/exists.pcap\"}}" \
			"${e}start_capture: the helper runs with --enable-sandbox or --enable-seccomp (an empty root, no file creation): pass the file instead (\`usernet capture start\`), or give --pcap at start\"}}"
	else
		api_expect "{\"execute\":\"start_capture\",\"arguments\":{\"path\":\"$T/exists.pcap\"}}" \
			"${e}start_capture: cannot create the capture file $T/exists.pcap: it already exists (a capture never overwrites a file)\"}}"
		api_expect "{\"execute\":\"start_capture\",\"arguments\":{\"path\":\"$T/link.pcap\"}}" \
			"${e}start_capture: cannot create the capture file $T/link.pcap: it already exists (a capture never overwrites a file)\"}}"
		api_expect "{\"execute\":\"start_capture\",\"arguments\":{\"path\":\"$T/nodir/x.pcap\"}}" \
			"${e}start_capture: cannot open the directory $T/nodir of the capture file: No such file or directory\"}}"
		api_expect "{\"execute\":\"start_capture\",\"arguments\":{\"path\":\"$T/ro/x.pcap\"}}" \
			"${e}start_capture: cannot open the capture file $T/ro/x.pcap: Permission denied\"}}"
		api_expect "{\"execute\":\"start_capture\",\"arguments\":{\"path\":\"$T/\"}}" \
			"${e}start_capture: the capture path '$T/' does not name a file\"}}"
		# one at a time
		api_expect "{\"execute\":\"start_capture\",\"arguments\":{\"path\":\"$T/one.pcap\"}}" '{"return":{}}'
		api_expect "{\"execute\":\"start_capture\",\"arguments\":{\"path\":\"$T/two.pcap\"}}" \
			"${e}start_capture: a capture to $T/one.pcap is already running (stop_capture first)\"}}"
		[[ ! -e $T/two.pcap ]] || fail "two.pcap was created"
		run api_raw '{"execute":"stop_capture"}'
		[[ $output == '{"return":{"frames":'* ]] || fail "stop_capture: $output"
	fi
	[[ $(cat "$T/exists.pcap") == keep ]] || fail "the existing file was changed"
	[[ -z $(ls "$T/ro") ]] || fail "a file was created in $T/ro"
	alive "$USERNET_PID" || fail "the helper exited"
	api_expect '{"execute":"list_hostfwd"}' '{"return":{"entries":[]}}'
	usernet_stop
	[[ $USERNET_STATUS == 0 ]] || fail "exit status $USERNET_STATUS"
}

@test "--pcap at start: an unwritable path, a symbolic link, a bad --pcap-max-size: one clear error, exit 2" {
	holder_start
	install -d -m 0555 "$T/ro"
	((IT_ROOT)) && chown "$TEST_USER:" "$T/ro"
	run_usernet attach --configure --pcap "$T/ro/x.pcap" "$HOLDER_PID"
	assert_error 2 "cannot open the capture file $T/ro/x.pcap: Permission denied"
	[[ -z $(ls "$T/ro") ]] || fail "a file was created"

	as_user sh -c "echo keep >'$T/target'"
	as_user ln -s "$T/target" "$T/link.pcap"
	run_usernet attach --pcap "$T/link.pcap" "$HOLDER_PID"
	assert_error 2 "cannot open the capture file $T/link.pcap: it is a symbolic link"
	[[ $(cat "$T/target") == keep ]] || fail "the link's target was changed"

	run_usernet attach --pcap "$T/nodir/x.pcap" "$HOLDER_PID"
	assert_error 2 "cannot open the directory $T/nodir of the capture file"
	run_usernet attach --pcap "$T/x.pcap" --pcap-max-size 10 "$HOLDER_PID"
	assert_error 2 "--pcap-max-size '10' is out of range (at least 1024 bytes)"
	run_usernet attach --pcap "$T/x.pcap" --pcap-max-size 10X "$HOLDER_PID"
	assert_error 2 "--pcap-max-size '10X' is not a size"
	run_usernet attach --pcap-max-size 1M "$HOLDER_PID"
	assert_error 2 "--pcap-max-size needs --pcap"
	run_usernet attach --log-level verbose "$HOLDER_PID"
	assert_error 2 "--log-level must be error, warn, info or debug, not 'verbose'"
}

# shared_dir: $T/shared, a sticky directory every user may write to, owned by root (like /tmp)
shared_dir() {
	need_root "another user's files at the capture path" || return
	install -d -m 1777 "$T/shared"
}

@test "--pcap in a shared directory: another user's 0666 file or symbolic link, or a hard link, is refused, untouched" {
	shared_dir || return
	holder_start
	# a file another user made writable by everyone: never written into nor truncated
	as_other sh -c "umask 0; echo theirs >'$T/shared/cap.pcap'"
	[[ $(stat -c '%a %U' "$T/shared/cap.pcap") == "666 $OTHER_USER" ]] || fail "setup: $(stat -c '%a %U' "$T/shared/cap.pcap")"
	run_usernet attach --configure --pcap "$T/shared/cap.pcap" "$HOLDER_PID"
	assert_error 2 "cannot use $T/shared/cap.pcap as the capture file: it belongs to another user (uid $(id -u "$OTHER_USER"))"
	[[ $(cat "$T/shared/cap.pcap") == theirs ]] || fail "the other user's file was changed: $(od -c "$T/shared/cap.pcap" | head -3)"
	# a symbolic link another user left there, to a file of the test user's: not followed
	as_user sh -c "echo mine >'$T/victim'"
	as_other ln -s "$T/victim" "$T/shared/link.pcap"
	run_usernet attach --configure --pcap "$T/shared/link.pcap" "$HOLDER_PID"
	assert_error 2 "cannot open the capture file $T/shared/link.pcap: it is a symbolic link"
	[[ $(cat "$T/victim") == mine ]] || fail "the link's target was changed"
	# a hard link to a file of the user's (made by the user here: fs.protected_hardlinks may forbid others)
	as_user ln "$T/victim" "$T/shared/hard.pcap"
	run_usernet attach --configure --pcap "$T/shared/hard.pcap" "$HOLDER_PID"
	assert_error 2 "cannot use $T/shared/hard.pcap as the capture file: it has other hard links"
	[[ $(cat "$T/victim") == mine ]] || fail "the hard link's file was changed"
	# a new file is created 0600 and the user's, whatever the umask
	usernet_start_umask0() {
		: >"$T/ready"
		"${AS_USER[@]}" sh -c 'umask 0; exec "$@"' sh "$IT_USERNET" attach --ready-fd 3 --configure \
			--pcap "$T/shared/new.pcap" "$HOLDER_PID" 3>"$T/ready" >"$T/out" 2>"$T/err" </dev/null 7>&- &
		USERNET_PID=$!
		track "$USERNET_PID"
		usernet_wait_ready
	}
	usernet_start_umask0
	[[ $(stat -c '%a %U' "$T/shared/new.pcap") == "600 $TEST_USER" ]] ||
		fail "mode/owner of a new capture file: $(stat -c '%a %U' "$T/shared/new.pcap")"
	usernet_stop_ok
}

@test "--pcap without --pcap-max-size: the default cap (64 MiB a file) holds, with rotation" {
	port=$(pf_free_port tcp)
	spawn "${AS_USER[@]}" socat "TCP4-LISTEN:$port,bind=127.0.0.1,reuseaddr,fork" "SYSTEM:head -c 100000000 /dev/zero"
	wait_until 5 listening tcp "$port" || fail "the host server did not start"
	holder_start
	usernet_start --configure --pcap "$T/d.pcap" "$HOLDER_PID"
	run in_ns sh -c "timeout -k 1 60 socat -T 10 -u TCP4:10.0.2.2:$port,connect-timeout=5 STDOUT | wc -c"
	[[ $status == 0 && $output == 100000000 ]] || fail "transfer: status $status: $output"
	usernet_stop_ok
	ls -l "$T"/d.pcap* | sed 's/^/# /' >&3
	for f in "$T"/d.pcap*; do
		(($(stat -c %s "$f") <= 64 << 20)) || fail "$f is above 64 MiB: $(stat -c %s "$f")"
	done
	if sandboxed; then
		capped_not_rotated "$T/d.pcap" $((64 << 20))
	else
		[[ -e $T/d.pcap.1 ]] || fail "100 MB of frames did not rotate: $(ls -l "$T")"
	fi
}

@test "usernet run --pcap FILE -- cmd: the command's connection through the gateway is in FILE" {
	need tshark
	port=$(pf_free_port tcp)
	host_tcp_server 127.0.0.1 "$port" "hello-$port"
	run_sandbox --allow-host-loopback --pcap "$T/run.pcap" --pcap-max-size 1M -- \
		socat -T 5 -u "TCP4:10.0.2.2:$port,connect-timeout=5" STDOUT
	[[ $status == 0 && $output == "hello-$port" ]] || fail "status $status: $output" "$stderr"
	[[ -s $T/run.pcap ]] || fail "no capture file" "$stderr"
	assert_some "$(syn_count "$T/run.pcap" "$port")" "SYN in the capture of usernet run"
	assert_some "$(synack_count "$T/run.pcap" "$port")" "SYN/ACK in the capture of usernet run"

	# a relative FILE is the launcher's (made absolute before the helper starts)
	install -d -m 0755 "$T/cwd"
	((IT_ROOT)) && chown "$TEST_USER:" "$T/cwd"
	RUN_PREFIX=(env -C "$T/cwd")
	run_sandbox --pcap rel.pcap -- true
	RUN_PREFIX=()
	[[ $status == 0 ]] || fail "relative --pcap: status $status" "$stderr"
	[[ -f $T/cwd/rel.pcap ]] || fail "no $T/cwd/rel.pcap: $(ls -R "$T")"

	run_sandbox --pcap "$T/ro-missing/x.pcap" -- true
	[[ $status != 0 && $stderr == *"cannot open the directory $T/ro-missing of the capture file"* ]] ||
		fail "a bad --pcap: status $status" "$stderr"
}

@test "--debug: one line per forwarded TCP connection (open: client; close: bytes each way, duration) and UDP flow" {
	holder_start
	hp=$(pf_free_port tcp)
	up=$(pf_free_port udp)
	usernet_start --configure --debug -p "127.0.0.1:$hp:80" -p "127.0.0.1:$up:53/udp" "$HOLDER_PID"
	pf_serve --tcp 80 --udp 53
	run pf_client get tcp 127.0.0.1 "$hp" --timeout 5
	[[ $status == 0 && $output == "80 "* ]] || fail "TCP through the published port: $output"
	run pf_client get udp 127.0.0.1 "$up" --timeout 5
	[[ $status == 0 && $output == "53 "* ]] || fail "UDP through the published port: $output"
	close_re='rule 1: close: tcp from 127\.0\.0\.1:[0-9]+ \((closed|reset)\) after [0-9]+\.[0-9]{3} s: [0-9]+ bytes to the guest, [1-9][0-9]* bytes from the guest'
	wait_until 5 grep -qE "$close_re" "$T/err" || fail "no close line:" "$(cat "$T/err")"
	grep -qE 'rule 1: open: tcp from 127\.0\.0\.1:[0-9]+ \(local client\)' "$T/err" || fail "no open line:" "$(cat "$T/err")"
	grep -qE 'rule 2: open: udp flow from 127\.0\.0\.1:[0-9]+ \(local client\)' "$T/err" ||
		fail "no UDP open line:" "$(cat "$T/err")"
	usernet_stop
	grep -qE 'rule 2: close: udp flow from 127\.0\.0\.1:[0-9]+ \(closed\) after [0-9.]+ s: [1-9][0-9]* bytes to the guest, [1-9][0-9]* bytes from the guest' "$T/err" ||
		fail "no UDP close line:" "$(cat "$T/err")"
}

@test "--log-level=error: no warning or info line (the host-loopback warning is gone); --log-level=debug = --debug" {
	holder_start
	usernet_start --configure --log-level=error "$HOLDER_PID"
	usernet_stop
	[[ ! -s $T/err ]] || fail "stderr is not empty:" "$(cat "$T/err")"
	usernet_start --configure --log-level=debug "$HOLDER_PID"
	usernet_stop
	grep -q 'received signal' "$T/err" || fail "no debug line:" "$(cat "$T/err")"
}

@test "nothing is left running" {
	assert_nothing_left
}
