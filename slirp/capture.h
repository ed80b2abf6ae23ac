/* SPDX-License-Identifier: GPL-2.0-or-later
 * slirp/capture.h - packet capture of the tap's frames to a classic pcap file,
 * buffered, with a size cap and rotation
 */
#ifndef SLIRP_CAPTURE_H
#define SLIRP_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <glib.h>

/* Classic libpcap file format (what tcpdump -w writes) */
#define CAPTURE_MAGIC 0xa1b2c3d4U /* microsecond timestamps */
#define CAPTURE_VERSION_MAJOR 2
#define CAPTURE_VERSION_MINOR 4
#define CAPTURE_LINKTYPE_ETHERNET 1
#define CAPTURE_SNAPLEN 262144 /* tcpdump's default */
#define CAP_FILE_HEADER_LEN 24
#define CAP_RECORD_HEADER_LEN 16

/* Frames are gathered in memory and written in chunks of this size */
#define CAPTURE_BUF_SIZE (256 * 1024)
/* With a size cap: FILE is the current file, FILE.1 the one before, ...
 * FILE.CAPTURE_KEEP_ROTATED the oldest kept; older ones are replaced */
#define CAPTURE_KEEP_ROTATED 4
/* Smallest size cap accepted: the file header and one small frame */
#define CAP_MAX_SIZE_MIN 1024
/* Size cap when none is given: at most (CAPTURE_KEEP_ROTATED + 1) x 64 MiB of
 * disk for a capture left running */
#define CAPTURE_DEFAULT_MAX_SIZE (64ULL << 20)

/**
 * struct capture_stats - what a capture wrote
 * @frames:	frames written (buffered frames count once written)
 * @bytes:	bytes of those frames (not counting pcap headers)
 * @dropped:	frames not written: larger than the size cap, or the file
 *		could not be written or rotated
 * @files:	files started (1 + rotations)
 */
struct capture_stats {
	uint64_t frames;
	uint64_t bytes;
	uint64_t dropped;
	uint64_t files;
};

/**
 * enum capture_open_mode - what to do with an existing file at the path
 * @CAP_OPEN_TRUNCATE:	replace its content, as tcpdump -w does (--pcap)
 * @CAP_OPEN_EXCL:	refuse it (the API: never overwrite a file)
 */
enum capture_open_mode {
	CAP_OPEN_TRUNCATE,
	CAP_OPEN_EXCL,
};

struct capture_writer;

int capture_parse_size(const char *s, uint64_t *out);
int capture_open(const char *path, uint64_t max_size,
		 enum capture_open_mode mode, struct capture_writer **out,
		 GError **error);
int capture_open_fd(int fd, uint64_t max_size, const char *label,
		    struct capture_writer **out, GError **error);
void capture_frame(struct capture_writer *w, const void *frame, size_t len);
int capture_flush(struct capture_writer *w);
void capture_no_rotation(struct capture_writer *w);
int capture_dirfd(const struct capture_writer *w);
const char *capture_path(const struct capture_writer *w);
void capture_close(struct capture_writer *w, struct capture_stats *st);

#endif /* SLIRP_CAPTURE_H */
