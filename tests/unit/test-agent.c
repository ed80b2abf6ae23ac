/* SPDX-License-Identifier: GPL-2.0-or-later
 * tests/unit/test-agent.c - the helper's side of the channel to the namespace
 * agent, against a fake agent: replies queued ahead on the other end of a
 * socket pair. A reply whose fd is lost (no fd free: SCM_RIGHTS truncated)
 * must not leave the channel out of step, a broken channel gives the agent
 * up, and a lost flow socket has its return rule removed.
 */
#include <sys/resource.h>

/* The static functions and struct nsagent */
#include "../../netns/agent.c"

struct fake {
	struct nsagent a;
	int peer; /* the fake agent's end */
	int spare; /* an fd to attach to replies */
};

static void fake_init(struct fake *f)
{
	int sv[2];

	g_assert_cmpint(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
				   sv),
			==, 0);
	memset(&f->a, 0, sizeof(f->a));
	f->a.park_fds.netns = f->a.park_fds.userns = f->a.park_fds.pidfd = -1;
	f->a.pid = 0;
	f->a.pidfd = -1;
	f->a.sock = sv[0];
	f->peer = sv[1];
	f->spare = open("/dev/null", O_RDONLY | O_CLOEXEC);
	g_assert_cmpint(f->spare, >=, 0);
}

static void fake_free(struct fake *f)
{
	util_close_fdp(&f->a.sock);
	close(f->peer);
	close(f->spare);
}

/* A filter builder that fails: the parked agent cannot come back */
static ssize_t test_filter_fails(pid_t agent, struct sock_filter *insns,
				 size_t max, GError **error)
{
	(void)agent;
	(void)insns;
	(void)max;
	g_set_error(error, UN_ERROR, UN_EXIT_FAILURE, "no filter (test)");
	return -ENOSYS;
}

/* Queue a reply of the fake agent, with the spare fd attached or not */
static void fake_reply(struct fake *f, int err, const struct nl_flow *flow,
		       bool with_fd)
{
	struct nsagent_reply rep;

	memset(&rep, 0, sizeof(rep));
	rep.err = err;
	if (flow)
		rep.flow = *flow;
	g_assert_cmpint(fdpass_send(f->peer, &rep, sizeof(rep),
				    with_fd ? f->spare : -1),
			==, sizeof(rep));
}

/* The next request the fake agent got */
static void fake_request(struct fake *f, struct nsagent_req *req)
{
	g_assert_cmpint(fdpass_recv(f->peer, req, sizeof(*req), NULL), ==,
			sizeof(*req));
}

/* No fd free from here on: the fds of replies are lost (MSG_CTRUNC) */
static void no_fd_free(struct rlimit *saved)
{
	struct rlimit rl;
	int fd = dup(0);

	g_assert_cmpint(fd, >=, 0);
	close(fd);
	g_assert_cmpint(getrlimit(RLIMIT_NOFILE, saved), ==, 0);
	/* every fd below the lowest free one is taken: allow only those */
	rl = *saved;
	rl.rlim_cur = (rlim_t)fd;
	g_assert_cmpint(setrlimit(RLIMIT_NOFILE, &rl), ==, 0);
}

static void test_sockets_lost_fds(void)
{
	struct nsagent_sockreq sr = { .domain = AF_INET, .type = SOCK_STREAM };
	struct nsagent_req req;
	struct rlimit saved;
	struct fake f;
	int fds[3], i;

	fake_init(&f);
	for (i = 0; i < 3; i++)
		fake_reply(&f, 0, NULL, true);
	no_fd_free(&saved);
	g_assert_cmpint(nsagent_sockets(&f.a, &sr, fds, 3), ==, -EMFILE);
	g_assert_cmpint(setrlimit(RLIMIT_NOFILE, &saved), ==, 0);
	g_assert_cmpint(f.a.sock, >=, 0);
	for (i = 0; i < 3; i++)
		fake_request(&f, &req);

	/* The next request gets its own reply, not a stale one */
	fake_reply(&f, -ENOENT, NULL, false);
	g_assert_cmpint(nsagent_return(&f.a, false, (struct in_addr){ 0 }), ==,
			-ENOENT);
	fake_free(&f);
}

