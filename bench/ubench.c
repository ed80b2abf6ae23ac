/* SPDX-License-Identifier: GPL-2.0-or-later
 * bench/ubench.c - small measuring tools of the benchmark suite (bench/run)
 *
 *   ubench serve PORT              epoll echo server on 0.0.0.0:PORT (any number of clients)
 *   ubench rtt HOST PORT COUNT     COUNT 1-byte ping-pongs on one TCP connection: "MEDIAN_US P99_US"
 *   ubench connrate HOST PORT SEC  new connections per second for SEC seconds (connect, 1-byte echo, close)
 *   ubench hold HOST PORT N        open N echoed connections, print "open N", close them all when stdin
 *                                  ends or a line arrives, print "closed"
 *   ubench ready MODE -- CMD...    start CMD and time it to ready: MODE fd3 (CMD writes a byte to fd 3,
 *                                  as --ready-fd 3) or exit (CMD daemonises: its exit 0 means ready);
 *                                  prints "PID MILLISECONDS CPU_MS" (PID of CMD), leaves CMD running;
 *                                  CPU_MS: CPU time CMD and its children still running had used when it
 *                                  was ready (/proc/PID/schedstat), "-" in exit mode
 *
 * Not part of usernet: built by meson for bench/run only (not installed, not a test).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what)
{
	fprintf(stderr, "ubench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static struct sockaddr_in resolve(const char *host, const char *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };

	a.sin_port = htons((uint16_t)atoi(port));
	if (inet_pton(AF_INET, host, &a.sin_addr) != 1) {
		fprintf(stderr, "ubench: %s: not an IPv4 address\n", host);
		exit(2);
	}
	return a;
}

static int dial(const struct sockaddr_in *a)
{
	int one = 1;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		die("socket");
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (const struct sockaddr *)a, sizeof(*a)) < 0)
		die("connect");
	return fd;
}

/* one byte out, one byte back */
static int pingpong(int fd)
{
	char c = 'x';

	if (write(fd, &c, 1) != 1)
		return -1;
	return read(fd, &c, 1) == 1 ? 0 : -1;
}

