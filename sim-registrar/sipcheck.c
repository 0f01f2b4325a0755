/**
 * @file sipcheck.c  Well-formedness checks for requests
 */

#include <ctype.h>
#include <string.h>
#include <strings.h>
#include <re.h>
#include "msgkeep.h"
#include "sipcheck.h"


static int verdict(struct sipcheck *res, uint16_t scode, const char *reason,
		   const char *detail)
{
	if (res) {
		res->scode = scode;
		res->reason = reason;
		res->detail = detail;
	}

	return scode;
}


static int bad(struct sipcheck *res, const char *detail)
{
	return verdict(res, 400, "Bad Request", detail);
}


size_t sipcheck_head_len(const uint8_t *p, size_t len)
{
	const uint8_t *nl = p, *end = p + len;

	/* from line end to line end: memchr is word-wide (every message
	 * comes here twice or more) */
	while (nl + 1 < end && (nl = memchr(nl, '\n', (size_t)(end - nl)))) {
		const size_t i = (size_t)(nl - p);

		if (i + 1 >= len)
			break;
		if (p[i + 1] == '\n')
			return i + 2;
		if (i + 2 < len && p[i + 1] == '\r' && p[i + 2] == '\n')
			return i + 3;
		++nl;
	}

	return 0;
}


static bool is_token_char(int c)
{
	return isalnum(c) || (c && strchr("-.!%*_+`'~", c));
}


/* each raw header line: name and value (folded lines are continuations) */
typedef bool (line_h)(const struct pl *name, const struct pl *val, void *arg);

static void header_lines(const uint8_t *p, size_t hlen, line_h *h, void *arg)
{
	const char *s = (const char *)p, *end = s + hlen;
	const char *line = memchr(s, '\n', hlen);  /* skip the start line */

	if (!line)
		return;

	for (line++; line < end; ) {
		const char *eol = memchr(line, '\n', (size_t)(end - line));
		const char *colon;
		struct pl name, val;

		if (!eol)
			eol = end;

		if (*line != ' ' && *line != '\t' && *line != '\r' &&
		    *line != '\n' &&
		    (colon = memchr(line, ':', (size_t)(eol - line)))) {
			name.p = line;
			name.l = (size_t)(colon - line);
			while (name.l && isspace((unsigned char)
						 name.p[name.l - 1]))
				name.l--;
			val.p = colon + 1;
			val.l = (size_t)(eol - val.p);
			while (val.l && isspace((unsigned char)*val.p)) {
				val.p++;
				val.l--;
			}
			while (val.l && isspace((unsigned char)
						val.p[val.l - 1]))
				val.l--;
			if (h(&name, &val, arg))
				return;
		}

		line = eol + 1;
	}
}


struct clen_find {
	int err;
	uint32_t clen;
	unsigned count;
};


static bool clen_line(const struct pl *name, const struct pl *val, void *arg)
{
	struct clen_find *cf = arg;

	if (pl_strcasecmp(name, "Content-Length") && pl_strcasecmp(name, "l"))
		return false;

	cf->count++;
	if (!val->l || val->l > 9) {
		cf->err = EBADMSG;
		return true;
	}

	for (size_t i = 0; i < val->l; i++) {
		if (!isdigit((unsigned char)val->p[i])) {
			cf->err = EBADMSG;
			return true;
		}
	}

	cf->clen = pl_u32(val);

	return false;
}


int sipcheck_clen(const uint8_t *p, size_t hlen, uint32_t *clen)
{
	struct clen_find cf = {0, 0, 0};

	header_lines(p, hlen, clen_line, &cf);

	if (cf.err || cf.count > 1)
		return EBADMSG;
	if (!cf.count)
		return ENOENT;

	*clen = cf.clen;

	return 0;
}


int sipcheck_raw(const uint8_t *p, size_t len, bool stream,
		 struct sipcheck *res)
{
	struct pl met, ruri, ver, major, minor;
	struct sip_msg *msg = NULL;
	size_t hlen;
	int r;

