#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# Martian frames: a process in the namespace with CAP_NET_RAW (the user is root in the holder's user namespace)
# writes its own TCP SYNs to the tap (tests/raw-frame, AF_PACKET), naming addresses the kernel would never
# route there. Only the gateway leads to the host's loopback (and only without --disable-host-loopback): SYNs
# to 127.0.0.1, 127.1.2.3, 0.0.0.0, 255.255.255.255, ::1, ::, ::ffff:127.0.0.1, ::ffff:0.0.0.0 or fd00::1234
# (an address of the IPv6 prefix, which libslirp would send to ::1) never reach a listener on the host's
# loopback; they are counted in stats as errors.martian_frames.

load lib

# martian_setup ARGS...: the raw-frame tool, host listeners on 127.0.0.1:PORT, 127.1.2.3:PORT and [::1]:PORT
# that log "ADDR PEER" per connection to $T/conns, usernet -6 --configure with an API socket and ARGS
martian_setup() {
	local src=${RAW_FRAME:-$(dirname "$USERNET")/tests/raw-frame}
	RAW=$IT_DIR/raw-frame
	if [[ ! -x $RAW ]]; then
		[[ -x $src ]] || fail "no raw-frame at $src (set RAW_FRAME)" || return
		install -m 0755 "$src" "$RAW"
	fi
	PORT=$(free_port tcp)
	: >"$T/conns"
	chmod 0666 "$T/conns"
	spawn "${AS_USER[@]}" python3 -c '
import socket, sys, threading
port, log = int(sys.argv[1]), sys.argv[2]
def serve(fam, addr):
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if fam == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind((addr, port))
    s.listen(16)
    while True:
        c, peer = s.accept()
        with open(log, "a") as f:
            f.write(f"{addr} {peer[0]}\n")
        c.close()
for fam, addr in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET, "127.1.2.3"), (socket.AF_INET6, "::1")):
    threading.Thread(target=serve, args=(fam, addr), daemon=True).start()
threading.Event().wait()
' "$PORT" "$T/conns"
	wait_until 5 listening tcp "$PORT" || fail "the host listeners did not start" || return
	holder_start -6
	api_setup
	usernet_start -6 --configure --api-socket "$API" "$@" "$HOLDER_PID"
}

# syn SRC DST: the SYN from inside, through the tap
syn() { in_ns "$RAW" tap0 "$1" "$2" "$PORT" || fail "raw-frame $1 -> $2 failed"; }

martians() { api_raw '{"execute":"stats"}' | pf_json "d['return']['errors']['martian_frames']"; }

# send_martians: every forbidden destination, IPv4 and IPv6; then none may have reached the host
send_martians() {
	local d
	for d in 127.0.0.1 127.1.2.3 0.0.0.0 255.255.255.255; do syn 10.0.2.100 "$d" || return; done
	for d in ::1 :: ::ffff:127.0.0.1 ::ffff:0.0.0.0 fd00::1234; do syn fd00::100 "$d" || return; done
	# a loopback source to the gateway is no better
	syn 127.0.0.1 10.0.2.2 || return
	sleep 2
}

@test "the frame builder works: SYNs to 10.0.2.2 and fd00::2 reach the host's loopback" {
	martian_setup
	syn 10.0.2.100 10.0.2.2
	syn fd00::100 fd00::2
	wait_until 5 grep -q '^::1 ' "$T/conns" || true
	grep -q '^127.0.0.1 127.0.0.1$' "$T/conns" && grep -q '^::1 ::1$' "$T/conns" ||
		fail "the SYNs to the gateway did not reach the host's listeners:" "$(cat "$T/conns")"
	[[ $(martians) == 0 ]] || fail "martian_frames: $(martians)"
	usernet_stop_ok
}

@test "SYNs to 127.0.0.1, 127.1.2.3, 0.0.0.0, 255.255.255.255, ::1, ::, ::ffff:127.0.0.1, fd00::1234 never reach the host; counted" {
	martian_setup
	send_martians
	[[ ! -s $T/conns ]] || fail "martian SYNs reached the host's loopback:" "$(cat "$T/conns")"
	# each SYN is sent twice
	(($(martians) >= 20)) || fail "martian_frames: $(martians)"
	run as_user "$IT_USERNET" stats --api-socket "$API"
	[[ $output == *"martian frames"* ]] || fail "usernet stats:" "$output"
	# the gateway still works afterwards
	syn 10.0.2.100 10.0.2.2
	wait_until 5 grep -q '^127.0.0.1 ' "$T/conns" || fail "the gateway no longer leads to the host's loopback"
	usernet_stop_ok
}

@test "--disable-host-loopback: the same SYNs never reach the host either, nor the gateway's" {
	martian_setup --disable-host-loopback
	send_martians
	syn 10.0.2.100 10.0.2.2
	syn fd00::100 fd00::2
	sleep 1
	[[ ! -s $T/conns ]] || fail "SYNs reached the host's loopback:" "$(cat "$T/conns")"
	(($(martians) >= 20)) || fail "martian_frames: $(martians)"
	usernet_stop_ok
}

@test "DHCP from 0.0.0.0 and IPv6 neighbour discovery still work (udhcpc, ping6 to the gateway)" {
	holder_start -6
	usernet_start -6 --configure "$HOLDER_PID"
	run in_ns busybox udhcpc -i tap0 -n -q -t 3 -T 1 -s /bin/true
	[[ $status == 0 && $output == *'lease of 10.0.2.'* ]] || fail "udhcpc: status $status" "$output"
	in_ns busybox ping -6 -c 1 -W 3 fd00::2 >/dev/null || fail "no ping6 to the gateway"
	usernet_stop_ok
}

@test "nothing is left running (attach-martian)" {
	assert_nothing_left
}
