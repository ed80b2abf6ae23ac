/* SPDX-License-Identifier: GPL-2.0-or-later
 * slirp/pcap.c - packet capture of the tap's frames to a classic pcap file,
 * buffered, with a size cap and rotation
 *
 * DOC: Theory of operation
 *
 * The engine hands every frame that crosses the tap, both directions, to
 * cap_frame(), from the event loop. A frame becomes a 16-byte record header
 * (microsecond wall-clock timestamp, lengths) and the frame, appended to an
 * in-memory buffer of CAP_BUF_SIZE bytes; the buffer goes to the file in one
 * write() when the next record does not fit, on rotation, on cap_flush()
 * (SIGUSR1, the API) and on cap_close(). So the packet path costs a memcpy
 * and, every few hundred frames, one large write to a regular file. That
 * write goes to the page cache and is not pollable; the helper is
 * single-threaded and its seccomp filter allows no threads or io_uring, so
 * it stays synchronous, once per CAP_BUF_SIZE bytes.
 *
 * Size cap (CAP_DEFAULT_MAX_SIZE unless the user gives one): a record that
 * would take the current file past @max_size makes the writer rotate
 * first: FILE.(N-1) -> FILE.N, ..., FILE -> FILE.1 (N =
 * CAP_KEEP_ROTATED, the oldest is replaced), then a new FILE with its own
 * file header. So no file ever exceeds the cap and the whole capture takes at
 * most (N + 1) * max_size bytes. A frame larger than the cap allows, or one
 * that comes after a write or rotation failure, is dropped and counted
 * (cap_stats.dropped); a failed writer stops writing, it never blocks or
 * ends the helper.
 *
 * Every file access goes through an O_PATH fd of the file's directory opened
 * by cap_open() (openat, renameat): rotation keeps working once the sandbox
 * has replaced the root with an empty one (and Landlock can confine it to
 * that directory). The seccomp filter allows no file creation or rename at
 * all (a directory fd cannot confine the paths used with it), so under it
 * the capture does not rotate: cap_no_rotation().
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "errors.h"
#include "log.h"
#include "pcap.h"
#include "util.h"

/**
 * struct cap_writer - an open capture
 * @dirfd:	O_PATH fd of the directory of the file
 * @name:	file name in @dirfd
 * @path:	path as given, for messages
 * @fd:		current file, -1 once writing failed
 * @max_size:	size cap of one file
 * @file_size:	bytes of the current file, written and buffered
 * @len:	bytes in @buf
 * @buf_frames:	frames in @buf
 * @buf_bytes:	bytes of those frames (as counted in @st.bytes)
 * @st:		counters
 * @buf:	records not written yet
 */
struct cap_writer {
	int dirfd;
	char *name;
	char *path;
	int fd;
	uint64_t max_size;
	uint64_t file_size;
	size_t len;
	uint64_t buf_frames;
	uint64_t buf_bytes;
	struct cap_stats st;
	uint8_t buf[CAP_BUF_SIZE];
};

static void cap_put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, sizeof(v));	/* host byte order, as the magic */
}

static void cap_put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, sizeof(v));
}

/* Append the file header to the (empty) buffer of a new file */
static void cap_file_header(struct cap_writer *w)
{
	uint8_t *h = w->buf + w->len;

	cap_put32(h, CAP_MAGIC);
	cap_put16(h + 4, CAP_VERSION_MAJOR);
	cap_put16(h + 6, CAP_VERSION_MINOR);
	cap_put32(h + 8, 0);		/* thiszone: UTC */
	cap_put32(h + 12, 0);		/* sigfigs */
	cap_put32(h + 16, CAP_SNAPLEN);
	cap_put32(h + 20, CAP_LINKTYPE_ETHERNET);
	w->len += CAP_FILE_HEADER_LEN;
	w->file_size = CAP_FILE_HEADER_LEN;
	w->st.files++;
}

/* Stop writing for good after a failure: later frames are dropped */
static void cap_fail(struct cap_writer *w, int err, const char *what)
{
	log_msg(LOG_LVL_WARN, err, "packet capture to %s stopped: %s",
		w->path, what);
	w->st.frames -= w->buf_frames;
	w->st.bytes -= w->buf_bytes;
	w->st.dropped += w->buf_frames;
	w->buf_frames = 0;
	w->buf_bytes = 0;
	w->len = 0;
	util_close_fdp(&w->fd);
}

/**
 * cap_flush() - write the buffered records to the file
 * @w:		writer
 *
 * Return: 0, or -errno if writing failed (the writer has then stopped:
 * buffered and later frames are counted as dropped)
 */
