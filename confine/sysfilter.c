/* SPDX-License-Identifier: GPL-2.0-or-later
 * confine/sysfilter.c - what usernet's seccomp filters share: adding a
 * reviewed list of system calls, with its argument-filtered specials, to a
 * libseccomp filter, and building and loading a whole filter
 * (confine/sysfilter_command.c: usernet run's denylist;
 * confine/sysfilter_helper.c: the helper's and the namespace agent's
 * allowlists)
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "common/errors.h"
#include "common/log.h"
#include "confine/sysfilter.h"

G_DEFINE_AUTO_CLEANUP_FREE_FUNC(scmp_filter_ctx, seccomp_release, NULL)

/*
 * The filter attributes every filter wants: any ABI not added to the filter kills rather than running unfiltered
 * (older kernels lack KILL_PROCESS: libseccomp's default kills the thread);
 * no_new_privs is the caller's to check, not libseccomp's to set; threads, if
 * any, get the filter too (or loading fails); seccomp_load() returns the
 * kernel's errno, not -ECANCELED.
 */
static void sysfilter_set_attrs(scmp_filter_ctx ctx)
{
	seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
	seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	seccomp_attr_set(ctx, SCMP_FLTATR_API_SYSRAWRC, 1);
}

/* The special of @name in @l, NULL if its line covers every call */
static const struct sysfilter_special *sysfilter_special(
	const struct sysfilter_list *l, const char *name)
{
	size_t i;

	for (i = 0; i < l->n_specials; i++) {
		if (!strcmp(l->specials[i].name, name))
			return &l->specials[i];
	}
	return NULL;
}

/* Add the rules of one line; a name libseccomp does not know (or, native
 * only, a call this ABI lacks) is skipped: the list then filters less for a
 * denylist, allows less for an allowlist */
static int sysfilter_add(scmp_filter_ctx ctx, const struct sysfilter_list *l,
			 const struct sysfilter_entry *e)
{
	const struct sysfilter_special *s = sysfilter_special(l, e->name);
	int nr = seccomp_syscall_resolve_name(e->name);
	uint32_t action = s && s->err ? SCMP_ACT_ERRNO(s->err) : l->action;

	if (nr == __NR_SCMP_ERROR || (nr < 0 && l->native_only)) {
		log_debug("seccomp: %s unknown here, not in %s", e->name,
			  l->what);
		return 0;
	}
	if (s && s->add)
		return s->add(ctx, nr, action);
	return seccomp_rule_add(ctx, action, nr, 0);
}

/**
 * sysfilter_add_list() - add every line of a reviewed list to a filter
 * @ctx:	filter
 * @l:		the list
 * @error:	set on failure, naming the call and @l->what
 *
 * Return: 0 or -errno
 */
int sysfilter_add_list(scmp_filter_ctx ctx, const struct sysfilter_list *l,
		       GError **error)
{
	size_t i;
	int r;

	for (i = 0; i < l->n; i++) {
		r = sysfilter_add(ctx, l, &l->entries[i]);
		if (r < 0)
			return error_set(error, UN_EXIT_FAILURE, r,
					 "cannot add the rule for %s to %s: %s",
					 l->entries[i].name, l->what,
					 g_strerror(-r));
	}
	return 0;
}

/**
 * sysfilter_listed() - whether a list has a line for a system call
 * @entries:	the lines
 * @n:		number of lines
 * @name:	system call
 *
 * Return: true if @name is listed
 */
bool sysfilter_listed(const struct sysfilter_entry *entries, size_t n,
		      const char *name)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (!strcmp(entries[i].name, name))
			return true;
	}
	return false;
}

/* Add the ABIs of @p besides the native one to @ctx */
static int sysfilter_add_arches(scmp_filter_ctx ctx,
				const struct sysfilter_program *p,
				GError **error)
{
	const struct sysfilter_arch *a;
	int r;

	for (a = p->arches; a && a->name; a++) {
		r = seccomp_arch_add(ctx, a->token);
		if (r < 0 && r != -EEXIST)
			return error_set(error, UN_EXIT_FAILURE, r,
					 "cannot add the %s ABI to %s: %s",
					 a->name, p->lists[0].what,
					 g_strerror(-r));
	}
	return 0;
}

/* A new filter in @ctx with the attributes, ABIs and rules of @p, not
 * loaded; NULL on failure. Return: 0 or -errno */
