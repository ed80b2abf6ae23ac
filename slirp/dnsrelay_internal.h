/* SPDX-License-Identifier: GPL-2.0-or-later
 * slirp/dnsrelay_internal.h - the DNS relay's state, shared by its UDP and
 * upstream side (slirp/dnsrelay.c) and the guest's TCP (slirp/dnstcp.c)
 */
#ifndef SLIRP_DNSRELAY_INTERNAL_H
#define SLIRP_DNSRELAY_INTERNAL_H

#include <glib.h>
#include <sys/types.h>
#include <time.h>

#include "slirp/dnsrelay.h"

/* Period of the timeout scan */
#define DNSRELAY_TICK_MS 250
/* The resolver file is looked at (stat) at most this often, before queries */
#define DNSRELAY_RESOLV_CHECK_MS 1000

/**
 * struct dnsrelay_stamp - what stat() said of the resolver file
 * @present:	it existed
 * @dev:	device
 * @ino:	inode
 * @size:	size
 * @mtime:	modification time
 * @ctime:	change time
 */
struct dnsrelay_stamp {
	bool present;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	struct timespec ctime;
};
/* The guest's TCP connections to port 53 at once; beyond it the oldest is
 * reset */
#define DNSTCP_CONN_MAX 16
/* Answers waiting to be sent and acknowledged on one connection */
#define DNSTCP_OUT_MAX (2 * (2 + DNSW_ANSWER_MAX))
/* A connection without a segment from the guest for this long is reset */
#define DNSTCP_IDLE_MS 10000
/* Retransmission of unacknowledged segments, and how often */
#define DNSTCP_RTO_MS 500
#define DNSTCP_RETRIES 6

struct dnsrelay_pending;

/**
 * struct dnstcp_conn - a guest's TCP connection to port 53 of the relay
 * @used:	the slot is taken
 * @g:		the guest side (addresses, MACs, port)
 * @established: the guest acknowledged our SYN
 * @iss:	our initial sequence number
 * @base:	sequence number of the first byte of @out
 * @snd_nxt:	next sequence number to send
 * @rcv_nxt:	next sequence number expected from the guest
 * @wnd:	the guest's window
 * @mss:	largest segment to send
 * @fin_rcvd:	the guest closed its side
 * @fin_sent:	we sent our FIN (at @base + @out->len)
 * @pend:	the query of this connection upstream now, or NULL
 * @qid:	the guest's id of that query
 * @last_ms:	last segment from the guest
 * @sent_ms:	last (re)transmission
 * @retries:	retransmissions without progress
 * @inlen:	bytes in @in
 * @in:		bytes from the guest not yet taken as queries
 * @out:	answers (with their length prefixes) not yet acknowledged
 */
struct dnstcp_conn {
	bool used;
	struct dnsw_guest g;
	bool established;
	uint32_t iss;
	uint32_t base;
	uint32_t snd_nxt;
	uint32_t rcv_nxt;
	uint32_t wnd;
	uint16_t mss;
	bool fin_rcvd;
	bool fin_sent;
	struct dnsrelay_pending *pend;
	uint16_t qid;
	int64_t last_ms;
	int64_t sent_ms;
	unsigned retries;
	size_t inlen;
	uint8_t in[2 + DNSW_QUERY_MAX];
	GByteArray *out;
};

/**
 * struct dnsrelay_pending - one query waiting for an answer
 * @r:		the relay (for the socket's callback)
 * @used:	the slot is taken
 * @fd:		socket connected to the server asked (UDP, or TCP for a
 *		query from a TCP connection), -1 between tries
 * @server:	index of the server asked in the relay's list
 * @born_ms:	when the query arrived (the oldest is evicted)
 * @deadline_ms: when the server asked has had its time
 * @up_id:	random id of the query as sent
 * @g:		who asked
 * @conn:	the guest's TCP connection the query came on, or NULL (UDP);
 *		the query then goes upstream over TCP too
 * @sent:	TCP: the query was written (the connect completed)
 * @abuf:	TCP: the answer read so far (length prefix first), or NULL
 * @alen:	TCP: bytes in @abuf
 * @qlen:	length of @q
 * @q:		the query (its id field holds @up_id)
 */
struct dnsrelay_pending {
	struct dnsrelay *r;
	bool used;
	int fd;
	unsigned server;
	int64_t born_ms;
	int64_t deadline_ms;
	uint16_t up_id;
	struct dnsw_guest g;
	struct dnstcp_conn *conn;
	bool sent;
	uint8_t *abuf;
	size_t alen;
	size_t qlen;
	uint8_t q[DNSW_QUERY_MAX];
};

/**
 * struct dnsrelay - the relay of one engine
 * @loop:	event loop the sockets are watched in
 * @send:	writes a frame to the guest
 * @send_opaque: its argument
 * @addrs:	the guest-side DNS addresses
 * @mtu:	the tap's MTU
 * @resolv_path: resolver file followed, or NULL with fixed servers
 * @resolv_seen: the resolver file when it was last read
 * @resolv_checked_ms: when it was last looked at (util_now_ms())
 * @servers:	servers asked, in order
 * @nservers:	their number
 * @pend:	queries waiting
 * @tcp:	the guest's TCP connections to port 53 (slirp/dnstcp.c)
 * @st:		counters
 * @rnd:	random bytes (getrandom), used from the end
 * @rnd_left:	bytes of @rnd left
 * @buf:	a datagram read from a server
 * @udp:	an answer's UDP datagram to the guest
 * @frame:	an answer frame to the guest
 */
struct dnsrelay {
	struct sl_loop *loop;
	dnsrelay_send_fn send;
	void *send_opaque;
	struct dnsw_addrs addrs;
	unsigned mtu;
	char *resolv_path;
	struct dnsrelay_stamp resolv_seen;
	int64_t resolv_checked_ms;
	struct sockaddr_storage servers[DNSRELAY_SERVERS_MAX];
	unsigned nservers;
	struct dnsrelay_pending pend[DNSRELAY_PENDING_MAX];
	struct dnstcp_conn tcp[DNSTCP_CONN_MAX];
	struct dnsrelay_stats st;
	uint8_t rnd[256];
	size_t rnd_left;
	uint8_t buf[DNSW_ANSWER_MAX];
	uint8_t udp[8 + DNSW_ANSWER_MAX];
	uint8_t frame[DNSW_FRAME_HDR_MAX + DNSW_ANSWER_MAX];
};

uint16_t dnsrelay_random16(struct dnsrelay *r);
struct dnsrelay_pending *dnsrelay_start(struct dnsrelay *r,
					const struct dnsw_guest *g,
					const uint8_t *q, size_t qlen,
					struct dnstcp_conn *conn);
void dnsrelay_release(struct dnsrelay *r, struct dnsrelay_pending *p);

bool dnstcp_frame(struct dnsrelay *r, const uint8_t *frame, size_t len);
void dnstcp_answer(struct dnsrelay *r, struct dnstcp_conn *c,
		   const uint8_t *ans, size_t alen);
void dnstcp_failed(struct dnsrelay *r, struct dnstcp_conn *c);
void dnstcp_tick(struct dnsrelay *r, int64_t now_ms);
void dnstcp_free_all(struct dnsrelay *r);

#endif /* SLIRP_DNSRELAY_INTERNAL_H */
