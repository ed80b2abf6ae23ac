/* SPDX-License-Identifier: GPL-2.0-or-later
 * cli/capture.h - `usernet capture`: packet capture of a running usernet
 */
#ifndef CLI_CAPTURE_H
#define CLI_CAPTURE_H

#include <stdio.h>

void capture_cmd_usage(FILE *out);
int capture_cmd_main(int argc, char **argv);

#endif /* CLI_CAPTURE_H */
