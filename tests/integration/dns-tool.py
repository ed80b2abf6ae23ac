# SPDX-License-Identifier: GPL-2.0-or-later
# tests/integration/dns-tool.py - DNS servers and clients of tests/integration/dns.bats (no dig in the image)
#
#   serve LOG ADDR=IP|big:IP|silent...
#                                 a server on port 53 (UDP and TCP) of each ADDR: it answers every A query
#                                 with IP (big: 200 times, 3.2 kB; silent: never); logs "ADDR ID NAME" per
#                                 query to LOG
#   query SERVER NAME [tcp]       ask SERVER (port 53) for NAME's A record with id 0x1234; prints the
#                                 addresses of the answer (TC for a truncated one); exit 0 when one came
#                                 within 5 s
#   garbage SERVER                malformed datagrams to SERVER:53 (short, huge, answers, bad counts, junk)
#   flood SERVER N                N queries to SERVER:53 from one socket, as fast as it can, no waiting
import os
import socket
import struct
import sys
import threading

QID = 0x1234


def encode_name(name):
    out = b''
    for label in name.rstrip('.').split('.'):
        out += bytes([len(label)]) + label.encode()
    return out + b'\0'


def make_query(name, qid=QID):
    return struct.pack('!HHHHHH', qid, 0x0100, 1, 0, 0, 0) + encode_name(name) + struct.pack('!HH', 1, 1)


def question_end(msg):
    off = 12
    while msg[off]:
        off += 1 + msg[off]
    return off + 5


def decode_name(msg):
    labels, off = [], 12
    while msg[off]:
        labels.append(msg[off + 1:off + 1 + msg[off]].decode(errors='replace'))
        off += 1 + msg[off]
    return '.'.join(labels)


def make_answer(query, ip):
    end = question_end(query)
    n = 1
    if ip.startswith('big:'):
        ip, n = ip[4:], 200
    hdr = struct.pack('!HHHHHH', struct.unpack('!H', query[:2])[0], 0x8180, 1, n, 0, 0)
    rr = struct.pack('!HHHIH', 0xc00c, 1, 1, 60, 4) + socket.inet_aton(ip)
    return hdr + query[12:end] + rr * n


def family(addr):
    return socket.AF_INET6 if ':' in addr else socket.AF_INET


