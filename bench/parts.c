/*
 * bench/parts: the parts of one `minica issue` no implementation can skip,
 * timed through minica's own library: decrypting the CA key (scrypt),
 * generating the leaf key, signing the leaf with the RSA-4096 root, and
 * the strict self-check.  Prints "name median_ms" lines (CPU time of the
 * thread, median of RUNS) for bench/run.sh.
 *
 *     parts CA_HOME PASSFILE RUNS      (key generation: 4 x RUNS)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "ca/ca.h"

/* CPU time of this thread: on a shared machine, wall time also counts
 * waiting for a processor, which is not minica's cost. */
static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void
report(const char *name, double *t, int n)
{
	double sum = 0;

	for (int i = 0; i < n; i++)
		sum += t[i];
	qsort(t, (size_t)n, sizeof(*t), cmp_double);
	printf("%s %.3f\n", name, n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2);
	/* RSA key generation has a long tail: n keys take n means, not n
	 * medians. */
	printf("%s_mean %.3f\n", name, sum / n);
}

static void
die(const char *what)
{
	fprintf(stderr, "parts: %s: %s\n", what, mc_err());
	exit(1);
}

/* Each KDF in a fresh child, as in a real `minica issue`: scrypt's
 * 16 MiB are then new pages (faulted in) rather than a warm heap. */
static void
bench_kdf(const char *keypath, const char *pass, double *t, int runs)
{
	for (int i = 0; i < runs; i++) {
		int fds[2], status;
		pid_t pid;

		if (pipe(fds) < 0 || (pid = fork()) < 0) {
			perror("fork");
			exit(1);
		}
		if (pid == 0) {
			double t0 = now_ms(), dt;
			EVP_PKEY *k = ca_key_load(keypath, pass, strlen(pass));

			dt = now_ms() - t0;
			if (k == NULL)
				die("ca_key_load");
			if (write(fds[1], &dt, sizeof(dt)) != sizeof(dt))
				_exit(1);
			_exit(0);
		}
		close(fds[1]);
		if (read(fds[0], &t[i], sizeof(t[i])) != sizeof(t[i]) || waitpid(pid, &status, 0) < 0 || status != 0)
			die("child");
		close(fds[0]);
	}
	report("kdf_ca_key_load", t, runs);
}

static void
bench_keygen(const char *const types[2], EVP_PKEY *leafkey[2], double *t, int runs)
{
	for (size_t k = 0; k < 2; k++) {
		char name[64];

		for (int i = 0; i < runs * 4; i++) {
			double t0 = now_ms();

			EVP_PKEY_free(leafkey[k]);
			if ((leafkey[k] = ca_key_generate(types[k], NULL)) == NULL)
				die("ca_key_generate");
			t[i] = now_ms() - t0;
		}
		snprintf(name, sizeof(name), "keygen_%s", types[k]);
		report(name, t, runs * 4);
	}
}

static void
bench_sign(const char *const types[2], EVP_PKEY *leafkey[2], X509 *root, EVP_PKEY *cakey,
    STACK_OF(X509) *untrusted, STACK_OF(X509) *anchors, double *t, int runs)
{
	struct mc_strv dns = { 0 }, eku = { 0 };

	if (mc_strv_push(&dns, "bench.example.org") < 0 || mc_strv_push(&eku, "serverAuth") < 0)
		die("setup");
	for (size_t k = 0; k < 2; k++) {
		struct ca_leaf_req req = { .pubkey = leafkey[k], .cn = "bench.example.org", .dns = &dns,
		    .eku = &eku, .days = 397 };
		double *tv = calloc((size_t)runs, sizeof(*tv));
		char name[64];

		if (tv == NULL)
			die("setup");
		for (int i = 0; i < runs; i++) {
			double t0 = now_ms(), t1;
			X509 *leaf = ca_leaf_sign(&req, root, cakey);

			if (leaf == NULL)
				die("ca_leaf_sign");
			t1 = now_ms();
			if (ca_verify_chain(leaf, untrusted, anchors, "sslserver", 0) < 0)
				die("ca_verify_chain");
			t[i] = t1 - t0;
			tv[i] = now_ms() - t1;
			X509_free(leaf);
		}
		snprintf(name, sizeof(name), "leaf_sign_%s", types[k]);
		report(name, t, runs);
		snprintf(name, sizeof(name), "leaf_verify_%s", types[k]);
		report(name, tv, runs);
		free(tv);
	}
	mc_strv_free(&dns);
	mc_strv_free(&eku);
}

int
main(int argc, char **argv)
{
	static const char *const types[] = { "rsa2048", "ec256" };
	char keypath[4096], crtpath[4096], anchor[4096], pass[256];
	STACK_OF(X509) *untrusted = NULL, *anchors = NULL;
	EVP_PKEY *cakey = NULL, *leafkey[2] = { NULL, NULL };
	X509 *root, *top = NULL;
	FILE *f;
	double *t;
	int runs;

	if (argc != 4 || (runs = atoi(argv[3])) < 1) {
		fprintf(stderr, "usage: parts CA_HOME PASSFILE RUNS\n");
		return 64;
	}
	/* The issuing CA: the intermediate, or a root that signs itself. */
	snprintf(keypath, sizeof(keypath), "%s/private/intermediate.key", argv[1]);
	snprintf(crtpath, sizeof(crtpath), "%s/intermediate.crt", argv[1]);
	if (access(keypath, F_OK) != 0) {
		snprintf(keypath, sizeof(keypath), "%s/private/ca.key", argv[1]);
		snprintf(crtpath, sizeof(crtpath), "%s/ca.crt", argv[1]);
	}
	if ((f = fopen(argv[2], "r")) == NULL || fgets(pass, sizeof(pass), f) == NULL)
		return perror(argv[2]), 1;
	fclose(f);
	pass[strcspn(pass, "\n")] = '\0';
	if ((t = calloc((size_t)runs * 4, sizeof(*t))) == NULL || (root = ca_cert_load(crtpath)) == NULL)
		die("setup");
	/* Under an intermediate the self-check goes up to the root, as
	 * issue/engine.c's does. */
	snprintf(anchor, sizeof(anchor), "%s/ca.crt", argv[1]);
	if ((untrusted = sk_X509_new_null()) == NULL || (anchors = sk_X509_new_null()) == NULL ||
	    (top = ca_cert_load(anchor)) == NULL || !sk_X509_push(anchors, top))
		die("setup");
	if (X509_cmp(top, root) != 0 && !sk_X509_push(untrusted, root))
		die("setup");
	bench_kdf(keypath, pass, t, runs);
	if ((cakey = ca_key_load(keypath, pass, strlen(pass))) == NULL)
		die("ca_key_load");
	bench_keygen(types, leafkey, t, runs);
	bench_sign(types, leafkey, root, cakey, untrusted, anchors, t, runs);
	OPENSSL_cleanse(pass, sizeof(pass));
	EVP_PKEY_free(leafkey[0]);
	EVP_PKEY_free(leafkey[1]);
	EVP_PKEY_free(cakey);
	X509_free(root);
	X509_free(top);
	sk_X509_free(untrusted);
	sk_X509_free(anchors);
	free(t);
	return 0;
}
