/* SPDX-License-Identifier: GPL-2.0-or-later
 * cli/port.h - `usernet port`: published ports of a running usernet, over
 * its API socket
 */
#ifndef CLI_PORT_H
#define CLI_PORT_H

#include <stdio.h>
#include <jansson.h>

void port_usage(FILE *out);
int port_main(int argc, char **argv);
void port_print_table(json_t *entries);

#endif /* CLI_PORT_H */
