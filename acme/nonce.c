/*
 * Replay nonces (RFC 8555 §6.5) in memory: single use, the newest
 * ACME_NONCES_MAX kept, the oldest dropped first.  They lived in the store
 * before, which made every request pay two or three synchronous=FULL
 * commits (an fsync each) for values that need no durability: a nonce
 * only has to be unknown once used, and after a restart every earlier
 * nonce is unknown, which clients handle as badNonce and a retry (§6.5).
 *
 * A ring of ACME_NONCES_MAX slots in issue order; each slot is also on
 * the chain of its hash bucket, so taking a nonce, and dropping the
 * oldest to make room, touch one short chain.  The values are 128 random
 * bits: a client chooses the strings it asks about, never where the kept
 * ones land.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "internal.h"

#define NONCE_BUCKETS 16384		/* a power of two, above ACME_NONCES_MAX */
#define NONCE_FREE (-1)

struct nonce_slot {
	char v[ACME_NONCE_LEN];
	int32_t next;			/* the next slot on this bucket's chain, or -1 */
	int32_t bucket;			/* NONCE_FREE: not in use */
};

struct acme_nonces {
	pthread_mutex_t mu;
	int32_t head[NONCE_BUCKETS];
	struct nonce_slot slot[ACME_NONCES_MAX];
	size_t pos;			/* the slot the next nonce takes */
};

static int32_t
bucket_of(const char *v)
{
	uint32_t h = 2166136261u;	/* FNV-1a */

	for (; *v != '\0'; v++)
		h = (h ^ (unsigned char)*v) * 16777619u;
	return (int32_t)(h & (NONCE_BUCKETS - 1));
}

/* Takes slot i off its bucket's chain. */
static void
unlink_slot(struct acme_nonces *n, int32_t i)
{
	int32_t *link = &n->head[n->slot[i].bucket];

	while (*link != i)
		link = &n->slot[*link].next;
	*link = n->slot[i].next;
	n->slot[i].bucket = NONCE_FREE;
}

struct acme_nonces *
acme_nonces_new(void)
{
	struct acme_nonces *n = calloc(1, sizeof(*n));

	if (n == NULL || pthread_mutex_init(&n->mu, NULL) != 0) {
		free(n);
		mc_seterr("out of memory");
		return NULL;
	}
	for (size_t i = 0; i < NONCE_BUCKETS; i++)
		n->head[i] = -1;
	for (size_t i = 0; i < ACME_NONCES_MAX; i++)
		n->slot[i].bucket = NONCE_FREE;
	return n;
}

void
acme_nonces_free(struct acme_nonces *n)
{
	if (n == NULL)
		return;
	pthread_mutex_destroy(&n->mu);
	OPENSSL_cleanse(n, sizeof(*n));
	free(n);
}

int
acme_nonce_new(struct acme_nonces *n, char out[ACME_NONCE_LEN])
{
	unsigned char raw[16];
	char *b64;
	int32_t i, b;

	if (RAND_bytes(raw, sizeof(raw)) != 1 || (b64 = acme_b64url_encode(raw, sizeof(raw))) == NULL) {
		mc_seterr("cannot make a nonce: RAND_bytes failed");
		return -1;
	}
	snprintf(out, ACME_NONCE_LEN, "%s", b64);
	free(b64);
	b = bucket_of(out);
	pthread_mutex_lock(&n->mu);
	i = (int32_t)n->pos;
	n->pos = (n->pos + 1) % ACME_NONCES_MAX;
	if (n->slot[i].bucket != NONCE_FREE)
		unlink_slot(n, i);	/* the oldest kept nonce goes */
	memcpy(n->slot[i].v, out, ACME_NONCE_LEN);
	n->slot[i].bucket = b;
	n->slot[i].next = n->head[b];
	n->head[b] = i;
	pthread_mutex_unlock(&n->mu);
	return 0;
}

int
acme_nonce_take(struct acme_nonces *n, const char *v)
{
	int32_t i;
	int found = 0;

	if (strlen(v) >= ACME_NONCE_LEN)
		return 0;
	pthread_mutex_lock(&n->mu);
	for (i = n->head[bucket_of(v)]; i >= 0; i = n->slot[i].next) {
		if (strcmp(n->slot[i].v, v) == 0) {
			unlink_slot(n, i);
			found = 1;
			break;
		}
	}
	pthread_mutex_unlock(&n->mu);
	return found;
}