static _Noreturn void serve(const char *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	struct epoll_event ev, evs[64];
	int one = 1, lfd, ep;
	char buf[65536];

	raise_nofile();
	a.sin_port = htons((uint16_t)atoi(port));
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (lfd < 0)
		die("socket");
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&a, sizeof(a)) < 0)
		die("bind");
	if (listen(lfd, 4096) < 0)
		die("listen");
	ep = epoll_create1(EPOLL_CLOEXEC);
	ev.events = EPOLLIN;
	ev.data.fd = lfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	for (;;) {
		int n = epoll_wait(ep, evs, 64, -1), i;

		for (i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			ssize_t r;

			if (fd == lfd) {
				int c;

				while ((c = accept4(lfd, NULL, NULL,
						    SOCK_CLOEXEC |
							    SOCK_NONBLOCK)) >=
				       0) {
					setsockopt(c, IPPROTO_TCP, TCP_NODELAY,
						   &one, sizeof(one));
					ev.events = EPOLLIN;
					ev.data.fd = c;
					epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
				}
				continue;
			}
			r = read(fd, buf, sizeof(buf));

			if (r > 0) {
				/* echo: small messages in this suite; best effort for big ones */
				if (write(fd, buf, (size_t)r) < 0 &&
				    errno != EAGAIN)
					r = 0;
			}
			if (r == 0 || (r < 0 && errno != EAGAIN)) {
				epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
				close(fd);
			}
		}
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int rtt(const char *host, const char *port, const char *count)
{
	struct sockaddr_in a = resolve(host, port);
	int n = atoi(count), i, fd;
	double *t = calloc((size_t)n, sizeof(*t));

	fd = dial(&a);
	for (i = 0; i < 100; i++) /* warm-up */
		if (pingpong(fd) < 0)
			die("warm-up ping-pong");
	for (i = 0; i < n; i++) {
		double t0 = now_s();

		if (pingpong(fd) < 0)
			die("ping-pong");
		t[i] = (now_s() - t0) * 1e6;
	}
	qsort(t, (size_t)n, sizeof(*t), cmp_double);
	printf("%.1f %.1f\n", t[n / 2], t[(n * 99) / 100]);
	return 0;
}

static int connrate(const char *host, const char *port, const char *secs)
{
	struct sockaddr_in a = resolve(host, port);
	double t0 = now_s(), end = t0 + atof(secs), t;
	long n = 0;

	do {
		int fd = dial(&a);

		if (pingpong(fd) < 0)
			die("ping-pong on a new connection");
		close(fd);
		n++;
		t = now_s();
	} while (t < end);
	printf("%.0f\n", (double)n / (t - t0));
	return 0;
}

static int hold(const char *host, const char *port, const char *count)
{
	struct sockaddr_in a = resolve(host, port);
	int n = atoi(count), i;
	int *fds = calloc((size_t)n, sizeof(*fds));
	char line[16];

	raise_nofile();
	for (i = 0; i < n; i++) {
		fds[i] = dial(&a);
		if (pingpong(fds[i]) < 0)
			die("ping-pong on a held connection");
	}
	printf("open %d\n", n);
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		line[0] = 0;
	for (i = 0; i < n; i++)
		close(fds[i]);
	printf("closed\n");
	return 0;
}

/* CPU time (ns) a process has run, from /proc/PID/schedstat; 0 if it is gone */
static unsigned long long cpu_ns(long pid)
{
	unsigned long long ns = 0;
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/schedstat", pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (fscanf(f, "%llu", &ns) != 1)
		ns = 0;
	fclose(f);
	return ns;
}

/* CPU time (ms) of PID and of its children (one level: a helper's namespace agent) */
static double tree_cpu_ms(pid_t pid)
{
	unsigned long long ns = cpu_ns(pid);
	char path[64];
	long child;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)pid,
		 (int)pid);
	f = fopen(path, "re");
	if (f) {
		while (fscanf(f, "%ld", &child) == 1)
			ns += cpu_ns(child);
		fclose(f);
	}
	return (double)ns / 1e6;
}

static int ready(const char *mode, char **argv)
{
	int p[2], status;
	double t0;
	pid_t pid;
	char c;

	if (pipe2(p, O_CLOEXEC) < 0)
		die("pipe");
	t0 = now_s();
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		/* stdout stays the caller's to read "PID MS" until we exit */
		if (dup2(p[1], 3) < 0 || dup2(2, 1) < 0)
			die("dup2");
		execvp(argv[0], argv);
		die(argv[0]);
	}
	close(p[1]);
	if (!strcmp(mode, "fd3")) {
		if (read(p[0], &c, 1) != 1) {
			fprintf(stderr, "ubench: %s did not become ready\n",
				argv[0]);
			return 1;
		}
	} else {
		if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
		    WEXITSTATUS(status)) {
			fprintf(stderr, "ubench: %s failed\n", argv[0]);
			return 1;
		}
	}
	t0 = (now_s() - t0) * 1e3;
	if (!strcmp(mode, "fd3"))
		printf("%d %.2f %.3f\n", (int)pid, t0, tree_cpu_ms(pid));
	else
		printf("%d %.2f -\n", (int)pid, t0);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "serve"))
		serve(argv[2]);
	if (argc == 5 && !strcmp(argv[1], "rtt"))
		return rtt(argv[2], argv[3], argv[4]);
	if (argc == 5 && !strcmp(argv[1], "connrate"))
		return connrate(argv[2], argv[3], argv[4]);
	if (argc == 5 && !strcmp(argv[1], "hold"))
		return hold(argv[2], argv[3], argv[4]);
	if (argc > 4 && !strcmp(argv[1], "ready") && !strcmp(argv[3], "--"))
		return ready(argv[2], argv + 4);
	fprintf(stderr,
		"usage: ubench serve PORT | rtt HOST PORT COUNT | connrate HOST PORT SEC |\n"
		"       hold HOST PORT N | ready fd3|exit -- CMD...\n");
	return 2;
}
