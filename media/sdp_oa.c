/**
 * @file sdp_oa.c  SDP offer/answer for one leg (see sdp_oa.h)
 */

#include <stdlib.h>
#include <string.h>
#include <re.h>
#include "sdp_oa.h"
#include "sdes.h"


enum { TEV_PT = 101, PTIME = 20, REASON_SZ = 128, MAX_FMTS = 64 };

/* the codecs we speak, in the order of our offer */
static const struct codec {
	int pt;
	const char *name;
} codecv[] = {
	{0, "PCMU"},
	{8, "PCMA"},
};

/* SIP status per error of this module */
static const struct {
	int err;
	uint16_t scode;
} statusv[] = {
	{EBADMSG,         400},
	{EPROTONOSUPPORT, 488},
	{ENOTSUP,         488},
};

struct sdp_oa {
	struct sdp_session *sess;
	struct sdp_media *m;
	struct sa laddr;
	enum sdp_dir ldir;       /* what we want                       */
	enum sdp_dir adir;       /* what the last exchange settled on  */
	struct sdp_oa_remote rem;
	char reason[REASON_SZ];
	bool secure;             /* RTP/SAVP + a=crypto (MEDIA-SRTP-1) */
	struct sdes_crypto lcrypto;   /* our key, the tag we answer with */
};


static void destructor(void *data)
{
	struct sdp_oa *oa = data;

	mem_deref(oa->m);
	mem_deref(oa->sess);
}


uint16_t sdp_oa_status(int err)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(statusv); i++) {
		if (statusv[i].err == err)
			return statusv[i].scode;
	}

	return 500;
}


/* ------------------------------------------------------- syntax check */

struct chk {
	char *reason;
	size_t sz;
	unsigned line;
};


static int bad(struct chk *c, const char *fmt, ...)
{
	char msg[96];
	va_list ap;

	va_start(ap, fmt);
	(void)re_vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	if (c->reason && c->sz)
		(void)re_snprintf(c->reason, c->sz, "line %u: %s", c->line,
				  msg);

	return EBADMSG;
}


static bool pl_isnum(const struct pl *pl, uint32_t max)
{
	uint32_t v = 0;
	size_t i;

	if (!pl->l || pl->l > 10)
		return false;

	for (i = 0; i < pl->l; i++) {
		if (pl->p[i] < '0' || pl->p[i] > '9')
			return false;
		v = v * 10 + (uint32_t)(pl->p[i] - '0');
		if (v > max)
			return false;
	}

	return true;
}


/* space-separated fields of v into fv; how many there are */
static size_t fields(const struct pl *v, struct pl *fv, size_t max)
{
	const char *p = v->p, *e;
	size_t n = 0;

	if (!p)
		return 0;
	e = p + v->l;

	while (p < e) {
		const char *f = p;

		while (p < e && *p != ' ')
			p++;
		if (p > f) {
			if (n < max) {
				fv[n].p = f;
				fv[n].l = (size_t)(p - f);
			}
			n++;
		}
		while (p < e && *p == ' ')
			p++;
	}

	return n;
}


static int chk_conn(struct chk *c, const struct pl *v)
{
	struct pl fv[3], addr;
	struct sa sa;

	if (fields(v, fv, 3) != 3)
		return bad(c, "c=: expected 'IN IP4 address'");
	if (pl_strcmp(&fv[0], "IN"))
		return bad(c, "c=: network type '%r' is not IN", &fv[0]);
	if (pl_strcmp(&fv[1], "IP4") && pl_strcmp(&fv[1], "IP6"))
		return bad(c, "c=: address type '%r' is not IP4 or IP6",
			   &fv[1]);

	/* a multicast address may carry /ttl */
	addr = fv[2];
	if (pl_strchr(&addr, '/'))
		addr.l = (size_t)(pl_strchr(&addr, '/') - addr.p);
	if (sa_set(&sa, &addr, 0))
		return bad(c, "c=: bad address '%r'", &fv[2]);

	return 0;
}