static int sysfilter_build(scmp_filter_ctx *ctx,
			   const struct sysfilter_program *p, GError **error)
{
	size_t i;
	int r;

	*ctx = seccomp_init(p->default_action);
	if (!*ctx)
		return error_set(error, UN_EXIT_FAILURE, -ENOMEM,
				 "cannot build %s: libseccomp cannot allocate "
				 "it",
				 p->lists[0].what);
	sysfilter_set_attrs(*ctx);
	if (p->optimize)
		seccomp_attr_set(*ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	r = sysfilter_add_arches(*ctx, p, error);
	for (i = 0; !r && i < p->n_lists; i++)
		r = sysfilter_add_list(*ctx, &p->lists[i], error);
	return r;
}

/**
 * sysfilter_load() - build a filter and load it into this thread (and its
 * siblings, if any), for it and everything it executes
 * @p:		the filter: default action, ABIs, lists
 * @error:	set on failure, with the cause, naming the filter by its
 *		first list's @what
 *
 * Should: run after the identity and capabilities are final and
 * PR_SET_NO_NEW_PRIVS is set (by the caller). Mustn't: set no_new_privs
 * itself, or load anything without it: a filter that outlives a set-user-ID
 * execve() is what no_new_privs is there to stop.
 *
 * Return: 0 or -errno (-EINVAL if no_new_privs is not set)
 */
int sysfilter_load(const struct sysfilter_program *p, GError **error)
{
	const char *what = p->lists[0].what;
	g_auto(scmp_filter_ctx) ctx = NULL;
	int r;

	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
		return error_set(error, UN_EXIT_FAILURE, -EINVAL,
				 "cannot load %s: no_new_privs is not set (a "
				 "bug in usernet, which sets it first)",
				 what);

	/* Messages built after an allowlist cannot load what g_strerror()
	 * needs the first time (locale conversion): warm it up now */
	(void)g_strerror(EPERM);

	r = sysfilter_build(&ctx, p, error);
	if (r)
		return r;

	r = seccomp_load(ctx);
	if (r < 0)
		return error_set(error, UN_EXIT_FAILURE, r,
				 "cannot load %s: %s (the kernel needs "
				 "CONFIG_SECCOMP_FILTER)%s",
				 what, g_strerror(-r), p->load_hint);
	return 0;
}

/* Read the BPF that seccomp_export_bpf() wrote to @fd into @insns (at most
 * @max instructions). Return: the count, or -errno */
static ssize_t sysfilter_read_bpf(int fd, struct sock_filter *insns, size_t max)
{
	off_t size = lseek(fd, 0, SEEK_END);
	ssize_t n;

	if (size < 0)
		return -errno;
	if (!size || size % sizeof(*insns) ||
	    (size_t)size / sizeof(*insns) > max)
		return -E2BIG;
	n = pread(fd, insns, (size_t)size, 0);
	if (n < 0)
		return -errno;
	return n == size ? (ssize_t)(n / sizeof(*insns)) : -EIO;
}

/**
 * sysfilter_export() - build a filter into BPF instructions, for a process
 * that loads it with seccomp(2) alone (the namespace agent: libseccomp's
 * allocations stay in the process that builds it)
 * @p:		the filter: default action, ABIs, lists
 * @insns:	out: the program
 * @max:	room in @insns
 * @error:	set on failure, with the cause
 *
 * The program goes through a memfd (libseccomp 2.5 exports to an fd only).
 * The filter attributes that are flags of the load (TSYNC) are the loader's.
 *
 * Return: number of instructions, or -errno
 */
ssize_t sysfilter_export(const struct sysfilter_program *p,
			 struct sock_filter *insns, size_t max, GError **error)
{
	const char *what = p->lists[0].what;
	g_auto(scmp_filter_ctx) ctx = NULL;
	ssize_t r;
	int fd;

	r = sysfilter_build(&ctx, p, error);
	if (r)
		return r;
	fd = memfd_create("usernet-sysfilter", MFD_CLOEXEC);
	if (fd < 0)
		return error_set(error, UN_EXIT_FAILURE, -errno,
				 "cannot export "
				 "%s: memfd_create: %s",
				 what, g_strerror(errno));
	r = seccomp_export_bpf(ctx, fd);
	if (!r)
		r = sysfilter_read_bpf(fd, insns, max);
	close(fd);
	if (r < 0)
		return error_set(error, UN_EXIT_FAILURE, (int)r,
				 "cannot export "
				 "%s: %s",
				 what, g_strerror((int)-r));
	return r;
}
