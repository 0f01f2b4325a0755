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


int aor_key(char **keyp, const struct uri *uri)
{
	if (!keyp || !uri)
		return EINVAL;

	return re_sdprintf(keyp, "%H@%H", uri_user_unescape, &uri->user,
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
		err |= mbuf_printf(mb, ":%H", uri_user_unescape, &uri->user);
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
