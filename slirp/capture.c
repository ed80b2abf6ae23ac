/* SPDX-License-Identifier: GPL-2.0-or-later
 * slirp/capture.c - packet capture of the tap's frames to a classic pcap file,
 * buffered, with a size cap and rotation
 *
 * DOC: Theory of operation
 *
 * The engine hands every frame that crosses the tap, both directions, to
 * capture_frame(), from the event loop. A frame becomes a 16-byte record header
 * (microsecond wall-clock timestamp, lengths) and the frame, appended to an
 * in-memory buffer of CAPTURE_BUF_SIZE bytes; the buffer goes to the file in one
 * write() when the next record does not fit, on rotation, on capture_flush()
 * (SIGUSR1, the API) and on capture_close(). So the packet path costs a memcpy
 * and, every few hundred frames, one large write to a regular file. That
 * write goes to the page cache and is not pollable; the helper is
 * single-threaded and its seccomp filter allows no threads or io_uring, so
 * it stays synchronous, once per CAPTURE_BUF_SIZE bytes.
 *
 * Size cap (CAPTURE_DEFAULT_MAX_SIZE unless the user gives one): a record that
 * would take the current file past @max_size makes the writer rotate
 * first: FILE.(N-1) -> FILE.N, ..., FILE -> FILE.1 (N =
 * CAPTURE_KEEP_ROTATED, the oldest is replaced), then a new FILE with its own
 * file header. So no file ever exceeds the cap and the whole capture takes at
 * most (N + 1) * max_size bytes. A frame larger than the cap allows, or one
 * that comes after a write or rotation failure, is dropped and counted
 * (capture_stats.dropped); a failed writer stops writing, it never blocks or
 * ends the helper.
 *
 * Files: capture_openat() opens FILE with O_NOFOLLOW (a symbolic link is
 * refused), O_NONBLOCK (a FIFO without a reader does not block the helper)
 * and O_CREAT with mode 0600 (less the umask), never with O_TRUNC: an
 * existing file is emptied (ftruncate) only once fstat() has shown a regular
 * file of ours with no other hard link, so that a file another user left at
 * the path, or a link they made to a file of ours, is refused untouched.
 * --pcap takes over an existing file that way (CAP_OPEN_TRUNCATE, as
 * tcpdump -w); the API never overwrites one (CAP_OPEN_EXCL: O_EXCL, and
 * capture_open() refuses to start when FILE.1 ... FILE.N exist, since
 * rotation would replace them). Rotation renames (renameat) and creates the
 * new FILE with O_EXCL. A capture into a file the API client created and
 * passed (capture_open_fd()) has no directory and never rotates.
 *
 * Every file access goes through an O_PATH fd of the file's directory opened
 * by capture_open() (openat, renameat): rotation keeps working once the sandbox
 * has replaced the root with an empty one (and Landlock can confine it to
 * that directory). The seccomp filter allows no file creation or rename at
 * all (a directory fd cannot confine the paths used with it), so under it
 * the capture does not rotate: capture_no_rotation().
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

#include "common/errors.h"
#include "common/log.h"
#include "common/util.h"
#include "slirp/capture.h"

/**
 * struct capture_writer - an open capture
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
struct capture_writer {
	int dirfd;
	char *name;
	char *path;
	int fd;
	uint64_t max_size;
	uint64_t file_size;
	size_t len;
	uint64_t buf_frames;
	uint64_t buf_bytes;
	struct capture_stats st;
	uint8_t buf[CAPTURE_BUF_SIZE];
};

static void capture_put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, sizeof(v)); /* host byte order, as the magic */
}

static void capture_put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, sizeof(v));
}

/* Append the file header to the (empty) buffer of a new file */
static void capture_file_header(struct capture_writer *w)
{
	uint8_t *h = w->buf + w->len;

	capture_put32(h, CAPTURE_MAGIC);
	capture_put16(h + 4, CAPTURE_VERSION_MAJOR);
	capture_put16(h + 6, CAPTURE_VERSION_MINOR);
	capture_put32(h + 8, 0); /* thiszone: UTC */
	capture_put32(h + 12, 0); /* sigfigs */
	capture_put32(h + 16, CAPTURE_SNAPLEN);
	capture_put32(h + 20, CAPTURE_LINKTYPE_ETHERNET);
	w->len += CAP_FILE_HEADER_LEN;
	w->file_size = CAP_FILE_HEADER_LEN;
	w->st.files++;
}