static void test_broken_channel_gives_up(void)
{
	struct nsagent_sockreq sr = { .domain = AF_INET, .type = SOCK_STREAM };
	struct fake f;
	int fds[2];
	char c = 0;

	fake_init(&f);
	fake_reply(&f, 0, NULL, true);
	g_assert_cmpint(send(f.peer, &c, 1, 0), ==, 1); /* short reply */
	g_assert_cmpint(nsagent_sockets(&f.a, &sr, fds, 2), ==, 1);
	close(fds[0]);
	g_assert_cmpint(f.a.sock, ==, -1);
	g_assert_cmpint(nsagent_return(&f.a, false, (struct in_addr){ 0 }), ==,
			-ECONNRESET);
	fake_free(&f);
}

static void test_flow_socket_lost(void)
{
	struct nsagent_sockreq sr = {
		.domain = AF_INET,
		.type = SOCK_DGRAM,
		.flags = NSAGENT_SOCK_FLOW,
	};
	struct nl_flow flow = {
		.family = AF_INET, .sport = 5353, .dport = 41826,
		.dst4 = { htonl(0x0a000202) },
	}, got;
	struct nsagent_req req;
	struct rlimit saved;
	struct fake f;

	fake_init(&f);
	fake_reply(&f, 0, &flow, true);
	fake_reply(&f, 0, NULL, false); /* to the removal */
	no_fd_free(&saved);
	g_assert_cmpint(nsagent_socket_req(&f.a, &sr, &got), ==, -EMFILE);
	g_assert_cmpint(setrlimit(RLIMIT_NOFILE, &saved), ==, 0);
	g_assert_cmpint(got.family, ==, 0);
	fake_request(&f, &req);
	g_assert_cmpuint(req.op, ==, NSAGENT_OP_SOCKET);
	fake_request(&f, &req);
	g_assert_cmpuint(req.op, ==, NSAGENT_OP_RETURN_FLOW);
	g_assert_false(req.u.flow.add);
	g_assert_cmpmem(&req.u.flow.f, sizeof(flow), &flow, sizeof(flow));
	g_assert_cmpint(f.a.sock, >=, 0);
	fake_free(&f);
}

/* The sysctls' earlier values live in the helper: the agent that undoes the
 * return of replies may be another one than the agent that set it up (the
 * first one parked), and must still restore them */
static void test_sysctls_restored_by_another_agent(void)
{
	struct nsagent_reply rep;
	struct nsagent_req req;
	struct fake f;

	fake_init(&f);
	memset(&rep, 0, sizeof(rep));
	memcpy(rep.was,
	       "0\0"
	       "0",
	       NSAGENT_N_SYSCTLS);
	g_assert_cmpint(fdpass_send(f.peer, &rep, sizeof(rep), -1), ==,
			sizeof(rep));
	g_assert_cmpint(nsagent_return(&f.a, true, (struct in_addr){ 0 }), ==,
			0);
	fake_request(&f, &req);
	g_assert_false(req.u.setup.remove);

	/* the first agent left: a new one gets the values with the undo */
	fake_reply(&f, 0, NULL, false);
	g_assert_cmpint(nsagent_return_teardown(&f.a), ==, 0);
	fake_request(&f, &req);
	g_assert_true(req.u.setup.remove);
	g_assert_cmpmem(req.u.setup.was, NSAGENT_N_SYSCTLS,
			"0\0"
			"0",
			NSAGENT_N_SYSCTLS);
	fake_free(&f);
}

/* A parked agent that cannot come back fails the request, and stays
 * parked for the next one to try again */
static void test_parked_without_way_back(void)
{
	struct fake f;

	fake_init(&f);
	util_close_fdp(&f.a.sock);
	f.a.parked = true;
	f.a.park_filter = test_filter_fails;
	g_assert_cmpint(nsagent_return(&f.a, false, (struct in_addr){ 0 }), ==,
			-ECONNRESET);
	g_assert_true(f.a.parked);
	g_assert_cmpint(f.a.sock, ==, -1);
	g_assert_true(f.a.wake_failed);
	/* and the next request tries again (said at debug level only) */
	g_assert_cmpint(nsagent_return(&f.a, false, (struct in_addr){ 0 }), ==,
			-ECONNRESET);
	g_assert_true(f.a.parked);
	fake_free(&f);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	log_init("test-agent", LOG_LVL_ERR);
	g_test_add_func("/agent/sockets-lost-fds-in-step",
			test_sockets_lost_fds);
	g_test_add_func("/agent/broken-channel-gives-up",
			test_broken_channel_gives_up);
	g_test_add_func("/agent/flow-socket-lost-rule-removed",
			test_flow_socket_lost);
	g_test_add_func("/agent/sysctls-restored-by-another-agent",
			test_sysctls_restored_by_another_agent);
	g_test_add_func("/agent/parked-without-way-back",
			test_parked_without_way_back);
	return g_test_run();
}
