/**
 * @file codecs.c  The codecs an SDP body offers, by name (codecs.h).
 */

#include <string.h>
#include <re.h>
#include "phone/codecs.h"


/* the static audio payload types of RFC 3551 (table 4): an offer or an
 * answer may list them on the m= line with no a=rtpmap */
static const char *const static_pt[] = {
	[0] = "PCMU/8000",   [3] = "GSM/8000",     [4] = "G723/8000",
	[5] = "DVI4/8000",   [6] = "DVI4/16000",   [7] = "LPC/8000",
	[8] = "PCMA/8000",   [9] = "G722/8000",    [10] = "L16/44100/2",
	[11] = "L16/44100",  [12] = "QCELP/8000",  [13] = "CN/8000",
	[14] = "MPA/90000",  [15] = "G728/8000",   [16] = "DVI4/11025",
	[17] = "DVI4/22050", [18] = "G729/8000",
};


/* the encoding an a=rtpmap line of the body gives payload type pt */
static bool rtpmap(const char *p, size_t n, const struct pl *pt,
		   struct pl *name)
{
	struct pl rest, num;

	rest.p = p;
	rest.l = n;

	while (rest.l) {
		const char *m = memmem(rest.p, rest.l, "a=rtpmap:", 9);
		const char *eol;

		if (!m)
			return false;

		eol = memchr(m, '\n', (size_t)(rest.p + rest.l - m));
		if (!eol)
			eol = rest.p + rest.l;

		if (!re_regex(m, (size_t)(eol - m),
			      "a=rtpmap:[0-9]+ [^ \r\n]+", &num, name) &&
		    !pl_cmp(&num, pt))
			return true;

		rest.l -= (size_t)(eol - rest.p);
		rest.p = eol;
	}

	return false;
}


void codecs_of_sdp(char *buf, size_t sz, const char *p, size_t n)
{
	struct pl fmts, pt, name;
	size_t used = 0;

	buf[0] = '\0';

	if (re_regex(p, n, "m=audio [0-9]+ [^ ]+ [^\r\n]+", NULL, NULL,
		     &fmts))
		return;

	while (!re_regex(fmts.p, fmts.l, "[0-9]+", &pt)) {
		unsigned v = pl_u32(&pt);
		int k;

		if (rtpmap(p, n, &pt, &name))
			k = re_snprintf(buf + used, sz - used, "%s%r",
					used ? " " : "", &name);
		else if (v < ARRAY_SIZE(static_pt) && static_pt[v])
			k = re_snprintf(buf + used, sz - used, "%s%s",
					used ? " " : "", static_pt[v]);
		else
			k = re_snprintf(buf + used, sz - used,
					"%spayload type %r", used ? " " : "",
					&pt);
		if (k > 0)
			used += (size_t)k;
		if (k <= 0 || used >= sz - 1)
			break;

		fmts.l -= (size_t)(pt.p + pt.l - fmts.p);
		fmts.p = pt.p + pt.l;
	}
}


void sdp_sec_of(char *proto, size_t psz, char *crypto, size_t csz,
		const char *p, size_t n)
{
	struct pl tp, rest, suite;
	size_t used = 0;

	proto[0] = '\0';
	crypto[0] = '\0';

	if (!re_regex(p, n, "m=audio [0-9]+ [^ \r\n]+", NULL, &tp))
		(void)pl_strcpy(&tp, proto, psz);

	rest.p = p;
	rest.l = n;
	while (used < csz - 1 &&
	       !re_regex(rest.p, rest.l, "a=crypto:[0-9]+[ ]+[^ \r\n]+",
			 NULL, NULL, &suite)) {
		int k = re_snprintf(crypto + used, csz - used, "%s%r",
				    used ? " " : "", &suite);

		if (k <= 0)
			break;
		used += (size_t)k;
		rest.l -= (size_t)(suite.p + suite.l - rest.p);
		rest.p = suite.p + suite.l;
	}
}