/* Stop writing for good after a failure: later frames are dropped */
static void capture_fail(struct capture_writer *w, int err, const char *what)
{
	log_msg(LOG_LVL_WARN, err, "packet capture to %s stopped: %s", w->path,
		what);
	w->st.frames -= w->buf_frames;
	w->st.bytes -= w->buf_bytes;
	w->st.dropped += w->buf_frames;
	w->buf_frames = 0;
	w->buf_bytes = 0;
	w->len = 0;
	util_close_fdp(&w->fd);
}

/**
 * capture_flush() - write the buffered records to the file
 * @w:		writer
 *
 * Return: 0, or -errno if writing failed (the writer has then stopped:
 * buffered and later frames are counted as dropped)
 */
int capture_flush(struct capture_writer *w)
{
	int r;

	if (w->fd < 0)
		return -EBADF;
	if (!w->len)
		return 0;
	r = util_write_all(w->fd, w->buf, w->len);
	if (r < 0) {
		capture_fail(w, -r, "cannot write");
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
static int capture_why_refused(const struct capture_writer *w, int err,
			       uid_t *owner)
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

/* Open the file: create it (0600), or with CAP_OPEN_TRUNCATE take over an
 * existing one. No O_TRUNC: an existing file is truncated only once it is
 * known to be a regular file of ours with no other name: a file another
 * user left at the path (say 0666 in a shared directory), or a hard link
 * they made there to a file of ours, is refused untouched, never written
 * into */
static int capture_openat(struct capture_writer *w, enum capture_open_mode mode,
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
		return capture_why_refused(w, -errno, owner);
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
static int capture_rotate(struct capture_writer *w)
{
	uid_t owner = (uid_t)-1;
	int i, r;

	r = capture_flush(w);
	if (r < 0)
		return r;
	util_close_fdp(&w->fd);
	for (i = CAPTURE_KEEP_ROTATED; i >= 1; i--) {
		g_autofree char *from = i > 1 ? g_strdup_printf("%s.%d",
								w->name,
								i - 1) :
						g_strdup(w->name);
		g_autofree char *to = g_strdup_printf("%s.%d", w->name, i);

		if (renameat(w->dirfd, from, w->dirfd, to) && errno != ENOENT) {
			r = -errno;
			capture_fail(w, -r, "cannot rotate the files");
			return r;
		}
	}
	r = capture_openat(w, CAP_OPEN_EXCL, &owner);
	if (r < 0) {
		capture_fail(w, -r, "cannot create a new file after rotating");
		return r;
	}
	capture_file_header(w);
	log_debug("packet capture: rotated %s (file %" PRIu64 ")", w->path,
		  w->st.files);
	return 0;
}

/**
 * capture_frame() - capture one frame (Ethernet, as read from or written to the
 * tap); never blocks on anything but the write of a full buffer
 * @w:		writer
 * @frame:	the frame
 * @len:	its length
 */
void capture_frame(struct capture_writer *w, const void *frame, size_t len)
{
	size_t caplen = MIN(len, (size_t)CAPTURE_SNAPLEN);
	size_t rec = CAP_RECORD_HEADER_LEN + caplen;
	struct timespec ts;
	uint8_t *h;

	if (w->fd < 0 || rec > CAPTURE_BUF_SIZE ||
	    (w->max_size && CAP_FILE_HEADER_LEN + rec > w->max_size)) {
		w->st.dropped++;
		return;
	}
	if (w->max_size && w->file_size + rec > w->max_size &&
	    (w->dirfd < 0 || capture_rotate(w) < 0)) {
		/* a passed fd cannot rotate: the cap ends the capture */
		w->st.dropped++;
		return;
	}
	if (w->len + rec > sizeof(w->buf) && capture_flush(w) < 0) {
		w->st.dropped++;
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	h = w->buf + w->len;
	capture_put32(h, (uint32_t)ts.tv_sec);
	capture_put32(h + 4, (uint32_t)(ts.tv_nsec / 1000));
	capture_put32(h + 8, (uint32_t)caplen);
	capture_put32(h + 12, (uint32_t)len);
	memcpy(h + CAP_RECORD_HEADER_LEN, frame, caplen);
	w->len += rec;
	w->file_size += rec;
	w->buf_frames++;
	w->buf_bytes += len;
	w->st.frames++;
	w->st.bytes += len;
}

/**
 * capture_parse_size() - a size with an optional suffix k, M or G (powers of
 * 1024, either case, an optional trailing B or iB: 10M, 512k, 1GiB)
 * @s:		text
 * @out:	bytes
 *
 * Return: 0, -EINVAL if not such a size, -ERANGE below CAP_MAX_SIZE_MIN or
 * beyond 2^62
 */
int capture_parse_size(const char *s, uint64_t *out)
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
	case 'k':
	case 'K':
		shift = 10;
		end++;
		break;
	case 'm':
	case 'M':
		shift = 20;
		end++;
		break;
	case 'g':
	case 'G':
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

/* The user's explanation of capture_openat()'s failure @r */
static void capture_open_error(const char *path, int r, uid_t owner,
			       GError **error)
{
	if (r == -EACCES && owner != (uid_t)-1)
		error_set(error, UN_EXIT_USAGE, r,
			  "cannot use %s as the "
			  "capture file: it belongs to another user (uid %u), "
			  "and a capture only writes into files of its own",
			  path, (unsigned)owner);
	else if (r == -EEXIST)
		error_set(error, UN_EXIT_USAGE, r,
			  "cannot create the capture "
			  "file %s: it already exists (a capture never "
			  "overwrites a file)",
			  path);
	else if (r == -ELOOP)
		error_set(error, UN_EXIT_USAGE, r,
			  "cannot open the capture "
			  "file %s: it is a symbolic link",
			  path);
	else if (r == -EINVAL)
		error_set(error, UN_EXIT_USAGE, r,
			  "cannot use %s as the "
			  "capture file: it is not a regular file",
			  path);
	else if (r == -EMLINK)
		error_set(error, UN_EXIT_USAGE, r,
			  "cannot use %s as the "
			  "capture file: it has other hard links, and a capture "
			  "would overwrite the file they name too",
			  path);
	else
		error_set(error, UN_EXIT_USAGE, r,
			  "cannot open the capture "
			  "file %s: %s",
			  path, g_strerror(-r));
}

/* The size cap of a capture: the one asked for, else the default, so that a
 * forgotten capture cannot fill the disk */
static uint64_t capture_max_size(uint64_t asked)
{
	return asked ? asked : CAPTURE_DEFAULT_MAX_SIZE;
}

/* The path and size cap asked of capture_open(), before any file access */
static int capture_check_path(const char *path, uint64_t max_size,
			      GError **error)
{
	if (!path || !*path || path[strlen(path) - 1] == '/')
		return error_set(error, UN_EXIT_USAGE, -EINVAL,
				 "the capture path '%s' does not name a file",
				 path ? path : "");
	if (max_size && max_size < CAP_MAX_SIZE_MIN)
		return error_set(error, UN_EXIT_USAGE, -ERANGE,
				 "the capture size cap must be at least %u "
				 "bytes",
				 CAP_MAX_SIZE_MIN);
	return 0;
}

/* A capture that must not overwrite anything must not rotate over files it
 * did not make either: -EEXIST if FILE.1 ... FILE.N exist */
static int capture_check_rotated(const struct capture_writer *w, GError **error)
{
	struct stat st;
	int i;

	for (i = 1; i <= CAPTURE_KEEP_ROTATED; i++) {
		g_autofree char *old = g_strdup_printf("%s.%d", w->name, i);

		if (!fstatat(w->dirfd, old, &st, AT_SYMLINK_NOFOLLOW))
			return error_set(error, UN_EXIT_USAGE, -EEXIST,
					 "cannot capture into %s with a size "
					 "cap: %s.%d exists, and rotation would "
					 "replace it (a capture never overwrites "
					 "a file)",
					 w->path, w->path, i);
	}
	return 0;
}

/**
 * capture_open() - start a capture into @path
 * @path:	file to write; its directory must exist
 * @max_size:	size cap of one file (rotation), 0 for the default
 *		(CAPTURE_DEFAULT_MAX_SIZE), else at least CAP_MAX_SIZE_MIN
 * @mode:	replace or refuse an existing file; a symbolic link, or
 *		anything but a regular file, is always refused
 * @out:	the writer
 * @error:	UN_EXIT_USAGE with the reason (the path is the user's input)
 *
 * The file is created with mode 0600 (less the umask) and the caller's
 * credentials, or (CAP_OPEN_TRUNCATE) an existing regular file of the
 * caller's with one link is emptied, after those checks (see "Theory of
 * operation"); its header is buffered, not written yet.
 *
 * Return: 0 or -errno
 */
int capture_open(const char *path, uint64_t max_size,
		 enum capture_open_mode mode, struct capture_writer **out,
		 GError **error)
{
	g_autofree char *dir = NULL, *name = NULL;
	uid_t owner = (uid_t)-1;
	struct capture_writer *w;
	int r;

	r = capture_check_path(path, max_size, error);
	if (r < 0)
		return r;
	dir = g_path_get_dirname(path);
	name = g_path_get_basename(path);
	if (!strcmp(name, ".") || !strcmp(name, ".."))
		return error_set(error, UN_EXIT_USAGE, -EINVAL,
				 "the capture path '%s' does not name a file",
				 path);

	w = g_new0(struct capture_writer, 1);
	w->fd = -1;
	w->max_size = capture_max_size(max_size);
	w->path = g_strdup(path);
	w->name = g_steal_pointer(&name);
	w->dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (w->dirfd < 0) {
		r = -errno;
		error_set(error, UN_EXIT_USAGE, r,
			  "cannot open the directory %s of the capture file: %s",
			  dir, g_strerror(-r));
		capture_close(w, NULL);
		return r;
	}
	if (mode == CAP_OPEN_EXCL) {
		r = capture_check_rotated(w, error);
		if (r < 0) {
			capture_close(w, NULL);
			return r;
		}
	}
	r = capture_openat(w, mode, &owner);
	if (r < 0) {
		capture_open_error(path, r, owner, error);
		capture_close(w, NULL);
		return r;
	}
	capture_file_header(w);
	*out = w;
	return 0;
}

/**
 * capture_open_fd() - start a capture into a file opened by someone else (the
 * API client, which passed it over the socket)
 * @fd:		an empty regular file open for writing; taken over (closed
 *		on failure)
 * @max_size:	size cap of the file (no rotation: frames past it are
 *		dropped and counted), 0 for the default
 *		(CAPTURE_DEFAULT_MAX_SIZE), else at least CAP_MAX_SIZE_MIN
 * @label:	how messages name the file
 * @out:	the writer
 * @error:	UN_EXIT_USAGE with the reason
 *
 * Needs no path and creates nothing: works once the helper is sandboxed.
 *
 * Return: 0 or -errno
 */
int capture_open_fd(int fd, uint64_t max_size, const char *label,
		    struct capture_writer **out, GError **error)
{
	cleanup_fd int owned = fd;
	struct capture_writer *w;
	struct stat st;
	int fl;

	if (max_size && max_size < CAP_MAX_SIZE_MIN)
		return error_set(error, UN_EXIT_USAGE, -ERANGE,
				 "the capture size cap must be at least %u "
				 "bytes",
				 CAP_MAX_SIZE_MIN);
	if (fstat(owned, &st))
		return error_set(error, UN_EXIT_USAGE, -errno,
				 "cannot use the passed file: %s",
				 g_strerror(errno));
	if (!S_ISREG(st.st_mode))
		return error_set(error, UN_EXIT_USAGE, -EINVAL,
				 "the passed file descriptor is not a regular "
				 "file");
	if (st.st_size)
		return error_set(error, UN_EXIT_USAGE, -EEXIST,
				 "the passed file is not empty (a capture never "
				 "overwrites a file)");
	fl = fcntl(owned, F_GETFL);
	if (fl < 0 || (fl & O_ACCMODE) == O_RDONLY || (fl & O_APPEND))
		return error_set(error, UN_EXIT_USAGE, -EBADF,
				 "the passed file is not open for writing (or is "
				 "open for appending)");

	w = g_new0(struct capture_writer, 1);
	w->dirfd = -1;
	w->fd = util_steal_fd(&owned);
	w->max_size = capture_max_size(max_size);
	w->path = g_strdup(label);
	capture_file_header(w);
	*out = w;
	return 0;
}

/**
 * capture_no_rotation() - from now on, never create or rename files: past the
 * size cap, frames are dropped and counted (the helper's seccomp filter
 * allows no file creation: a directory fd cannot confine paths)
 * @w:		writer
 */
void capture_no_rotation(struct capture_writer *w)
{
	util_close_fdp(&w->dirfd);
}

/**
 * capture_dirfd() - the O_PATH fd of the capture's directory (for Landlock:
 * rotation creates and renames files there only)
 * @w:		writer
 *
 * Return: the fd, -1 for a capture into a passed fd (capture_open_fd())
 */
int capture_dirfd(const struct capture_writer *w)
{
	return w->dirfd;
}

/**
 * capture_path() - the path given to capture_open()
 * @w:		writer
 *
 * Return: the path, valid as long as @w
 */
const char *capture_path(const struct capture_writer *w)
{
	return w->path;
}

/**
 * capture_close() - flush, close, free
 * @w:		writer, may be NULL
 * @st:		if not NULL, the final counters
 */
void capture_close(struct capture_writer *w, struct capture_stats *st)
{
	if (!w)
		return;
	if (w->fd >= 0)
		capture_flush(w);
	if (st)
		*st = w->st;
	util_close_fdp(&w->fd);
	util_close_fdp(&w->dirfd);
	g_free(w->name);
	g_free(w->path);
	g_free(w);
}
