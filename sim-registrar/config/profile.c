/**
 * @file config/profile.c  The rules of limits and profile beyond their
 * rows (min_expires against max_expires, the realm's characters), the
 * per-rule reply overrides, and reg_config_reply(): a rule's reply with
 * the profile applied.
 */

#include <errno.h>
#include <string.h>
#include <re.h>
#include "config/schema.h"


/* limits, once read: only a given min_expires can exceed the maximum */
int cfg_check_limits(struct loader *ld, const struct ynode *n,
		     const char *s, void *base)
{
	const struct limits_conf *lim = &((struct reg_config *)base)->limits;

	(void)s;

	if (lim->min_expires > lim->max_expires)
		return ydoc_errorf(ld->doc, ynode_get(n, "min_expires"),
				   "min_expires (%u) must not be above "
				   "max_expires (%u)", lim->min_expires,
				   lim->max_expires);

	return 0;
}


/* the realm is printed inside a quoted header parameter */
int cfg_check_realm(struct loader *ld, const struct ynode *n, const char *s,
		    void *base)
{
	(void)base;

	if (!s[0] || strchr(s, '"') || strchr(s, '\\'))
		return ydoc_errorf(ld->doc, n, "realm must be non-empty text "
				   "without \" or \\");

	return 0;
}


static int load_reply(struct loader *ld, const struct ynode *key,
		      const struct ynode *n)
{
	const struct rule *rule;
	struct rule_reply *r;
	int err;

	rule = rule_find(key->val);
	if (!rule)
		return ydoc_errorf(ld->doc, key, "unknown rule ID '%s' in "
				   "replies", key->val);

	r = &ld->cfg->profile.replies[rule->id];
	if (r->set)
		return ydoc_errorf(ld->doc, key, "rule '%s' is given twice in "
				   "replies", rule->name);

	/* left out: the table's; given as 0: no X-Twilio-Error at all.
	 * scode 0: the table's, or what the profile's settings make it */
	r->twilio_error = rule->twilio_error;

	err = cfg_walk(ld, "profile.replies.*", n, r, rule->name);
	if (err)
		return err;

	r->set = true;

	return 0;
}


int cfg_load_replies(struct loader *ld, const struct cfg_row *row,
		     const struct ynode *n, void *base)
{
	int err;

	(void)base;

	err = ynode_expect(ld->doc, n, YNODE_MAP, row->what);
	if (err)
		return err;

	for (size_t i = 0; i < n->count; i++) {
		err = load_reply(ld, ynode_key(n, i), ynode_val(n, i));
		if (err)
			return err;
	}

	return 0;
}


int cfg_print_replies(struct re_printf *pf, const struct cfg_row *row,
		      const struct reg_config *cfg, const void *base,
		      unsigned indent, bool docs)
{
	const struct profile_conf *prof = &cfg->profile;
	bool any = false;
	int err = 0;

	(void)base;

	for (unsigned i = 0; i < RULE_COUNT; i++)
		any |= prof->replies[i].set;

	err |= re_hprintf(pf, "%b%s:%s\n", CFG_INDENT(indent), cfg_row_key(row),
			  any ? "" : " {}");

	for (unsigned i = 0; i < RULE_COUNT; i++) {
		const struct rule_reply *r = &prof->replies[i];
		const struct rule *rule = rule_get((enum rule_id)i);

		if (!r->set || !rule)
			continue;

		err |= re_hprintf(pf, "%b%s:\n", CFG_INDENT(indent + 2), rule->name);
		err |= cfg_print_rows(pf, "profile.replies.*", cfg, r,
				      indent + 4, docs);
		docs = false;
	}

	return err;
}


static const char *refer_reason(uint16_t scode)
{
	switch (scode) {

	case 403: return "Forbidden";
	case 501: return "Not Implemented";
	case 603: return "Decline";
	default:  return "Method Not Allowed";
	}
}


/*
 * The table's row, changed by the profile's own settings (challenge for
 * the REGISTER challenges, refer_reply for REFER-1: otherwise a profile
 * with challenge: 401 would still send 407), then the replies override.
 */
void reg_config_reply(const struct reg_config *cfg, enum rule_id id,
		      uint16_t *scode, const char **reason,
		      uint32_t *twilio_error, const char **error_text)
{
	const struct rule *rule = rule_get(id);
	const struct rule_reply *r = NULL;
	const char *rsn = rule ? rule->reason : NULL;
	uint16_t code = rule ? rule->scode : 0;

	if (cfg && rule) {
		const struct profile_conf *prof = &cfg->profile;

		if ((id == RULE_REG_AUTH_1 || id == RULE_REG_AUTH_4 ||
		     id == RULE_REG_AUTH_5) && prof->challenge == 401) {
			code = 401;
			rsn  = "Unauthorized";
		}
		else if (id == RULE_REFER_1 && prof->refer_reply) {
			code = prof->refer_reply;
			rsn  = refer_reason(code);
		}

		if (prof->replies[id].set)
			r = &prof->replies[id];
	}

	/* an override's own code goes with the table's reason phrase */
	if (r && r->scode) {
		code = r->scode;
		rsn  = rule->reason;
	}

	if (scode)
		*scode = code;
	if (reason)
		*reason = r && r->reason ? r->reason : rsn;
	if (twilio_error)
		*twilio_error = r ? r->twilio_error :
			rule ? rule->twilio_error : 0;
	if (error_text)
		*error_text = r && r->error_text ? r->error_text :
			rule ? rule->error_text : NULL;
}