static int chk_media(struct chk *c, const struct pl *v, bool *audio)
{
	struct pl fv[4], port, rest, all[MAX_FMTS];
	size_t i, k, n;

	n = fields(v, fv, 4);
	if (n < 4)
		return bad(c, "m=: expected 'media port proto format...'");

	port = fv[1];
	if (pl_strchr(&port, '/'))
		port.l = (size_t)(pl_strchr(&port, '/') - port.p);
	if (!pl_isnum(&port, 65535))
		return bad(c, "m=: bad port '%r'", &fv[1]);

	*audio = !pl_strcmp(&fv[0], "audio");

	/* RTP profiles carry payload type numbers */
	if (fv[2].l < 4 || memcmp(fv[2].p, "RTP/", 4))
		return 0;

	rest.p = fv[3].p;
	rest.l = (size_t)(v->p + v->l - fv[3].p);
	k = fields(&rest, all, MAX_FMTS);
	if (k > MAX_FMTS)
		return bad(c, "m=: more than %u formats", MAX_FMTS);
	for (i = 0; i < k; i++) {
		if (!pl_isnum(&all[i], 127))
			return bad(c, "m=: bad payload type '%r'", &all[i]);
	}

	return 0;
}


static int chk_attr(struct chk *c, const struct pl *v)
{
	struct pl name = *v, val = PL_INIT, fv[2], rate;
	const char *colon = pl_strchr(v, ':');

	if (colon) {
		name.l = (size_t)(colon - v->p);
		val.p = colon + 1;
		val.l = v->l - name.l - 1;
	}
	if (!name.l)
		return bad(c, "a=: empty attribute");

	if (!pl_strcmp(&name, "rtpmap")) {
		const char *sl;

		if (fields(&val, fv, 2) != 2 || !pl_isnum(&fv[0], 127) ||
		    !(sl = pl_strchr(&fv[1], '/')) || sl == fv[1].p)
			return bad(c, "a=rtpmap: expected 'pt name/rate'");
		rate.p = sl + 1;
		rate.l = (size_t)(fv[1].p + fv[1].l - rate.p);
		if (pl_strchr(&rate, '/'))
			rate.l = (size_t)(pl_strchr(&rate, '/') - rate.p);
		if (!pl_isnum(&rate, 1000000))
			return bad(c, "a=rtpmap: bad clock rate");
	}
	else if (!pl_strcmp(&name, "crypto")) {
		/* the form only: the key is judged when secure media uses it
		 * (remote_decode) */
		if (re_regex(val.p, val.l, "[0-9]+[ ]+[^ ]+[ ]+inline:[^]+",
			     NULL, NULL, NULL, NULL, NULL))
			return bad(c, "a=crypto: expected 'tag suite "
				   "inline:key'");
	}
	else if (!pl_strcmp(&name, "ptime") || !pl_strcmp(&name, "maxptime")) {
		if (!pl_isnum(&val, 10000))
			return bad(c, "a=%r: bad value '%r'", &name, &val);
	}

	return 0;
}


int sdp_oa_check(const uint8_t *p, size_t n, char *reason, size_t sz)
{
	const char *s = (const char *)p, *end = s + n;
	struct chk c = {reason, sz, 0};
	bool sess_c = false, med_c = false, in_audio = false, audio = false;
	bool any_audio = false;
	int err;

	if (reason && sz)
		reason[0] = '\0';
	if (!p || !n)
		return bad(&c, "empty SDP");

	while (s < end) {
		const char *e = s;
		struct pl v;
		size_t k;
		char t;

		while (e < end && *e != '\n' && *e != '\r')
			e++;
		++c.line;

		if (e == s) {
			/* a blank line may only end the body */
			while (e < end && (*e == '\r' || *e == '\n'))
				e++;
			if (e < end)
				return bad(&c, "empty line");
			break;
		}

		if (e - s < 2 || s[1] != '=')
			return bad(&c, "not 'type=value'");

		/* no NUL or other control character (libre would cut the
		 * text there and echo the rest) */
		for (k = 0; s + k < e; k++) {
			if ((uint8_t)s[k] < 0x20 && s[k] != '\t')
				return bad(&c, "control character 0x%02x at "
					   "column %zu", (uint8_t)s[k], k + 1);
		}

		t = s[0];
		v.p = s + 2;
		v.l = (size_t)(e - s - 2);

		if (c.line == 1 && (t != 'v' || pl_strcmp(&v, "0")))
			return bad(&c, "the first line must be v=0");

		switch (t) {

		case 'o':
			if (fields(&v, NULL, 0) != 6)
				return bad(&c, "o=: expected 6 fields");
			break;

		case 'c':
			err = chk_conn(&c, &v);
			if (err)
				return err;
			if (in_audio)
				med_c = true;
			else if (!audio)
				sess_c = true;
			break;

		case 'm':
			if (in_audio && !sess_c && !med_c)
				goto noconn;
			err = chk_media(&c, &v, &in_audio);
			if (err)
				return err;
			audio = true;     /* media level from here on */
			any_audio |= in_audio;
			med_c = false;
			break;

		case 'a':
			err = chk_attr(&c, &v);
			if (err)
				return err;
			break;

		case 'v': case 's': case 'i': case 'u': case 'e': case 'p':
		case 'b': case 't': case 'r': case 'z': case 'k':
			if (t == 'v' && c.line != 1)
				return bad(&c, "v= after the first line");
			break;

		default:
			return bad(&c, "unknown line type '%c'", t);
		}

		s = e;
		if (s < end && *s == '\r')
			s++;
		if (s < end && *s == '\n')
			s++;
	}

	if (in_audio && !sess_c && !med_c)
		goto noconn;

	(void)any_audio;
	return 0;

 noconn:
	return bad(&c, "m=audio without a c= line");
}


