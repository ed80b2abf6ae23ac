/* SPDX-License-Identifier: GPL-2.0-or-later
 * tests/unit/test-capture.c - the packet capture writer (slirp/capture.c): file
 * header, record layout, size cap and rotation, refused paths, sizes
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "common/errors.h"
#include "common/log.h"
#include "slirp/capture.h"

static char *tmpdir_new(void)
{
	g_autoptr(GError) error = NULL;
	char *d = g_dir_make_tmp("test-capture-XXXXXX", &error);

	g_assert_no_error(error);
	return d;
}

static void tmpdir_free(char *d)
{
	GDir *dir = g_dir_open(d, 0, NULL);
	const char *n;

	while (dir && (n = g_dir_read_name(dir))) {
		g_autofree char *p = g_build_filename(d, n, NULL);

		g_unlink(p);
	}
	if (dir)
		g_dir_close(dir);
	g_rmdir(d);
	g_free(d);
}

static GBytes *read_file(const char *path)
{
	g_autoptr(GError) error = NULL;
	char *data;
	gsize len;

	g_file_get_contents(path, &data, &len, &error);
	g_assert_no_error(error);
	return g_bytes_new_take(data, len);
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint16_t get16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* Check the file header; return the number of records, checking each */
static unsigned check_file(const char *path, size_t frame_len)
{
	g_autoptr(GBytes) b = read_file(path);
	gsize len;
	const uint8_t *p = g_bytes_get_data(b, &len);
	size_t off = CAP_FILE_HEADER_LEN;
	unsigned n = 0;

	g_assert_cmpuint(len, >=, CAP_FILE_HEADER_LEN);
	g_assert_cmphex(get32(p), ==, 0xa1b2c3d4);
	g_assert_cmpuint(get16(p + 4), ==, 2);
	g_assert_cmpuint(get16(p + 6), ==, 4);
	g_assert_cmpuint(get32(p + 8), ==, 0);
	g_assert_cmpuint(get32(p + 12), ==, 0);
	g_assert_cmpuint(get32(p + 16), ==, CAPTURE_SNAPLEN);
	g_assert_cmpuint(get32(p + 20), ==, 1);
	while (off < len) {
		g_assert_cmpuint(off + CAP_RECORD_HEADER_LEN, <=, len);
		g_assert_cmpuint(get32(p + off + 4), <, 1000000);
		g_assert_cmpuint(get32(p + off + 8), ==, frame_len);
		g_assert_cmpuint(get32(p + off + 12), ==, frame_len);
		g_assert_cmpuint(p[off + CAP_RECORD_HEADER_LEN], ==, 0xee);
		off += CAP_RECORD_HEADER_LEN + frame_len;
		g_assert_cmpuint(off, <=, len);
		n++;
	}
	return n;
}

static void test_layout(void)
{
	char *d = tmpdir_new();
	g_autofree char *path = g_build_filename(d, "c.pcap", NULL);
	g_autoptr(GError) error = NULL;
	struct capture_writer *w = NULL;
	struct capture_stats st;
	uint8_t frame[100];
	struct stat sb;
	gint64 t0 = g_get_real_time() / G_USEC_PER_SEC;
	int i;

	memset(frame, 0xee, sizeof(frame));
	g_assert_cmpint(capture_open(path, 0, CAP_OPEN_EXCL, &w, &error), ==,
			0);
	g_assert_no_error(error);
	for (i = 0; i < 3; i++)
		capture_frame(w, frame, sizeof(frame));
	/* buffered until a flush */
	g_assert_cmpint(stat(path, &sb), ==, 0);
	g_assert_cmpint(sb.st_size, ==, 0);
	g_assert_cmpuint(sb.st_mode & 07777, ==, 0600);
	g_assert_cmpint(capture_flush(w), ==, 0);
	g_assert_cmpuint(check_file(path, sizeof(frame)), ==, 3);
	capture_frame(w, frame, sizeof(frame));
	capture_close(w, &st);
	g_assert_cmpuint(check_file(path, sizeof(frame)), ==, 4);
	g_assert_cmpuint(st.frames, ==, 4);
	g_assert_cmpuint(st.bytes, ==, 400);
	g_assert_cmpuint(st.dropped, ==, 0);
	g_assert_cmpuint(st.files, ==, 1);
	{
		g_autoptr(GBytes) b = read_file(path);
		const uint8_t *p = g_bytes_get_data(b, NULL);
		gint64 ts = get32(p + CAP_FILE_HEADER_LEN);

		g_assert_cmpint(ts, >=, t0);
		g_assert_cmpint(ts, <=, t0 + 5);
	}
	tmpdir_free(d);
}

