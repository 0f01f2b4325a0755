/**
 * @file pc_parse.c  The few fields the checker reads, in one pass.
 *
 * libre's sip_msg_decode parses every URI and parameter (with re_regex):
 * done once more for every message of a 20,000-phone run it was a third
 * of the harness's CPU.  The checker needs the start line, the top Via's
 * sent-by and branch, Call-ID, CSeq, the two tags, Max-Forwards, Content-
 * Length and whether there is a Contact: this reads just those.  What it
 * cannot read is left to libre's decoder (pc_info_from_msg), which is the
 * judge of the grammar (T-PARSE-01).
 */

#include <string.h>
#include <strings.h>
#include <re.h>
#include "protocheck/pc_parse.h"


static bool name_is(const struct pl *n, const char *full, char compact)
{
	if (n->l == 1)
		return compact && (n->p[0] | 0x20) == compact;

	return n->l == strlen(full) && !strncasecmp(n->p, full, n->l);
}


static void trim(struct pl *pl)
{
	while (pl->l && (pl->p[0] == ' ' || pl->p[0] == '\t')) {
		++pl->p;
		--pl->l;
	}
	while (pl->l && (pl->p[pl->l - 1] == ' ' || pl->p[pl->l - 1] == '\t'))
		--pl->l;
}


/* the value of ";name=" in params, up to ; , or white space */
static void param(const struct pl *params, const char *name, struct pl *v)
{
	size_t nl = strlen(name);
	const char *p = params->p, *end = params->p + params->l;

	v->p = NULL;
	v->l = 0;

	for (; p + nl + 2 <= end; p++) {
		const char *q;

		if (*p != ';')
			continue;
		q = p + 1;
		while (q < end && (*q == ' ' || *q == '\t'))
			++q;
		if (q + nl + 1 > end || strncasecmp(q, name, nl) ||
		    q[nl] != '=')
			continue;
		q += nl + 1;
		v->p = q;
		while (q < end && *q != ';' && *q != ',' && *q != ' ' &&
		       *q != '\t' && *q != '\r')
			++q;
		v->l = (size_t)(q - v->p);
		return;
	}
}


/* the first value of a Via line: "SIP/2.0/UDP host:port;params" */
static bool via_top(const struct pl *val, struct pc_info *mi)
{
	const char *p = val->p, *end = val->p + val->l, *s;
	struct pl params;

	/* the sent-protocol, then white space */
	while (p < end && *p != ' ' && *p != '\t')
		++p;
	while (p < end && (*p == ' ' || *p == '\t'))
		++p;
	if (p >= end)
		return false;

	s = p;
	while (p < end && *p != ';' && *p != ',' && *p != ' ' && *p != '\t')
		++p;
	mi->sentby.p = s;
	mi->sentby.l = (size_t)(p - s);

	/* its params, up to the next Via value */
	params.p = p;
	while (p < end && *p != ',')
		++p;
	params.l = (size_t)(p - params.p);
	param(&params, "branch", &mi->branch);
	mi->has_branch = mi->branch.p != NULL;

	return mi->sentby.l > 0;
}


/* a From or To value's tag: after the '>' when there is a name-addr */
static void tag_of(const struct pl *val, struct pl *tag)
{
	struct pl params = *val;
	const char *gt = memchr(val->p, '>', val->l);

	if (memchr(val->p, '<', val->l) && gt) {
		params.p = gt + 1;
		params.l = (size_t)(val->p + val->l - params.p);
	}

	param(&params, "tag", tag);
	if (!tag->p) {
		tag->p = "";
		tag->l = 0;
	}
}


static bool start_line(const struct pl *line, struct pc_info *mi)
{
	static const char ver[] = "SIP/2.0";
	const char *sp;

	if (line->l > 12 && !memcmp(line->p, "SIP/2.0 ", 8)) {
		const char *c = line->p + 8;

		if (c[0] < '1' || c[0] > '6' || c[1] < '0' || c[1] > '9' ||
		    c[2] < '0' || c[2] > '9' || c[3] != ' ')
			return false;
		mi->req = false;
		mi->scode = (uint16_t)((c[0] - '0') * 100 + (c[1] - '0') * 10 +
				       (c[2] - '0'));
		mi->reason.p = c + 4;
		mi->reason.l = line->l - 12;
		return true;
	}

	sp = memchr(line->p, ' ', line->l);
	if (!sp || sp == line->p || line->l < sizeof(ver) + 3 ||
	    memcmp(line->p + line->l - (sizeof(ver) - 1), ver,
		   sizeof(ver) - 1))
		return false;

	mi->req = true;
	mi->met.p = line->p;
	mi->met.l = (size_t)(sp - line->p);

	return true;
}


