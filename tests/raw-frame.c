/* SPDX-License-Identifier: GPL-2.0-or-later
 * tests/raw-frame.c - write a hand-made TCP SYN to a tap, as a process with
 * CAP_NET_RAW inside the namespace can (not installed)
 *
 *   raw-frame IFACE SRC DST PORT
 *
 * Sends an Ethernet frame on IFACE (AF_PACKET) holding an IPv4 or IPv6 packet
 * (by the form of DST) with a TCP SYN from SRC, port 40000 + pid % 20000, to
 * DST:PORT, with correct checksums, twice 100 ms apart; the kernel's routing
 * is not asked, so any address may be named. Exits 0 once sent, 1 on error.
 */
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)(p[len - 1] << 8);
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* a 20-byte TCP SYN at @t; @pseudo: the pseudo-header's sum */
static void tcp_syn(uint8_t *t, uint16_t sport, uint16_t dport, uint32_t pseudo)
{
	memset(t, 0, 20);
	put16(t, sport);
	put16(t + 2, dport);
	t[4] = 0x12; /* sequence number */
	t[7] = 0x34;
	t[12] = 5 << 4; /* data offset */
	t[13] = 0x02; /* SYN */
	put16(t + 14, 64240); /* window */
	put16(t + 16, csum_fold(csum_add(pseudo, t, 20)));
}

/* IPv4 header and SYN at @ip; returns the packet's length, 0 on bad input */
static size_t build4(uint8_t *ip, const char *src, const char *dst,
		     uint16_t sport, uint16_t dport)
{
	uint32_t ps;

	memset(ip, 0, 20);
	if (inet_pton(AF_INET, src, ip + 12) != 1 ||
	    inet_pton(AF_INET, dst, ip + 16) != 1)
		return 0;
	ip[0] = 0x45;
	put16(ip + 2, 40);
	ip[6] = 0x40; /* DF */
	ip[8] = 64;
	ip[9] = 6;
	put16(ip + 10, csum_fold(csum_add(0, ip, 20)));
	ps = csum_add(0, ip + 12, 8) + 6 + 20;
	tcp_syn(ip + 20, sport, dport, ps);
	return 40;
}

static size_t build6(uint8_t *ip, const char *src, const char *dst,
		     uint16_t sport, uint16_t dport)
{
	uint32_t ps;

	memset(ip, 0, 40);
	if (inet_pton(AF_INET6, src, ip + 8) != 1 ||
	    inet_pton(AF_INET6, dst, ip + 24) != 1)
		return 0;
	ip[0] = 0x60;
	put16(ip + 4, 20);
	ip[6] = 6;
	ip[7] = 64;
	ps = csum_add(0, ip + 8, 32) + 6 + 20;
	tcp_syn(ip + 40, sport, dport, ps);
	return 60;
}

int main(int argc, char **argv)
{
	uint8_t f[128] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	struct ifreq ifr = { 0 };
	uint16_t sport = (uint16_t)(40000 + getpid() % 20000);
	bool v6;
	size_t n;
	int s, i;

	if (argc != 5) {
		fprintf(stderr, "usage: %s IFACE SRC DST PORT\n", argv[0]);
		return 1;
	}
	v6 = strchr(argv[3], ':') != NULL;
	n = v6 ? build6(f + 14, argv[2], argv[3], sport,
			(uint16_t)atoi(argv[4])) :
		 build4(f + 14, argv[2], argv[3], sport,
			(uint16_t)atoi(argv[4]));
	if (!n) {
		fprintf(stderr, "raw-frame: bad address\n");
		return 1;
	}
	s = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (s < 0) {
		perror("raw-frame: socket(AF_PACKET)");
		return 1;
	}
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", argv[1]);
	if (ioctl(s, SIOCGIFHWADDR, &ifr) < 0 ||
	    ioctl(s, SIOCGIFINDEX, &ifr) < 0) {
		perror("raw-frame: interface");
		return 1;
	}
	/* SIOCGIFINDEX overwrote the union: read the address again */
	sll.sll_ifindex = ifr.ifr_ifindex;
	if (ioctl(s, SIOCGIFHWADDR, &ifr) < 0) {
		perror("raw-frame: SIOCGIFHWADDR");
		return 1;
	}
	memcpy(f + 6, ifr.ifr_hwaddr.sa_data, 6);
	put16(f + 12, v6 ? ETHERTYPE_IPV6 : ETHERTYPE_IP);
	sll.sll_halen = 6;
	memcpy(sll.sll_addr, f, 6);
	for (i = 0; i < 2; i++) {
		if (sendto(s, f, 14 + n, 0, (struct sockaddr *)&sll,
			   sizeof(sll)) < 0) {
			perror("raw-frame: sendto");
			return 1;
		}
		usleep(100000);
	}
	close(s);
	return 0;
}
