/**
 * @file digest.c  Digest authentication (registrar side)
 *
 * Nonces are stateless to check: hex(issue time) + hex(slot id) +
 * MD5(secret:time id:realm), so a forged or altered one is refused
 * without a lookup.  Replay protection takes constant memory, as
 * Kamailio's auth module does with its nonce-id pool: every challenge
 * takes the next id of a 32-bit counter, and the id owns pool slot
 * id % pool size, where the highest nc accepted with that nonce is kept.
 * When a later challenge takes the slot over (the pool has come round),
 * the older nonce is stale (407 stale=true, the phone retries with the
 * new one at once): never accepted again, whatever its nc.  The pool
 * never grows with the requests answered.
 */

#include <ctype.h>
#include <stddef.h>
#include <string.h>
#include <re.h>
#include "vclock.h"
#include "digest.h"

/* nonce: 16 hex of issue time, 8 hex of slot id (two challenges in one
 * millisecond differ), 32 hex of MAC */
enum { NONCE_TIME_HEX = 24, MD5_HEX = 32 };

/* 12 bytes; id is the full counter value, so a slot taken over is told
 * apart from its earlier owner without any clock (the counter comes
 * round after 2^32 challenges: by then the nonce's lifetime is over) */
struct nonce_slot {
	uint32_t id;
	uint32_t last_nc;        /* highest nc accepted (when used)        */
	uint32_t used;           /* 0: issued, no digest accepted with it  */
};

struct digest_auth {
	char *realm;
	uint64_t lifetime_ms;
	char secret[33];
	char opaque[33];
	struct nonce_slot *pool; /* poolsz slots, allocated once           */
	uint32_t poolsz;
	uint32_t next_id;        /* the next challenge's id                */
	uint32_t usedc;          /* slots holding an accepted nonce        */
	uint64_t taken_over;     /* nonces refused: slot reused (stale)    */
};


static void destructor(void *data)
{
	struct digest_auth *da = data;

	mem_deref(da->pool);
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

	err = str_dup(&da->realm, realm);
	if (!err)
		err = digest_auth_pool(da, DIGEST_POOL_DEFAULT);
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

	/* every nonce forgotten: the ids stay, so a nonce issued before is
	 * as good as new, as when the table of seen nonces was emptied */
	for (uint32_t i = 0; i < da->poolsz; i++) {
		da->pool[i].used = 0;
		da->pool[i].last_nc = 0;
	}
	da->usedc = 0;
}


int digest_auth_pool(struct digest_auth *da, uint32_t slots)
{
	struct nonce_slot *pool;

	if (!da || slots < DIGEST_POOL_MIN || slots > DIGEST_POOL_MAX)
		return EINVAL;

	if (slots == da->poolsz)
		return 0;

	/* a slot's id must never match a nonce that was not given it:
	 * UINT32_MAX is the id of the last challenge before the counter
	 * wraps, which by then has long been stale */
	pool = mem_alloc(slots * sizeof(*pool), NULL);
	if (!pool)
		return ENOMEM;
	for (uint32_t i = 0; i < slots; i++) {
		pool[i].id = UINT32_MAX;
		pool[i].last_nc = 0;
		pool[i].used = 0;
	}

	/* the nonces issued so far are stale: their slots are gone */
	mem_deref(da->pool);
	da->pool = pool;
	da->poolsz = slots;
	da->usedc = 0;

	return 0;
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
	struct nonce_slot *slot;
	struct pl pl;
	uint32_t id;
	int err;

	if (!mb || !da)
		return EINVAL;

	/* the slot is the new nonce's from now on; whoever held it before
	 * gets stale=true at its next use */
	id = da->next_id++;
	slot = &da->pool[id % da->poolsz];
	if (slot->used)
		da->usedc--;
	slot->id = id;
	slot->last_nc = 0;
	slot->used = 0;

	(void)re_snprintf(issued, sizeof(issued), "%016llx%08x",
			  (unsigned long long)vclock_now(), id);
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


/* the slot of a nonce whose MAC was checked; NULL: taken over since */
static struct nonce_slot *nonce_slot(struct digest_auth *da,
				     const struct pl *nonce)
{
	struct pl id_hex = {nonce->p + 16, 8};
	uint32_t id = pl_x32(&id_hex);
	struct nonce_slot *slot = &da->pool[id % da->poolsz];

	return slot->id == id ? slot : NULL;
}


enum nonce_state digest_nonce_check(struct digest_auth *da,
				    const struct digest_cred *cred)
{
	char mac[MD5_HEX + 1];
	struct nonce_slot *slot;
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

	slot = nonce_slot(da, &cred->nonce);
	if (!slot) {
		/* a later challenge has its slot: never accepted again */
		da->taken_over++;
		return NONCE_STALE;
	}

	if (slot->used &&
	    (!pl_isset(&cred->nc) || pl_x32(&cred->nc) <= slot->last_nc))
		return NONCE_REPLAY;

	return NONCE_FRESH;
}


int digest_nonce_accept(struct digest_auth *da,
			const struct digest_cred *cred)
{
	struct nonce_slot *slot;

	if (!da || !cred || cred->nonce.l != NONCE_TIME_HEX + MD5_HEX ||
	    !is_hex(&cred->nonce, NONCE_TIME_HEX + MD5_HEX))
		return EINVAL;

	slot = nonce_slot(da, &cred->nonce);
	if (!slot)
		return ENOENT;

	if (!slot->used)
		da->usedc++;
	slot->used = 1;

	/* without qop there is no nc: the nonce is then good for one use */
	slot->last_nc = pl_isset(&cred->nc) ? pl_x32(&cred->nc) : UINT32_MAX;

	return 0;
}


uint32_t digest_nonce_count(const struct digest_auth *da)
{
	return da ? da->usedc : 0;
}


void digest_auth_stats(const struct digest_auth *da,
		       struct digest_stats *st)
{
	if (!st)
		return;

	memset(st, 0, sizeof(*st));
	if (!da)
		return;

	st->slots = da->poolsz;
	st->used = da->usedc;
	st->bytes = (uint64_t)da->poolsz * sizeof(struct nonce_slot);
	st->taken_over = da->taken_over;
}
