#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# Published ports under attack (issue 13):
#  - another user of the host must not bind a published address and port while usernet holds it (and so take its
#    datagrams or connections), with SO_REUSEADDR or SO_REUSEPORT: our forwarders, libslirp's listeners of
#    --port-mode slirp, --publish-auto's rules;
#  - datagrams from more sources than a rule may have flows (spoofed, from another namespace) must not lock the
#    rule: the least recently used flow is evicted and a legitimate client still gets its reply.
# As in portfwd-source.bats, root makes a "host" namespace (where usernet runs as the user) and an "outside"
# namespace joined to it by a veth pair: host 198.51.100.1/24, outside 198.51.100.2/24.

load lib

# start_hostile USERNET-ARGS...: the two namespaces, a holder, usernet in the host namespace
start_hostile() {
	need_root "it makes namespaces and switches to $OTHER_USER"
	root_netns_start
	outside_start
	holder_start
	USERNET_PREFIX=(nsenter -t "$ROOT_NS_PID" -n --)
	usernet_start --configure "$@" "$HOLDER_PID"
	USERNET_PREFIX=()
}

# other_bind PROTO ADDR PORT: as usernet-other in the host namespace, try to bind ADDR:PORT with SO_REUSEADDR,
# with SO_REUSEPORT and with both; prints one outcome per try ("bound" or the errno's name)
other_bind() {
	nsenter -t "$ROOT_NS_PID" -n -- "${AS_OTHER[@]}" python3 -c '
import errno, socket, sys
proto, addr, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
for opts in ([socket.SO_REUSEADDR], [socket.SO_REUSEPORT], [socket.SO_REUSEADDR, socket.SO_REUSEPORT]):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM if proto == "udp" else socket.SOCK_STREAM)
    for o in opts:
        s.setsockopt(socket.SOL_SOCKET, o, 1)
    try:
        s.bind((addr, port))
        print("bound")
    except OSError as e:
        print(errno.errorcode[e.errno])
    s.close()' "$@"
}

# assert_exclusive PROTO PORT: another user can bind neither 0.0.0.0:PORT nor 127.0.0.1:PORT
assert_exclusive() {
	local a
	for a in 0.0.0.0 127.0.0.1; do
		run other_bind "$1" "$a" "$2"
		[[ $status == 0 && $output == $'EADDRINUSE\nEADDRINUSE\nEADDRINUSE' ]] ||
			fail "$OTHER_USER could bind $1 $a:$2 held by usernet (REUSEADDR, REUSEPORT, both):" "$output" || return
	done
}

@test "--port-mode auto: another user cannot bind a published TCP or UDP port, with SO_REUSEADDR or SO_REUSEPORT" {
	start_hostile -p 8080:80 -p 5353:5353/udp
	assert_exclusive udp 5353
	assert_exclusive tcp 8080
	usernet_stop_ok
}

@test "--port-mode slirp: another user cannot bind libslirp's published TCP or UDP port" {
	start_hostile --port-mode slirp -p 8080:80 -p 5353:5353/udp
	assert_exclusive udp 5353
	assert_exclusive tcp 8080
	! grep -q 'SO_REUSEADDR' "$T/err" || fail "a warning:" "$(cat "$T/err")"
	usernet_stop_ok
}

@test "--publish-auto: another user cannot bind an automatically published UDP port" {
	local p
	p=$(pf_free_port udp)
	start_hostile --publish-auto="$p"
	pf_serve --udp "$p"
	wait_until 5 nsenter -t "$ROOT_NS_PID" -n -- sh -c "ss -Hlun 'sport = :$p' | grep -q ." ||
		fail "port $p was not published"
	assert_exclusive udp "$p"
	usernet_stop_ok
}

# spoof_flood COUNT PORT: from the outside namespace (root there), one datagram from each of COUNT source
# addresses that are not the outside namespace's own (198.51.100.10 on, IP_TRANSPARENT) to 198.51.100.1:PORT
spoof_flood() {
	nsenter -t "$OUTSIDE_PID" -n -- python3 -c '
import socket, sys
n, port = int(sys.argv[1]), int(sys.argv[2])
for i in range(n):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_IP, 19, 1)  # IP_TRANSPARENT
    s.bind(("198.51.100.%d" % (10 + i), 4000 + i))
    s.sendto(b"spoofed %d" % i, ("198.51.100.1", port))
    s.close()' "$@"
}

@test "UDP: datagrams from more spoofed sources than --port-max-conns evict old flows; a legitimate client gets its echo" {
	start_hostile --port-max-conns 8 -p 5353:5353/udp
	pf_serve --mode echo --udp 5353
	spoof_flood 40 5353
	PF_NS=(nsenter -t "$OUTSIDE_PID" -n --)
	run pf_client udpecho 198.51.100.1 5353 --sizes 10,100 --timeout 3
	[[ $status == 0 && $output == ok ]] || fail "the legitimate client got no echo after the flood" "$output"
	PF_NS=()
	run in_ns ip rule show
	local n
	n=$(grep -c 'sport 5353' <<<"$output" || true)
	((n <= 8)) || fail "$n flow rules in the namespace, more than the 8 flows a rule may have:" "$output"
	usernet_stop_ok
}

@test "nothing is left running (portfwd-hostile)" {
	assert_nothing_left
}