/* ------------------------------------------------------- offer/answer */

/* our m=audio line: RTP/AVP, or RTP/SAVP with secure media */
static int media_make(struct sdp_oa *oa)
{
	int err;

	err = sdp_media_add(&oa->m, oa->sess, sdp_media_audio,
			    sa_port(&oa->laddr), oa->secure ?
			    sdp_proto_rtpsavp : sdp_proto_rtpavp);
	if (err)
		return err;

	return sdp_media_set_lattr(oa->m, true, sdp_attr_ptime, "%u",
				   PTIME);
}


int sdp_oa_alloc(struct sdp_oa **oap, const struct sa *laddr)
{
	struct sdp_oa *oa;
	int err;

	if (!oap || !laddr)
		return EINVAL;

	oa = mem_zalloc(sizeof(*oa), destructor);
	if (!oa)
		return ENOMEM;

	oa->laddr = *laddr;
	oa->ldir = SDP_SENDRECV;
	oa->adir = SDP_SENDRECV;
	oa->rem.pt = -1;
	oa->rem.tev_pt = -1;

	err = sdp_session_alloc(&oa->sess, laddr);
	if (err)
		goto out;

	err = media_make(oa);

 out:
	if (err)
		mem_deref(oa);
	else
		*oap = oa;

	return err;
}


int sdp_oa_set_secure(struct sdp_oa *oa, bool on)
{
	if (!oa)
		return EINVAL;

	if (on && !oa->secure) {
		sdes_keygen(oa->lcrypto.key);
		oa->lcrypto.tag = 1;
	}
	if (on == oa->secure)
		return 0;

	oa->secure = on;
	oa->m = mem_deref(oa->m);     /* libre unlinks it from the session */

	return media_make(oa);
}


bool sdp_oa_secure(const struct sdp_oa *oa)
{
	return oa && oa->secure;
}


const uint8_t *sdp_oa_lkey(const struct sdp_oa *oa)
{
	return oa && oa->secure && oa->rem.srtp ? oa->lcrypto.key : NULL;
}


/* our a=crypto line (secure media), with the tag of the offer we answer */
static int crypto_set(struct sdp_oa *oa)
{
	if (!oa->secure)
		return 0;

	return sdp_media_set_lattr(oa->m, true, "crypto", "%H",
				   sdes_crypto_print, &oa->lcrypto);
}


void sdp_oa_set_ldir(struct sdp_oa *oa, int dir)
{
	if (oa)
		oa->ldir = (enum sdp_dir)(dir & SDP_SENDRECV);
}


/* our formats afresh: pt >= 0 only that codec (an answer), else all */
static int formats_set(struct sdp_oa *oa, int pt, bool tev)
{
	struct le *le;
	size_t i;
	int err = 0;

	le = list_head(sdp_media_format_lst(oa->m, true));
	while (le) {
		struct sdp_format *fmt = le->data;

		le = le->next;
		mem_deref(fmt);
	}

	for (i = 0; i < ARRAY_SIZE(codecv); i++) {
		char id[8];

		if (pt >= 0 && codecv[i].pt != pt)
			continue;

		(void)re_snprintf(id, sizeof(id), "%d", codecv[i].pt);
		err |= sdp_format_add(NULL, oa->m, false, id, codecv[i].name,
				      8000, 1, NULL, NULL, NULL, false, NULL);
	}

	if (tev) {
		char id[8];

		(void)re_snprintf(id, sizeof(id), "%d", TEV_PT);
		err |= sdp_format_add(NULL, oa->m, false, id, telev_rtpfmt,
				      8000, 1, NULL, NULL, NULL, false,
				      "0-16");
	}

	return err;
}


