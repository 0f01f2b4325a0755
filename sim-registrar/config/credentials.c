/**
 * @file config/credentials.c  The credential lists: each credential
 * checked, {A..B} ranges expanded, a username index per list, and the
 * HA1s computed with the profile's realm once every section is read.
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <re.h>
#include "config/schema.h"

enum {
	MAX_RANGE_DIGITS = 18,            /* fits a uint64_t               */
	HASH_MIN         = 16,
	HASH_MAX         = 65536,
};

/* a credential entry as written, before expansion */
struct cred_spec {
	const struct ynode *user_node;
	const char *user;
	size_t pre_len;               /* text before '{'                   */
	const char *post;             /* text after '}'                    */
	uint64_t first;
	uint64_t last;
	int width;                    /* zero-padding, 0 none              */
	bool range;
	const char *password;
	const char *ha1;
};


static bool password_ok(const char *pw)
{
	bool digit = false, upper = false, lower = false;

	for (const char *p = pw; *p; p++) {
		digit |= (*p >= '0' && *p <= '9');
		upper |= (*p >= 'A' && *p <= 'Z');
		lower |= (*p >= 'a' && *p <= 'z');
	}

	return strlen(pw) >= CFG_MIN_PASSWORD && digit && upper && lower;
}


static bool ha1_ok(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++) {
		char ch = s[i];

		if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') ||
		      (ch >= 'A' && ch <= 'F')))
			return false;
	}

	return i == 32;
}


/* characters that would break a SIP URI or a quoted digest username */
static bool username_chars_ok(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch <= 0x20 || ch == 0x7f || ch == '"' || ch == '\\' ||
		    ch == '@' || ch == ':' || ch == '{' || ch == '}')
			return false;
	}

	return true;
}


static bool digits(const char *p, size_t n)
{
	if (n == 0 || n > MAX_RANGE_DIGITS)
		return false;

	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
	}

	return true;
}


static uint64_t number(const char *p, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++)
		v = v * 10 + (uint64_t)(p[i] - '0');

	return v;
}


static int ndigits(uint64_t v)
{
	int n = 1;

	while (v >= 10) {
		v /= 10;
		++n;
	}

	return n;
}


/* "u-{1..2001}": returns NULL, or what is wrong with the range */
static const char *range_parse(struct cred_spec *sp)
{
	const char *u = sp->user, *lb, *rb, *a, *dots;

	lb = strchr(u, '{');
	rb = strchr(u, '}');
	if (!lb && !rb) {
		sp->pre_len = strlen(u);
		sp->post = u + sp->pre_len;
		return NULL;
	}

	if (!lb || !rb || rb < lb)
		return "has a brace without a {A..B} range";

	if (strchr(rb + 1, '{') || strchr(rb + 1, '}'))
		return "may hold only one {A..B} range";

	a = lb + 1;
	dots = strstr(a, "..");
	if (!dots || dots > rb || !digits(a, (size_t)(dots - a)) ||
	    !digits(dots + 2, (size_t)(rb - dots - 2)))
		return "has a range that is not {A..B} with whole numbers "
			"A and B";

	sp->range   = true;
	sp->pre_len = (size_t)(lb - u);
	sp->post    = rb + 1;
	sp->first   = number(a, (size_t)(dots - a));
	sp->last    = number(dots + 2, (size_t)(rb - dots - 2));
	sp->width   = (dots - a > 1 && a[0] == '0') ? (int)(dots - a) : 0;

	if (sp->first > sp->last)
		return "has a range that runs backwards (A > B)";

	if (sp->last - sp->first >= CFG_MAX_RANGE)
		return "has a range of more than 100000 names";

	return NULL;
}


