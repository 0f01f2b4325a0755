/**
 * @file tls.c  `harness phone --transport tls` (session.h): the
 * registrar's certificate (sim-registrar's TLS set-up, named for the
 * domain, or --tls-cert/--tls-key), its fingerprint printed and its PEM
 * written for the phone to trust; and P-TLS's step: a second pass that
 * presents a certificate for another name, after which a phone that
 * registers anyway gets WARN.
 */

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
/* libre declares its OpenSSL context getter only under USE_OPENSSL */
#define USE_OPENSSL 1
#include <re.h>
#include "phone/capture.h"
#include "phone/pack.h"
#include "phone/session.h"

enum {
	WRONG_WAIT_MS   = 90000,   /* the phone's next attempt comes by then */
	COMEBACK_MS     = 30000,   /* and with the right certificate again   */
};

/* the wrong-name pass's certificate: a name no domain has (RFC 6761) */
static const char wrong_cn[] = "wrong-name.invalid";


static int read_file(char **textp, const char *path)
{
	FILE *f = fopen(path, "r");
	struct mbuf *mb;
	char buf[4096];
	size_t n;
	int err = 0;

	if (!f)
		return errno;

	mb = mbuf_alloc(4096);
	if (!mb) {
		fclose(f);
		return ENOMEM;
	}
	while (!err && (n = fread(buf, 1, sizeof(buf), f)) > 0)
		err = mbuf_write_mem(mb, (uint8_t *)buf, n);
	fclose(f);

	if (!err) {
		mb->pos = 0;
		err = mbuf_strdup(mb, textp, mb->end);
	}
	mem_deref(mb);

	return err;
}


int pm_tls_load(struct pm *pm)
{
	int err;

	if (!pm->o.tls_cert)
		return 0;

	err = read_file(&pm->cert_pem, pm->o.tls_cert);
	if (err) {
		fprintf(stderr, "harness: phone: --tls-cert %s: %s\n",
			pm->o.tls_cert, strerror(err));
		return err;
	}
	err = read_file(&pm->key_pem, pm->o.tls_key);
	if (err)
		fprintf(stderr, "harness: phone: --tls-key %s: %s\n",
			pm->o.tls_key, strerror(err));

	return err;
}


/* the context's certificate and key as PEM text (to put them back) */
static int export_pem(struct tls *tls, char **certp, char **keyp)
{
	SSL_CTX *ctx = tls_openssl_context(tls);
	X509 *x = ctx ? SSL_CTX_get0_certificate(ctx) : NULL;
	EVP_PKEY *k = ctx ? SSL_CTX_get0_privatekey(ctx) : NULL;
	BIO *bc = BIO_new(BIO_s_mem()), *bk = BIO_new(BIO_s_mem());
	char *p;
	long n;
	int err = EINVAL;

	if (!x || !k || !bc || !bk)
		goto out;
	if (!PEM_write_bio_X509(bc, x) ||
	    !PEM_write_bio_PrivateKey(bk, k, NULL, NULL, 0, NULL, NULL))
		goto out;

	n = BIO_get_mem_data(bc, &p);
	err = re_sdprintf(certp, "%b", p, (size_t)n);
	if (err)
		goto out;
	n = BIO_get_mem_data(bk, &p);
	err = re_sdprintf(keyp, "%b", p, (size_t)n);

 out:
	BIO_free(bc);
	BIO_free(bk);
	return err;
}


int pm_tls_start(struct pm *pm)
{
	struct tls *tls = sim_registrar_tls(pm->sr);
	uint8_t md[32];
	FILE *f;
	int err;

	if (!tls)
		return 0;

	if (!pm->cert_pem) {
		err = export_pem(tls, &pm->cert_pem, &pm->key_pem);
		if (err) {
			fprintf(stderr, "harness: phone: cannot read the TLS "
				"certificate back: %s\n", strerror(err));
			return err;
		}
	}

	err = tls_fingerprint(tls, TLS_FINGERPRINT_SHA256, md, sizeof(md));
	if (!err)
		(void)re_snprintf(pm->tls_fp, sizeof(pm->tls_fp), "%w",
				  md, sizeof(md));

	if (pm->o.tls_pem) {
		f = fopen(pm->o.tls_pem, "w");
		if (!f || fputs(pm->cert_pem, f) < 0) {
			err = errno;
			fprintf(stderr, "harness: phone: --tls-pem %s: %s\n",
				pm->o.tls_pem, strerror(err));
			if (f)
				fclose(f);
			return err;
		}
		fclose(f);
	}

	return 0;
}