static void test_rotation(void)
{
	char *d = tmpdir_new();
	g_autofree char *path = g_build_filename(d, "r.pcap", NULL);
	g_autoptr(GError) error = NULL;
	struct capture_writer *w = NULL;
	struct capture_stats st;
	uint8_t frame[1000], big[3000];
	unsigned total = 0;
	int i;

	memset(frame, 0xee, sizeof(frame));
	memset(big, 0xee, sizeof(big));
	/* 24 + 2 * 1016 = 2056 <= 2100: two records per file */
	g_assert_cmpint(capture_open(path, 2100, CAP_OPEN_EXCL, &w, &error), ==,
			0);
	for (i = 0; i < 20; i++)
		capture_frame(w, frame, sizeof(frame));
	capture_frame(w, big, sizeof(big)); /* larger than the cap */
	capture_close(w, &st);
	g_assert_cmpuint(st.frames, ==, 20);
	g_assert_cmpuint(st.dropped, ==, 1);
	g_assert_cmpuint(st.files, ==, 10);

	total += check_file(path, sizeof(frame));
	for (i = 1; i <= CAPTURE_KEEP_ROTATED; i++) {
		g_autofree char *p = g_strdup_printf("%s.%d", path, i);
		struct stat sb;

		g_assert_cmpint(stat(p, &sb), ==, 0);
		g_assert_cmpint(sb.st_size, <=, 2100);
		g_assert_cmpuint(check_file(p, sizeof(frame)), ==, 2);
		total += 2;
	}
	g_assert_cmpuint(total, ==, 2 * (CAPTURE_KEEP_ROTATED + 1));
	{
		g_autofree char *p = g_strdup_printf("%s.%d", path,
						     CAPTURE_KEEP_ROTATED + 1);

		g_assert_false(g_file_test(p, G_FILE_TEST_EXISTS));
	}
	tmpdir_free(d);
}

/* A write that fails (here: beyond RLIMIT_FSIZE, EFBIG) stops the writer:
 * the buffered frames and every later one are dropped and counted, nothing
 * blocks or aborts */
static void test_write_failure(void)
{
	char *d = tmpdir_new();
	g_autofree char *path = g_build_filename(d, "f.pcap", NULL);
	g_autoptr(GError) error = NULL;
	struct rlimit old, small = { 4096, 4096 };
	struct capture_writer *w = NULL;
	struct capture_stats st;
	uint8_t frame[1000];
	void (*old_handler)(int);
	int i;

	memset(frame, 0xee, sizeof(frame));
	g_assert_cmpint(getrlimit(RLIMIT_FSIZE, &old), ==, 0);
	small.rlim_max = old.rlim_max;
	old_handler = signal(SIGXFSZ, SIG_IGN);
	g_assert_cmpint(setrlimit(RLIMIT_FSIZE, &small), ==, 0);

	g_assert_cmpint(capture_open(path, 0, CAP_OPEN_EXCL, &w, &error), ==,
			0);
	for (i = 0; i < 10; i++)
		capture_frame(w, frame, sizeof(frame));
	g_assert_cmpint(capture_flush(w), <, 0);
	for (i = 0; i < 5; i++)
		capture_frame(w, frame, sizeof(frame));
	g_assert_cmpint(capture_flush(w), ==, -EBADF);
	capture_close(w, &st);
	g_assert_cmpint(setrlimit(RLIMIT_FSIZE, &old), ==, 0);
	signal(SIGXFSZ, old_handler);

	g_assert_cmpuint(st.frames, ==, 0);
	g_assert_cmpuint(st.dropped, ==, 15);
	tmpdir_free(d);
}