int cap_flush(struct cap_writer *w)
{
	int r;

	if (w->fd < 0)
		return -EBADF;
	if (!w->len)
		return 0;
	r = util_write_all(w->fd, w->buf, w->len);
	if (r < 0) {
		cap_fail(w, -r, "cannot write");
		return r;
	}
	w->len = 0;
	w->buf_frames = 0;
	w->buf_bytes = 0;
	return 0;
}

/* Why openat() said EACCES: in a sticky directory the kernel may refuse a
 * link or a file of another user before O_NOFOLLOW or our own check apply
 * (fs.protected_symlinks, fs.protected_regular) */
static int cap_why_refused(const struct cap_writer *w, int err, uid_t *owner)
{
	struct stat st;

	if (err != -EACCES ||
	    fstatat(w->dirfd, w->name, &st, AT_SYMLINK_NOFOLLOW))
		return err;
	if (S_ISLNK(st.st_mode))
		return -ELOOP;
	if (st.st_uid != geteuid())
		*owner = st.st_uid;
	return err;
}

/* Open (create 0600, or with CAP_OPEN_TRUNCATE take over) the file. An
 * existing file is truncated only once it is known to be a regular file of
 * ours with no other name: a file another user left at the path (say 0666
 * in a shared directory), or a hard link they made there to a file of ours,
 * is refused untouched, never written into */
static int cap_openat(struct cap_writer *w, enum cap_open_mode mode,
		      uid_t *owner)
{
	/* O_NONBLOCK: a FIFO without a reader must not block the helper;
	 * it is refused below anyway, as is anything but a regular file */
	int flags = O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK |
		    (mode == CAP_OPEN_EXCL ? O_EXCL : 0);
	cleanup_fd int fd = -1;
	struct stat st;

	fd = openat(w->dirfd, w->name, flags, 0600);
	if (fd < 0)
		return cap_why_refused(w, -errno, owner);
	if (fstat(fd, &st))
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	if (st.st_uid != geteuid()) {
		*owner = st.st_uid;
		return -EACCES;
	}
	if (st.st_nlink > 1)
		return -EMLINK;
	if (st.st_size && ftruncate(fd, 0))
		return -errno;
	w->fd = util_steal_fd(&fd);
	return 0;
}

/* FILE.(N-1) -> FILE.N, ..., FILE -> FILE.1, and a new FILE */
static int cap_rotate(struct cap_writer *w)
{
	uid_t owner = (uid_t)-1;
	int i, r;

	r = cap_flush(w);
	if (r < 0)
		return r;
	util_close_fdp(&w->fd);
	for (i = CAP_KEEP_ROTATED; i >= 1; i--) {
		g_autofree char *from = i > 1 ?
			g_strdup_printf("%s.%d", w->name, i - 1) :
			g_strdup(w->name);
		g_autofree char *to = g_strdup_printf("%s.%d", w->name, i);

		if (renameat(w->dirfd, from, w->dirfd, to) && errno != ENOENT) {
			r = -errno;
			cap_fail(w, -r, "cannot rotate the files");
			return r;
		}
	}
	r = cap_openat(w, CAP_OPEN_EXCL, &owner);
	if (r < 0) {
		cap_fail(w, -r, "cannot create a new file after rotating");
		return r;
	}
	cap_file_header(w);
	log_debug("packet capture: rotated %s (file %" PRIu64 ")", w->path,
		  w->st.files);
	return 0;
}

/**
 * cap_frame() - capture one frame (Ethernet, as read from or written to the
 * tap); never blocks on anything but the write of a full buffer
 * @w:		writer
 * @frame:	the frame
 * @len:	its length
 */
void cap_frame(struct cap_writer *w, const void *frame, size_t len)
{
	size_t caplen = MIN(len, (size_t)CAP_SNAPLEN);
	size_t rec = CAP_RECORD_HEADER_LEN + caplen;
	struct timespec ts;
	uint8_t *h;

	if (w->fd < 0 || rec > CAP_BUF_SIZE ||
	    (w->max_size && CAP_FILE_HEADER_LEN + rec > w->max_size)) {
		w->st.dropped++;
		return;
	}
	if (w->max_size && w->file_size + rec > w->max_size &&
	    (w->dirfd < 0 || cap_rotate(w) < 0)) {
		/* a passed fd cannot rotate: the cap ends the capture */
		w->st.dropped++;
		return;
	}
	if (w->len + rec > sizeof(w->buf) && cap_flush(w) < 0) {
		w->st.dropped++;
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	h = w->buf + w->len;
	cap_put32(h, (uint32_t)ts.tv_sec);
	cap_put32(h + 4, (uint32_t)(ts.tv_nsec / 1000));
	cap_put32(h + 8, (uint32_t)caplen);
	cap_put32(h + 12, (uint32_t)len);
	memcpy(h + CAP_RECORD_HEADER_LEN, frame, caplen);
	w->len += rec;
	w->file_size += rec;
	w->buf_frames++;
	w->buf_bytes += len;
	w->st.frames++;
	w->st.bytes += len;
}

/**
 * cap_parse_size() - a size with an optional suffix k, M or G (powers of
 * 1024, either case, an optional trailing B or iB: 10M, 512k, 1GiB)
 * @s:		text
 * @out:	bytes
 *
 * Return: 0, -EINVAL if not such a size, -ERANGE below CAP_MAX_SIZE_MIN or
 * beyond 2^62
 */
int cap_parse_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	unsigned shift = 0;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -ERANGE;
	switch (*end) {
	case 'k': case 'K':
		shift = 10;
		end++;
		break;
	case 'm': case 'M':
		shift = 20;
		end++;
		break;
	case 'g': case 'G':
		shift = 30;
		end++;
		break;
	}
	if (shift && *end == 'i')
		end++;
	if (*end == 'B' || (*end == 'b' && shift))
		end++;
	if (*end)
		return -EINVAL;
	if (v > (1ULL << (62 - shift)))
		return -ERANGE;
	v <<= shift;
	if (v < CAP_MAX_SIZE_MIN)
		return -ERANGE;
	*out = v;
	return 0;
}