/*
 * The phone's TLS connections are shut down (not closed: libre still owns
 * the descriptors and sees the end as any peer's), so that its next
 * REGISTER needs a new handshake, with whatever certificate is set now.
 * libre keeps its connections to itself: they are the sockets of this
 * process bound to the TLS port with a peer.
 */
static unsigned drop_conns(const struct sa *tls_laddr)
{
	struct dirent *de;
	unsigned n = 0;
	DIR *d = opendir("/proc/self/fd");

	if (!d)
		return 0;

	while ((de = readdir(d))) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		struct sa local;
		struct stat stb;
		int fd = atoi(de->d_name);

		if (de->d_name[0] < '0' || de->d_name[0] > '9' ||
		    fstat(fd, &stb) || !S_ISSOCK(stb.st_mode))
			continue;
		if (getsockname(fd, (struct sockaddr *)&ss, &len))
			continue;
		sa_init(&local, AF_UNSPEC);
		if (sa_set_sa(&local, (struct sockaddr *)&ss) ||
		    !sa_cmp(&local, tls_laddr, SA_ALL))
			continue;
		len = sizeof(ss);
		if (getpeername(fd, (struct sockaddr *)&ss, &len))
			continue;   /* the listener */
		if (!shutdown(fd, SHUT_RDWR))
			n++;
	}
	closedir(d);

	return n;
}


struct since {
	size_t from;
};


/* a REGISTER came since from */
static bool came(struct pm *pm, void *arg)
{
	const struct since *s = arg;

	return capture_regc(pm->capture) > s->from;
}


/* an accepted REGISTER came since from */
static bool registered_since(struct pm *pm, void *arg)
{
	const struct since *s = arg;

	return capture_last_ok(pm->capture, capture_regc(pm->capture)) >=
		(long)s->from;
}


void pm_step_tls(struct pm *pm, const struct pstep *st,
		 const struct judge_row *row, struct jverdict *v)
{
	struct tls *tls = sim_registrar_tls(pm->sr);
	const struct jreg *first = capture_first_ok(pm->capture);
	uint64_t wait_ms = st->within_ms ? st->within_ms : WRONG_WAIT_MS;
	struct since s;
	struct jctx x;
	unsigned dropped;
	bool back;
	int err;

	jctx_init(&x, pm->capture);
	x.tls = tls != NULL;
	str_ncpy(x.tls_wrong_cn, wrong_cn, sizeof(x.tls_wrong_cn));

	if (!tls || !first || first->tp != SIP_TRANSP_TLS) {
		judges_run(row, &x, v);
		return;
	}

	err = tls_set_selfsigned_rsa(tls, wrong_cn, 2048);
	if (err) {
		jverdict_set(v, row->id, JV_SKIP, "could not make the "
			     "wrong-name certificate: %m", err);
		return;
	}
	dropped = drop_conns(&pm->tls_laddr);
	pm_say("    the certificate now names %s (%u connection(s) to %J "
	    "dropped); waiting up to %u s for the phone's next REGISTER\n",
	    wrong_cn, dropped, &pm->tls_laddr, (unsigned)(wait_ms / 1000));

	s.from = capture_regc(pm->capture);
	(void)pm_wait(pm, came, &s, wait_ms);
	for (size_t k = s.from; k < capture_regc(pm->capture); k++) {
		if (capture_reg(pm->capture, k)->tp == SIP_TRANSP_TLS) {
			x.next = (long)k;
			break;
		}
	}
	x.window_ms = wait_ms;

	/* the right certificate again, for the phone to come back */
	err = tls_set_certificate_pem(tls, pm->cert_pem, strlen(pm->cert_pem),
				      pm->key_pem, strlen(pm->key_pem));
	(void)drop_conns(&pm->tls_laddr);
	s.from = capture_regc(pm->capture);
	back = !err && pm_wait(pm, registered_since, &s, COMEBACK_MS);
	x.tls_back = back;

	judges_run(row, &x, v);
}