int sdp_oa_offer(struct sdp_oa *oa, struct mbuf **mbp)
{
	int err;

	if (!oa || !mbp)
		return EINVAL;

	oa->reason[0] = '\0';
	err = formats_set(oa, -1, true);
	if (err)
		return err;

	/* a fresh offer carries our tag 1 (an answer may have changed it) */
	oa->lcrypto.tag = 1;
	err = crypto_set(oa);
	if (err)
		return err;

	sdp_media_set_ldir(oa->m, oa->ldir);

	return sdp_encode(mbp, oa->sess, true);
}


/* the first m=audio line's proto and whether its section has a=crypto:
 * what libre's decoder does not keep once the proto is not ours */
static void scan_audio(struct sdp_oa_remote *r, const struct mbuf *mb)
{
	const char *s = (const char *)mbuf_buf(mb);
	const char *end = s + mbuf_get_left(mb);
	bool in = false, seen = false;

	r->savp = false;
	r->crypto = false;

	while (s < end) {
		const char *e = s;
		struct pl l;

		while (e < end && *e != '\n' && *e != '\r')
			e++;
		l.p = s;
		l.l = (size_t)(e - s);

		if (l.l > 2 && !memcmp(s, "m=", 2)) {
			struct pl proto;

			in = !seen && !re_regex(l.p, l.l, "m=audio [^ ]+ [^ ]+",
						NULL, &proto);
			if (in) {
				seen = true;
				r->savp = !pl_strcmp(&proto, "RTP/SAVP");
			}
		}
		else if (in && l.l > 9 && !memcmp(s, "a=crypto:", 9)) {
			r->crypto = true;
		}

		s = e;
		while (s < end && (*s == '\r' || *s == '\n'))
			s++;
	}
}


/* the first of the peer's formats that we speak */
static int first_codec(const struct sdp_media *m)
{
	struct le *le;

	LIST_FOREACH(sdp_media_format_lst(m, false), le) {
		const struct sdp_format *f = le->data;
		size_t i;

		for (i = 0; i < ARRAY_SIZE(codecv); i++) {
			/* a static PT needs no a=rtpmap (RFC 3551) */
			if (f->pt == codecv[i].pt &&
			    (!f->name || !str_casecmp(f->name, codecv[i].name)))
				return f->pt;
		}
	}

	return -1;
}


static int failed(struct sdp_oa *oa, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)re_vsnprintf(oa->reason, sizeof(oa->reason), fmt, ap);
	va_end(ap);

	return err;
}


/* one side's direction seen from the other: a send is a receive */
static enum sdp_dir mirror(int rdir)
{
	return (enum sdp_dir)(((rdir & SDP_SENDONLY) ? SDP_RECVONLY : 0) |
			      ((rdir & SDP_RECVONLY) ? SDP_SENDONLY : 0));
}


struct pick {
	struct sdes_crypto cr;
	bool bad;          /* our suite with a broken key */
};


static bool crypto_pick(const char *name, const char *value, void *arg)
{
	struct pick *pk = arg;
	struct pl v;
	int err;

	(void)name;
	pl_set_str(&v, value);
	err = sdes_crypto_decode(&pk->cr, &v);
	pk->bad |= err == EBADMSG;

	return !err;
}