/* The user's explanation of cap_openat()'s failure @r */
static void cap_open_error(const char *path, int r, uid_t owner,
			   GError **error)
{
	if (r == -EACCES && owner != (uid_t)-1)
		un_fail(error, UN_EXIT_USAGE, r, "cannot use %s as the "
			"capture file: it belongs to another user (uid %u), "
			"and a capture only writes into files of its own",
			path, (unsigned)owner);
	else if (r == -EEXIST)
		un_fail(error, UN_EXIT_USAGE, r, "cannot create the capture "
			"file %s: it already exists (a capture never "
			"overwrites a file)", path);
	else if (r == -ELOOP)
		un_fail(error, UN_EXIT_USAGE, r, "cannot open the capture "
			"file %s: it is a symbolic link", path);
	else if (r == -EINVAL)
		un_fail(error, UN_EXIT_USAGE, r, "cannot use %s as the "
			"capture file: it is not a regular file", path);
	else if (r == -EMLINK)
		un_fail(error, UN_EXIT_USAGE, r, "cannot use %s as the "
			"capture file: it has other hard links, and a capture "
			"would overwrite the file they name too", path);
	else
		un_fail(error, UN_EXIT_USAGE, r, "cannot open the capture "
			"file %s: %s", path, g_strerror(-r));
}

/* The size cap of a capture: the one asked for, else the default, so that a
 * forgotten capture cannot fill the disk */
static uint64_t cap_max_size(uint64_t asked)
{
	return asked ? asked : CAP_DEFAULT_MAX_SIZE;
}

/**
 * cap_open() - start a capture into @path
 * @path:	file to write; its directory must exist
 * @max_size:	size cap of one file (rotation), 0 for the default
 *		(CAP_DEFAULT_MAX_SIZE), else at least CAP_MAX_SIZE_MIN
 * @mode:	replace or refuse an existing file; a symbolic link, or
 *		anything but a regular file, is always refused
 * @out:	the writer
 * @error:	UN_EXIT_USAGE with the reason (the path is the user's input)
 *
 * The file is created with mode 0600 and the caller's credentials; its
 * header is buffered, not written yet.
 *
 * Return: 0 or -errno
 */
int cap_open(const char *path, uint64_t max_size, enum cap_open_mode mode,
	     struct cap_writer **out, GError **error)
{
	g_autofree char *dir = NULL, *name = NULL;
	uid_t owner = (uid_t)-1;
	struct cap_writer *w;
	int r;

	if (!path || !*path || path[strlen(path) - 1] == '/')
		return un_fail(error, UN_EXIT_USAGE, -EINVAL,
			       "the capture path '%s' does not name a file",
			       path ? path : "");
	if (max_size && max_size < CAP_MAX_SIZE_MIN)
		return un_fail(error, UN_EXIT_USAGE, -ERANGE,
			       "the capture size cap must be at least %u "
			       "bytes", CAP_MAX_SIZE_MIN);
	dir = g_path_get_dirname(path);
	name = g_path_get_basename(path);
	if (!strcmp(name, ".") || !strcmp(name, ".."))
		return un_fail(error, UN_EXIT_USAGE, -EINVAL,
			       "the capture path '%s' does not name a file",
			       path);