def serve(log, specs):
    lock = threading.Lock()

    def note(addr, q):
        with lock, open(log, 'a') as f:
            f.write('%s %d %s\n' % (addr, struct.unpack('!H', q[:2])[0], decode_name(q)))

    def udp(addr, ip):
        s = socket.socket(family(addr), socket.SOCK_DGRAM)
        s.bind((addr, 53))
        while True:
            q, peer = s.recvfrom(65535)
            try:
                note(addr, q)
                if ip != 'silent':
                    s.sendto(make_answer(q, ip), peer)
            except (IndexError, struct.error):
                pass

    def tcp_conn(c, addr, ip):
        with c:
            try:
                while True:
                    n = struct.unpack('!H', c.recv(2, socket.MSG_WAITALL))[0]
                    q = c.recv(n, socket.MSG_WAITALL)
                    note(addr, q)
                    if ip != 'silent':
                        a = make_answer(q, ip)
                        c.sendall(struct.pack('!H', len(a)) + a)
            except (IndexError, struct.error, OSError):
                pass

    def tcp(addr, ip):
        s = socket.socket(family(addr), socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((addr, 53))
        s.listen(16)
        while True:
            c, _ = s.accept()
            threading.Thread(target=tcp_conn, args=(c, addr, ip), daemon=True).start()

    threads = []
    for spec in specs:
        addr, ip = spec.rsplit('=', 1)
        for fn in (udp, tcp):
            t = threading.Thread(target=fn, args=(addr, ip), daemon=True)
            t.start()
            threads.append(t)
    with open(log + '.ready', 'w') as f:
        f.write('ready\n')
    for t in threads:
        t.join()


def parse_answer(a, qid=QID):
    if len(a) < 12 or struct.unpack('!H', a[:2])[0] != qid or not a[2] & 0x80:
        return None
    ancount = struct.unpack('!H', a[6:8])[0]
    off, ips = question_end(a), []
    for _ in range(ancount):
        if a[off] & 0xc0 == 0xc0:
            off += 2
        else:
            while a[off]:
                off += 1 + a[off]
            off += 1
        rtype, _, _, rdlen = struct.unpack('!HHIH', a[off:off + 10])
        off += 10
        if rtype == 1 and rdlen == 4:
            ips.append(socket.inet_ntoa(a[off:off + 4]))
        off += rdlen
    return ips


def recv_all(s, n):
    # MSG_WAITALL does not wait on a socket with a timeout (non-blocking underneath)
    b = b''
    while len(b) < n:
        chunk = s.recv(n - len(b))
        if not chunk:
            raise OSError('connection closed after %d of %d bytes' % (len(b), n))
        b += chunk
    return b


def tcp_read(s):
    return recv_all(s, struct.unpack('!H', recv_all(s, 2))[0])


def query(server, name, proto='udp'):
    q = make_query(name)
    if proto.startswith('tcp'):
        s = socket.create_connection((server, 53), timeout=5)
        if proto == 'tcp2':
            # two queries at once on one connection, as glibc asks A and AAAA
            q2 = make_query('2' + name, QID + 1)
            s.sendall(struct.pack('!H', len(q)) + q + struct.pack('!H', len(q2)) + q2)
            a, a2 = tcp_read(s), tcp_read(s)
            ips = (parse_answer(a) or []) + (parse_answer(a2, QID + 1) or [])
            print('\n'.join(ips))
            return 0 if len(ips) == 2 else 1
        s.sendall(struct.pack('!H', len(q)) + q)
        a = tcp_read(s)
    else:
        s = socket.socket(family(server), socket.SOCK_DGRAM)
        s.settimeout(5)
        s.sendto(q, (server, 53))
        a = s.recv(65535)
    if len(a) >= 12 and a[2] & 0x02:
        print('TC')
        return 0
    ips = parse_answer(a)
    if not ips:
        print('no answer: %r' % a)
        return 1
    print(' '.join(ips))
    return 0


def garbage(server):
    s = socket.socket(family(server), socket.SOCK_DGRAM)
    q = make_query('garbage.test')
    msgs = [b'', b'\x12', q[:11], q[:12], q[:4] + os.urandom(40), b'\xff' * 12 + b'\x00' * 200,
            q[:2] + b'\x81\x80' + q[4:],                   # an answer, not a query
            q[:4] + b'\xff\xff' + q[6:],                   # 65535 questions
            q[:4] + b'\x00\x00' + q[6:],                   # no question
            q[:12] + b'\x3f' + b'a' * 10,                  # a label past the end
            q[:12] + b'\xc0\x0c' * 100,                    # compression pointers in a question
            q + b'\x00' * 4000,                            # larger than a query may be
            b'\x00' * 60000]                               # fragmented by the guest's kernel
    for m in msgs:
        try:
            s.sendto(m, (server, 53))
        except OSError as e:
            print('send of %d bytes: %s' % (len(m), e))
    # over TCP: a length beyond any query, a short message, an answer, half a query, a close mid-way
    streams = [b'\xff\xff' + b'x' * 3000, b'\x00\x05hello', struct.pack('!H', len(q)) + q[:2] + b'\x81\x80' + q[4:],
               struct.pack('!H', len(q)) + q[:10], b'\x00']
    for m in streams:
        try:
            c = socket.create_connection((server, 53), timeout=3)
            c.sendall(m)
            c.recv(100)
            c.close()
        except OSError as e:
            print('tcp: %s' % e)
    return 0


def flood(server, n):
    s = socket.socket(family(server), socket.SOCK_DGRAM)
    for i in range(n):
        s.sendto(make_query('flood%d.test' % i, i & 0xffff), (server, 53))
    return 0


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == 'serve':
        serve(args[0], args[1:])
        return 0
    if cmd == 'query':
        try:
            return query(*args)
        except OSError as e:
            print('no answer: %s' % e)
            return 1
    if cmd == 'garbage':
        return garbage(args[0])
    if cmd == 'flood':
        return flood(args[0], int(args[1]))
    print('unknown command ' + cmd, file=sys.stderr)
    return 2


if __name__ == '__main__':
    sys.exit(main())
