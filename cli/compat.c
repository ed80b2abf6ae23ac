/* SPDX-License-Identifier: GPL-2.0-or-later
 * cli/compat.c - usernet as a drop-in slirp4netns, and the version lines
 *
 * DOC: Theory of operation
 *
 * Rootless engines know how to drive slirp4netns: Podman (network_cmd_path)
 * and RootlessKit (--slirp4netns-binary) run a binary of that name, probe its
 * --help for option names, pass ready and exit fds and talk to its JSON API
 * socket. Run under the name slirp4netns (a symlink, installed as
 * <libexecdir>/usernet/slirp4netns), usernet is `usernet attach` with
 * slirp4netns's usage line and version lines: attach's command line, fds and
 * API already follow slirp4netns 1.2's contract (docs/COMPAT.md).
 */
#include <string.h>
#include <libslirp.h>
#include <seccomp.h>

#include "attach.h"
#include "compat.h"
#include "config.h"

/**
 * compat_is_slirp4netns() - whether the program was run as slirp4netns
 * @argv0:	argv[0]
 *
 * Return: true when the last path component of @argv0 is "slirp4netns"
 */
bool compat_is_slirp4netns(const char *argv0)
{
	const char *base;

	if (!argv0)
		return false;
	base = strrchr(argv0, '/');
	return !strcmp(base ? base + 1 : argv0, "slirp4netns");
}

/**
 * compat_main() - entry point of the drop-in slirp4netns
 * @argc:	argument count
 * @argv:	arguments, argv[0] being the program
 *
 * Return: exit status (enum un_exit)
 */
int compat_main(int argc, char **argv)
{
	return attach_main(argc, argv, true);
}

/**
 * version_print() - the version lines of usernet and its libraries
 * @out:		stream
 * @as_slirp4netns:	in slirp4netns's shape: the version it is compatible
 *			with first (clients may parse "slirp4netns version X")
 */
void version_print(FILE *out, bool as_slirp4netns)
{
	const struct scmp_version *sv = seccomp_version();

	if (as_slirp4netns) {
		fprintf(out, "slirp4netns version %s (usernet %s)\n",
			COMPAT_SLIRP4NETNS_VERSION, USERNET_VERSION);
		fprintf(out, "commit: usernet-%s\n", USERNET_VERSION);
	} else {
		fprintf(out, "usernet version %s\n", USERNET_VERSION);
	}
	fprintf(out, "libslirp: %s\n", slirp_version_string());
	fprintf(out, "SLIRP_CONFIG_VERSION_MAX: %d\n", SLIRP_CONFIG_VERSION_MAX);
	fprintf(out, "libseccomp: %u.%u.%u\n", sv->major, sv->minor, sv->micro);
}
