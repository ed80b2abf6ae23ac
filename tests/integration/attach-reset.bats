#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# A truthful shutdown: when the helper stops (SIGTERM, SIGINT), every TCP connection still open is reset toward
# both sides, so that neither peer takes a truncated upload for a complete one; connections that both sides
# closed end cleanly. Through NAT (libslirp: the guest uploads to a host server), through a published port
# (the forwarders: a host client uploads to a guest server), and through a --port-mode slirp rule (libslirp's
# own forwarding). Connects that libslirp refuses at once (ICMP unreachable) leave nothing behind in the table of
# connections to reset, however many there were.

load lib

# uploader_file: a client that connects, reads the server's "ready" line, then sends bytes until the
# connection ends, and prints how: "reset" (ECONNRESET, EPIPE), "eof" (a clean end of file), "timeout"
UPLOADER='
import select, socket, sys, time
host, port, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
s = socket.create_connection((host, port), timeout=5)
f = s.makefile("rb")
f.readline()
print("uploading", flush=True)
s.setblocking(False)
deadline = time.time() + seconds
out = "timeout"
try:
    while time.time() < deadline:
        r, w, _ = select.select([s], [s], [], 0.05)
        if r:
            if not s.recv(65536):
                out = "eof"
                break
        if w:
            s.send(b"x" * 4096)
        time.sleep(0.01)
except (ConnectionResetError, BrokenPipeError):
    out = "reset"
print(out, flush=True)
'

# upload_start WHERE HOST PORT: the uploader, inside the namespace (WHERE=ns) or on the host (WHERE=host), its
# output in $T/up.out; waits until it uploads
upload_start() {
	: >"$T/up.out"
	chmod 0666 "$T/up.out"
	local cmd=(python3 -c "$UPLOADER" "$2" "$3" 12)
	if [[ $1 == ns ]]; then
		in_ns_cmd
		spawn "${IN_NS[@]}" sh -c 'exec "$@" >"$0"' "$T/up.out" "${cmd[@]}"
	else
		spawn "${AS_USER[@]}" sh -c 'exec "$@" >"$0"' "$T/up.out" "${cmd[@]}"
	fi
	wait_until 10 grep -q uploading "$T/up.out" || fail "the uploader did not start:" "$(cat "$T/up.out" "$T/bg.log")"
}

# host_watch PORT: on the host's loopback, as the user, pf.py's watch server: it logs how each connection
# ended ("reset" or "eof") to $T/srv.log
host_watch() {
	: >"$T/srv.log"
	chmod 0666 "$T/srv.log"
	spawn "${AS_USER[@]}" python3 "$(pf_py_file)" serve --mode watch --log "$T/srv.log" --bind 127.0.0.1 \
		--tcp "$1" --ready "$T/srv.ready"
	wait_until 10 test -s "$T/srv.ready" || fail "the host server did not start"
}

# ns_watch PORT: the same server inside the namespace
ns_watch() {
	: >"$T/srv.log"
	chmod 0666 "$T/srv.log"
	pf_serve --mode watch --log "$T/srv.log" --tcp "$1"
}

# both_reset: after the helper stopped, the uploader and the server each saw a reset
both_reset() {
	wait_until 10 grep -qE 'reset|eof|timeout' "$T/up.out" || true
	wait_until 10 test -s "$T/srv.log" || true
	local up srv
	up=$(tail -n 1 "$T/up.out") srv=$(cat "$T/srv.log")
	[[ $up == reset && $srv == reset ]] ||
		fail "the uploader saw '$up', the server saw '${srv:-nothing yet}' (both should see a reset)"
}

@test "NAT: SIGTERM mid-upload from the guest to a host server resets both sides" {
	port=$(free_port tcp)
	host_watch "$port"
	holder_start
	usernet_start --configure "$HOLDER_PID"
	upload_start ns 10.0.2.2 "$port"
	sleep 1
	usernet_stop_ok
	both_reset
}

@test "NAT over IPv6: SIGINT mid-upload from the guest resets both sides" {
	port=$(free_port tcp)
	: >"$T/srv.log"
	chmod 0666 "$T/srv.log"
	spawn "${AS_USER[@]}" python3 "$(pf_py_file)" serve --mode watch --log "$T/srv.log" --bind ::1 \
		--tcp "$port" --ready "$T/srv.ready"
	wait_until 10 test -s "$T/srv.ready" || fail "the host server did not start"
	holder_start -6
	usernet_start -6 --configure "$HOLDER_PID"
	upload_start ns fd00::2 "$port"
	sleep 1
	usernet_stop INT
	[[ $USERNET_STATUS == 0 ]] || fail "status $USERNET_STATUS after SIGINT"
	both_reset
}

@test "published port: SIGTERM mid-upload from a host client to a guest server resets both sides" {
	holder_start
	hp=$(free_port tcp)
	usernet_start --configure -p "127.0.0.1:$hp:8080" "$HOLDER_PID"
	ns_watch 8080
	upload_start host 127.0.0.1 "$hp"
	sleep 1
	usernet_stop_ok
	both_reset
}

@test "--port-mode slirp: SIGTERM mid-upload through libslirp's forwarding resets both sides" {
	holder_start
	hp=$(free_port tcp)
	usernet_start --configure --port-mode slirp -p "127.0.0.1:$hp:8080" "$HOLDER_PID"
	ns_watch 8080
	upload_start host 127.0.0.1 "$hp"
	sleep 1
	usernet_stop_ok
	both_reset
}

@test "--disable-host-loopback: 80,000 failed connects to the gateway do not stop a later connection's reset" {
	holder_start
	hp=$(free_port tcp)
	usernet_start --configure --disable-host-loopback --port-mode slirp -p "127.0.0.1:$hp:8080" "$HOLDER_PID"
	ns_watch 8080
	# each SYN gets libslirp's ICMP unreachable (EPERM): more four-tuples than the table holds (65,536)
	run in_ns timeout -k 1 60 python3 -c '
import socket, time
n = 0
for dport in range(1, 321):
    for sport in range(20000, 20250):
        s = socket.socket()
        s.bind(("", sport))
        s.setblocking(False)
        s.connect_ex(("10.0.2.2", dport))
        s.close()
        n += 1
    time.sleep(0.005)
print(n)
'
	[[ $status == 0 && $output == 80000 ]] || fail "the failed connects: status $status: $output"
	upload_start host 127.0.0.1 "$hp"
	sleep 1
	usernet_stop_ok
	both_reset
}

@test "connections both sides closed end cleanly: an upload completed before SIGTERM is no reset" {
	port=$(free_port tcp)
	host_watch "$port"
	holder_start
	usernet_start --configure "$HOLDER_PID"
	# the client sends, ends its side, reads to the server's end of file
	run in_ns timeout -k 1 10 python3 -c '
import socket, sys
s = socket.create_connection(("10.0.2.2", int(sys.argv[1])), timeout=5)
s.recv(100)
s.sendall(b"y" * 100000)
s.shutdown(socket.SHUT_WR)
while s.recv(65536):
    pass
print("eof")
' "$port"
	[[ $status == 0 && $output == eof ]] || fail "client: status $status: $output"
	wait_until 5 test -s "$T/srv.log" || fail "the server saw no end"
	usernet_stop_ok
	sleep 1
	[[ $(cat "$T/srv.log") == eof ]] || fail "the server saw: $(cat "$T/srv.log")"
}

@test "nothing is left running (attach-reset)" {
	assert_nothing_left
}
