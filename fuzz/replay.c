/*
 * Runs a fuzz target without libFuzzer over files and folders given on
 * the command line: `make unit` replays the seed corpora and every past
 * crash input (fuzz/regressions/TARGET/) so a fixed bug stays fixed, under
 * ASan too with `make check-asan`.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz/fuzz.h"

static const char *current;

/* A target's oracle calls abort(): say which input did it. */
static void
on_abort(int sig)
{
	static const char msg[] = "replay: crashed on input ";

	if (current != NULL) {
		(void)!write(2, msg, sizeof(msg) - 1);
		(void)!write(2, current, strlen(current));
		(void)!write(2, "\n", 1);
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

static int
run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = NULL;
	long len;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0 || (buf = malloc((size_t)len + 1)) == NULL ||
	    fread(buf, 1, (size_t)len, f) != (size_t)len) {
		fprintf(stderr, "replay: cannot read '%s': %s\n", path, strerror(errno));
		if (f != NULL)
			fclose(f);
		free(buf);
		return -1;
	}
	fclose(f);
	/* An exact-size copy, as libFuzzer hands it over. */
	{
		unsigned char *exact = malloc(len > 0 ? (size_t)len : 1);

		if (exact == NULL) {
			free(buf);
			return -1;
		}
		memcpy(exact, buf, (size_t)len);
		current = path;
		LLVMFuzzerTestOneInput(exact, (size_t)len);
		current = NULL;
		free(exact);
	}
	free(buf);
	return 0;
}

static int
run_path(const char *path, int *count)
{
	struct dirent **ents = NULL;
	struct stat st;
	int n, rc = 0;

	if (stat(path, &st) < 0) {
		if (errno == ENOENT)
			return 0;	/* a target with no regressions yet */
		fprintf(stderr, "replay: '%s': %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		(*count)++;
		return run_file(path);
	}
	if ((n = scandir(path, &ents, NULL, alphasort)) < 0) {
		fprintf(stderr, "replay: '%s': %s\n", path, strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		char sub[4096];

		if (ents[i]->d_name[0] != '.') {
			snprintf(sub, sizeof(sub), "%s/%s", path, ents[i]->d_name);
			if (run_path(sub, count) < 0)
				rc = -1;
		}
		free(ents[i]);
	}
	free(ents);
	return rc;
}

int
main(int argc, char **argv)
{
	int count = 0, rc = 0;

	signal(SIGABRT, on_abort);
	signal(SIGSEGV, on_abort);
	for (int i = 1; i < argc; i++)
		if (run_path(argv[i], &count) < 0)
			rc = 1;
	printf("replay %s: %d inputs\n", argv[0], count);
	return rc;
}
