/**
 * @file config/domains.c  The domains section: names split into
 * {label}.sip.{region}.{suffix}, and (once every section is read) their
 * credential lists and voice applications resolved by name.
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <re.h>
#include "config/schema.h"

enum {
	MAX_HOST       = 253,
	MAX_HOST_LABEL = 63,
};


static bool host_label_ok(const char *p, size_t n)
{
	if (n == 0 || n > MAX_HOST_LABEL || p[0] == '-' || p[n-1] == '-')
		return false;

	for (size_t i = 0; i < n; i++) {
		char ch = p[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '-'))
			return false;
	}

	return true;
}


/* {label}.sip.{region}.{suffix}: every part a valid DNS label (or more) */
static int domain_split(struct domain_conf *d, const char *name)
{
	const char *dot1, *dot2, *dot3, *p;
	int err;

	if (strlen(name) > MAX_HOST)
		return EINVAL;

	for (p = name; ; ) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);

		if (!host_label_ok(p, n))
			return EINVAL;
		if (!dot)
			break;
		p = dot + 1;
	}

	dot1 = strchr(name, '.');
	dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
	dot3 = dot2 ? strchr(dot2 + 1, '.') : NULL;
	if (!dot3 || dot2 - dot1 != 4 || strncasecmp(dot1 + 1, "sip", 3))
		return EINVAL;

	err  = re_sdprintf(&d->label, "%b", name, (size_t)(dot1 - name));
	err |= re_sdprintf(&d->region, "%b", dot2 + 1,
			   (size_t)(dot3 - dot2 - 1));
	err |= str_dup(&d->suffix, dot3 + 1);

	return err ? ENOMEM : 0;
}


/* domains[].name: its form, and not a second time */
int cfg_check_domain_name(struct loader *ld, const struct ynode *n,
			  const char *name, void *base)
{
	struct domain_conf *d = base;
	int err;

	err = domain_split(d, name);
	if (err == EINVAL)
		return ydoc_errorf(ld->doc, n, "domain name '%s' must have "
				   "the form {label}.sip.{region}.{suffix}, "
				   "e.g. example.sip.us1.twilio.com", name);
	if (err)
		return err;

	for (size_t j = 0; j < ld->item; j++) {
		const struct ynode *prev;

		if (strcasecmp(ld->cfg->domainv[j].name, name))
			continue;

		prev = ynode_get(ynode_item(ld->domains, j), "name");
		return ydoc_errorf(ld->doc, n, "domain '%s' is listed twice "
				   "(first at line %u)", name,
				   prev ? prev->line : 0u);
	}

	return 0;
}


int cfg_check_domain_region(struct loader *ld, const struct ynode *n,
			    const char *region, void *base)
{
	const struct domain_conf *d = base;

	if (strcasecmp(region, d->region))
		return ydoc_errorf(ld->doc, n, "region '%s' does not match "
				   "the region '%s' in domain name '%s'",
				   region, d->region, d->name);

	return 0;
}


int cfg_load_domains(struct loader *ld, const struct cfg_row *row,
		     const struct ynode *n, void *base)
{
	struct reg_config *cfg = base;
	int err;

	err = ynode_expect(ld->doc, n, YNODE_SEQ, row->what);
	if (err)
		return err;

	if (n->count < 1 || n->count > CFG_MAX_DOMAINS)
		return ydoc_errorf(ld->doc, n, "domains must list 1 to %d "
				   "domains, not %zu", CFG_MAX_DOMAINS,
				   n->count);

	cfg->domainv = mem_zalloc(n->count * sizeof(*cfg->domainv), NULL);
	if (!cfg->domainv)
		return ENOMEM;

	cfg->domainc = (uint32_t)n->count;
	ld->domains = n;

	return cfg_walk_items(ld, "domains[]", n, cfg->domainv,
			      sizeof(*cfg->domainv), "domain #%zu", NULL);
}


/* `voice_application:` of a domain or a number, by name */
int cfg_resolve_app(struct loader *ld, const struct ynode *map,
		    const struct application_conf **appp)
{
	const struct ynode *n = ynode_get(map, "voice_application");
	const char *name;
	int err;

	if (!n)
		return 0;

	err = ynode_str(ld->doc, n, &name);
	if (err)
		return err;

	*appp = reg_config_app(ld->cfg, name);
	if (!*appp)
		return ydoc_errorf(ld->doc, n, "unknown application '%s' "
				   "(see applications)", name);

	return 0;
}


static int list_index_of(const struct reg_config *cfg, const char *name,
			 uint32_t *idx)
{
	for (uint32_t i = 0; i < cfg->listc; i++) {
		if (!strcmp(cfg->listv[i].name, name)) {
			*idx = i;
			return 0;
		}
	}

	return ENOENT;
}