	verdict(res, 0, NULL, NULL);

	if (!p || len < 4)
		return bad(res, "truncated message");

	/* a response is not ours to judge */
	if (len >= 4 && !strncasecmp((const char *)p, "SIP/", 4))
		return 0;

	if (re_regex((const char *)p, len > 8192 ? 8192 : len,
		     "[^ \r\n]+ [^ \r\n]+ [^\r\n]+\r\n", &met, &ruri, &ver) ||
	    met.p != (const char *)p)
		return bad(res, "malformed request line");

	for (size_t i = 0; i < met.l; i++) {
		if (!is_token_char((unsigned char)met.p[i]))
			return bad(res, "method is not a token");
	}

	/* RFC 3261 25.1: a Request-URI is never a name-addr (RFC 4475
	 * 3.1.2.7) */
	if (ruri.p[0] == '<')
		return bad(res, "Request-URI in <>");

	if (pl_strcasecmp(&ver, "SIP/2.0")) {
		if (!re_regex(ver.p, ver.l, "SIP/[0-9]+.[0-9]+", &major,
			      &minor) && ver.p == major.p - 4 &&
		    major.l + minor.l + 5 == ver.l)
			return verdict(res, 505, "Version Not Supported",
				       "SIP version other than 2.0");
		return bad(res, "malformed SIP version");
	}

	hlen = sipcheck_head_len(p, len);
	if (!hlen)
		return bad(res, "headers do not end with an empty line");

	/* libre's decoder is the judge of header syntax */
	r = msgkeep_decode_bytes(&msg, p, len);
	if (r == ENOMEM)
		return 0;
	if (r)
		return bad(res, "header syntax");

	/* what libre decodes is judged later, with the decision recorded
	 * (sipcheck_msg); a stream message must still carry its length */
	r = (stream && !pl_isset(&msg->clen)) ?
		bad(res, "no Content-Length on a stream transport") : 0;
	mem_deref(msg);

	return r;
}


static bool all_digits(const struct pl *pl, size_t maxlen)
{
	if (!pl->l || pl->l > maxlen)
		return false;

	for (size_t i = 0; i < pl->l; i++) {
		if (!isdigit((unsigned char)pl->p[i]))
			return false;
	}

	return true;
}


/* 1*DIGIT whose value, leading zeros aside, has at most maxlen digits
 * (RFC 4475 3.1.1.1: "CSeq: 0009", "Max-Forwards: 0068" are well formed) */
static bool digits_upto(const struct pl *pl, size_t maxlen)
{
	struct pl sig = *pl;

	if (!all_digits(pl, pl->l))
		return false;

	while (sig.l > 1 && sig.p[0] == '0') {
		sig.p++;
		sig.l--;
	}

	return sig.l <= maxlen;
}


/* methods some part of the registrar knows (methods.c, registrar.c) */
static bool known_method(const struct pl *met)
{
	static const char *const known[] = {
		"REGISTER", "INVITE", "ACK", "CANCEL", "BYE", "OPTIONS",
		"REFER", "MESSAGE", "SUBSCRIBE", "NOTIFY", "PUBLISH", "INFO",
		"UPDATE", "PRACK", NULL
	};

	for (size_t i = 0; known[i]; i++) {
		if (!pl_strcmp(met, known[i]))
			return true;
	}

	return false;
}


static bool is_lws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}


/*
 * The display name of a To or From value (RFC 3261 25.1: name-addr =
 * [ display-name ] LAQUOT addr-spec RAQUOT, display-name = *(token LWS) /
 * quoted-string).  libre takes whatever comes before '<'; RFC 4475 3.1.2.6
 * (an unterminated quote) and 3.1.2.15 (unquoted non-token characters)
 * are rejected here.
 */