/* decode the peer's SDP (an offer or an answer) into oa->rem */
static int remote_decode(struct sdp_oa *oa, const struct mbuf *mb,
			 bool offer)
{
	struct sdp_oa_remote *r = &oa->rem;
	const struct sdp_format *tev;
	enum sdp_dir ours;
	const char *pt;
	struct mbuf m;
	int err;

	if (!mb)
		return EINVAL;

	err = sdp_oa_check(mbuf_buf(mb), mbuf_get_left(mb), oa->reason,
			   sizeof(oa->reason));
	if (err)
		return err;

	scan_audio(r, mb);
	if (r->savp && !oa->secure)
		return failed(oa, ENOTSUP, "RTP/SAVP: secure media is off");
	if (oa->secure && !r->savp)
		return failed(oa, ENOTSUP, "secure media: RTP/SAVP with "
			      "a=crypto required (MEDIA-SRTP-1)");
	if (oa->secure && !r->crypto)
		return failed(oa, ENOTSUP, "secure media: RTP/SAVP without "
			      "a=crypto (MEDIA-SRTP-1)");

	m = *mb;
	err = sdp_decode(oa->sess, &m, offer);
	if (err)
		return failed(oa, EBADMSG, "the SDP could not be decoded (%m)",
			      err);

	if (!sdp_media_rport(oa->m))
		return failed(oa, ENOTSUP, "no audio stream (RTP/AVP)");

	r->pt = first_codec(oa->m);
	if (r->pt < 0)
		return failed(oa, EPROTONOSUPPORT,
			      "no common codec (PCMU or PCMA)");

	tev = sdp_media_rformat(oa->m, telev_rtpfmt);
	r->tev_pt = tev ? tev->pt : -1;

	r->addr = *sdp_media_raddr(oa->m);
	sdp_media_raddr_rtcp(oa->m, &r->rtcp);
	/* libre's rdir is already our side of it: what the peer lets us do */
	ours = sdp_media_rdir(oa->m);
	if (!sa_isset(&r->addr, SA_ADDR))
		ours &= SDP_RECVONLY;         /* RFC 2543 hold: c=0.0.0.0 */
	r->dir = mirror(ours);
	r->hold = !(ours & SDP_SENDONLY);

	pt = sdp_media_rattr(oa->m, sdp_attr_ptime);
	r->ptime = pt ? (uint32_t)atoi(pt) : 0;

	r->srtp = false;
	if (oa->secure) {
		struct pick pk;
		struct sdes_crypto cr;

		/* the first a=crypto with our suite; an answer must name
		 * the tag we offered */
		memset(&pk, 0, sizeof(pk));
		if (!sdp_media_rattr_apply(oa->m, "crypto", crypto_pick, &pk))
			return pk.bad ?
				failed(oa, EBADMSG, "a=crypto: %s needs a "
				       "30-byte key (base64, 40 characters)",
				       sdes_suite) :
				failed(oa, ENOTSUP, "secure media: no a=crypto "
				       "with %s", sdes_suite);
		cr = pk.cr;
		if (!offer && cr.tag != oa->lcrypto.tag)
			return failed(oa, ENOTSUP, "secure media: the answer's "
				      "a=crypto tag %u is not the offer's %u",
				      cr.tag, oa->lcrypto.tag);
		memcpy(r->key, cr.key, sizeof(r->key));
		r->srtp = true;
		if (offer)
			oa->lcrypto.tag = cr.tag;
	}

	return 0;
}


int sdp_oa_answer(struct sdp_oa *oa, struct mbuf **mbp,
		  const struct mbuf *offer)
{
	int err;

	if (!oa || !mbp || !offer)
		return EINVAL;

	oa->reason[0] = '\0';

	/* every format again, so that whatever the peer offers matches */
	err = formats_set(oa, -1, true);
	if (err)
		return err;

	err = remote_decode(oa, offer, true);
	if (err)
		return err;

	/* the answer names the chosen codec alone */
	err = formats_set(oa, oa->rem.pt, oa->rem.tev_pt >= 0);
	if (!err)
		err = crypto_set(oa);
	if (err)
		return err;
	{
		struct mbuf m = *offer;

		err = sdp_decode(oa->sess, &m, true);
		if (err)
			return failed(oa, EBADMSG, "the SDP could not be "
				      "decoded (%m)", err);
	}

	oa->adir = (enum sdp_dir)(oa->ldir & mirror(oa->rem.dir));
	sdp_media_set_ldir(oa->m, oa->adir);

	return sdp_encode(mbp, oa->sess, false);
}


int sdp_oa_accept(struct sdp_oa *oa, const struct mbuf *answer)
{
	int err;

	if (!oa || !answer)
		return EINVAL;

	oa->reason[0] = '\0';
	err = remote_decode(oa, answer, false);
	if (err)
		return err;

	oa->adir = (enum sdp_dir)(oa->ldir & mirror(oa->rem.dir));

	return 0;
}


const struct sdp_oa_remote *sdp_oa_remote(const struct sdp_oa *oa)
{
	return oa ? &oa->rem : NULL;
}


bool sdp_oa_sending(const struct sdp_oa *oa)
{
	return oa && (oa->adir & SDP_SENDONLY) &&
		sa_isset(&oa->rem.addr, SA_ALL);
}


bool sdp_oa_receiving(const struct sdp_oa *oa)
{
	return oa && (oa->adir & SDP_RECVONLY);
}


const char *sdp_oa_reason(const struct sdp_oa *oa)
{
	return oa ? oa->reason : "";
}