int pc_info_parse(struct pc_info *mi, const uint8_t *buf, size_t len)
{
	const char *p = (const char *)buf, *end = p + len, *eol;
	bool first = true, via = false, callid = false, cseq = false;
	bool from = false, to = false;

	memset(mi, 0, sizeof(*mi));

	for (;;) {
		struct pl line, name, val;
		const char *colon;

		eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			return EBADMSG;   /* no end of the headers */

		line.p = p;
		line.l = (size_t)(eol - p);
		if (line.l && line.p[line.l - 1] == '\r')
			--line.l;
		p = eol + 1;

		if (first) {
			if (!start_line(&line, mi))
				return EBADMSG;
			first = false;
			continue;
		}

		if (!line.l)
			break;            /* the end of the headers */

		/* a folded line continues the one before: nothing here */
		if (line.p[0] == ' ' || line.p[0] == '\t')
			continue;

		colon = memchr(line.p, ':', line.l);
		if (!colon)
			return EBADMSG;
		name.p = line.p;
		name.l = (size_t)(colon - line.p);
		trim(&name);
		val.p = colon + 1;
		val.l = (size_t)(line.p + line.l - val.p);
		trim(&val);

		if (name_is(&name, "Via", 'v')) {
			if (!via && !via_top(&val, mi))
				return EBADMSG;
			via = true;
		}
		else if (name_is(&name, "Call-ID", 'i')) {
			mi->callid = val;
			callid = true;
		}
		else if (name_is(&name, "CSeq", 0)) {
			struct pl num, met;

			if (re_regex(val.p, val.l, "[0-9]+[ \t]+[^ \t]+", &num,
				     NULL, &met))
				return EBADMSG;
			mi->cseq = pl_u32(&num);
			mi->cseq_met = met;
			cseq = true;
		}
		else if (name_is(&name, "From", 'f')) {
			tag_of(&val, &mi->from_tag);
			from = true;
		}
		else if (name_is(&name, "To", 't')) {
			tag_of(&val, &mi->to_tag);
			to = true;
		}
		else if (name_is(&name, "Max-Forwards", 0)) {
			mi->maxfwd = val;
			++mi->maxfwd_n;
		}
		else if (name_is(&name, "Content-Length", 'l')) {
			mi->clen = val;
			mi->has_clen = true;
		}
		else if (name_is(&name, "Contact", 'm')) {
			mi->has_contact = true;
		}
	}

	if (!via || !callid || !cseq || !from || !to)
		return EBADMSG;

	mi->body = (size_t)(end - p);

	return 0;
}


void pc_info_from_msg(struct pc_info *mi, const struct sip_msg *msg)
{
	memset(mi, 0, sizeof(*mi));

	mi->req = msg->req;
	mi->met = msg->met;
	mi->scode = msg->scode;
	mi->reason = msg->reason;
	mi->sentby = msg->via.sentby;
	mi->branch = msg->via.branch;
	mi->has_branch = pl_isset(&msg->via.branch);
	mi->callid = msg->callid;
	mi->cseq = msg->cseq.num;
	mi->cseq_met = msg->cseq.met;
	mi->from_tag = msg->from.tag;
	mi->to_tag = msg->to.tag;
	mi->maxfwd = msg->maxfwd;
	mi->maxfwd_n = sip_msg_hdr_count(msg, SIP_HDR_MAX_FORWARDS);
	mi->clen = msg->clen;
	mi->has_clen = pl_isset(&msg->clen);
	mi->has_contact = sip_msg_hdr(msg, SIP_HDR_CONTACT) != NULL;
	mi->body = mbuf_get_left(msg->mb);
}