static bool display_name_ok(const struct pl *val)
{
	const char *p = val->p, *end = val->p + val->l;
	const char *start;

	while (p < end && is_lws(*p))
		p++;

	if (p < end && *p == '"') {
		for (++p; p < end && *p != '"'; p++) {
			if (*p == '\\' && ++p == end)
				return false;
		}
		if (p == end)
			return false;             /* unterminated */

		for (++p; p < end && is_lws(*p); p++)
			;

		return p < end && *p == '<';
	}

	start = p;
	while (p < end && (is_lws(*p) || is_token_char((unsigned char)*p)))
		p++;

	if (p == end || *p == '<')
		return true;

	/* addr-spec: the scheme ends at ':' (one token, no LWS) */
	if (*p == ':' && p > start) {
		bool lws = false;
		for (const char *q = start; q < p; q++)
			lws |= is_lws(*q);
		if (!lws)
			return true;
	}

	/* something else before a '<': not a display name */
	return !memchr(p, '<', (size_t)(end - p));
}


/* headers that may appear once only */
static const enum sip_hdrid single[] = {
	SIP_HDR_CALL_ID, SIP_HDR_CSEQ, SIP_HDR_FROM, SIP_HDR_TO,
	SIP_HDR_CONTENT_LENGTH, SIP_HDR_MAX_FORWARDS, SIP_HDR_EXPIRES,
};


int sipcheck_msg(const struct sip_msg *msg, bool stream,
		 struct sipcheck *res)
{
	const struct sip_hdr *hdr;
	struct pl num, met;
	size_t body;

	verdict(res, 0, NULL, NULL);

	if (!msg || !msg->req)
		return 0;

	if (pl_strcasecmp(&msg->ver, "SIP/2.0"))
		return verdict(res, 505, "Version Not Supported",
			       "SIP version other than 2.0");

	if (!pl_isset(&msg->via.sentby))
		return bad(res, "no Via");
	if (!pl_isset(&msg->from.auri))
		return bad(res, "no From");
	if (!pl_isset(&msg->to.auri))
		return bad(res, "no To");
	if (!pl_isset(&msg->callid))
		return bad(res, "no Call-ID");

	for (size_t i = 0; i < (size_t)ARRAY_SIZE(single); i++) {
		if (sip_msg_hdr_count(msg, single[i]) > 1)
			return bad(res, "a header that may appear once "
				   "appears twice");
	}

	/* CSeq = 1*DIGIT LWS Method, nothing before or after (RFC 4475);
	 * LWS may fold the line (RFC 4475 3.1.1.1) */
	hdr = sip_msg_hdr(msg, SIP_HDR_CSEQ);
	if (!hdr || re_regex(hdr->val.p, hdr->val.l,
			     "[0-9]+[ \t\r\n]+[^ \t\r\n]+",
			     &num, NULL, &met) ||
	    num.p != hdr->val.p || met.p + met.l != hdr->val.p + hdr->val.l ||
	    !digits_upto(&num, 10) || pl_u64(&num) > 0x7fffffff)
		return bad(res, "malformed CSeq");

	/* an unknown method is 501 whatever its CSeq says (RFC 4475
	 * 3.1.2.18: 501 rather than 400) */
	if (pl_cmp(&met, &msg->met) && known_method(&msg->met))
		return bad(res, "CSeq method differs from the request's");

	if (pl_isset(&msg->maxfwd) && !digits_upto(&msg->maxfwd, 3))
		return bad(res, "malformed Max-Forwards");

	if (!display_name_ok(&msg->to.val) || !display_name_ok(&msg->from.val))
		return bad(res, "malformed display name in To or From");

	if (pl_isset(&msg->clen) && !all_digits(&msg->clen, 9))
		return bad(res, "malformed Content-Length");

	if (stream && !pl_isset(&msg->clen))
		return bad(res, "no Content-Length on a stream transport");

	/* a datagram shorter than its Content-Length (R-NAT-04) */
	body = mbuf_get_left(msg->mb);
	if (pl_isset(&msg->clen) && pl_u32(&msg->clen) > body)
		return bad(res, "body shorter than Content-Length");

