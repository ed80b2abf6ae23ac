#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# Whose address the guest sees behind a published port (docs/ARCHITECTURE.md, "Published ports"): never one the
# namespace owns (10.0.2.100, loopback), which services trust as local.
#  - --port-mode auto (the default): a local client appears as the gateway 10.0.2.2; an outside client with its
#    real address (IP_TRANSPARENT sockets inside, marked; one fwmark policy rule and per-UDP-flow rules return
#    the replies, and never divert the guest's own connections);
#  - --port-mode direct: everyone appears as 10.0.2.2;
#  - --port-mode slirp (libslirp's forwarding): outside clients with their address, local ones as 10.0.2.2.
# Root makes a "host" network namespace (root_netns_start), where usernet runs as the user, and an "outside"
# namespace joined to it by a veth pair: host 198.51.100.1/24, outside client 198.51.100.2/24 (TEST-NET-2).
# The real host's network is not touched; both namespaces go away with their holders.

load lib

# start_source USERNET-ARGS...: the two namespaces, a holder, usernet (as the user, in the host namespace)
# publishing 0.0.0.0:8080 -> 80/tcp, 0.0.0.0:5353 -> 5353/udp, 0.0.0.0:8007 -> 7/tcp, and 8081 -> 81/tcp,
# 5354 -> 5354/udp without a server (guest_own_traffic_ok), and servers inside: port 80 and 5353 say
# "PORT CLIENT-ADDRESS", port 7 echoes.
SOURCE_RULES=(-p 8080:80 -p 5353:5353/udp -p 8007:7 -p 8081:81 -p 5354:5354/udp)
start_source() {
	need_root "it makes a host namespace and an outside namespace joined by a veth pair"
	root_netns_start
	outside_start
	holder_start
	USERNET_PREFIX=(nsenter -t "$ROOT_NS_PID" -n --)
	usernet_start --configure "${SOURCE_RULES[@]}" "$@" "$HOLDER_PID"
	USERNET_PREFIX=()
	pf_serve --tcp 80 --udp 5353
	pf_serve --mode echo --tcp 7
}

# from_host / from_outside: the clients that follow run in the host / the outside namespace
from_host() { PF_NS=(nsenter -t "$ROOT_NS_PID" -n --); }
from_outside() { PF_NS=(nsenter -t "$OUTSIDE_PID" -n --); }

# outside_echo: 1 MiB through port 8007 from the outside client comes back intact
outside_echo() {
	from_outside
	run --separate-stderr pf_client echo 198.51.100.1 8007 --size $((1 << 20)) --seed 9
	[[ $status == 0 && $output == ok ]] || fail "1 MiB echo from outside: status $status" "$output" "$stderr"
}

# seen_as ADDR HOST WHO: the clients of PF_NS reaching HOST:8080/tcp and HOST:5353/udp appear as ADDR, for several
# connections and flows in a row (each from another client port)
seen_as() {
	local i
	pf_expect "80 $1" tcp "$2" 8080
	pf_expect "5353 $1" udp "$2" 5353
	for i in 1 2 3; do
		pf_reply_is "80 $1" tcp "$2" 8080 || fail "$3 TCP connection $i" || return
		pf_reply_is "5353 $1" udp "$2" 5353 || fail "$3 UDP flow $i" || return
	done
}

@test "--port-mode auto: an outside client (veth) appears as 198.51.100.2, a local one as 10.0.2.2, TCP and UDP" {
	start_source
	from_outside
	seen_as 198.51.100.2 198.51.100.1 outside
	outside_echo
	from_host
	seen_as 10.0.2.2 127.0.0.1 local
	from_outside
	pf_reply_is "80 198.51.100.2" tcp 198.51.100.1 8080 || fail "outside TCP after local clients"
	pf_reply_is "5353 198.51.100.2" udp 198.51.100.1 5353 || fail "outside UDP after local clients"

	# the policy rules that bring the guest's replies back: one by mark, one per open UDP flow, none by port alone
	run in_ns ip rule show
	[[ $output == *'fwmark 0x756e lookup '* && $output == *'iif lo ipproto udp sport 5353 dport '* &&
		$output != *'ipproto tcp'* ]] || fail "the namespace lacks the policy rules:" "$output"
	! grep -q 'transparent\|return of replies' "$T/err" || fail "a warning about transparent sockets:" "$(cat "$T/err")"
	usernet_stop_ok
	# the flows' rules go with the helper
	run in_ns ip rule show
	[[ $output != *'sport 5353'* ]] || fail "a UDP flow's rule left after SIGTERM:" "$output"
}

