/**
 * @file phone_digest.c  Digest answers of the simulated phone (MD5 only)
 */

#include <string.h>
#include <re.h>
#include "phone.h"
#include "phone_digest.h"


struct pick {
	struct httpauth_digest_chall chall;
	bool found;
};


static bool token_in_list(const struct pl *list, const char *token)
{
	struct pl rest = *list, tok;

	/* qop="auth,auth-int": comma separated, blanks allowed */
	while (!re_regex(rest.p, rest.l, "[ \t]*[^ \t,]+[ \t]*[,]*",
			 NULL, &tok, NULL, NULL)) {

		if (!pl_strcasecmp(&tok, token))
			return true;

		pl_advance(&rest, tok.p + tok.l - rest.p);
	}

	return false;
}


static bool chall_handler(const struct sip_hdr *hdr,
			  const struct sip_msg *msg, void *arg)
{
	struct pick *pick = arg;
	struct httpauth_digest_chall c;
	(void)msg;

	if (httpauth_digest_challenge_decode(&c, &hdr->val))
		return false;

	if (pl_isset(&c.algorithm) && pl_strcasecmp(&c.algorithm, "MD5"))
		return false;

	/* qop offered without "auth" (auth-int only): cannot answer */
	if (pl_isset(&c.qop) && !token_in_list(&c.qop, "auth"))
		return false;

	pick->chall = c;
	pick->found = true;

	return true;
}


/**
 * Take the challenge of a 401 or 407 response
 *
 * @param dg    Digest state (the nonce count restarts on a new nonce)
 * @param msg   401/407 response
 * @param stale Set to whether the challenge said stale=true (optional)
 *
 * @return 0 if a usable MD5 challenge was found, ENOENT if none
 */
int phone_digest_challenge(struct phone_digest *dg,
			   const struct sip_msg *msg, bool *stale)
{
	struct pick pick;
	bool proxy, same;
	char *realm = NULL, *nonce = NULL, *opaque = NULL;
	int err;

	if (!dg || !msg)
		return EINVAL;

	memset(&pick, 0, sizeof(pick));
	proxy = msg->scode == 407;

	sip_msg_hdr_apply(msg, true, proxy ? SIP_HDR_PROXY_AUTHENTICATE :
			  SIP_HDR_WWW_AUTHENTICATE, chall_handler, &pick);
	if (!pick.found)
		return ENOENT;

	err  = pl_strdup(&realm, &pick.chall.realm);
	err |= pl_strdup(&nonce, &pick.chall.nonce);
	if (pl_isset(&pick.chall.opaque))
		err |= pl_strdup(&opaque, &pick.chall.opaque);
	if (err) {
		err = ENOMEM;
		goto out;
	}

	same = dg->nonce && !strcmp(dg->nonce, nonce);

	mem_deref(dg->realm);
	mem_deref(dg->nonce);
	mem_deref(dg->opaque);
	dg->realm  = realm;
	dg->nonce  = nonce;
	dg->opaque = opaque;
	realm = nonce = opaque = NULL;

	dg->qop_auth = pl_isset(&pick.chall.qop);
	dg->proxy    = proxy;
	if (!same)
		dg->nc = 0;

	if (stale)
		*stale = !pl_strcasecmp(&pick.chall.stale, "true");

 out:
	mem_deref(realm);
	mem_deref(nonce);
	mem_deref(opaque);

	return err;
}


static const char *hdr_name(const struct phone_digest *dg)
{
	switch (dg->header) {

	case PHONE_AUTHHDR_AUTHORIZATION: return "Authorization";
	case PHONE_AUTHHDR_PROXY:         return "Proxy-Authorization";
	default: return dg->proxy ? "Proxy-Authorization" : "Authorization";
	}
}


/**
 * Print the credentials header line answering the remembered challenge;
 * each call is one more use of the nonce (nc + 1) with a fresh cnonce
 *
 * @param hdrp     Header line, "Name: Digest ...\r\n" (mem string)
 * @param dg       Digest state with a challenge
 * @param user     Digest username
 * @param password Password
 * @param method   Request method
 * @param uri      Request-URI (the digest uri)
 *
 * @return 0 if success, otherwise errorcode
 */
int phone_digest_header(char **hdrp, struct phone_digest *dg,
			const char *user, const char *password,
			const char *method, const char *uri)
{
	uint8_t ha1[MD5_SIZE], ha2[MD5_SIZE], resp[MD5_SIZE];
	uint64_t cnonce = rand_u64();
	char opaque[512] = "";
	int err;

	if (!hdrp || !phone_digest_isset(dg) || !user || !password ||
	    !method || !uri)
		return EINVAL;

	/* a replaying phone answers every time with the nc it used first */
	if (!dg->replay || !dg->nc)
		++dg->nc;

	err  = md5_printf(ha1, "%s:%s:%s", user, dg->realm, password);
	err |= md5_printf(ha2, "%s:%s", method, uri);
	if (err)
		return err;

	if (dg->qop_auth)
		err = md5_printf(resp, "%w:%s:%08x:%016llx:auth:%w",
				 ha1, sizeof(ha1), dg->nonce, dg->nc,
				 cnonce, ha2, sizeof(ha2));
	else
		err = md5_printf(resp, "%w:%s:%w", ha1, sizeof(ha1),
				 dg->nonce, ha2, sizeof(ha2));
	if (err)
		return err;

	if (dg->opaque &&
	    re_snprintf(opaque, sizeof(opaque), ", opaque=\"%s\"",
			dg->opaque) < 0)
		return ENOMEM;

	if (dg->qop_auth)
		return re_sdprintf(hdrp, "%s: Digest username=\"%s\""
				   ", realm=\"%s\", nonce=\"%s\", uri=\"%s\""
				   ", response=\"%w\", algorithm=MD5"
				   ", cnonce=\"%016llx\", qop=auth, nc=%08x"
				   "%s\r\n",
				   hdr_name(dg), user, dg->realm, dg->nonce,
				   uri, resp, sizeof(resp), cnonce, dg->nc,
				   opaque);

	return re_sdprintf(hdrp, "%s: Digest username=\"%s\""
			   ", realm=\"%s\", nonce=\"%s\", uri=\"%s\""
			   ", response=\"%w\", algorithm=MD5%s\r\n",
			   hdr_name(dg), user, dg->realm, dg->nonce, uri,
			   resp, sizeof(resp), opaque);
}


bool phone_digest_isset(const struct phone_digest *dg)
{
	return dg && dg->realm && dg->nonce;
}


void phone_digest_reset(struct phone_digest *dg)
{
	if (!dg)
		return;

	dg->realm  = mem_deref(dg->realm);
	dg->nonce  = mem_deref(dg->nonce);
	dg->opaque = mem_deref(dg->opaque);
	dg->qop_auth = false;
	dg->proxy = false;
	dg->nc = 0;
}