	if (pl_strcasecmp(&msg->uri.scheme, "sip") &&
	    pl_strcasecmp(&msg->uri.scheme, "sips") &&
	    pl_strcasecmp(&msg->uri.scheme, "tel"))
		return verdict(res, 416, "Unsupported URI Scheme",
			       "Request-URI scheme");

	return 0;
}


static bool is_fold(const char *line, const char *end)
{
	return line < end && (*line == ' ' || *line == '\t');
}


bool sipcheck_raw_header(const uint8_t *p, size_t hlen, const char *name,
			 char compact, struct pl *val)
{
	const char *s = (const char *)p, *end = s + hlen;
	const char *line = memchr(s, '\n', hlen);  /* skip the start line */

	for (line = line ? line + 1 : end; line < end; ) {
		const char *eol = memchr(line, '\n', (size_t)(end - line));
		const char *colon;
		struct pl nm, v;

		if (!eol)
			eol = end;

		/* a value goes on over folded lines (RFC 3261 7.3.1) */
		while (eol + 1 < end && is_fold(eol + 1, end)) {
			const char *n = memchr(eol + 1, '\n',
					       (size_t)(end - eol - 1));
			eol = n ? n : end;
		}

		colon = is_fold(line, end) ? NULL :
			memchr(line, ':', (size_t)(eol - line));
		if (colon) {
			nm.p = line;
			nm.l = (size_t)(colon - line);
			while (nm.l && isspace((unsigned char)nm.p[nm.l - 1]))
				nm.l--;
		}

		if (colon && (!pl_strcasecmp(&nm, name) ||
			      (compact && nm.l == 1 &&
			       (nm.p[0] | 0x20) == compact))) {
			v.p = colon + 1;
			v.l = (size_t)(eol - v.p);
			while (v.l && isspace((unsigned char)*v.p)) {
				v.p++;
				v.l--;
			}
			/* a Via line may carry several values: the first */
			if (!strcasecmp(name, "Via")) {
				const char *comma = pl_strchr(&v, ',');
				if (comma)
					v.l = (size_t)(comma - v.p);
			}
			while (v.l && isspace((unsigned char)v.p[v.l - 1]))
				v.l--;
			*val = v;
			return true;
		}

		line = eol + 1;
	}

	return false;
}


/* a Via value's params after its sent-by: ';' and a token each (the
 * branch aside, RFC 4475 3.1.2.1's ";;" must still fail) */
static bool via_ok(const struct pl *via)
{
	struct pl proto, host, rest;
	const char *semi;

	if (re_regex(via->p, via->l,
		     "SIP[ \t\r\n]*/[ \t\r\n]*2.0[ \t\r\n]*/[ \t\r\n]*[^ \t\r\n;]+"
		     "[ \t\r\n]+[^ \t\r\n;]+", NULL, NULL, NULL, NULL,
		     &proto, NULL, &host) || via->p[0] != 'S')
		return false;

	rest.p = host.p + host.l;
	rest.l = (size_t)(via->p + via->l - rest.p);

	while (rest.l) {
		struct pl par;

		while (rest.l && is_lws(*rest.p))
			pl_advance(&rest, 1);
		if (!rest.l)
			break;
		if (*rest.p != ';')
			return false;
		pl_advance(&rest, 1);

		semi = pl_strchr(&rest, ';');
		par.p = rest.p;
		par.l = semi ? (size_t)(semi - rest.p) : rest.l;
		pl_advance(&rest, par.l);

		while (par.l && is_lws(*par.p))
			pl_advance(&par, 1);
		if (!par.l || !is_token_char((unsigned char)*par.p))
			return false;
	}

	return true;
}


/* the tag parameter of a To or From value, after its URI's '>' */
static struct pl tag_of(const struct pl *val)
{
	struct pl rest = *val, tag = PL_INIT;
	const char *gt = NULL;

	for (size_t i = 0; i < val->l; i++) {
		if (val->p[i] == '>')
			gt = val->p + i;
	}
	if (gt)
		pl_advance(&rest, (size_t)(gt + 1 - val->p));