# docs/ARCHITECTURE.md: "local clients (the peer address is loopback, or is the host's own address the client
# connected to)"
@test "--port-mode auto: the host connecting to its own address 198.51.100.1 is a local client (10.0.2.2), TCP and UDP" {
	start_source
	from_host
	pf_expect "80 10.0.2.2" tcp 198.51.100.1 8080
	pf_expect "5353 10.0.2.2" udp 198.51.100.1 5353
	usernet_stop_ok
}

@test "--port-mode direct: outside and local clients appear as the gateway 10.0.2.2, TCP and UDP" {
	start_source --port-mode direct
	from_outside
	pf_expect "80 10.0.2.2" tcp 198.51.100.1 8080
	pf_expect "5353 10.0.2.2" udp 198.51.100.1 5353
	outside_echo
	from_host
	pf_expect "80 10.0.2.2" tcp 127.0.0.1 8080
	pf_expect "5353 10.0.2.2" udp 127.0.0.1 5353
	usernet_stop_ok
}

# guest_from_port PROTO PORT HOST-PORT: inside, a client bound to PORT (a published guest port) talks to the host's
# server on 127.0.0.1:HOST-PORT through the gateway 10.0.2.2 (NAT to the host's loopback); prints the reply
guest_from_port() {
	in_ns timeout -k 1 8 python3 -c '
import socket, sys
proto, port, hp = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.settimeout(3)
s.bind(("0.0.0.0", port))
s.connect(("10.0.2.2", hp))
s.send(b"from the guest")
print(s.recv(100).decode())' "$@"
}

# host_echo_start: echo servers on the host's 127.0.0.1 (TCP and UDP, port HOST_ECHO), in the host namespace
host_echo_start() {
	HOST_ECHO=$(pf_free_port tcp)
	spawn nsenter -t "$ROOT_NS_PID" -n -- "${AS_USER[@]}" python3 -c '
import socket, sys, threading
p = int(sys.argv[1])
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(("127.0.0.1", p))
def udp():
    while True:
        d, a = u.recvfrom(100)
        u.sendto(b"host says " + d, a)
threading.Thread(target=udp, daemon=True).start()
t = socket.socket()
t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
t.bind(("127.0.0.1", p))
t.listen()
while True:
    c, a = t.accept()
    c.send(b"host says " + c.recv(100))
    c.close()' "$HOST_ECHO"
	# (it listened on TCP last: the UDP one is bound by then)
	wait_until 10 host_echo_listening || fail "the host's echo server did not start on port $HOST_ECHO"
}
# host_echo_listening: the TCP echo server listens (the wait once piped wait_until's output into grep, so it
# never waited, and a guest's connection was refused in CI before the server listened)
host_echo_listening() { [[ -n $(nsenter -t "$ROOT_NS_PID" -n -- ss -Hltn "sport = :$HOST_ECHO") ]]; }

