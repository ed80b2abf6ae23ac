/* SPDX-License-Identifier: GPL-2.0-or-later
 * helper/slirp4netns.c - usernet as a drop-in slirp4netns
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

#include "common/util.h"
#include "helper/helper.h"
#include "helper/slirp4netns.h"

/**
 * slirp4netns_is_argv0() - whether the program was run as slirp4netns
 * @argv0:	argv[0]
 *
 * Return: true when the last path component of @argv0 is "slirp4netns"
 */
bool slirp4netns_is_argv0(const char *argv0)
{
	return util_basename_is(argv0, "slirp4netns");
}

/**
 * slirp4netns_main() - entry point of the drop-in slirp4netns
 * @argc:	argument count
 * @argv:	arguments, argv[0] being the program
 *
 * Return: exit status (enum un_exit)
 */
int slirp4netns_main(int argc, char **argv)
{
	return helper_main(argc, argv, true);
}
