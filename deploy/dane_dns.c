/*
 * dane_dns.c: TLSA lookups with DNSSEC validation done here, by
 * libunbound, not trusted from a resolver's AD bit: the trust anchor is
 * the root's (Debian's dns-root-data) or the one minica.conf names, the
 * resolver asked is only a forwarder (minica.conf's, else resolv.conf's).
 *
 * Every lookup is bounded: asynchronous on a libunbound thread, polled
 * against a deadline, cancelled when it passes.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <unbound.h>

#include "deploy.h"

#define RR_TYPE_TLSA 52
#define RR_CLASS_IN 1

struct dep_dns {
	struct ub_ctx *ctx;
	int timeout_ms;
};

struct lookup {
	int done;
	int err;
	struct ub_result *res;
};

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct dep_dns *
dep_dns_open(const struct dep_dns_opts *o)
{
	struct dep_dns *d = calloc(1, sizeof(*d));
	int e;

	if (d == NULL) {
		mc_seterr("out of memory");
		return NULL;
	}
	d->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : 10000;
	if ((d->ctx = ub_ctx_create()) == NULL) {
		mc_seterr("cannot start the DNSSEC validator: ub_ctx_create failed");
		goto fail;
	}
	if (access(o->trust_anchor, R_OK) < 0) {
		mc_seterr("cannot read the DNSSEC trust anchor '%s': %s (install dns-root-data or set "
		    "dnssec_trust_anchor in [minica])", o->trust_anchor, strerror(errno));
		goto fail;
	}
	/* A forwarder on this machine (a local unbound, systemd-resolved)
	 * is the usual case; libunbound refuses localhost by default. */
	if ((e = ub_ctx_set_option(d->ctx, "do-not-query-localhost:", "no")) != 0 ||
	    (e = ub_ctx_async(d->ctx, 1)) != 0 ||
	    (e = ub_ctx_add_ta_file(d->ctx, o->trust_anchor)) != 0) {
		mc_seterr("cannot set up the DNSSEC validator with '%s': %s", o->trust_anchor, ub_strerror(e));
		goto fail;
	}
	e = o->resolver != NULL ? ub_ctx_set_fwd(d->ctx, o->resolver) : ub_ctx_resolvconf(d->ctx, NULL);
	if (e != 0) {
		mc_seterr("cannot use the resolver %s: %s", o->resolver != NULL ? o->resolver :
		    "of /etc/resolv.conf", e == UB_READFILE ? strerror(errno) : ub_strerror(e));
		goto fail;
	}
	return d;
fail:
	dep_dns_close(d);
	return NULL;
}

void
dep_dns_close(struct dep_dns *d)
{
	if (d == NULL)
		return;
	if (d->ctx != NULL)
		ub_ctx_delete(d->ctx);
	free(d);
}

static void
lookup_done(void *arg, int err, struct ub_result *res)
{
	struct lookup *l = arg;

	l->done = 1;
	l->err = err;
	l->res = res;
}

/* Runs one query against the deadline. */
static int
resolve(struct dep_dns *d, const char *qname, struct lookup *l)
{
	long long deadline = now_ms() + d->timeout_ms;
	int id = 0, e, n;

	if ((e = ub_resolve_async(d->ctx, qname, RR_TYPE_TLSA, RR_CLASS_IN, l, lookup_done, &id)) != 0) {
		mc_seterr("cannot look up %s TLSA: %s", qname, ub_strerror(e));
		return -1;
	}
	while (!l->done) {
		struct pollfd pfd = { .fd = ub_fd(d->ctx), .events = POLLIN };
		long long left = deadline - now_ms();

		if (left <= 0) {
			ub_cancel(d->ctx, id);
			mc_seterr("cannot look up %s TLSA: no answer within %d ms", qname, d->timeout_ms);
			return -1;
		}
		n = poll(&pfd, 1, (int)left);
		if (n < 0 && errno != EINTR) {
			ub_cancel(d->ctx, id);
			mc_seterr("cannot look up %s TLSA: poll: %s", qname, strerror(errno));
			return -1;
		}
		if (n > 0 && (e = ub_process(d->ctx)) != 0) {
			mc_seterr("cannot look up %s TLSA: %s", qname, ub_strerror(e));
			return -1;
		}
	}
	if (l->err != 0) {
		mc_seterr("cannot look up %s TLSA: %s", qname, ub_strerror(l->err));
		return -1;
	}
	return 0;
}

static int
take_records(const struct ub_result *r, struct dep_tlsa_answer *out)
{
	size_t n = 0;

	while (r->havedata && r->data[n] != NULL)
		n++;
	if (n == 0)
		return 0;
	if ((out->v = calloc(n, sizeof(*out->v))) == NULL) {
		mc_seterr("out of memory");
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		const unsigned char *p = (const unsigned char *)r->data[i];
		struct ca_tlsa_rr *rr = &out->v[out->n];

		if (r->len[i] < 4)	/* three octets and at least one of data */
			continue;
		rr->usage = p[0];
		rr->selector = p[1];
		rr->mtype = p[2];
		rr->len = (size_t)r->len[i] - 3;
		if ((rr->data = malloc(rr->len)) == NULL) {
			mc_seterr("out of memory");
			return -1;
		}
		memcpy(rr->data, p + 3, rr->len);
		out->n++;
	}
	return 0;
}

int
dep_dns_tlsa(struct dep_dns *d, const char *host, int port, struct dep_tlsa_answer *out)
{
	struct lookup l = { 0 };
	int rc = -1;

	memset(out, 0, sizeof(*out));
	snprintf(out->qname, sizeof(out->qname), "_%d._tcp.%s.", port, host);
	if (resolve(d, out->qname, &l) < 0)
		goto out;
	out->secure = l.res->secure;
	out->bogus = l.res->bogus;
	if (l.res->bogus)
		snprintf(out->why, sizeof(out->why), "%s",
		    l.res->why_bogus != NULL ? l.res->why_bogus : "validation failed");
	if (!l.res->bogus && l.res->rcode != 0 && l.res->rcode != 3) {
		/* SERVFAIL and the like: nothing was learnt about the records. */
		mc_seterr("cannot look up %s TLSA: the resolver answered rcode %d", out->qname, l.res->rcode);
		goto out;
	}
	if (take_records(l.res, out) < 0)
		goto out;
	rc = 0;
out:
	if (l.res != NULL)
		ub_resolve_free(l.res);
	if (rc < 0)
		dep_tlsa_answer_free(out);
	return rc;
}

void
dep_tlsa_answer_free(struct dep_tlsa_answer *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->v[i].data);
	free(a->v);
	a->v = NULL;
	a->n = 0;
}
