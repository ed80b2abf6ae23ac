/* SPDX-License-Identifier: GPL-2.0-or-later
 * slirp/pcap.h - packet capture of the tap's frames to a classic pcap file,
 * buffered, with a size cap and rotation
 */
#ifndef SLIRP_PCAP_H
#define SLIRP_PCAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <glib.h>

/* Classic libpcap file format (what tcpdump -w writes) */
#define CAP_MAGIC		0xa1b2c3d4U	/* microsecond timestamps */
#define CAP_VERSION_MAJOR	2
#define CAP_VERSION_MINOR	4
#define CAP_LINKTYPE_ETHERNET	1
#define CAP_SNAPLEN		262144		/* tcpdump's default */
#define CAP_FILE_HEADER_LEN	24
#define CAP_RECORD_HEADER_LEN	16

/* Frames are gathered in memory and written in chunks of this size */
#define CAP_BUF_SIZE		(256 * 1024)
/* With a size cap: FILE is the current file, FILE.1 the one before, ...
 * FILE.CAP_KEEP_ROTATED the oldest kept; older ones are replaced */
#define CAP_KEEP_ROTATED	4
/* Smallest size cap accepted: the file header and one small frame */
#define CAP_MAX_SIZE_MIN	1024
/* Size cap when none is given: at most (CAP_KEEP_ROTATED + 1) x 64 MiB of
 * disk for a capture left running */
#define CAP_DEFAULT_MAX_SIZE	(64ULL << 20)

/**
 * struct cap_stats - what a capture wrote
 * @frames:	frames written (buffered frames count once written)
 * @bytes:	bytes of those frames (not counting pcap headers)
 * @dropped:	frames not written: larger than the size cap, or the file
 *		could not be written or rotated
 * @files:	files started (1 + rotations)
 */
struct cap_stats {
	uint64_t frames;
	uint64_t bytes;
	uint64_t dropped;
	uint64_t files;
};

/**
 * enum cap_open_mode - what to do with an existing file at the path
 * @CAP_OPEN_TRUNCATE:	replace its content, as tcpdump -w does (--pcap)
 * @CAP_OPEN_EXCL:	refuse it (the API: never overwrite a file)
 */
enum cap_open_mode {
	CAP_OPEN_TRUNCATE,
	CAP_OPEN_EXCL,
};

struct cap_writer;

int cap_parse_size(const char *s, uint64_t *out);
int cap_open(const char *path, uint64_t max_size, enum cap_open_mode mode,
	     struct cap_writer **out, GError **error);
int cap_open_fd(int fd, uint64_t max_size, const char *label,
		struct cap_writer **out, GError **error);
void cap_frame(struct cap_writer *w, const void *frame, size_t len);
int cap_flush(struct cap_writer *w);
void cap_no_rotation(struct cap_writer *w);
int cap_dirfd(const struct cap_writer *w);
const char *cap_path(const struct cap_writer *w);
void cap_get_stats(const struct cap_writer *w, struct cap_stats *st);
void cap_close(struct cap_writer *w, struct cap_stats *st);

#endif /* SLIRP_PCAP_H */