static int cred_username(struct ydoc *doc, const struct ynode *n,
			 const char *where, struct cred_spec *sp)
{
	const char *why;
	size_t len;
	int err;

	err = cfg_get_text(doc, n, "username", where, true, &sp->user);
	if (err)
		return err;

	sp->user_node = ynode_get(n, "username");

	why = range_parse(sp);
	if (why)
		return ydoc_errorf(doc, sp->user_node, "username '%s' %s",
				   sp->user, why);

	len = sp->pre_len + strlen(sp->post);
	if (sp->range) {
		int w = ndigits(sp->last);
		len += (size_t)(sp->width > w ? sp->width : w);
	}

	if (len == 0)
		return ydoc_errorf(doc, sp->user_node, "username must not be "
				   "empty");

	if (len > CFG_MAX_USERNAME)
		return ydoc_errorf(doc, sp->user_node, "username '%s' is "
				   "longer than %d characters%s", sp->user,
				   CFG_MAX_USERNAME, sp->range ?
				   " once its range is expanded" : "");

	if (!username_chars_ok(sp->user, sp->pre_len) ||
	    !username_chars_ok(sp->post, strlen(sp->post)))
		return ydoc_errorf(doc, sp->user_node, "username '%s' must "
				   "not hold spaces, control characters or "
				   "any of \" \\ @ :", sp->user);

	return 0;
}


static const struct ynode *key_node(const struct ynode *map, const char *key)
{
	for (size_t i = 0; map && i < map->count; i++) {
		const struct ynode *k = ynode_key(map, i);

		if (k && !strcmp(k->val, key))
			return k;
	}

	return NULL;
}


static int cred_parse(struct loader *ld, const struct cfg_row *row,
		      const struct ynode *n, const char *list, size_t i,
		      struct cred_spec *sp)
{
	struct ydoc *doc = ld->doc;
	const struct ynode *pw, *ha1;
	char where[160];
	int err;

	(void)snprintf(where, sizeof(where), "credential #%zu of list '%s'",
		       i + 1, list);

	err = cfg_expect_map(doc, row, n);
	if (!err)
		err = cred_username(doc, n, where, sp);
	if (err)
		return err;

	pw  = ynode_get(n, "password");
	ha1 = ynode_get(n, "ha1");

	if (pw && ha1)
		return ydoc_errorf(doc, key_node(n, "ha1"), "credential '%s' "
				   "has both password and ha1: give exactly "
				   "one", sp->user);

	if (!pw && !ha1)
		return ydoc_errorf(doc, n, "%s is missing required key "
				   "'password' (or 'ha1')", where);

	if (pw) {
		err = ynode_str(doc, pw, &sp->password);
		if (err)
			return err;

		/* never echo the password itself */
		if (!password_ok(sp->password))
			return ydoc_errorf(doc, pw, "password of '%s' breaks "
					   "the password rule: at least %d "
					   "characters with a digit, an upper "
					   "case and a lower case letter",
					   sp->user, CFG_MIN_PASSWORD);
		return 0;
	}

	err = ynode_str(doc, ha1, &sp->ha1);
	if (err)
		return err;

	if (!ha1_ok(sp->ha1))
		return ydoc_errorf(doc, ha1, "ha1 of '%s' must be 32 "
				   "hexadecimal digits", sp->user);

	/* HA1 = MD5(user:realm:password) differs for every expanded name */
	if (sp->range)
		return ydoc_errorf(doc, ha1, "username range '%s' needs a "
				   "password, not an ha1 (an HA1 holds the "
				   "username)", sp->user);

	return 0;
}


const struct credential *cfg_index_find(const struct list_index *ix,
					const char *user, size_t len)
{
	struct le *le;

	if (!ix->hash)
		return NULL;

	le = list_head(hash_list(ix->hash,
				 hash_joaat((const uint8_t *)user, len)));
	for (; le; le = le->next) {
		const struct credential *c = le->data;

		if (strlen(c->username) == len &&
		    !memcmp(c->username, user, len))
			return c;
	}

	return NULL;
}


static uint32_t table_size(uint32_t n)
{
	uint32_t sz = HASH_MIN;

	while (sz < n / 2 && sz < HASH_MAX)
		sz <<= 1;

	return sz;
}


