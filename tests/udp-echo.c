/* SPDX-License-Identifier: GPL-2.0-or-later
 * tests/udp-echo.c - a static UDP echo server for containers that have only busybox
 *
 *   udp-echo PORT
 *
 * Answers every datagram on PORT (IPv4 and IPv6, any address) with "echo:" and the
 * datagram. Linked statically so that the tests can mount it into a busybox image
 * (busybox's nc there has no UDP mode). Not installed.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

int main(int argc, char **argv)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6 };
	struct sockaddr_storage peer;
	char buf[2048] = "echo:";
	int fd, off = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: udp-echo PORT\n");
		return 2;
	}
	sa.sin6_port = htons((unsigned short)atoi(argv[1]));
	fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off)) ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		perror("udp-echo");
		return 1;
	}
	for (;;) {
		socklen_t len = sizeof(peer);
		ssize_t n = recvfrom(fd, buf + 5, sizeof(buf) - 5, 0,
				     (struct sockaddr *)&peer, &len);

		if (n < 0)
			continue;
		sendto(fd, buf, (size_t)n + 5, 0, (struct sockaddr *)&peer,
		       len);
	}
}