static void test_refused(void)
{
	char *d = tmpdir_new();
	g_autofree char *path = g_build_filename(d, "x.pcap", NULL);
	g_autofree char *link = g_build_filename(d, "l.pcap", NULL);
	g_autofree char *missing = g_build_filename(d, "no", "x.pcap", NULL);
	struct capture_writer *w = NULL;

	g_assert_true(g_file_set_contents(path, "keep", -1, NULL));
	{
		g_autoptr(GError) error = NULL;

		g_assert_cmpint(capture_open(path, 0, CAP_OPEN_EXCL, &w,
					     &error),
				==, -EEXIST);
		g_assert_error(error, UN_ERROR, UN_EXIT_USAGE);
		g_assert_nonnull(strstr(error->message, "already exists"));
	}
	g_assert_cmpint(symlink(path, link), ==, 0);
	{
		g_autoptr(GError) error = NULL;

		g_assert_cmpint(capture_open(link, 0, CAP_OPEN_TRUNCATE, &w,
					     &error),
				==, -ELOOP);
		g_assert_nonnull(strstr(error->message, "symbolic link"));
	}
	{
		g_autoptr(GError) error = NULL;

		g_assert_cmpint(capture_open(missing, 0, CAP_OPEN_TRUNCATE, &w,
					     &error),
				==, -ENOENT);
		g_assert_nonnull(strstr(error->message, "directory"));
	}
	{
		g_autoptr(GError) error = NULL;

		g_assert_cmpint(capture_open(d, 0, CAP_OPEN_TRUNCATE, &w,
					     &error),
				<, 0);
	}
	{
		g_autoptr(GError) error = NULL;

		g_assert_cmpint(capture_open(path, 10, CAP_OPEN_TRUNCATE, &w,
					     &error),
				==, -ERANGE);
	}
	/* the file that was in the way is untouched */
	{
		g_autofree char *c = NULL;

		g_assert_true(g_file_get_contents(path, &c, NULL, NULL));
		g_assert_cmpstr(c, ==, "keep");
	}
	tmpdir_free(d);
}

static void test_sizes(void)
{
	uint64_t v;

	g_assert_cmpint(capture_parse_size("1048576", &v), ==, 0);
	g_assert_cmpuint(v, ==, 1048576);
	g_assert_cmpint(capture_parse_size("512k", &v), ==, 0);
	g_assert_cmpuint(v, ==, 512 * 1024);
	g_assert_cmpint(capture_parse_size("10M", &v), ==, 0);
	g_assert_cmpuint(v, ==, 10 * 1024 * 1024);
	g_assert_cmpint(capture_parse_size("2G", &v), ==, 0);
	g_assert_cmpuint(v, ==, 2ULL << 30);
	g_assert_cmpint(capture_parse_size("1GiB", &v), ==, 0);
	g_assert_cmpuint(v, ==, 1ULL << 30);
	g_assert_cmpint(capture_parse_size("4KB", &v), ==, 0);
	g_assert_cmpuint(v, ==, 4096);
	g_assert_cmpint(capture_parse_size("1k", &v), ==, 0);
	g_assert_cmpint(capture_parse_size("100", &v), ==, -ERANGE);
	g_assert_cmpint(capture_parse_size("99999999999G", &v), ==, -ERANGE);
	g_assert_cmpint(capture_parse_size("", &v), ==, -EINVAL);
	g_assert_cmpint(capture_parse_size("-1k", &v), ==, -EINVAL);
	g_assert_cmpint(capture_parse_size("10X", &v), ==, -EINVAL);
	g_assert_cmpint(capture_parse_size("10 M", &v), ==, -EINVAL);
	g_assert_cmpint(capture_parse_size("M", &v), ==, -EINVAL);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	log_init("test-capture", LOG_LVL_ERR);
	g_test_add_func("/pcap/layout", test_layout);
	g_test_add_func("/pcap/rotation", test_rotation);
	g_test_add_func("/pcap/write-failure", test_write_failure);
	g_test_add_func("/pcap/refused", test_refused);
	g_test_add_func("/pcap/sizes", test_sizes);
	return g_test_run();
}
