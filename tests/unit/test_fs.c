/* ca/fs.c: whole-or-nothing creation and the sweep of temp files that a
 * killed process leaves (tests/crash/ kills minica for real). */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ca/ca.h"

static char dir[] = "/tmp/minica-fs.XXXXXX";

static void
setup(void)
{
	strcpy(dir, "/tmp/minica-fs.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void
teardown(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

static char *
at(const char *name)
{
	static char buf[4][300];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, name);
	return buf[i];
}

/* A file with content and a modification time `age` seconds ago. */
static void
make(const char *name, int age)
{
	struct timespec ts[2];
	int fd = open(at(name), O_WRONLY | O_CREAT | O_EXCL, 0600);

	cr_assert_geq(fd, 0, "%s", at(name));
	cr_assert_eq(write(fd, "partial", 7), 7);
	close(fd);
	clock_gettime(CLOCK_REALTIME, &ts[0]);
	ts[0].tv_sec -= age;
	ts[1] = ts[0];
	cr_assert_eq(utimensat(AT_FDCWD, at(name), ts, 0), 0);
}

static int
exists(const char *name)
{
	struct stat st;

	return lstat(at(name), &st) == 0;
}

TestSuite(fs, .init = setup, .fini = teardown);

Test(fs, sweep_removes_only_stale_temp_files_of_ours)
{
	struct mc_strv removed = { 0 };
	struct timespec now;

	make(".minica-tmp.smtpd.crt.aB3dE9", 60);	/* a killed writer's */
	make(".minica-tmp.smtpd.key.Zz0000", 1);	/* also before the lock */
	make(".minica-tmp.smtpd.crt.fresh1", -3600);	/* written after the lock */
	make(".minica-tmp.x", 60);			/* not mkostemp's shape */
	make(".minica-new.smtpd.crt", 60);		/* a staged file: deploy's */
	make("smtpd.crt", 60);
	cr_assert_eq(symlink("/etc/passwd", at(".minica-tmp.link.AAAAAA")), 0);
	cr_assert_eq(mkdir(at(".minica-tmp.dir.AAAAAA"), 0700), 0);
	clock_gettime(CLOCK_REALTIME, &now);

	cr_assert_eq(mc_file_sweep_tmp(dir, &now, &removed), 2, "%s", mc_err());
	cr_assert_eq(removed.n, 2);
	cr_assert(!exists(".minica-tmp.smtpd.crt.aB3dE9"));
	cr_assert(!exists(".minica-tmp.smtpd.key.Zz0000"));
	cr_assert(exists(".minica-tmp.smtpd.crt.fresh1"), "a file newer than the lock was removed");
	cr_assert(exists(".minica-tmp.x"));
	cr_assert(exists(".minica-new.smtpd.crt"));
	cr_assert(exists("smtpd.crt"));
	cr_assert(exists(".minica-tmp.link.AAAAAA"), "a symlink was removed");
	cr_assert(exists(".minica-tmp.dir.AAAAAA"));
	cr_assert(mc_strv_has(&removed, at(".minica-tmp.smtpd.crt.aB3dE9")));
	mc_strv_free(&removed);
}

Test(fs, sweep_of_a_missing_folder_is_nothing)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	cr_assert_eq(mc_file_sweep_tmp(at("nope"), &now, NULL), 0);
}

Test(fs, create_excl_is_whole_and_leaves_no_temp_file)
{
	struct mc_buf b = { 0 };
	struct stat st;
	struct timespec now;

	cr_assert_eq(mc_file_create_excl(at("k.key"), 0600, "KEY\n", 4), 0, "%s", mc_err());
	cr_assert_eq(mc_file_read(at("k.key"), 100, &b), 0);
	cr_assert_eq(b.len, 4);
	cr_assert_eq(memcmp(b.p, "KEY\n", 4), 0);
	mc_buf_free(&b);
	cr_assert_eq(stat(at("k.key"), &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0600);
	cr_assert_eq(st.st_nlink, 1, "the temp name still links to it");
	/* Refused, the first content kept, no temp file left. */
	cr_assert_eq(mc_file_create_excl(at("k.key"), 0600, "OTHER\n", 6), -1);
	cr_assert(strstr(mc_err(), "already exists") != NULL, "%s", mc_err());
	cr_assert_eq(mc_file_read(at("k.key"), 100, &b), 0);
	cr_assert_eq(b.len, 4);
	mc_buf_free(&b);
	clock_gettime(CLOCK_REALTIME, &now);
	now.tv_sec += 10;
	cr_assert_eq(mc_file_sweep_tmp(dir, &now, NULL), 0, "a temp file was left behind");
}
