/*
 * The server's own TLS pair, replaceable while the server runs.
 * libmicrohttpd 0.9.75 (Debian 12, GnuTLS) asks the function given with
 * MHD_OPTION_HTTPS_CERT_CALLBACK (a gnutls_certificate_retrieve_function2)
 * for the pair at every handshake, so a renewed certificate serves the
 * next handshake while the connections already open keep theirs: no
 * restart, no request dropped.  (MHD_OPTION_HTTPS_MEM_CERT loads one pair
 * into the daemon's credentials for good.)
 *
 * GnuTLS neither copies nor frees what the callback hands it, and a
 * session may still be using a pair when a newer one arrives, so every
 * pair lives until the server stops: one per renewal, a few a year.
 * The callback gets no closure; the session's pointer is the MHD
 * connection, whose socket context (set when MHD announces it, before
 * any handshake) is the server.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>

#include "internal.h"

#define TLS_CHAIN_MAX 8		/* certificates in the served chain */

struct acme_tls_pair {
	gnutls_pcert_st certs[TLS_CHAIN_MAX];
	unsigned int ncerts;
	gnutls_privkey_t key;
	struct acme_tls_pair *older;
};

static void
pair_free(struct acme_tls_pair *p)
{
	while (p != NULL) {
		struct acme_tls_pair *older = p->older;

		for (unsigned int i = 0; i < p->ncerts; i++)
			gnutls_pcert_deinit(&p->certs[i]);
		if (p->key != NULL)
			gnutls_privkey_deinit(p->key);
		free(p);
		p = older;
	}
}

/* cert_pem: the leaf then its issuers; key_pem: the leaf's key. */
static struct acme_tls_pair *
pair_load(const char *cert_pem, const char *key_pem)
{
	struct acme_tls_pair *p = calloc(1, sizeof(*p));
	gnutls_datum_t c = { (unsigned char *)cert_pem, (unsigned int)strlen(cert_pem) };
	gnutls_datum_t k = { (unsigned char *)key_pem, (unsigned int)strlen(key_pem) };
	int r;

	if (p == NULL) {
		mc_seterr("out of memory");
		return NULL;
	}
	p->ncerts = TLS_CHAIN_MAX;
	if ((r = gnutls_pcert_list_import_x509_raw(p->certs, &p->ncerts, &c, GNUTLS_X509_FMT_PEM,
	    GNUTLS_X509_CRT_LIST_FAIL_IF_UNSORTED)) < 0) {
		p->ncerts = 0;
		mc_seterr("gnutls_pcert_list_import_x509_raw: the server's certificate chain: %s", gnutls_strerror(r));
		goto fail;
	}
	if ((r = gnutls_privkey_init(&p->key)) < 0 ||
	    (r = gnutls_privkey_import_x509_raw(p->key, &k, GNUTLS_X509_FMT_PEM, NULL, 0)) < 0) {
		mc_seterr("gnutls_privkey_import_x509_raw: the server's key: %s", gnutls_strerror(r));
		goto fail;
	}
	return p;
fail:
	pair_free(p);
	return NULL;
}

static int
cert_cb(gnutls_session_t session, const gnutls_datum_t *req_ca_dn, int nreqs,
    const gnutls_pk_algorithm_t *pk_algos, int pk_algos_length, gnutls_pcert_st **pcert,
    unsigned int *pcert_length, gnutls_privkey_t *pkey)
{
	struct MHD_Connection *mc = gnutls_session_get_ptr(session);
	const union MHD_ConnectionInfo *ci;
	struct acme_server *s;
	struct acme_tls_pair *p;

	(void)req_ca_dn;
	(void)nreqs;
	(void)pk_algos;
	(void)pk_algos_length;
	if (mc == NULL || (ci = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_SOCKET_CONTEXT)) == NULL ||
	    (s = ci->socket_context) == NULL)
		return -1;
	pthread_mutex_lock(&s->tls_mu);
	p = s->tls;
	pthread_mutex_unlock(&s->tls_mu);
	if (p == NULL)
		return -1;
	*pcert = p->certs;
	*pcert_length = p->ncerts;
	*pkey = p->key;
	return 0;
}

static void
on_connection(void *cls, struct MHD_Connection *mc, void **socket_context, enum MHD_ConnectionNotificationCode toe)
{
	(void)mc;
	if (toe == MHD_CONNECTION_NOTIFY_STARTED)
		*socket_context = cls;
}

int
acme_tls_init(struct acme_server *s, const char *cert_pem, const char *key_pem, struct MHD_OptionItem *opts)
{
	/* The option travels as a void *: the compiler checks the type here. */
	gnutls_certificate_retrieve_function2 *cb = cert_cb;

	if (pthread_mutex_init(&s->tls_mu, NULL) != 0) {
		mc_seterr("pthread_mutex_init failed");
		return -1;
	}
	s->tls_mu_ok = 1;
	if (cert_pem == NULL)
		return 0;
	if ((s->tls = pair_load(cert_pem, key_pem)) == NULL)
		return -1;
	opts[0] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_CERT_CALLBACK, 0, (void *)cb };
	opts[1] = (struct MHD_OptionItem){ MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)on_connection, s };
	return 0;
}

int
acme_server_set_tls(struct acme_server *s, const char *cert_pem, const char *key_pem)
{
	struct acme_tls_pair *p;

	if (s->tls == NULL) {
		mc_seterr("the server speaks plain HTTP (tls = no): it has no certificate to replace");
		return -1;
	}
	if ((p = pair_load(cert_pem, key_pem)) == NULL)
		return -1;
	pthread_mutex_lock(&s->tls_mu);
	p->older = s->tls;
	s->tls = p;
	pthread_mutex_unlock(&s->tls_mu);
	return 0;
}

void
acme_tls_free(struct acme_server *s)
{
	pair_free(s->tls);
	s->tls = NULL;
	if (s->tls_mu_ok)
		pthread_mutex_destroy(&s->tls_mu);
	s->tls_mu_ok = 0;
}
