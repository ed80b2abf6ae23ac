/* SPDX-License-Identifier: GPL-2.0-or-later
 * launcher/init.h - PID 1 of `usernet run`'s sandbox, and the kernel file
 * systems of its namespaces (/proc, /sys)
 */
#ifndef LAUNCHER_INIT_H
#define LAUNCHER_INIT_H

#include <signal.h>
#include <stdbool.h>
#include <stdnoreturn.h>

int init_mount_proc(const char *target);
int init_mount_sys(const char *target, bool own_netns);
void init_signal_set(sigset_t *set);
noreturn void init_main(void (*command)(void *arg), void *arg);

#endif /* LAUNCHER_INIT_H */
