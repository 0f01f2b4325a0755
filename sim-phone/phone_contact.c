/**
 * @file phone_contact.c  Contacts of a simulated phone: building them,
 * finding ours in a 2xx and the expiry it granted; extra header lines
 */

#include <string.h>
#include <re.h>
#include "vtimer.h"
#include "phone.h"
#include "phone_digest.h"
#include "phone_priv.h"


static void strv_destructor(void *arg)
{
	struct phone_strv *sv = arg;
	size_t i;

	for (i = 0; i < sv->n; i++)
		mem_deref(sv->v[i]);
}


static int strv_new(struct phone_strv **svp, size_t n)
{
	struct phone_strv *sv;

	sv = mem_zalloc(sizeof(*sv) + n * sizeof(sv->v[0]), strv_destructor);
	if (!sv)
		return ENOMEM;

	sv->n = n;
	*svp = sv;

	return 0;
}


/* copy s with every "{local}" replaced by laddr as IP:PORT */
static int subst_local(char **dstp, const char *s, const struct sa *laddr)
{
	static const char key[] = "{local}";
	struct mbuf *mb;
	const char *p;
	int err = 0;

	mb = mbuf_alloc(strlen(s) + 32);
	if (!mb)
		return ENOMEM;

	while ((p = strstr(s, key))) {
		err |= mbuf_write_mem(mb, (const uint8_t *)s, p - s);
		err |= mbuf_printf(mb, "%J", laddr);
		s = p + sizeof(key) - 1;
	}

	err |= mbuf_write_str(mb, s);
	if (err)
		goto out;

	mb->pos = 0;
	err = mbuf_strdup(mb, dstp, mbuf_get_left(mb));

 out:
	mem_deref(mb);

	return err;
}


/**
 * Copy Contact values, replacing "{local}" by the local IP:PORT
 *
 * @param svp   New string list
 * @param v     Contact values (each non-empty)
 * @param n     Number of values
 * @param laddr Local address
 *
 * @return 0 if success, otherwise errorcode
 */
int phone_strv_alloc(struct phone_strv **svp, const char * const *v,
		     size_t n, const struct sa *laddr)
{
	struct phone_strv *sv;
	size_t i;
	int err;

	if (!svp || (n && !v) || !laddr)
		return EINVAL;

	for (i = 0; i < n; i++) {
		if (!str_isset(v[i]))
			return EINVAL;
	}

	err = strv_new(&sv, n);
	if (err)
		return err;

	for (i = 0; i < n; i++) {
		err = subst_local(&sv->v[i], v[i], laddr);
		if (err)
			goto out;
	}

 out:
	if (err)
		mem_deref(sv);
	else
		*svp = sv;

	return err;
}


int phone_contact_default(struct phone_strv **svp, const char *user,
			  const struct sa *laddr, enum sip_transp tp)
{
	struct phone_strv *sv;
	int err;

	if (!svp || !user || !laddr)
		return EINVAL;

	err = strv_new(&sv, 1);
	if (err)
		return err;

	err = re_sdprintf(&sv->v[0], "<sip:%s@%J;transport=%s>", user, laddr,
			  tp == SIP_TRANSP_TLS ? "tls" :
			  tp == SIP_TRANSP_TCP ? "tcp" : "udp");
	if (err)
		mem_deref(sv);
	else
		*svp = sv;

	return err;
}


static uint16_t uri_port(const struct uri *uri)
{
	if (uri->port)
		return uri->port;

	return pl_strcasecmp(&uri->scheme, "sips") ? SIP_PORT : SIP_PORT_TLS;
}


/* RFC 3261 19.1.4 in short: same user, host and port is the same
 * binding for a registrar; parameters are left out */
static bool uri_same(const struct uri *a, const struct uri *b)
{
	return !pl_casecmp(&a->scheme, &b->scheme) &&
		!pl_cmp(&a->user, &b->user) &&
		!pl_casecmp(&a->host, &b->host) &&
		uri_port(a) == uri_port(b);
}


