#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# usernet run under the name slirp4netns (a symlink, as installed in <libexecdir>/usernet/slirp4netns): the
# command line, --help and --version that Podman and RootlessKit probe, both option forms, ready and exit fds
# in their order, and the API socket byte for byte against the real slirp4netns 1.2.0 on the same requests.

load lib
load compat
eval "lib_$(declare -f setup_file)"

setup_file() {
	lib_setup_file || return
	compat_setup_file
}

# s4_start WHICH LAYOUT ARGS...: start the helper of WHICH as the user with ARGS, fds laid out as
#   podman:      fd 3 the read end of an exit pipe (the test holds the write end on fd 7), fd 4 the ready file
#   rootlesskit: fd 3 the ready file
# then wait until it wrote 1 there. USERNET_PID, $T/out, $T/err as with usernet_start.
s4_start() {
	local which=$1 layout=$2 bin
	shift 2
	bin=$(s4_bin "$which") || return
	: >"$T/ready"
	if [[ $layout == podman ]]; then
		mkfifo -m 0600 "$T/exit.fifo"
		((IT_ROOT)) && chown "$TEST_USER:" "$T/exit.fifo"
		exec 7<>"$T/exit.fifo"
		IT_EXIT_WRITER=1
		"${AS_USER[@]}" "$bin" "$@" 3<"$T/exit.fifo" 4>"$T/ready" >"$T/out" 2>"$T/err" </dev/null 7>&- &
	else
		"${AS_USER[@]}" "$bin" "$@" 3>"$T/ready" >"$T/out" 2>"$T/err" </dev/null 7>&- &
	fi
	USERNET_PID=$!
	track "$USERNET_PID"
	usernet_wait_ready
}

