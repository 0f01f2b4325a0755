/**
 * @file aor.c  AOR and contact URI canonicalisation
 */

#include <ctype.h>
#include <string.h>
#include <re.h>
#include "aor.h"


static int print_lower(struct re_printf *pf, const struct pl *pl)
{
	int err = 0;

	for (size_t i = 0; i < pl->l && !err; i++)
		err = re_hprintf(pf, "%c", tolower((unsigned char)pl->p[i]));

	return err;
}


/*
 * The user part unescaped (RFC 3261 19.1.4), except an escaped NUL: the
 * key is a C string and must not end there, or sip:%00@h and sip:%00%00@h
 * would be one binding (RFC 4475 3.1.1.4).  "%00" stays as it is; no
 * unescaped URI holds a NUL, so the key is still canonical.
 */
static int print_user(struct re_printf *pf, const struct pl *user)
{
	struct pl rest = *user;
	int err = 0;

	while (!err && rest.l) {
		struct pl seg = rest;
		const char *nul = NULL;

		for (size_t i = 0; i + 2 < rest.l; i++) {
			if (rest.p[i] == '%' && rest.p[i + 1] == '0' &&
			    rest.p[i + 2] == '0') {
				nul = rest.p + i;
				break;
			}
		}

		if (nul)
			seg.l = (size_t)(nul - rest.p);

		if (seg.l)
			err = uri_user_unescape(pf, &seg);
		if (!err && nul)
			err = re_hprintf(pf, "%%00");

		pl_advance(&rest, seg.l + (nul ? 3 : 0));
	}

	return err;
}


int aor_key(char **keyp, const struct uri *uri)
{
	if (!keyp || !uri)
		return EINVAL;

	return re_sdprintf(keyp, "%H@%H", print_user, &uri->user,
			   print_lower, &uri->host);
}


/* the parameters that must match whenever either URI has them */
static const char *const match_params[] = {
	"maddr", "method", "transport", "ttl", "user", NULL
};


int contact_key(char **keyp, const struct uri *uri)
{
	struct mbuf *mb;
	int err;

	if (!keyp || !uri)
		return EINVAL;

	mb = mbuf_alloc(128);
	if (!mb)
		return ENOMEM;

	err  = mbuf_printf(mb, "%H", print_lower, &uri->scheme);
	if (pl_isset(&uri->user)) {
		err |= mbuf_printf(mb, ":%H", print_user, &uri->user);
		if (pl_isset(&uri->password))
			err |= mbuf_printf(mb, ":%r", &uri->password);
		err |= mbuf_printf(mb, "@");
	}
	else {
		err |= mbuf_printf(mb, ":");
	}

	err |= mbuf_printf(mb, "%H", print_lower, &uri->host);
	if (uri->port)
		err |= mbuf_printf(mb, ":%u", uri->port);

	/* match_params is sorted, so the key's order is fixed */
	for (size_t i = 0; match_params[i] && !err; i++) {
		struct pl name, val;

		pl_set_str(&name, match_params[i]);
		if (uri_param_get(&uri->params, &name, &val))
			continue;

		err = mbuf_printf(mb, ";%s=%H", match_params[i],
				  print_lower, &val);
	}

	if (!err) {
		mb->pos = 0;
		err = mbuf_strdup(mb, keyp, mb->end);
	}

	mem_deref(mb);

	return err;
}