/**
 * Tell whether a Contact address is one of ours
 *
 * @param ours Our Contact values
 * @param addr A decoded Contact
 *
 * @return true if it names one of our contacts
 */
bool phone_contact_ours(const struct phone_strv *ours,
			const struct sip_addr *addr)
{
	size_t i;

	if (!ours || !addr)
		return false;

	for (i = 0; i < ours->n; i++) {
		struct sip_addr mine;
		struct pl pl;

		pl_set_str(&pl, ours->v[i]);
		if (sip_addr_decode(&mine, &pl))
			continue;        /* "*" or not an address */

		if (uri_same(&mine.uri, &addr->uri))
			return true;
	}

	return false;
}


struct granted {
	const struct phone_strv *ours;
	uint32_t asked;
	uint32_t min;
	bool found;
	bool any;
};


static bool contact_handler(const struct sip_hdr *hdr,
			    const struct sip_msg *msg, void *arg)
{
	struct granted *g = arg;
	struct sip_addr addr;
	struct pl v;
	uint32_t e;

	g->any = true;

	/* sip_addr_decode() fails on "*": such a value is simply not ours */
	if (sip_addr_decode(&addr, &hdr->val))
		return false;

	if (!phone_contact_ours(g->ours, &addr))
		return false;

	if (!msg_param_decode(&addr.params, "expires", &v))
		e = pl_u32(&v);
	else if (pl_isset(&msg->expires))
		e = pl_u32(&msg->expires);
	else
		e = g->asked;

	if (!g->found || e < g->min)
		g->min = e;

	g->found = true;

	return false;
}


/**
 * Find the expiry a 2xx granted to our contacts (the shortest if several):
 * the contact's expires parameter, else the Expires header, else what we
 * asked.  A 2xx listing no contact at all is taken as granting the Expires
 * header or what we asked (registrars that do not echo bindings).
 *
 * @param grantedp Granted expiry in seconds
 * @param msg      2xx response
 * @param ours     Our Contact values
 * @param asked    Expiry we asked for
 *
 * @return 0 if found, ENOENT if the 2xx lists contacts but none of ours
 */
int phone_granted_find(uint32_t *grantedp, const struct sip_msg *msg,
		       const struct phone_strv *ours, uint32_t asked)
{
	struct granted g;

	if (!grantedp || !msg)
		return EINVAL;

	memset(&g, 0, sizeof(g));
	g.ours  = ours;
	g.asked = asked;

	sip_msg_hdr_apply(msg, true, SIP_HDR_CONTACT, contact_handler, &g);

	if (g.found)
		*grantedp = g.min;
	else if (g.any)
		return ENOENT;
	else
		*grantedp = pl_isset(&msg->expires) ?
			pl_u32(&msg->expires) : asked;

	return 0;
}


/**
 * Normalise header lines: each non-empty line ends with CRLF
 *
 * @param linesp Normalised text (NULL when there is no line)
 * @param text   Lines separated by "\n" or "\r\n" (may be NULL)
 *
 * @return 0 if success, otherwise errorcode
 */
int phone_lines_norm(char **linesp, const char *text)
{
	struct mbuf *mb;
	int err = 0;

	if (!linesp)
		return EINVAL;

	*linesp = NULL;
	if (!str_isset(text))
		return 0;

	mb = mbuf_alloc(strlen(text) + 16);
	if (!mb)
		return ENOMEM;

	while (*text) {
		const char *nl = strchr(text, '\n');
		size_t len = nl ? (size_t)(nl - text) : strlen(text);
		size_t l = len;

		while (l && (text[l - 1] == '\r' || text[l - 1] == ' '))
			--l;

		if (l) {
			err |= mbuf_write_mem(mb, (const uint8_t *)text, l);
			err |= mbuf_write_str(mb, "\r\n");
		}

		text += len + (nl ? 1 : 0);
	}

	if (err || !mb->end)
		goto out;

	mb->pos = 0;
	err = mbuf_strdup(mb, linesp, mbuf_get_left(mb));

 out:
	mem_deref(mb);

	return err;
}