	(void)re_regex(rest.p, rest.l, ";[ \t]*tag[ \t]*=[ \t]*[^;, \t\r\n>]+",
		       NULL, NULL, NULL, &tag);

	return tag;
}


static uint64_t fnv(uint64_t h, const struct pl *pl)
{
	for (size_t i = 0; pl && i < pl->l; i++) {
		h ^= (uint8_t)pl->p[i];
		h *= 0x100000001b3ULL;
	}

	/* a separator: ("ab", "c") and ("a", "bc") differ */
	h ^= 0xff;
	h *= 0x100000001b3ULL;

	return h;
}


/*
 * RFC 3261 17.2.3 matches a request without the magic cookie by its
 * Request-URI, To tag, From tag, Call-ID, CSeq and top Via.  The key
 * leaves out the To tag and the CSeq method: the ACK of a non-2xx
 * carries the To tag of our response (the RFC compares it with that
 * response, which a key made from the request alone cannot), and an ACK
 * or CANCEL shares its INVITE's branch in RFC 3261 too (libre tells them
 * apart by method).
 */
int sipcheck_branchless(const uint8_t *p, size_t len, struct mbuf **copyp)
{
	struct pl met, ruri, via, from, ftag, callid, cseq, num;
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t hlen, at;
	struct mbuf *mb;
	int err;

	if (!p || !copyp || len < 4 || !strncasecmp((const char *)p, "SIP/", 4))
		return ENOENT;

	hlen = sipcheck_head_len(p, len);
	if (!hlen || re_regex((const char *)p, hlen, "[^ \r\n]+ [^ \r\n]+ ",
			      &met, &ruri) || met.p != (const char *)p)
		return ENOENT;

	if (!sipcheck_raw_header(p, hlen, "Via", 'v', &via) || !via.l ||
	    !re_regex(via.p, via.l, ";[ \t\r\n]*branch[ \t\r\n]*=",
		      NULL, NULL) || !via_ok(&via))
		return ENOENT;

	if (!sipcheck_raw_header(p, hlen, "From", 'f', &from))
		from = pl_null;
	if (!sipcheck_raw_header(p, hlen, "Call-ID", 'i', &callid))
		callid = pl_null;
	if (!sipcheck_raw_header(p, hlen, "CSeq", 0, &cseq) ||
	    re_regex(cseq.p, cseq.l, "[0-9]+", &num))
		num = pl_null;

	h = fnv(h, &ruri);
	ftag = tag_of(&from);
	h = fnv(h, &ftag);
	h = fnv(h, &callid);
	h = fnv(h, &num);
	h = fnv(h, &via);

	at = (size_t)(via.p + via.l - (const char *)p);
	mb = mbuf_alloc(len + 48);
	if (!mb)
		return ENOMEM;

	err  = mbuf_write_mem(mb, p, at);
	err |= mbuf_printf(mb, ";branch=" SIPCHECK_BRANCH_2543 "%016llx",
			   (unsigned long long)h);
	err |= mbuf_write_mem(mb, p + at, len - at);
	if (err) {
		mem_deref(mb);
		return ENOMEM;
	}

	mb->pos = 0;
	*copyp = mb;

	return 0;
}


bool sipcheck_unbranch(struct mbuf *mb)
{
	static const char mark[] = ";branch=" SIPCHECK_BRANCH_2543;
	const size_t ml = sizeof(mark) - 1, n = ml + 16;
	uint8_t *p, *q;
	size_t len, hlen;

	if (!mb)
		return false;

	p = mbuf_buf(mb);
	len = mbuf_get_left(mb);
	if (len < 8 || strncmp((const char *)p, "SIP/2.0 ", 8))
		return false;

	hlen = sipcheck_head_len(p, len);
	q = hlen ? memmem(p, hlen, mark, ml) : NULL;
	if (!q || (size_t)(q - p) + n > hlen)
		return false;

	for (size_t i = ml; i < n; i++) {
		if (!isxdigit(q[i]))
			return false;
	}

	memmove(q, q + n, len - (size_t)(q - p) - n);
	mb->end -= n;

	return true;
}