/* one credential, made from a spec; the slot is l->credv[l->credc] */
static int cred_add(struct loader *ld, struct credential_list *l,
		    struct list_index *ix, const struct cred_spec *sp,
		    uint64_t num, char *password)
{
	struct credential *c = &l->credv[l->credc];
	char name[CFG_MAX_USERNAME + 1];
	size_t len;
	int err;

	if (sp->range)
		(void)snprintf(name, sizeof(name), "%.*s%0*llu%s",
			       (int)sp->pre_len, sp->user, sp->width,
			       (unsigned long long)num, sp->post);
	else
		str_ncpy(name, sp->user, sizeof(name));

	len = strlen(name);

	if (cfg_index_find(ix, name, len))
		return ydoc_errorf(ld->doc, sp->user_node, "username '%s' "
				   "appears twice in credential list '%s'",
				   name, l->name);

	err = str_dup(&c->username, name);
	if (err)
		return err;

	if (password)
		c->password = mem_ref(password);
	else {
		for (size_t i = 0; i < 32; i++)
			c->ha1[i] = (char)(sp->ha1[i] >= 'A' &&
					   sp->ha1[i] <= 'F' ?
					   sp->ha1[i] + ('a' - 'A') :
					   sp->ha1[i]);
	}

	hash_append(ix->hash, hash_joaat((const uint8_t *)name, len),
		    &ix->lev[l->credc], c);
	++l->credc;

	return 0;
}


/* credential_lists[].credentials: checked first, then expanded */
int cfg_load_credentials(struct loader *ld, const struct cfg_row *row,
			 const struct ynode *n, void *base)
{
	const struct cfg_row *item = cfg_row_find("credential_lists[]."
						  "credentials[]");
	struct list_index *ix = &ld->c->idxv[ld->item];
	struct credential_list *l = base;
	struct cred_spec *specv = NULL;
	uint64_t total = 0;
	int err = 0;

	err = ynode_expect(ld->doc, n, YNODE_SEQ, row->what);
	if (err)
		return err;

	if (n->count) {
		specv = mem_zalloc(n->count * sizeof(*specv), NULL);
		if (!specv)
			return ENOMEM;
	}

	/* first pass: check every entry and count what it expands to */
	for (size_t i = 0; i < n->count; i++) {
		struct cred_spec *sp = &specv[i];

		err = cred_parse(ld, item, ynode_item(n, i), l->name, i, sp);
		if (err)
			goto out;

		total += sp->range ? sp->last - sp->first + 1 : 1;
		if (ld->credc + total > CFG_MAX_CREDENTIALS) {
			err = ydoc_errorf(ld->doc, sp->user_node, "too many "
					  "credentials: at most %d in one "
					  "configuration",
					  CFG_MAX_CREDENTIALS);
			goto out;
		}
	}

	err = hash_alloc(&ix->hash, table_size((uint32_t)total));
	if (err)
		goto out;

	if (total) {
		l->credv = mem_zalloc((size_t)total * sizeof(*l->credv), NULL);
		ix->lev  = mem_zalloc((size_t)total * sizeof(*ix->lev), NULL);
		if (!l->credv || !ix->lev) {
			err = ENOMEM;
			goto out;
		}
	}

	/* second pass: expand */
	for (size_t i = 0; i < n->count; i++) {
		const struct cred_spec *sp = &specv[i];
		char *pw = NULL;
		uint64_t num = sp->first;

		/* expanded names share one copy of the password */
		if (sp->password) {
			err = str_dup(&pw, sp->password);
			if (err)
				goto out;
		}

		do {
			err = cred_add(ld, l, ix, sp, num, pw);
		} while (!err && sp->range && num++ < sp->last);

		mem_deref(pw);
		if (err)
			goto out;
	}

	ld->credc += (uint32_t)total;

 out:
	mem_deref(specv);

	return err;
}


/* credential_lists[].name: not empty, not a second time */
int cfg_check_list_name(struct loader *ld, const struct ynode *n,
			const char *name, void *base)
{
	(void)base;

	if (!name[0])
		return ydoc_errorf(ld->doc, n, "credential list name must not "
				   "be empty");

	for (size_t j = 0; j < ld->item; j++) {
		if (!strcmp(ld->cfg->listv[j].name, name))
			return ydoc_errorf(ld->doc, n, "credential list '%s' "
					   "is defined twice", name);
	}

	return 0;
}


