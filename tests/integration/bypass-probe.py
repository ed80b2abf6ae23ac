# SPDX-License-Identifier: GPL-2.0-or-later
# bypass-probe.py: what run-bypass.bats runs inside `usernet run --bypass`; each mode prints one line per
# check, "ERRNAME" for a refused call
#   connect ADDR PORT       blocking connect: "ok LOCAL_ADDR PEER_ADDR DATA WHERE" (DATA: what the server
#                           sends; WHERE: "ns" if the namespace's /proc/net/tcp lists the socket, else "host")
#   nonblock ADDR PORT      non-blocking connect: "EINPROGRESS", then after poll "ok LOCAL_ADDR DATA WHERE"
#   loopback                a server on the namespace's 127.0.0.1 and a connect to it: "ok 127.0.0.1 PEER"
#   listen-after-fail[-nb] ADDR PORT  (non-)blocking connect (refused), then listen() on the same socket: the
#                           errno names, or "listening"
#   hang ADDR PORT          blocking connect that never completes (killed by the test)
import errno
import select
import socket
import sys


def name(e):
    return errno.errorcode.get(e.errno, str(e.errno))


def where(s):
    """ "ns" if the namespace's /proc/net/tcp lists the socket's local port, else "host" """
    port = "%04X" % s.getsockname()[1]
    for f in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(f) as t:
            for line in t.readlines()[1:]:
                if line.split()[1].endswith(":" + port):
                    return "ns"
    return "host"


def connect(addr, port):
    s = socket.socket()
    try:
        s.connect((addr, port))
    except OSError as e:
        return name(e)
    data = s.recv(100).decode().strip()
    return "ok %s %s %s %s" % (s.getsockname()[0], s.getpeername()[0], data, where(s))


def nonblock(addr, port):
    s = socket.socket()
    s.setblocking(False)
    r = s.connect_ex((addr, port))
    print(errno.errorcode.get(r, r) if r else "0")
    select.select([], [s], [], 10)
    err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    if err:
        return errno.errorcode.get(err, err)
    select.select([s], [], [], 10)
    return "ok %s %s %s" % (s.getsockname()[0], s.recv(100).decode().strip(), where(s))


def loopback():
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen()
    c = socket.create_connection(srv.getsockname(), timeout=5)
    conn, peer = srv.accept()
    return "ok %s %s" % (c.getsockname()[0], peer[0])


def listen_after_fail(addr, port, nb):
    s = socket.socket()
    out = []
    try:
        if nb:
            s.setblocking(False)
            r = s.connect_ex((addr, port))
            if r == errno.EINPROGRESS:
                select.select([], [s], [], 10)
                r = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if r:
                raise OSError(r, "connect")
        else:
            s.connect((addr, port))
        out.append("connected")
    except OSError as e:
        out.append(name(e))
    try:
        s.listen()
        out.append("listening")
    except OSError as e:
        out.append(name(e))
    return " ".join(out)


def main():
    mode, args = sys.argv[1], sys.argv[2:]
    if mode == "connect":
        print(connect(args[0], int(args[1])))
    elif mode == "nonblock":
        print(nonblock(args[0], int(args[1])))
    elif mode == "loopback":
        print(loopback())
    elif mode in ("listen-after-fail", "listen-after-fail-nb"):
        print(listen_after_fail(args[0], int(args[1]), mode.endswith("-nb")))
    elif mode == "hang":
        print("connecting", flush=True)
        socket.socket().connect((args[0], int(args[1])))
    sys.stdout.flush()


main()
