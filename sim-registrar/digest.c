/**
 * @file digest.c  Digest authentication (registrar side)
 *
 * Nonces are stateless: hex(issue time) + MD5(secret:issue time), so a
 * scanner's challenges cost no memory.  Only nonces that carried a valid
 * digest get an entry, to refuse a replayed nc; entries go when the nonce
 * can no longer be fresh.
 */

#include <ctype.h>
#include <stddef.h>
#include <string.h>
#include <re.h>
#include "vclock.h"
#include "digest.h"

/* nonce: 16 hex of issue time, 8 hex of salt (two challenges in one
 * millisecond differ), 32 hex of MAC.  The seen-nonce table holds one
 * entry per registration within the nonce lifetime: 16384 buckets keep
 * 20,000 registrations about one to a bucket (bench/results.md) */
enum { NONCE_HASH_SIZE = 16384, NONCE_TIME_HEX = 24, MD5_HEX = 32 };

struct digest_auth {
	char *realm;
	uint64_t lifetime_ms;
	char secret[33];
	char opaque[33];
	struct hash *seen;       /* nonce -> struct nonce_seen           */
	struct list seen_fifo;   /* oldest first, for expiry             */
	uint32_t seenc;
};

struct nonce_seen {
	struct le he;
	struct le le;
	char nonce[NONCE_TIME_HEX + MD5_HEX + 1];
	uint64_t issued;
	uint32_t last_nc;
};


static void seen_destructor(void *data)
{
	struct nonce_seen *ns = data;

	hash_unlink(&ns->he);
	list_unlink(&ns->le);
}


static void destructor(void *data)
{
	struct digest_auth *da = data;

	list_flush(&da->seen_fifo);
	mem_deref(da->seen);
	mem_deref(da->realm);
}


/* the nonce MAC's secret: libre's rand_bytes, OpenSSL's CSPRNG */
static void hex_random(char *out, size_t bytes)
{
	static const char hex[] = "0123456789abcdef";
	uint8_t rnd[64];

	if (bytes > sizeof(rnd))
		bytes = sizeof(rnd);
	rand_bytes(rnd, bytes);

	for (size_t i = 0; i < bytes; i++) {
		uint8_t b = rnd[i];
		out[2*i]     = hex[b >> 4];
		out[2*i + 1] = hex[b & 0xf];
	}
	out[2*bytes] = '\0';
}


int digest_auth_alloc(struct digest_auth **dap, const char *realm,
		      uint32_t nonce_lifetime_s)
{
	struct digest_auth *da;
	int err;

	if (!dap || !realm)
		return EINVAL;

	da = mem_zalloc(sizeof(*da), destructor);
	if (!da)
		return ENOMEM;

	da->lifetime_ms = (uint64_t)nonce_lifetime_s * 1000;
	hex_random(da->secret, 16);

	/* the opaque is no secret (the nonce's MAC is): one per realm, the
	 * same after a restart, so a phone answering with a nonce of the
	 * process before gets 407 stale (NONCE_UNKNOWN), not a 403 for
	 * "malformed" credentials (scenarios/faults/restart-*) */
	{
		uint8_t md5[16];

		err = md5_printf(md5, "sipconform-opaque:%s", realm);
		if (err) {
			mem_deref(da);
			return err;
		}
		(void)re_snprintf(da->opaque, sizeof(da->opaque), "%w", md5,
				  sizeof(md5));
	}

	err  = str_dup(&da->realm, realm);
	err |= hash_alloc(&da->seen, NONCE_HASH_SIZE);
	if (err) {
		mem_deref(da);
		return err ? err : ENOMEM;
	}

	*dap = da;

	return 0;
}


void digest_auth_reset(struct digest_auth *da)
{
	if (!da)
		return;

	list_flush(&da->seen_fifo);
	da->seenc = 0;
}


static int nonce_mac(char *out, const struct digest_auth *da,
		     const struct pl *issued_hex)
{
	uint8_t md5[16];
	int err;

	err = md5_printf(md5, "%s:%r:%s", da->secret, issued_hex, da->realm);
	if (err)
		return err;

	return re_snprintf(out, MD5_HEX + 1, "%w", md5, sizeof(md5)) < 0 ?
		ENOMEM : 0;
}


int digest_challenge_print(struct mbuf *mb, struct digest_auth *da,
			   uint16_t scode, bool stale)
{
	char issued[NONCE_TIME_HEX + 1];
	char mac[MD5_HEX + 1];
	struct pl pl;
	int err;

	if (!mb || !da)
		return EINVAL;

	(void)re_snprintf(issued, sizeof(issued), "%016llx%08x",
			  (unsigned long long)vclock_now(), rand_u32());
	pl_set_str(&pl, issued);

	err = nonce_mac(mac, da, &pl);
	if (err)
		return err;

	return mbuf_printf(mb, "%s: Digest realm=\"%s\",nonce=\"%s%s\","
			   "opaque=\"%s\",qop=\"auth\",algorithm=MD5%s\r\n",
			   scode == 401 ? "WWW-Authenticate" :
			   "Proxy-Authenticate", da->realm, issued, mac,
			   da->opaque, stale ? ",stale=true" : "");
}


