/**
 * @file config/numbers.c  What calls use: the account's numbers, its
 * verified caller IDs, the TwiML applications (checked at load), and the
 * outside network's listed numbers.
 */

#include <errno.h>
#include <string.h>
#include <re.h>
#include "twiml.h"
#include "config/schema.h"


/* numbers[].number: not a second time */
int cfg_check_number(struct loader *ld, const struct ynode *n, const char *s,
		     void *base)
{
	(void)base;

	if (reg_config_number(ld->cfg, s))
		return ydoc_errorf(ld->doc, n, "number '%s' is listed twice",
				   s);

	return 0;
}


int cfg_load_numbers(struct loader *ld, const struct cfg_row *row,
		     const struct ynode *n, void *base)
{
	struct reg_config *cfg = base;
	void *numberv = NULL;
	int err;

	err = cfg_items(ld, row, n, CFG_MAX_NUMBERS, "numbers may list at "
			"most %d numbers", sizeof(*cfg->numberv), &numberv);
	if (err || !numberv)
		return err;

	cfg->numberv = numberv;
	ld->numbers = n;

	return cfg_walk_items(ld, "numbers[]", n, cfg->numberv,
			      sizeof(*cfg->numberv), NULL, &cfg->numberc);
}


int cfg_resolve_numbers(struct loader *ld)
{
	for (uint32_t i = 0; i < ld->cfg->numberc; i++) {
		int err = cfg_resolve_app(ld, ynode_item(ld->numbers, i),
					  &ld->cfg->numberv[i].app);
		if (err)
			return err;
	}

	return 0;
}


int cfg_load_verified(struct loader *ld, const struct cfg_row *row,
		      const struct ynode *n, void *base)
{
	const struct cfg_row *item = cfg_row_find("verified_caller_ids[]");
	struct reg_config *cfg = base;
	struct ydoc *doc = ld->doc;
	void *verifiedv = NULL;
	int err;

	err = cfg_items(ld, row, n, CFG_MAX_NUMBERS, "verified_caller_ids "
			"may list at most %d numbers", sizeof(char *),
			&verifiedv);
	if (err || !verifiedv)
		return err;

	cfg->verifiedv = verifiedv;

	for (size_t i = 0; i < n->count; i++) {
		const char *s = NULL;

		err = cfg_get_e164(doc, ynode_item(n, i), item->what, &s);
		if (!err)
			err = str_dup(&cfg->verifiedv[i], s);
		if (err)
			return err;

		cfg->verifiedc++;
	}

	return 0;
}


/* the document must expand and parse: errors now, not at the first call */
static int check_twiml(struct ydoc *doc, const struct ynode *n,
		       const char *name, const char *text)
{
	static const struct twiml_vars sample = {"+14155550000",
						 "+14155550000"};
	struct twiml *tw = NULL;
	char *exp = NULL;
	char msg[256];
	int err;

	err = twiml_expand(&exp, text, &sample, msg, sizeof(msg));
	if (err == ENOMEM)
		return err;
	if (err)
		return ydoc_errorf(doc, n, "application '%s': template: %s",
				   name, msg);

	err = twiml_parse(&tw, exp, strlen(exp), msg, sizeof(msg));
	mem_deref(exp);
	mem_deref(tw);
	if (err == ENOMEM)
		return err;
	if (err)
		return ydoc_errorf(doc, n, "application '%s': TwiML %s",
				   name, msg);

	return 0;
}


int cfg_load_apps(struct loader *ld, const struct cfg_row *row,
		  const struct ynode *n, void *base)
{
	struct reg_config *cfg = base;
	struct ydoc *doc = ld->doc;
	void *appv = NULL;
	int err;

	err = cfg_items(ld, row, n, CFG_MAX_APPS, "applications may hold at "
			"most %d documents", sizeof(*cfg->appv), &appv);
	if (err || !appv)
		return err;

	cfg->appv = appv;

	for (size_t i = 0; i < n->count; i++) {
		const struct ynode *k = ynode_key(n, i), *v = ynode_val(n, i);
		struct application_conf *app = &cfg->appv[i];
		const char *text;

		if (!k->val[0] || !cfg_text_clean(k->val))
			return ydoc_errorf(doc, k, "application names must be "
					   "non-empty text");

		err = ynode_str(doc, v, &text);
		if (err)
			return err;

		if (strlen(text) > CFG_MAX_TWIML)
			return ydoc_errorf(doc, v, "application '%s' is longer "
					   "than %d bytes", k->val,
					   CFG_MAX_TWIML);

		err = check_twiml(doc, v, k->val, text);
		if (err)
			return err;

		err  = str_dup(&app->name, k->val);
		err |= str_dup(&app->twiml, text);
		if (err)
			return ENOMEM;

		cfg->appc++;
	}

	return 0;
}