# guest_own_traffic_ok: the guest's own connections from the published guest ports 81/tcp and 5354/udp reach
# the host's echo servers: the return of replies must not divert them
guest_own_traffic_ok() {
	local proto port
	for proto in tcp:81 udp:5354; do
		port=${proto#*:} proto=${proto%:*}
		run guest_from_port "$proto" "$port" "$HOST_ECHO"
		[[ $output == 'host says from the guest' ]] ||
			fail "a guest $proto client bound to published port $port got no reply from the host" "$output" ||
			return
	done
}

@test "--port-mode auto: the guest's own connections from a published port are not diverted, TCP and UDP" {
	start_source
	host_echo_start || return
	# with local and outside flows open on the same guest port (no server there: they get no reply)
	from_outside
	pf_client get udp 198.51.100.1 5354 --timeout 1 || true
	from_host
	pf_client get udp 127.0.0.1 5354 --timeout 1 || true
	run in_ns ip rule show
	[[ $output == *'sport 5354'* ]] || fail "no flow on 5354:" "$output"
	guest_own_traffic_ok
	usernet_stop_ok
}

@test "SIGKILL with flows open: a new helper on the same namespace works, the old flow rules are gone" {
	start_source
	from_outside
	pf_client get udp 198.51.100.1 5353 --timeout 3
	from_host
	pf_client get udp 127.0.0.1 5353 --timeout 3
	run in_ns ip rule show
	local before=$output
	[[ $before == *'sport 5353'* ]] || fail "no flow rules before the kill:" "$before"
	kill -KILL "$USERNET_PID"
	wait_gone "$USERNET_PID" 5
	USERNET_PREFIX=(nsenter -t "$ROOT_NS_PID" -n --)
	usernet_start --configure "${SOURCE_RULES[@]}" "$HOLDER_PID"
	USERNET_PREFIX=()
	run in_ns ip rule show
	[[ $output != *'sport 5353'* ]] || fail "the killed helper's flow rules are left:" "before: $before" "now: $output"
	host_echo_start || return
	guest_own_traffic_ok
	from_outside
	seen_as 198.51.100.2 198.51.100.1 outside
	outside_echo
	from_host
	seen_as 10.0.2.2 127.0.0.1 local
	usernet_stop_ok
}

@test "a guest service bound only to 127.0.0.1 is not reachable through a published port; guest address 127.0.0.1 is refused" {
	api_setup
	start_source --api-socket "$API"
	pf_serve --bind 127.0.0.1 --tcp 8090 --udp 8090
	local hp
	hp=$(pf_free_port tcp)
	from_host
	run pf_client get tcp 127.0.0.1 8080 --timeout 3
	# the rule 8080 -> 80 reaches the guest's 0.0.0.0:80, not 127.0.0.1: sanity
	[[ $output == '80 '* ]] || fail "the published port 8080 does not work:" "$output"
	api_raw "{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"tcp\",\"host_addr\":\"127.0.0.1\",\"host_port\":$hp,\"guest_addr\":\"127.0.0.1\",\"guest_port\":8090}}" >"$T/reply"
	run pf_client get tcp 127.0.0.1 "$hp" --timeout 3
	[[ $status != 0 && $output != *8090* ]] || fail "the guest's 127.0.0.1-only service answered:" "$output"
	[[ $(<"$T/reply") == *error* && $(<"$T/reply") == *loopback* ]] ||
		fail "add_hostfwd to guest 127.0.0.1 was not refused:" "$(<"$T/reply")"
	usernet_stop_ok
}

@test "--enable-ipv6: a local client of a rule to the guest's IPv6 address appears as the IPv6 gateway fd00::2" {
	need_root "it makes a host namespace"
	root_netns_start
	holder_start -6
	api_setup
	USERNET_PREFIX=(nsenter -t "$ROOT_NS_PID" -n --)
	usernet_start --configure -6 --api-socket "$API" "$HOLDER_PID"
	USERNET_PREFIX=()
	# the guest's IPv6 address is usable once its duplicate address detection is skipped (nodad) and lo is up
	pf_serve --bind :: --tcp 80 --udp 5353
	local hp
	hp=$(pf_free_port tcp)
	api_expect "{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"tcp\",\"host_addr\":\"::1\",\"host_port\":$hp,\"guest_addr\":\"fd00::100\",\"guest_port\":80}}" '{"return":{"id":1}}'
	api_expect "{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"udp\",\"host_addr\":\"::1\",\"host_port\":$hp,\"guest_addr\":\"fd00::100\",\"guest_port\":5353}}" '{"return":{"id":2}}'
	from_host
	pf_expect "80 fd00::2" tcp ::1 "$hp"
	pf_expect "5353 fd00::2" udp ::1 "$hp"
	usernet_stop_ok
}

@test "--port-mode slirp: a local client appears as 10.0.2.2, an outside client as 198.51.100.2, TCP and UDP" {
	start_source --port-mode slirp
	from_host
	pf_expect "80 10.0.2.2" tcp 127.0.0.1 8080
	pf_expect "5353 10.0.2.2" udp 127.0.0.1 5353
	from_outside
	pf_expect "80 198.51.100.2" tcp 198.51.100.1 8080
	pf_expect "5353 198.51.100.2" udp 198.51.100.1 5353
	outside_echo
	from_host
	pf_expect "80 10.0.2.2" tcp 127.0.0.1 8080
	run in_ns ip rule show
	[[ $output != *ipproto* ]] || fail "policy rules in slirp mode:" "$output"
	usernet_stop_ok
}

# spoofed_get PROTO SRC HOST PORT: from the outside namespace, a client bound to source SRC asks HOST:PORT once;
# prints the reply, or "none" (reset, timeout)
spoofed_get() {
	nsenter -t "$OUTSIDE_PID" -n -- timeout -k 1 8 python3 -c '
import socket, sys
proto, src, host, port = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
fam = socket.AF_INET6 if ":" in host else socket.AF_INET
s = socket.socket(fam, socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM)
s.settimeout(3)
try:
    s.bind((src, 0))
    s.connect((host, port))
    s.send(b"x")
    print(s.recv(100).decode().strip() or "none")
except OSError:
    print("none")' "$@"
}

# docs/ARCHITECTURE.md, "Published ports": an outside client whose address is one the namespace owns or trusts
# (the guest's 10.0.2.100, the gateway 10.0.2.2, anything in --cidr) is reset, never passed through as itself
@test "--port-mode auto: outside clients from 10.0.2.100 or 10.0.2.2 (also on rules on both families) are refused; 198.51.100.2 is served" {
	SOURCE_RULES+=(-p '8082:80' -p '5355:5353/udp')
	start_source
	# the outside namespace also holds 10.0.2.100 and 10.0.2.2 (a LAN overlapping the guest's network, or a
	# spoofed source); the host routes 10.0.2.0/24 back to it
	nsenter -t "$OUTSIDE_PID" -n ip addr add 10.0.2.100/32 dev pf-out
	nsenter -t "$OUTSIDE_PID" -n ip addr add 10.0.2.2/32 dev pf-out
	nsenter -t "$ROOT_NS_PID" -n ip route add 10.0.2.0/24 via 198.51.100.2
	local src proto port got
	for src in 10.0.2.100 10.0.2.2; do
		for proto in tcp:8080 udp:5353 tcp:8082 udp:5355; do
			port=${proto#*:} proto=${proto%:*}
			got=$(spoofed_get "$proto" "$src" 198.51.100.1 "$port")
			[[ $got == none ]] || fail "an outside $proto client from $src to port $port was served: $got" ||
				return
		done
	done
	grep -q 'refused a client from 10.0.2.100' "$T/err" || fail "no warning about the refused client" "$(cat "$T/err")"
	# the real outside address still works, on both listeners
	[[ $(spoofed_get tcp 198.51.100.2 198.51.100.1 8080) == '80 198.51.100.2' &&
		$(spoofed_get tcp 198.51.100.2 198.51.100.1 8082) == '80 198.51.100.2' &&
		$(spoofed_get udp 198.51.100.2 198.51.100.1 5355) == '5353 198.51.100.2' ]] ||
		fail "an outside client from 198.51.100.2 was not served"
	usernet_stop_ok
}

# ns_state: the namespace's policy rules, table 30062 and the sysctls the helper turns on
ns_state() {
	in_ns ip -4 rule show
	in_ns ip -6 rule show
	in_ns ip -4 route show table 30062 2>/dev/null
	in_ns ip -6 route show table 30062 2>/dev/null
	in_ns cat /proc/sys/net/ipv4/tcp_fwmark_accept /proc/sys/net/ipv4/fwmark_reflect /proc/sys/net/ipv6/fwmark_reflect
}

@test "a clean exit (SIGTERM) leaves the namespace's rules, table 30062 and fwmark sysctls as they were" {
	need_root "it makes a host namespace and an outside namespace joined by a veth pair"
	root_netns_start
	outside_start
	holder_start -6
	local before
	before=$(ns_state)
	USERNET_PREFIX=(nsenter -t "$ROOT_NS_PID" -n --)
	usernet_start --configure -6 "${SOURCE_RULES[@]}" "$HOLDER_PID"
	USERNET_PREFIX=()
	pf_serve --tcp 80 --udp 5353
	from_outside
	seen_as 198.51.100.2 198.51.100.1 outside
	[[ $(ns_state) != "$before" ]] || fail "the helper changed nothing in the namespace (sanity)"
	usernet_stop_ok
	run ns_state
	[[ $output == "$before" ]] || fail "the namespace changed after SIGTERM:" "before: $before" "after: $output"
}

# A default route the guest (root in its namespace) put in table 30062 must not keep ours out
@test "a guest's own default route in table 30062: local and outside clients are still served" {
	need_root "it makes a host namespace and an outside namespace joined by a veth pair"
	root_netns_start
	outside_start
	holder_start
	in_ns ip link set lo up
	in_ns ip route add unreachable default table 30062
	USERNET_PREFIX=(nsenter -t "$ROOT_NS_PID" -n --)
	usernet_start --configure "${SOURCE_RULES[@]}" "$HOLDER_PID"
	USERNET_PREFIX=()
	pf_serve --tcp 80 --udp 5353
	from_outside
	seen_as 198.51.100.2 198.51.100.1 outside
	from_host
	seen_as 10.0.2.2 127.0.0.1 local
	run in_ns ip route show table 30062
	[[ $output == *local* && $output != *unreachable* ]] || fail "table 30062:" "$output"
	usernet_stop_ok
}

# Fail closed: a namespace that refuses the return of replies (here: /proc/sys read-only, as in many containers)
# must not make every client appear as the guest itself
@test "the namespace refuses the return setup (read-only /proc/sys): publishing fails (exit 5, names --port-mode slirp); slirp mode works" {
	local hp
	hp=$(pf_free_port tcp)
	run_usernet_session 'mount --bind /proc/sys /proc/sys && mount -o remount,bind,ro /proc/sys' --configure \
		-p "$hp:80"
	assert_error 5 'refuses' 'Read-only file system' '--port-mode slirp'
	usernet_start_session 'mount --bind /proc/sys /proc/sys && mount -o remount,bind,ro /proc/sys' --configure \
		--port-mode slirp -p "$hp:80"
	pf_serve --tcp 80
	pf_expect "80 10.0.2.2" tcp 127.0.0.1 "$hp"
	usernet_stop_ok
}


@test "nothing is left running (portfwd-source)" {
	assert_nothing_left
}

# An idle helper is one process (issue 19): its namespace agent leaves after 2 to 4 s without a request
# (netns/agent.c, NSAGENT_IDLE_MS) and a new one is forked into the namespace at the next request.

# agent_parked: the helper has no child (its agent left while idle), within 10 s; a helper confined by
# USERNET_ATTACH_EXTRA keeps its agent (it could not bring one back): still there after 5 s
agent_parked() {
	local agent
	if sandboxed; then
		agent=$(pgrep -P "$USERNET_PID" | head -n 1)
		sleep 5
		[[ -n $agent ]] && alive "$agent" || fail "the confined helper's agent left while idle"
		return
	fi
	wait_until 10 sh -c '! pgrep -P "$1" >/dev/null' sh "$USERNET_PID" ||
		fail "the agent of the idle helper $USERNET_PID did not leave: $(pgrep -a -P "$USERNET_PID")"
}
status_field() { awk -F':[ \t]*' -v k="$2" '$1 == k { print $2; exit }' "/proc/$1/status"; }

@test "an idle helper's agent leaves; the next clients bring one back, confined, and keep their addresses; SIGTERM still cleans up" {
	need_root "it makes a host namespace and an outside namespace joined by a veth pair"
	root_netns_start
	outside_start
	holder_start
	local before agent
	before=$(ns_state)
	USERNET_PREFIX=(nsenter -t "$ROOT_NS_PID" -n --)
	usernet_start --configure --debug "${SOURCE_RULES[@]}" "$HOLDER_PID"
	USERNET_PREFIX=()
	pf_serve --tcp 80 --udp 5353
	agent_parked || return
	# UDP flows need a socket made for them inside: the agent comes back for the first one
	from_outside
	seen_as 198.51.100.2 198.51.100.1 outside
	agent=$(pgrep -P "$USERNET_PID" | head -n 1)
	[[ -n $agent ]] || fail "no agent came back for the outside clients" || return
	[[ $(status_field "$agent" NoNewPrivs) == 1 && $(status_field "$agent" Seccomp) == 2 ]] ||
		fail "the agent brought back is not confined: $(grep -E '^(NoNewPrivs|Seccomp)' "/proc/$agent/status")" ||
		return
	from_host
	seen_as 10.0.2.2 127.0.0.1 local
	agent_parked || return
	sandboxed || grep -q 'parked until the next request' "$T/err" || fail "no parking in the log:" "$(cat "$T/err")" ||
		return
	# a clean exit with the agent parked: one comes back to remove the rules and restore the sysctls
	usernet_stop_ok
	run ns_state
	[[ $output == "$before" ]] || fail "the namespace changed after SIGTERM:" "before: $before" "after: $output" ||
		return
	# a burst of clients brings one agent back, never one per connection: the first, the trial before the
	# first park, one for the outside clients (the local ones came before it parked again), one at the exit
	local forks
	forks=$(grep -c 'namespace agent started' "$T/err")
	((forks <= 4)) || fail "$forks agents forked for two bursts of 12 connections and flows"
}