static bool is_lws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}


static bool is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		(c >= '0' && c <= '9') || c == '-' || c == '_';
}


static struct pl *cred_field(struct digest_cred *cred, const struct pl *name)
{
	static const struct {
		const char *name;
		size_t off;
	} fields[] = {
		{"realm",     offsetof(struct digest_cred, realm)},
		{"nonce",     offsetof(struct digest_cred, nonce)},
		{"response",  offsetof(struct digest_cred, response)},
		{"username",  offsetof(struct digest_cred, username)},
		{"uri",       offsetof(struct digest_cred, uri)},
		{"nc",        offsetof(struct digest_cred, nc)},
		{"cnonce",    offsetof(struct digest_cred, cnonce)},
		{"qop",       offsetof(struct digest_cred, qop)},
		{"opaque",    offsetof(struct digest_cred, opaque)},
		{"algorithm", offsetof(struct digest_cred, algorithm)},
	};

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (!pl_strcasecmp(name, fields[i].name))
			return (struct pl *)(void *)((char *)cred +
						     fields[i].off);

	return NULL;
}


/*
 * By hand, not re_regex: this runs for every authenticated REGISTER and
 * the regex engine was 5 % of the registrar's CPU (bench/results.md).  A
 * quoted value may hold commas and spaces (RFC 7616 3.4 quoted-string).
 */