int cfg_load_lists(struct loader *ld, const struct cfg_row *row,
		   const struct ynode *n, void *base)
{
	struct reg_config *cfg = base;
	void *listv = NULL;
	int err;

	err = cfg_items(ld, row, n, SIZE_MAX, NULL, sizeof(*cfg->listv),
			&listv);
	if (err || !listv)
		return err;

	cfg->listv  = listv;
	cfg->listc  = (uint32_t)n->count;
	ld->c->idxv = mem_zalloc(n->count * sizeof(*ld->c->idxv), NULL);
	if (!ld->c->idxv)
		return ENOMEM;

	return cfg_walk_items(ld, "credential_lists[]", n, cfg->listv,
			      sizeof(*cfg->listv), "credential list #%zu",
			      NULL);
}


int cfg_compute_ha1s(struct reg_config *cfg)
{
	static const char hex[] = "0123456789abcdef";

	for (uint32_t i = 0; i < cfg->listc; i++) {
		struct credential_list *l = &cfg->listv[i];

		for (uint32_t j = 0; j < l->credc; j++) {
			struct credential *c = &l->credv[j];
			uint8_t md[16];
			int err;

			if (!c->password)
				continue;

			err = md5_printf(md, "%s:%s:%s", c->username,
					 cfg->profile.realm, c->password);
			if (err)
				return err;

			for (size_t k = 0; k < sizeof(md); k++) {
				c->ha1[2*k]     = hex[md[k] >> 4];
				c->ha1[2*k + 1] = hex[md[k] & 0xf];
			}
			c->ha1[32] = '\0';
		}
	}

	return 0;
}


void cfg_lists_free(struct config *c)
{
	struct reg_config *cfg = &c->pub;

	for (uint32_t i = 0; cfg->listv && i < cfg->listc; i++) {
		struct credential_list *l = &cfg->listv[i];

		if (c->idxv && c->idxv[i].hash) {
			hash_clear(c->idxv[i].hash);
			mem_deref(c->idxv[i].hash);
		}
		if (c->idxv)
			mem_deref(c->idxv[i].lev);

		for (uint32_t j = 0; l->credv && j < l->credc; j++) {
			mem_deref(l->credv[j].username);
			mem_deref(l->credv[j].password);
		}
		mem_deref(l->credv);
		mem_deref(l->name);
	}
	mem_deref(c->idxv);
	mem_deref(cfg->listv);
}


/* flow maps, one line a credential: a list may hold 200000 */
int cfg_print_lists(struct re_printf *pf, const struct cfg_row *row,
		    const struct reg_config *cfg, const void *base,
		    unsigned indent, bool docs)
{
	static const char *const creds[] = {
		"credential_lists[].credentials[].username",
		"credential_lists[].credentials[].password",
		"credential_lists[].credentials[].ha1",
	};
	int err;

	(void)base;

	err = re_hprintf(pf, "%b%s:%s\n", CFG_INDENT(indent), row->path,
			 cfg->listc ? "" : " []");

	for (uint32_t i = 0; i < cfg->listc; i++) {
		const struct credential_list *l = &cfg->listv[i];
		bool d = docs && i == 0;

		err |= re_hprintf(pf, "%b-\n", CFG_INDENT(indent + 2));
		if (d)
			err |= cfg_print_doc(pf, cfg_row_find(
					"credential_lists[].name"), indent + 4);
		err |= re_hprintf(pf, "%bname: ", CFG_INDENT(indent + 4));
		err |= cfg_print_text(pf, l->name);
		err |= re_hprintf(pf, "\n");

		if (d)
			err |= cfg_print_doc(pf, cfg_row_find(
				"credential_lists[].credentials"), indent + 4);
		err |= re_hprintf(pf, "%bcredentials:%s\n", CFG_INDENT(indent + 4),
				  l->credc ? "" : " []");

		for (size_t k = 0; d && l->credc && k < ARRAY_SIZE(creds);
		     k++)
			err |= cfg_print_doc_named(pf, cfg_row_find(creds[k]),
						   indent + 6);

		for (uint32_t j = 0; j < l->credc; j++) {
			const struct credential *c = &l->credv[j];

			err |= re_hprintf(pf, "%b- {username: ", CFG_INDENT(indent + 6));
			err |= cfg_print_text(pf, c->username);
			err |= re_hprintf(pf, ", %s: ", c->password ?
					  "password" : "ha1");
			err |= cfg_print_text(pf, c->password ? c->password :
					      c->ha1);
			err |= re_hprintf(pf, "}\n");
		}
	}

	return err;
}