/* a number's behaviour: a word, or {behaviour, after, hangup_after} */
static int load_pstn_number(struct loader *ld, const struct ynode *v,
			    struct pstn_number_conf *pn)
{
	const struct cfg_row *word = cfg_row_find("pstn.numbers.*.behaviour");

	if (v->type == YNODE_SCALAR) {
		uint32_t b = 0;
		int err = cfg_read_word(ld->doc, word, v, &b);

		if (!err)
			pn->behaviour = (enum pstn_behaviour)b;
		return err;
	}

	return cfg_walk(ld, "pstn.numbers.*", v, pn, NULL);
}


int cfg_load_pstn_numbers(struct loader *ld, const struct cfg_row *row,
			  const struct ynode *v, void *base)
{
	struct pstn_conf *pc = &((struct reg_config *)base)->pstn;
	struct ydoc *doc = ld->doc;
	void *numv = NULL;
	int err;

	err = cfg_items(ld, row, v, CFG_MAX_NUMBERS, "pstn numbers may hold "
			"at most %d numbers", sizeof(*pc->numv), &numv);
	if (err || !numv)
		return err;

	pc->numv = numv;

	for (size_t i = 0; i < v->count; i++) {
		const struct ynode *k = ynode_key(v, i);
		struct pstn_number_conf *pn = &pc->numv[i];
		const char *s = NULL;

		err = cfg_get_e164(doc, k, "pstn number", &s);
		if (err)
			return err;

		for (uint32_t j = 0; j < pc->numc; j++) {
			if (!strcmp(pc->numv[j].number, s))
				return ydoc_errorf(doc, k, "pstn number '%s' "
						   "is listed twice", s);
		}

		/* a listed number starts from the defaults */
		*pn = pc->dflt;
		pn->number = NULL;
		err = str_dup(&pn->number, s);
		if (err)
			return err;
		pc->numc++;

		err = load_pstn_number(ld, ynode_val(v, i), pn);
		if (err)
			return err;
	}

	return 0;
}


int cfg_print_verified(struct re_printf *pf, const struct cfg_row *row,
		       const struct reg_config *cfg, const void *base,
		       unsigned indent, bool docs)
{
	int err;

	(void)base;
	(void)docs;

	err = re_hprintf(pf, "%b%s: [", CFG_INDENT(indent), row->path);

	for (uint32_t i = 0; i < cfg->verifiedc; i++) {
		err |= re_hprintf(pf, "%s", i ? ", " : "");
		err |= cfg_print_text(pf, cfg->verifiedv[i]);
	}

	return err | re_hprintf(pf, "]\n");
}


int cfg_print_apps(struct re_printf *pf, const struct cfg_row *row,
		   const struct reg_config *cfg, const void *base,
		   unsigned indent, bool docs)
{
	int err;

	(void)base;

	err = re_hprintf(pf, "%b%s:%s\n", CFG_INDENT(indent), row->path,
			 cfg->appc ? "" : " {}");
	if (docs && cfg->appc)
		err |= cfg_print_doc(pf, cfg_row_find("applications.*"),
				     indent + 2);

	for (uint32_t i = 0; i < cfg->appc; i++) {
		err |= re_hprintf(pf, "%b", CFG_INDENT(indent + 2));
		err |= cfg_print_text(pf, cfg->appv[i].name);
		err |= re_hprintf(pf, ": ");
		err |= cfg_print_text(pf, cfg->appv[i].twiml);
		err |= re_hprintf(pf, "\n");
	}

	return err;
}


int cfg_print_pstn_numbers(struct re_printf *pf, const struct cfg_row *row,
			   const struct reg_config *cfg, const void *base,
			   unsigned indent, bool docs)
{
	const struct pstn_conf *pc = &cfg->pstn;
	int err;

	(void)base;

	err = re_hprintf(pf, "%b%s:%s\n", CFG_INDENT(indent), cfg_row_key(row),
			 pc->numc ? "" : " {}");

	for (uint32_t i = 0; i < pc->numc; i++) {
		err |= re_hprintf(pf, "%b", CFG_INDENT(indent + 2));
		err |= cfg_print_text(pf, pc->numv[i].number);
		err |= re_hprintf(pf, ":\n");
		err |= cfg_print_rows(pf, "pstn.numbers.*", cfg, &pc->numv[i],
				      indent + 4, docs && i == 0);
	}

	return err;
}
