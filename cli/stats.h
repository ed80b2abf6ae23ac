/* SPDX-License-Identifier: GPL-2.0-or-later
 * cli/stats.h - `usernet stats`: live figures of a running usernet, over its
 * API socket
 */
#ifndef CLI_STATS_H
#define CLI_STATS_H

#include <stdio.h>

void stats_usage(FILE *out);
int stats_main(int argc, char **argv);

#endif /* CLI_STATS_H */