	w = g_new0(struct cap_writer, 1);
	w->fd = -1;
	w->max_size = cap_max_size(max_size);
	w->path = g_strdup(path);
	w->name = g_steal_pointer(&name);
	w->dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (w->dirfd < 0) {
		r = -errno;
		un_fail(error, UN_EXIT_USAGE, r,
			"cannot open the directory %s of the capture file: %s",
			dir, g_strerror(-r));
		cap_close(w, NULL);
		return r;
	}
	/* A capture that must not overwrite anything must not rotate over
	 * files it did not make either */
	if (mode == CAP_OPEN_EXCL) {
		struct stat st;
		int i;

		for (i = 1; i <= CAP_KEEP_ROTATED; i++) {
			g_autofree char *old = g_strdup_printf("%s.%d",
							       w->name, i);

			if (!fstatat(w->dirfd, old, &st, AT_SYMLINK_NOFOLLOW)) {
				un_fail(error, UN_EXIT_USAGE, -EEXIST,
					"cannot capture into %s with a size cap: "
					"%s.%d exists, and rotation would "
					"replace it (a capture never overwrites "
					"a file)", path, path, i);
				cap_close(w, NULL);
				return -EEXIST;
			}
		}
	}
	r = cap_openat(w, mode, &owner);
	if (r < 0) {
		cap_open_error(path, r, owner, error);
		cap_close(w, NULL);
		return r;
	}
	cap_file_header(w);
	*out = w;
	return 0;
}

/**
 * cap_open_fd() - start a capture into a file opened by someone else (the
 * API client, which passed it over the socket)
 * @fd:		an empty regular file open for writing; taken over (closed
 *		on failure)
 * @max_size:	size cap of the file (no rotation: frames past it are
 *		dropped and counted), 0 for the default
 *		(CAP_DEFAULT_MAX_SIZE), else at least CAP_MAX_SIZE_MIN
 * @label:	how messages name the file
 * @out:	the writer
 * @error:	UN_EXIT_USAGE with the reason
 *
 * Needs no path and creates nothing: works once the helper is sandboxed.
 *
 * Return: 0 or -errno
 */
int cap_open_fd(int fd, uint64_t max_size, const char *label,
		struct cap_writer **out, GError **error)
{
	cleanup_fd int owned = fd;
	struct cap_writer *w;
	struct stat st;
	int fl;

	if (max_size && max_size < CAP_MAX_SIZE_MIN)
		return un_fail(error, UN_EXIT_USAGE, -ERANGE,
			       "the capture size cap must be at least %u "
			       "bytes", CAP_MAX_SIZE_MIN);
	if (fstat(owned, &st))
		return un_fail(error, UN_EXIT_USAGE, -errno,
			       "cannot use the passed file: %s",
			       g_strerror(errno));
	if (!S_ISREG(st.st_mode))
		return un_fail(error, UN_EXIT_USAGE, -EINVAL,
			       "the passed file descriptor is not a regular "
			       "file");
	if (st.st_size)
		return un_fail(error, UN_EXIT_USAGE, -EEXIST,
			       "the passed file is not empty (a capture never "
			       "overwrites a file)");
	fl = fcntl(owned, F_GETFL);
	if (fl < 0 || (fl & O_ACCMODE) == O_RDONLY || (fl & O_APPEND))
		return un_fail(error, UN_EXIT_USAGE, -EBADF,
			       "the passed file is not open for writing (or is "
			       "open for appending)");

	w = g_new0(struct cap_writer, 1);
	w->dirfd = -1;
	w->fd = util_steal_fd(&owned);
	w->max_size = cap_max_size(max_size);
	w->path = g_strdup(label);
	cap_file_header(w);
	*out = w;
	return 0;
}

/**
 * cap_no_rotation() - from now on, never create or rename files: past the
 * size cap, frames are dropped and counted (the helper's seccomp filter
 * allows no file creation: a directory fd cannot confine paths)
 * @w:		writer
 */
void cap_no_rotation(struct cap_writer *w)
{
	util_close_fdp(&w->dirfd);
}

/**
 * cap_dirfd() - the O_PATH fd of the capture's directory (for the seccomp
 * filter: files are created and renamed there only)
 * @w:		writer
 *
 * Return: the fd, -1 for a capture into a passed fd (cap_open_fd())
 */
int cap_dirfd(const struct cap_writer *w)
{
	return w->dirfd;
}

/**
 * cap_path() - the path given to cap_open()
 * @w:		writer
 *
 * Return: the path, valid as long as @w
 */
const char *cap_path(const struct cap_writer *w)
{
	return w->path;
}

/**
 * cap_get_stats() - counters so far
 * @w:		writer
 * @st:		filled
 */
void cap_get_stats(const struct cap_writer *w, struct cap_stats *st)
{
	*st = w->st;
}

/**
 * cap_close() - flush, close, free
 * @w:		writer, may be NULL
 * @st:		if not NULL, the final counters
 */
void cap_close(struct cap_writer *w, struct cap_stats *st)
{
	if (!w)
		return;
	if (w->fd >= 0)
		cap_flush(w);
	if (st)
		*st = w->st;
	util_close_fdp(&w->fd);
	util_close_fdp(&w->dirfd);
	g_free(w->name);
	g_free(w->path);
	g_free(w);
}