@test "--help exits 0 and names every option of slirp4netns 1.2.0's --help and every one its clients probe" {
	local opt missing=()
	run "${AS_USER[@]}" "$S4_USERNET" --help
	[[ $status == 0 ]] || fail "--help exited $status" || return
	[[ ${lines[0]} == 'Usage: slirp4netns [OPTION]... PID|PATH [TAPNAME]' ]] || fail "usage line: ${lines[0]}" || return
	HELP=$output
	run "$S4_CONTROL" --help
	[[ $status == 0 ]] || fail "the real slirp4netns --help failed" || return
	for opt in $(grep -oE -- '--[a-z0-9-]+' <<<"$output" | sort -u) --netns-type --api-socket --cidr \
		--disable-host-loopback --enable-sandbox --enable-seccomp --enable-ipv6 --mtu --outbound-addr; do
		[[ $HELP == *"$opt"* ]] || missing+=("$opt")
	done
	((${#missing[@]} == 0)) || fail "missing from usernet's --help: ${missing[*]}" || return
	for opt in -c -e -r -m -6 -a -h -v; do
		[[ $HELP == *"$opt, --"* ]] || fail "the short option $opt is not in --help" || return
	done
	run "${AS_USER[@]}" "$S4_USERNET" -h
	[[ $status == 0 && $output == "$HELP" ]] || fail "-h differs from --help"
}

@test "--version and -v: slirp4netns's five lines, naming usernet" {
	local v
	for v in --version -v; do
		run "${AS_USER[@]}" "$S4_USERNET" "$v"
		[[ $status == 0 && ${#lines[@]} == 5 ]] || fail "$v: status $status:" "$output" || return
		[[ ${lines[0]} =~ ^slirp4netns\ version\ 1\.2\.0\ \(usernet\ [0-9.]+\)$ ]] || fail "${lines[0]}" || return
		[[ ${lines[1]} == 'commit: usernet-'* ]] || fail "${lines[1]}" || return
		[[ ${lines[2]} =~ ^libslirp:\ [0-9]+\.[0-9]+\.[0-9]+$ ]] || fail "${lines[2]}" || return
		[[ ${lines[3]} =~ ^SLIRP_CONFIG_VERSION_MAX:\ [0-9]+$ ]] || fail "${lines[3]}" || return
		[[ ${lines[4]} =~ ^libseccomp:\ [0-9]+\.[0-9]+\.[0-9]+$ ]] || fail "${lines[4]}" || return
	done
	# the same libraries as the real one on this machine
	run "$S4_CONTROL" --version
	[[ ${lines[2]} == "$(sed -n 3p <<<"$("${AS_USER[@]}" "$S4_USERNET" --version)")" ]] ||
		echo "# note: usernet and slirp4netns link different libslirp versions" >&3
}

@test "RootlessKit's form: --mtu 65520 -r 3 --disable-host-loopback --cidr C --api-socket S --enable-ipv6 PID tap0" {
	api_setup
	holder_start -6
	in_ns ip tuntap add dev tap0 mode tap
	s4_start usernet rootlesskit --mtu 65520 -r 3 --disable-host-loopback --cidr 10.0.3.0/24 --api-socket "$API" \
		--enable-sandbox --enable-seccomp --enable-ipv6 "$HOLDER_PID" tap0 || return
	[[ -S $API ]] || fail "no API socket once ready" || return
	api_expect '{"execute":"list_hostfwd"}' '{"entries":[]}' || return
	run in_ns ip -o addr show tap0
	[[ $output != *'inet '* ]] || fail "without -c the persistent tap must stay unconfigured:" "$output" || return
	grep -q '10.0.3.0' "$T/out" || fail "no summary with the network 10.0.3.0:" "$(cat "$T/out")" || return
	usernet_stop_ok
}

@test "Podman's form: --mtu=65520 --enable-sandbox --enable-seccomp -6 -c -e 3 -r 4 --api-socket S --netns-type=path P tap0, exit fd" {
	local started
	api_setup
	holder_start -6
	s4_start usernet podman --disable-host-loopback --mtu=65520 --enable-sandbox --enable-seccomp --enable-ipv6 -c \
		-e 3 -r 4 --api-socket "$API" --netns-type=path "--userns-path=/proc/$HOLDER_PID/ns/user" \
		"/proc/$HOLDER_PID/ns/net" tap0 || return
	[[ -S $API ]] || fail "no API socket once ready" || return
	run in_ns ip -o addr show tap0
	[[ $output == *'inet 10.0.2.100/24'* && $output == *'fd00::100/64'* ]] || fail "-c: tap0 is not configured:" "$output" ||
		return
	run in_ns ip -o link show tap0
	[[ $output == *'mtu 65520 '* ]] || fail "MTU: $output" || return
	# conmon holds the write end; when it goes away the helper exits 0 and removes its socket file
	started=$(now)
	exec 7>&-
	IT_EXIT_WRITER=
	usernet_reap 2 || return
	[[ $USERNET_STATUS == 0 ]] || fail "exit status $USERNET_STATUS" || return
	[[ ! -e $API ]] || fail "the API socket file is left after a sandboxed run"
}

@test "short options and --opt value forms: -c -m 1500 -6 -a S -r 3, --cidr 10.0.9.0/24 --netns-type pid --userns-path P" {
	api_setup
	holder_start -6
	s4_start usernet rootlesskit -c -m 1500 -6 -a "$API" -r 3 --cidr 10.0.9.0/24 --netns-type pid --userns-path \
		"/proc/$HOLDER_PID/ns/user" "$HOLDER_PID" || return
	run in_ns ip -o addr show tap0
	[[ $output == *'inet 10.0.9.100/24'* ]] || fail "tap0: $output" || return
	run in_ns ip -o link show tap0
	[[ $output == *'mtu 1500 '* ]] || fail "MTU: $output" || return
	api_expect '{"execute":"list_hostfwd"}' '{"entries":[]}' || return
	usernet_stop_ok
}

@test "--mtu=65521 (slirp4netns's maximum) is accepted, 65522 refused; --target-type=bess refused clearly" {
	holder_start
	s4_start usernet rootlesskit --mtu=65521 -c -r 3 "$HOLDER_PID" || return
	run in_ns ip -o link show tap0
	[[ $output == *'mtu 65521 '* ]] || fail "MTU: $output" || return
	usernet_stop_ok || return
	run --separate-stderr "${AS_USER[@]}" "$S4_USERNET" --mtu=65522 "$HOLDER_PID"
	[[ $status == 2 && $stderr == *'--mtu must be between 68 and 65521'* ]] || fail "$status: $stderr" || return
	run --separate-stderr "${AS_USER[@]}" "$S4_USERNET" --target-type=bess "$HOLDER_PID"
	[[ $status == 2 && $stderr == *'--target-type must be netns'* ]] || fail "$status: $stderr"
}

@test "SIGKILL (as RootlessKit stops it): no process of the helper is left holding its output pipe" {
	holder_start
	# the helper's stdout and stderr are a pipe; the reader must see EOF once the helper is killed
	rm -f "$T/pipe.done"
	"${AS_USER[@]}" "$S4_USERNET" -c -r 3 "$HOLDER_PID" 3>"$T/ready" 2>&1 </dev/null 7>&- |
		{ cat >"$T/pipe.out"; touch "$T/pipe.done"; } &
	wait_until 5 test -s "$T/ready" || fail "not ready:" "$(cat "$T/pipe.out")" || return
	USERNET_PID=$(pgrep -u "$TEST_USER" -o -f "^$S4_USERNET -c -r 3 $HOLDER_PID\$")
	[[ -n $USERNET_PID ]] || fail "no helper process" || return
	kill -KILL "$USERNET_PID"
	wait_until 2 test -e "$T/pipe.done" || fail "the output pipe is still open 2 s after SIGKILL:" \
		"$(pgrep -a -u "$TEST_USER" -f "$S4_USERNET")" || return
	wait_until 2 s4_none usernet || fail "helper processes left"
}

# api_session WHICH PORT1 PORT2: the same requests to a fresh helper of WHICH; replies one per line, with the
# ports replaced by PORT1 and PORT2
api_session() {
	local which=$1 p1=$2 p2=$3 req big
	api_setup
	rm -f "$API"
	holder_start
	s4_start "$which" rootlesskit -c -r 3 -a "$API" "$HOLDER_PID" tap0 || return
	big=$(printf '{"execute":"list_hostfwd","pad":"%05000d"}' 0)
	while IFS= read -r req; do
		req=${req//@P1@/$p1}
		req=${req//@P2@/$p2}
		api_raw "$req" | sed -e "s/\\b$p1\\b/PORT1/g; s/\\b$p2\\b/PORT2/g"
		echo
	done <<EOF
{"execute":"add_hostfwd","arguments":{"proto":"tcp","host_addr":"127.0.0.1","host_port":@P1@,"guest_addr":"","guest_port":80}}
{"execute":"list_hostfwd"}
{"execute":"add_hostfwd","arguments":{"proto":"udp","host_addr":"","host_port":@P2@,"guest_addr":"10.0.2.100","guest_port":53}}
{"execute":"list_hostfwd"}
{"execute":"remove_hostfwd","arguments":{"id":1}}
{"execute":"list_hostfwd"}
{"execute":"remove_hostfwd","arguments":{"id":99}}
{"execute":"add_hostfwd","arguments":{"proto":"tcp","host_addr":"0.0.0.0","host_port":@P1@,"guest_port":8080}}
{"execute":"list_hostfwd"}
{"execute":"nope"}
{"execute":"add_hostfwd","arguments":{"proto":"sctp","host_port":@P1@,"guest_port":80}}
{"execute":"add_hostfwd","arguments":{"proto":"tcp","host_port":"x","guest_port":80}}
{"execute":"add_hostfwd","arguments":{"proto":"tcp","host_port":@P2@,"guest_port":0}}
{"execute":"add_hostfwd","arguments":{"proto":"tcp","host_port":@P2@,"guest_addr":"bogus","guest_port":80}}
{"execute":"remove_hostfwd","arguments":{}}
{"execute":"remove_hostfwd","arguments":{"id":"1"}}
{"exec":"list_hostfwd"}
[1,2]
{
$big
{"execute":"list_hostfwd"}
EOF
	# slirp4netns 1.2.0 does not handle SIGTERM (status 143)
	if [[ $which == usernet ]]; then usernet_stop_ok; else usernet_stop; fi
}

@test "API: the replies of the real slirp4netns 1.2.0, byte for byte, to the same requests" {
	local p1 p2 q1 q2
	p1=$(free_port) p2=$(free_port) q1=$(free_port) q2=$(free_port)
	api_session control "$p1" "$p2" >"$IT_DIR/api-control" || return
	api_session usernet "$q1" "$q2" >"$IT_DIR/api-usernet" || return
	# the deliberate differences: errors that name their cause (a JSON value that is not an object, an ID
	# that names no rule), in the same shape
	sed -i 's/bad request: json_object() failed/bad request: not a JSON object/' "$IT_DIR/api-control"
	sed -i 's/remove_hostfwd: no such rule id 99/remove_hostfwd: bad arguments.id/' "$IT_DIR/api-usernet"
	diff -u "$IT_DIR/api-control" "$IT_DIR/api-usernet" >&2 || fail "replies differ (- slirp4netns, + usernet)"
}

@test "usernet port ls reads the list of the drop-in and of the real slirp4netns; stats still has the counters" {
	local which port
	for which in usernet control; do
		api_setup
		rm -f "$API"
		holder_start
		port=$(free_port)
		s4_start "$which" rootlesskit -c -r 3 -a "$API" "$HOLDER_PID" tap0 || return
		api_raw "{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"tcp\",\"host_addr\":\"127.0.0.1\",\"host_port\":$port,\"guest_port\":80}}" >/dev/null
		run_usernet port ls --api-socket "$API"
		[[ $status == 0 && $output == *"127.0.0.1"*"$port"*"10.0.2.100"*80* ]] ||
			fail "$which: usernet port ls: $status:" "$output" "$stderr" || return
		if [[ $which == usernet ]]; then
			run api_raw '{"execute":"stats"}'
			[[ $output == '{"return":{'*'"rules":[{"id":1,'*'"stats":{"active":0,"total":0,'* ]] ||
				fail "stats: $output" || return
			usernet_stop_ok || return
		else
			usernet_stop
		fi
	done
}

@test "API: requests that crash slirp4netns 1.2.0 (add_hostfwd without arguments) get an error in its shape" {
	api_setup
	holder_start
	s4_start usernet rootlesskit -c -r 3 -a "$API" "$HOLDER_PID" tap0 || return
	api_expect '{"execute":"add_hostfwd"}' '{"error":{"desc":"bad request: add_hostfwd: bad arguments.proto"}}' || return
	api_expect '{"execute":"remove_hostfwd"}' '{"error":{"desc":"bad request: remove_hostfwd: bad arguments.id"}}' || return
	api_expect '{"execute":"list_hostfwd"}' '{"entries":[]}' || return
	usernet_stop_ok
}

@test "compat: nothing left" {
	s4_none usernet || fail "usernet helpers left" || return
	assert_nothing_left
}