int digest_cred_decode(struct digest_cred *cred, const struct pl *hval)
{
	const char *p, *e;
	struct pl scheme;

	if (!cred || !hval || !hval->p)
		return EINVAL;

	memset(cred, 0, sizeof(*cred));

	p = hval->p;
	e = hval->p + hval->l;

	while (p < e && is_lws(*p))
		p++;
	scheme.p = p;
	while (p < e && ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
		p++;
	scheme.l = (size_t)(p - scheme.p);
	if (!scheme.l || p == e || !is_lws(*p) ||
	    pl_strcasecmp(&scheme, "Digest"))
		return EBADMSG;

	/* name=value or name="quoted value", comma separated */
	for (;;) {
		struct pl name, val, *field;

		while (p < e && (is_lws(*p) || *p == ','))
			p++;

		name.p = p;
		while (p < e && is_name_char(*p))
			p++;
		name.l = (size_t)(p - name.p);
		if (!name.l)
			break;

		while (p < e && is_lws(*p))
			p++;
		if (p == e || *p != '=')
			break;
		p++;
		while (p < e && is_lws(*p))
			p++;

		if (p < e && *p == '"') {
			val.p = ++p;
			while (p < e && *p != '"') {
				if (*p == '\\' && p + 1 < e)
					p++;
				p++;
			}
			if (p == e)
				return EBADMSG;        /* unterminated quote */
			val.l = (size_t)(p - val.p);
			p++;
		}
		else {
			val.p = p;
			while (p < e && !is_lws(*p) && *p != ',')
				p++;
			val.l = (size_t)(p - val.p);
		}

		field = cred_field(cred, &name);
		if (field)
			*field = val;
	}

	if (!cred->realm.p || !cred->nonce.p || !cred->response.p ||
	    !cred->username.p || !cred->uri.p)
		return EBADMSG;

	return 0;
}


static bool is_hex(const struct pl *pl, size_t len)
{
	if (pl->l != len)
		return false;

	for (size_t i = 0; i < len; i++) {
		if (!isxdigit((unsigned char)pl->p[i]))
			return false;
	}

	return true;
}


const char *digest_cred_malformed(const struct digest_auth *da,
				  const struct digest_cred *cred)
{
	if (!da || !cred)
		return "no credentials";

	if (!is_hex(&cred->response, MD5_HEX))
		return "response is not 32 hex digits";

	if (pl_isset(&cred->algorithm) &&
	    pl_strcasecmp(&cred->algorithm, "MD5"))
		return "algorithm other than MD5";

	if (pl_strcmp(&cred->opaque, da->opaque))
		return "opaque missing or not the one sent";

	if (pl_isset(&cred->qop)) {
		if (pl_strcasecmp(&cred->qop, "auth"))
			return "qop other than auth";
		if (!is_hex(&cred->nc, 8))
			return "qop=auth without an nc of 8 hex digits";
		if (!pl_isset(&cred->cnonce))
			return "qop=auth without cnonce";
	}
	else if (pl_isset(&cred->nc) || pl_isset(&cred->cnonce)) {
		return "nc or cnonce without qop";
	}

	return NULL;
}


bool digest_cred_verify(const struct digest_cred *cred,
			const struct pl *method, const char *ha1_hex)
{
	uint8_t ha2[16], digest[16];
	char expect[MD5_HEX + 1];
	unsigned diff = 0;
	int err;

	if (!cred || !method || !ha1_hex || cred->response.l != MD5_HEX)
		return false;

	err = md5_printf(ha2, "%r:%r", method, &cred->uri);
	if (err)
		return false;

	if (pl_isset(&cred->qop))
		err = md5_printf(digest, "%s:%r:%r:%r:%r:%w", ha1_hex,
				 &cred->nonce, &cred->nc, &cred->cnonce,
				 &cred->qop, ha2, sizeof(ha2));
	else
		err = md5_printf(digest, "%s:%r:%w", ha1_hex, &cred->nonce,
				 ha2, sizeof(ha2));
	if (err)
		return false;

	(void)re_snprintf(expect, sizeof(expect), "%w", digest,
			  sizeof(digest));

	/* every byte is looked at, whatever differs first */
	for (size_t i = 0; i < MD5_HEX; i++)
		diff |= (unsigned)(expect[i] ^
				   tolower((unsigned char)cred->response.p[i]));

	return diff == 0;
}


static void seen_purge(struct digest_auth *da)
{
	uint64_t now = vclock_now();

	while (da->seen_fifo.head) {
		struct nonce_seen *ns = da->seen_fifo.head->data;

		if (ns->issued + da->lifetime_ms > now)
			break;

		mem_deref(ns);
		da->seenc--;
	}
}


static bool seen_cmp(struct le *le, void *arg)
{
	const struct nonce_seen *ns = le->data;

	return 0 == pl_strcmp(arg, ns->nonce);
}


static struct nonce_seen *seen_find(struct digest_auth *da,
				    const struct pl *nonce)
{
	struct le *le = hash_lookup(da->seen,
				    hash_joaat((const uint8_t *)nonce->p,
					       nonce->l),
				    seen_cmp, (void *)nonce);

	return le ? le->data : NULL;
}


enum nonce_state digest_nonce_check(struct digest_auth *da,
				    const struct digest_cred *cred)
{
	char mac[MD5_HEX + 1];
	struct nonce_seen *ns;
	struct pl issued_hex, mac_pl;
	uint64_t issued;
	unsigned diff = 0;

	if (!da || !cred || cred->nonce.l != NONCE_TIME_HEX + MD5_HEX)
		return NONCE_UNKNOWN;

	issued_hex.p = cred->nonce.p;
	issued_hex.l = NONCE_TIME_HEX;
	mac_pl.p = cred->nonce.p + NONCE_TIME_HEX;
	mac_pl.l = MD5_HEX;

	if (!is_hex(&issued_hex, NONCE_TIME_HEX) ||
	    nonce_mac(mac, da, &issued_hex))
		return NONCE_UNKNOWN;

	for (size_t i = 0; i < MD5_HEX; i++)
		diff |= (unsigned)(mac[i] ^ mac_pl.p[i]);
	if (diff)
		return NONCE_UNKNOWN;

	issued_hex.l = 16;
	issued = pl_x64(&issued_hex);
	if (issued > vclock_now() ||
	    vclock_now() - issued >= da->lifetime_ms)
		return NONCE_STALE;

	seen_purge(da);

	ns = seen_find(da, &cred->nonce);
	if (ns && (!pl_isset(&cred->nc) || pl_x32(&cred->nc) <= ns->last_nc))
		return NONCE_REPLAY;

	return NONCE_FRESH;
}


int digest_nonce_accept(struct digest_auth *da,
			const struct digest_cred *cred)
{
	struct nonce_seen *ns;

	if (!da || !cred || cred->nonce.l != NONCE_TIME_HEX + MD5_HEX)
		return EINVAL;

	ns = seen_find(da, &cred->nonce);
	if (!ns) {
		struct pl issued_hex = {cred->nonce.p, 16};

		ns = mem_zalloc(sizeof(*ns), seen_destructor);
		if (!ns)
			return ENOMEM;

		(void)pl_strcpy(&cred->nonce, ns->nonce, sizeof(ns->nonce));
		ns->issued = pl_x64(&issued_hex);
		hash_append(da->seen, hash_joaat_str(ns->nonce), &ns->he, ns);
		list_append(&da->seen_fifo, &ns->le, ns);
		da->seenc++;
	}

	/* without qop there is no nc: the nonce is then good for one use */
	ns->last_nc = pl_isset(&cred->nc) ? pl_x32(&cred->nc) : UINT32_MAX;

	return 0;
}


uint32_t digest_nonce_count(const struct digest_auth *da)
{
	return da ? da->seenc : 0;
}