/* the names of one mapping (registration or calls) into indexes */
static int resolve_names(struct loader *ld, const struct ynode *n,
			 const char *what, uint32_t *idxv, uint32_t *idxc)
{
	struct ydoc *doc = ld->doc;
	int err;

	err = ynode_expect(doc, n, YNODE_SEQ, what);
	if (err)
		return err;

	if (n->count > CONFIG_MAX_LISTS_PER_DOMAIN)
		return ydoc_errorf(doc, n, "%s may name at most %d credential "
				   "lists", what, CONFIG_MAX_LISTS_PER_DOMAIN);

	for (size_t i = 0; i < n->count; i++) {
		const struct ynode *item = ynode_item(n, i);
		const char *name;
		uint32_t idx;

		err = ynode_str(doc, item, &name);
		if (err)
			return err;

		if (list_index_of(ld->cfg, name, &idx))
			return ydoc_errorf(doc, item, "unknown credential "
					   "list '%s'", name);

		for (uint32_t j = 0; j < *idxc; j++) {
			if (idxv[j] == idx)
				return ydoc_errorf(doc, item, "credential "
						   "list '%s' is named twice",
						   name);
		}

		idxv[(*idxc)++] = idx;
	}

	return 0;
}


int cfg_resolve_domains(struct loader *ld)
{
	const struct cfg_row *row = cfg_row_find("domains[].credential_lists");
	struct ydoc *doc = ld->doc;
	int err;

	for (uint32_t i = 0; i < ld->cfg->domainc; i++) {
		struct domain_conf *d = &ld->cfg->domainv[i];
		const struct ynode *m, *v;

		err = cfg_resolve_app(ld, ynode_item(ld->domains, i), &d->app);
		if (err)
			return err;

		m = ynode_get(ynode_item(ld->domains, i), "credential_lists");
		if (!m)
			continue;

		err = cfg_expect_map(doc, row, m);
		if (err)
			return err;

		v = ynode_get(m, "registration");
		if (v) {
			err = resolve_names(ld, v, "registration",
					    d->reg_listv, &d->reg_listc);
			if (err)
				return err;
		}

		v = ynode_get(m, "calls");
		if (v) {
			err = resolve_names(ld, v, "calls", d->call_listv,
					    &d->call_listc);
			if (err)
				return err;
		}
	}

	return 0;
}


int cfg_print_domain_region(struct re_printf *pf, const struct cfg_row *row,
			    const struct reg_config *cfg, const void *base,
			    unsigned indent, bool docs)
{
	const struct domain_conf *d = base;
	int err;

	(void)cfg;
	(void)docs;

	err  = re_hprintf(pf, "%b%s: ", CFG_INDENT(indent), cfg_row_key(row));
	err |= cfg_print_text(pf, d->region);

	return err | re_hprintf(pf, "\n");
}


static int print_names(struct re_printf *pf, const struct reg_config *cfg,
		       const uint32_t *idxv, uint32_t idxc)
{
	int err = re_hprintf(pf, "[");

	for (uint32_t i = 0; i < idxc; i++) {
		err |= re_hprintf(pf, "%s", i ? ", " : "");
		err |= cfg_print_text(pf, cfg->listv[idxv[i]].name);
	}

	return err | re_hprintf(pf, "]\n");
}


int cfg_print_domain_lists(struct re_printf *pf, const struct cfg_row *row,
			   const struct reg_config *cfg, const void *base,
			   unsigned indent, bool docs)
{
	const struct domain_conf *d = base;
	const struct cfg_row *reg, *calls;
	int err;

	reg   = cfg_row_find("domains[].credential_lists.registration");
	calls = cfg_row_find("domains[].credential_lists.calls");

	err = re_hprintf(pf, "%b%s:\n", CFG_INDENT(indent), cfg_row_key(row));

	if (docs)
		err |= cfg_print_doc(pf, reg, indent + 2);
	err |= re_hprintf(pf, "%bregistration: ", CFG_INDENT(indent + 2));
	err |= print_names(pf, cfg, d->reg_listv, d->reg_listc);

	if (docs)
		err |= cfg_print_doc(pf, calls, indent + 2);
	err |= re_hprintf(pf, "%bcalls: ", CFG_INDENT(indent + 2));
	err |= print_names(pf, cfg, d->call_listv, d->call_listc);

	return err;
}


/* voice_application of a domain or a number: the row points at its app */
int cfg_print_app_name(struct re_printf *pf, const struct cfg_row *row,
		       const struct reg_config *cfg, const void *base,
		       unsigned indent, bool docs)
{
	const struct application_conf *app;
	int err;

	(void)cfg;
	(void)docs;

	memcpy(&app, (const uint8_t *)base + row->off, sizeof(app));

	if (!app)
		return re_hprintf(pf, "%b# %s: (none)\n", CFG_INDENT(indent),
				  cfg_row_key(row));

	err  = re_hprintf(pf, "%b%s: ", CFG_INDENT(indent), cfg_row_key(row));
	err |= cfg_print_text(pf, app->name);

	return err | re_hprintf(pf, "\n");
}
