/**
 * @file sipcheck.c  Well-formedness checks for requests
 */

#include <ctype.h>
#include <string.h>
#include <strings.h>
#include <re.h>
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
	for (size_t i = 0; i + 1 < len; i++) {
		if (p[i] != '\n')
			continue;
		if (p[i + 1] == '\n')
			return i + 2;
		if (i + 2 < len && p[i + 1] == '\r' && p[i + 2] == '\n')
			return i + 3;
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
	struct mbuf *mb;
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
	mb = mbuf_alloc(len);
	if (!mb)
		return 0;
	(void)mbuf_write_mem(mb, p, len);
	mb->pos = 0;
	r = sip_msg_decode(&msg, mb);
	mem_deref(mb);

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
