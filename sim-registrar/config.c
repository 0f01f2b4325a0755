/**
 * @file config.c  Registrar configuration from YAML
 *
 * Schema.  Every key is optional unless marked required; an unknown key
 * anywhere is an error.  Defaults are in brackets.
 *
 *   account:                         map
 *     sid: AC0123...                 text
 *     name: conform                  text
 *   domains:                         required list, 1..100 items
 *     - name: example.sip.us1.twilio.com
 *                                    required; {label}.sip.{region}.{suffix},
 *                                    compared case-insensitively, unique
 *       region: us1                  must equal the region in name
 *       registration: true           bool [true]
 *       credential_lists:            map
 *         registration: [office]     names of credential lists (<= 16)
 *         calls: [office]            the same, for calls
 *       voice_application: outbound  what an authenticated INVITE from a
 *                                    phone runs (CALL-OUT-3): a name in
 *                                    applications; none: such an INVITE
 *                                    gets 503
 *   credential_lists:                list
 *     - name: office                 required, unique
 *       credentials:                 list
 *         - username: alice          required, <= 32 characters, unique in
 *                                    the list
 *           password: Conform-Pass-1 >= 12 characters with a digit, an
 *                                    upper and a lower case letter
 *         - username: bob
 *           ha1: 5f4dcc3b...         32 hex digits; exactly one of
 *                                    password and ha1
 *         - username: "u-{1..2001}"  one {A..B} range expands to B-A+1
 *           password: Conform-Pass-1 credentials (A <= B, at most 100000);
 *                                    a leading zero in A pads every number
 *                                    to A's width.  A range needs a
 *                                    password: an HA1 depends on the name.
 *   limits:                          map
 *     contacts_per_aor: 10           [10]     >= 1
 *     registers_per_second: 5        [5]      >= 1, per AOR
 *     registrations_per_domain: 10000  [10000] >= 1
 *     registrations_per_account: 20000 [20000] >= 1
 *     max_expires: 600               [600]    >= 1
 *     min_expires: 0                 [0: none] <= max_expires
 *     default_expires: 3600          [3600]   >= 1, asked when none given
 *     nonce_pool: 65536              [65536]  16 ... 16777216 nonce slots
 *                                    (digest.h: replay protection in
 *                                    constant memory, 12 bytes a slot)
 *     reply_cache_max: 65536         [65536]  16 ... 16777216 answers kept
 *                                    for retransmissions (reply_cache.h)
 *   profile:                         map
 *     name: default                  ["default"]
 *     realm: sip.twilio.com          ["sip.twilio.com"]
 *     challenge: 407                 [407] or 401
 *     nonce_lifetime: 300            [300] seconds, >= 1
 *     accept_authorization: true     [true] (REG-AUTH-6)
 *     loopback_contacts: allow       [allow] or reject (REG-CONTACT-1)
 *     refer_reply: 405               [405] 403, 405, 501 or 603 (REFER-1)
 *     ring_timeout: 30               [30] seconds, 1..600 (RING-5): the
 *                                    Dial timeout when <Dial> gives none
 *     say_seconds: 3                 [3] seconds one <Say> speaks, 0..600
 *     replies:                       map: rule ID -> override of its reply
 *       REG-LIM-AOR: {code: 403, reason: Forbidden, twilio_error: 32007,
 *                     error_text: "..."}   all keys optional, code 100..699
 *
 *   numbers:                         list: the account's phone numbers
 *     - number: "+14155550199"       required, E.164 (+ and 8-15 digits),
 *                                    unique
 *       voice_application: ring-alice  what a call to it runs (POST /calls,
 *                                    sim_registrar_call); none: such a
 *                                    call fails with 503
 *   verified_caller_ids: ["+14155550100"]   E.164 numbers the account may
 *                                    show as caller ID besides its own
 *                                    numbers (CALL-OUT-5)
 *   applications:                    map: name -> TwiML document (twiml.h)
 *     ring-alice: "<Response><Dial><Sip>alice@example.sip.us1.twilio.com
 *                  </Sip></Dial></Response>"
 *                                    Response, Say, Pause, Dial (callerId,
 *                                    timeout; a number, Number, Sip),
 *                                    Hangup, Reject; templates {{To}},
 *                                    {{From}}, {{#e164}}..{{/e164}}.
 *                                    Checked at load: expanded with
 *                                    To=From=+14155550000, then parsed.
 *   pstn:                            map: the simulated outside network
 *     default: answer                [answer] answer, busy or ring (never
 *                                    answers): every number not listed
 *     after: 1                       [1] seconds an answering number rings
 *     hangup_after: 0                [0: never] seconds of talk before an
 *                                    answering number hangs up
 *     numbers:                       map: E.164 number -> behaviour
 *       "+14155550123": busy         a word, or a map
 *       "+14155550124": {behaviour: answer, after: 5, hangup_after: 20}
 *
 * reg_config_reply() gives a rule's table row, with challenge applied to
 * REG-AUTH-1/4/5 and refer_reply to REFER-1, then the replies override on
 * top: each field it leaves out is the row's.
 *
 * At most 200000 credentials in all.  Sections are read in file order;
 * then the domains' list names are resolved and HA1s computed with the
 * profile's realm, which may come later in the file than the lists.
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <re.h>
#include "ytree.h"
#include "textfile.h"
#include "twiml.h"
#include "config.h"

enum {
	MAX_DOMAINS      = 100,
	MAX_USERNAME     = 32,
	MIN_PASSWORD     = 12,
	MAX_RANGE        = 100000,
	MAX_CREDENTIALS  = 200000,
	MAX_RANGE_DIGITS = 18,            /* fits a uint64_t               */
	MAX_FILE_SIZE    = 64 * 1024 * 1024,
	MAX_HOST         = 253,
	MAX_HOST_LABEL   = 63,
	HASH_MIN         = 16,
	HASH_MAX         = 65536,
	MAX_NUMBERS      = 1000,
	MAX_APPS         = 1000,
	MAX_TWIML        = 65536,
	MAX_SECONDS      = 600,
};

/* the username index of one credential list */
struct list_index {
	struct hash *hash;
	struct le *lev;               /* one element per credential        */
};

/*
 * The public struct comes first: callers hold and mem_deref its address.
 * Lookups need the index, so a reg_config must come from this loader.
 */
struct config {
	struct reg_config pub;
	struct list_index *idxv;      /* one per credential list           */
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

struct loader {
	struct ydoc *doc;
	struct config *c;
	struct reg_config *cfg;
	const struct ynode *domains;  /* resolved once lists are read      */
	const struct ynode *numbers;  /* resolved once applications are    */
	uint32_t credc;               /* credentials so far, all lists     */
};


static const char default_yaml[] =
	"# sipconform registrar: the default configuration\n"
	"account:\n"
	"  name: conform\n"
	"domains:\n"
	"  - name: example.sip.us1.twilio.com\n"
	"    region: us1\n"
	"    registration: true\n"
	"    credential_lists:\n"
	"      registration: [default]\n"
	"      calls: [default]\n"
	"    voice_application: outbound\n"
	"credential_lists:\n"
	"  - name: default\n"
	"    credentials:\n"
	"      - username: alice\n"
	"        password: Conform-Pass-1\n"
	"      - username: bob\n"
	"        password: Conform-Pass-1\n"
	"      - username: carol\n"
	"        password: Conform-Pass-1\n"
	"limits:\n"
	"  contacts_per_aor: 10\n"
	"  registers_per_second: 5\n"
	"  registrations_per_domain: 10000\n"
	"  registrations_per_account: 20000\n"
	"  max_expires: 600\n"
	"  min_expires: 0\n"
	"  default_expires: 3600\n"
	"profile:\n"
	"  name: default\n"
	"  realm: sip.twilio.com\n"
	"  challenge: 407\n"
	"  nonce_lifetime: 300\n"
	"  accept_authorization: true\n"
	"  loopback_contacts: allow\n"
	"  refer_reply: 405\n"
	"  ring_timeout: 30\n"
	"  say_seconds: 3\n"
	"numbers:\n"
	"  - number: \"+14155550199\"\n"
	"    voice_application: ring-alice\n"
	"verified_caller_ids: [\"+14155550100\"]\n"
	"applications:\n"
	"  ring-alice: <Response><Dial><Sip>alice@example.sip.us1.twilio.com"
	"</Sip></Dial></Response>\n"
	"  outbound: <Response><Dial callerId=\"+14155550199\">"
	"{{#e164}}{{To}}{{/e164}}</Dial></Response>\n"
	"pstn:\n"
	"  default: answer\n"
	"  after: 1\n";


static void config_destructor(void *data)
{
	struct config *c = data;
	struct reg_config *cfg = &c->pub;

	mem_deref(cfg->source);
	mem_deref(cfg->account_sid);
	mem_deref(cfg->account_name);

	for (uint32_t i = 0; cfg->domainv && i < cfg->domainc; i++) {
		struct domain_conf *d = &cfg->domainv[i];

		mem_deref(d->name);
		mem_deref(d->label);
		mem_deref(d->region);
		mem_deref(d->suffix);
	}
	mem_deref(cfg->domainv);

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

	for (uint32_t i = 0; cfg->numberv && i < cfg->numberc; i++)
		mem_deref(cfg->numberv[i].number);
	mem_deref(cfg->numberv);

	for (uint32_t i = 0; cfg->verifiedv && i < cfg->verifiedc; i++)
		mem_deref(cfg->verifiedv[i]);
	mem_deref(cfg->verifiedv);

	for (uint32_t i = 0; cfg->appv && i < cfg->appc; i++) {
		mem_deref(cfg->appv[i].name);
		mem_deref(cfg->appv[i].twiml);
	}
	mem_deref(cfg->appv);

	for (uint32_t i = 0; cfg->pstn.numv && i < cfg->pstn.numc; i++)
		mem_deref(cfg->pstn.numv[i].number);
	mem_deref(cfg->pstn.numv);

	mem_deref(cfg->profile.name);
	mem_deref(cfg->profile.realm);
	for (unsigned i = 0; i < RULE_COUNT; i++) {
		mem_deref(cfg->profile.replies[i].reason);
		mem_deref(cfg->profile.replies[i].error_text);
	}
}


static int set_str(char **dst, const char *s)
{
	*dst = mem_deref(*dst);

	return str_dup(dst, s);
}


/* text that ends up in SIP headers or logs: no control characters */
static bool text_clean(const char *s)
{
	for (; *s; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	}

	return true;
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


static int missing(struct ydoc *doc, const struct ynode *map,
		   const char *where, const char *key)
{
	return ydoc_errorf(doc, map, "%s is missing required key '%s'",
			   where, key);
}


/* a text value without control characters; absent leaves *sp alone */
static int get_text(struct ydoc *doc, const struct ynode *map,
		    const char *key, const char *where, bool required,
		    const char **sp)
{
	const struct ynode *n = ynode_get(map, key);
	const char *s;
	int err;

	if (!n)
		return required ? missing(doc, map, where, key) : 0;

	err = ynode_str(doc, n, &s);
	if (err)
		return err;

	if (!text_clean(s))
		return ydoc_errorf(doc, n, "%s must not hold control "
				   "characters", key);

	*sp = s;

	return 0;
}


/* an optional text value stored as a copy */
static int dup_text(struct ydoc *doc, const struct ynode *map,
		    const char *key, const char *where, char **dst)
{
	const char *s = NULL;
	int err;

	err = get_text(doc, map, key, where, false, &s);
	if (err || !s)
		return err;

	return set_str(dst, s);
}


/* an optional whole number in min..max; absent leaves *v alone */
static int get_u32(struct ydoc *doc, const struct ynode *map,
		   const char *key, uint32_t min, uint32_t max, uint32_t *v)
{
	const struct ynode *n = ynode_get(map, key);
	uint32_t x;
	int err;

	if (!n)
		return 0;

	err = ynode_u32(doc, n, &x);
	if (err)
		return err;

	if (x < min || x > max) {
		if (max == UINT32_MAX)
			return ydoc_errorf(doc, n, "%s must be at least %u, "
					   "not %u", key, min, x);
		return ydoc_errorf(doc, n, "%s must be between %u and %u, "
				   "not %u", key, min, max, x);
	}

	*v = x;

	return 0;
}


static int get_bool(struct ydoc *doc, const struct ynode *map,
		    const char *key, bool *v)
{
	const struct ynode *n = ynode_get(map, key);

	return n ? ynode_bool(doc, n, v) : 0;
}


/* a section or item that must be a map, with only the keys given */
static int expect_map(struct ydoc *doc, const struct ynode *n,
		      const char *what, const char *const keys[])
{
	int err;

	err = ynode_expect(doc, n, YNODE_MAP, what);
	if (err)
		return err;

	return ynode_check_keys(doc, n, keys);
}


static int load_account(struct loader *ld, const struct ynode *n)
{
	static const char *const keys[] = {"sid", "name", NULL};
	struct reg_config *cfg = ld->cfg;
	int err;

	err = expect_map(ld->doc, n, "account", keys);
	if (err)
		return err;

	err = dup_text(ld->doc, n, "sid", "account", &cfg->account_sid);
	if (err)
		return err;

	return dup_text(ld->doc, n, "name", "account", &cfg->account_name);
}


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
static int domain_split(struct domain_conf *d)
{
	const char *name = d->name, *dot1, *dot2, *dot3, *p;
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


static int load_domain(struct loader *ld, const struct ynode *n, size_t i)
{
	static const char *const keys[] = {"name", "region", "registration",
					   "credential_lists",
					   "voice_application", NULL};
	struct domain_conf *d = &ld->cfg->domainv[i];
	struct ydoc *doc = ld->doc;
	const char *name = NULL, *region = NULL;
	char where[32];
	int err;

	(void)snprintf(where, sizeof(where), "domain #%zu", i + 1);

	err = expect_map(doc, n, "a domain", keys);
	if (err)
		return err;

	err = get_text(doc, n, "name", where, true, &name);
	if (err)
		return err;

	err = set_str(&d->name, name);
	if (err)
		return err;

	err = domain_split(d);
	if (err == EINVAL)
		return ydoc_errorf(doc, ynode_get(n, "name"), "domain name "
				   "'%s' must have the form "
				   "{label}.sip.{region}.{suffix}, e.g. "
				   "example.sip.us1.twilio.com", name);
	if (err)
		return err;

	for (size_t j = 0; j < i; j++) {
		const struct ynode *prev;

		if (strcasecmp(ld->cfg->domainv[j].name, name))
			continue;

		prev = ynode_get(ynode_item(ld->domains, j), "name");
		return ydoc_errorf(doc, ynode_get(n, "name"), "domain '%s' "
				   "is listed twice (first at line %u)", name,
				   prev ? prev->line : 0u);
	}

	err = get_text(doc, n, "region", where, false, &region);
	if (err)
		return err;

	if (region && strcasecmp(region, d->region))
		return ydoc_errorf(doc, ynode_get(n, "region"), "region "
				   "'%s' does not match the region '%s' in "
				   "domain name '%s'", region, d->region,
				   name);

	d->registration = true;

	return get_bool(doc, n, "registration", &d->registration);
}


static int load_domains(struct loader *ld, const struct ynode *n)
{
	struct reg_config *cfg = ld->cfg;
	int err;

	err = ynode_expect(ld->doc, n, YNODE_SEQ, "domains");
	if (err)
		return err;

	if (n->count < 1 || n->count > MAX_DOMAINS)
		return ydoc_errorf(ld->doc, n, "domains must list 1 to %d "
				   "domains, not %zu", MAX_DOMAINS, n->count);

	cfg->domainv = mem_zalloc(n->count * sizeof(*cfg->domainv), NULL);
	if (!cfg->domainv)
		return ENOMEM;

	cfg->domainc = (uint32_t)n->count;
	ld->domains = n;

	for (size_t i = 0; i < n->count; i++) {
		err = load_domain(ld, ynode_item(n, i), i);
		if (err)
			return err;
	}

	return 0;
}


static bool password_ok(const char *pw)
{
	bool digit = false, upper = false, lower = false;

	for (const char *p = pw; *p; p++) {
		digit |= (*p >= '0' && *p <= '9');
		upper |= (*p >= 'A' && *p <= 'Z');
		lower |= (*p >= 'a' && *p <= 'z');
	}

	return strlen(pw) >= MIN_PASSWORD && digit && upper && lower;
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

	if (sp->last - sp->first >= MAX_RANGE)
		return "has a range of more than 100000 names";

	return NULL;
}


static int cred_parse(struct loader *ld, const struct ynode *n,
		      const char *list, size_t i, struct cred_spec *sp)
{
	static const char *const keys[] = {"username", "password", "ha1",
					   NULL};
	struct ydoc *doc = ld->doc;
	const struct ynode *pw, *ha1;
	const char *why;
	char where[160];
	size_t len;
	int err;

	(void)snprintf(where, sizeof(where), "credential #%zu of list '%s'",
		       i + 1, list);

	err = expect_map(doc, n, "a credential", keys);
	if (err)
		return err;

	err = get_text(doc, n, "username", where, true, &sp->user);
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

	if (len > MAX_USERNAME)
		return ydoc_errorf(doc, sp->user_node, "username '%s' is "
				   "longer than %d characters%s", sp->user,
				   MAX_USERNAME, sp->range ?
				   " once its range is expanded" : "");

	if (!username_chars_ok(sp->user, sp->pre_len) ||
	    !username_chars_ok(sp->post, strlen(sp->post)))
		return ydoc_errorf(doc, sp->user_node, "username '%s' must "
				   "not hold spaces, control characters or "
				   "any of \" \\ @ :", sp->user);

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
					   sp->user, MIN_PASSWORD);
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


static struct credential *index_find(const struct list_index *ix,
				     const char *user, size_t len)
{
	struct le *le;

	if (!ix->hash)
		return NULL;

	le = list_head(hash_list(ix->hash,
				 hash_joaat((const uint8_t *)user, len)));
	for (; le; le = le->next) {
		struct credential *c = le->data;

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
	char name[MAX_USERNAME + 1];
	size_t len;
	int err;

	if (sp->range)
		(void)snprintf(name, sizeof(name), "%.*s%0*llu%s",
			       (int)sp->pre_len, sp->user, sp->width,
			       (unsigned long long)num, sp->post);
	else
		str_ncpy(name, sp->user, sizeof(name));

	len = strlen(name);

	if (index_find(ix, name, len))
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


static int load_credentials(struct loader *ld, const struct ynode *n,
			    struct credential_list *l, struct list_index *ix)
{
	struct cred_spec *specv = NULL;
	uint64_t total = 0;
	int err = 0;

	if (n) {
		err = ynode_expect(ld->doc, n, YNODE_SEQ, "credentials");
		if (err)
			return err;
	}

	if (n && n->count) {
		specv = mem_zalloc(n->count * sizeof(*specv), NULL);
		if (!specv)
			return ENOMEM;
	}

	/* first pass: check every entry and count what it expands to */
	for (size_t i = 0; n && i < n->count; i++) {
		struct cred_spec *sp = &specv[i];

		err = cred_parse(ld, ynode_item(n, i), l->name, i, sp);
		if (err)
			goto out;

		total += sp->range ? sp->last - sp->first + 1 : 1;
		if (ld->credc + total > MAX_CREDENTIALS) {
			err = ydoc_errorf(ld->doc, sp->user_node, "too many "
					  "credentials: at most %d in one "
					  "configuration", MAX_CREDENTIALS);
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
	for (size_t i = 0; n && i < n->count; i++) {
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


static int load_list(struct loader *ld, const struct ynode *n, size_t i)
{
	static const char *const keys[] = {"name", "credentials", NULL};
	struct credential_list *l = &ld->cfg->listv[i];
	struct ydoc *doc = ld->doc;
	const char *name = NULL;
	char where[40];
	int err;

	(void)snprintf(where, sizeof(where), "credential list #%zu", i + 1);

	err = expect_map(doc, n, "a credential list", keys);
	if (err)
		return err;

	err = get_text(doc, n, "name", where, true, &name);
	if (err)
		return err;

	if (!name[0])
		return ydoc_errorf(doc, ynode_get(n, "name"), "credential "
				   "list name must not be empty");

	for (size_t j = 0; j < i; j++) {
		if (!strcmp(ld->cfg->listv[j].name, name))
			return ydoc_errorf(doc, ynode_get(n, "name"),
					   "credential list '%s' is defined "
					   "twice", name);
	}

	err = set_str(&l->name, name);
	if (err)
		return err;

	return load_credentials(ld, ynode_get(n, "credentials"), l,
				&ld->c->idxv[i]);
}


static int load_lists(struct loader *ld, const struct ynode *n)
{
	struct reg_config *cfg = ld->cfg;
	int err;

	err = ynode_expect(ld->doc, n, YNODE_SEQ, "credential_lists");
	if (err || !n->count)
		return err;

	cfg->listv  = mem_zalloc(n->count * sizeof(*cfg->listv), NULL);
	ld->c->idxv = mem_zalloc(n->count * sizeof(*ld->c->idxv), NULL);
	if (!cfg->listv || !ld->c->idxv)
		return ENOMEM;

	cfg->listc = (uint32_t)n->count;

	for (size_t i = 0; i < n->count; i++) {
		err = load_list(ld, ynode_item(n, i), i);
		if (err)
			return err;
	}

	return 0;
}


static int load_limits(struct loader *ld, const struct ynode *n)
{
	static const char *const keys[] = {
		"contacts_per_aor", "registers_per_second",
		"registrations_per_domain", "registrations_per_account",
		"max_expires", "min_expires", "default_expires",
		"nonce_pool", "reply_cache_max", NULL
	};
	struct limits_conf *lim = &ld->cfg->limits;
	struct ydoc *doc = ld->doc;
	int err;

	err = expect_map(doc, n, "limits", keys);
	if (err)
		return err;

	err = get_u32(doc, n, "contacts_per_aor", 1, UINT32_MAX,
		      &lim->contacts_per_aor);
	if (!err)
		err = get_u32(doc, n, "registers_per_second", 1, UINT32_MAX,
			      &lim->registers_per_second);
	if (!err)
		err = get_u32(doc, n, "registrations_per_domain", 1,
			      UINT32_MAX, &lim->registrations_per_domain);
	if (!err)
		err = get_u32(doc, n, "registrations_per_account", 1,
			      UINT32_MAX, &lim->registrations_per_account);
	if (!err)
		err = get_u32(doc, n, "max_expires", 1, UINT32_MAX,
			      &lim->max_expires);
	if (!err)
		err = get_u32(doc, n, "min_expires", 0, UINT32_MAX,
			      &lim->min_expires);
	if (!err)
		err = get_u32(doc, n, "default_expires", 1, UINT32_MAX,
			      &lim->default_expires);
	if (!err)
		err = get_u32(doc, n, "nonce_pool", 16, 16777216,
			      &lim->nonce_pool);
	if (!err)
		err = get_u32(doc, n, "reply_cache_max", 16, 16777216,
			      &lim->reply_cache_max);
	if (err)
		return err;

	/* only a given min_expires can exceed the maximum: 0 is default */
	if (lim->min_expires > lim->max_expires)
		return ydoc_errorf(doc, ynode_get(n, "min_expires"),
				   "min_expires (%u) must not be above "
				   "max_expires (%u)", lim->min_expires,
				   lim->max_expires);

	return 0;
}


static int load_reply(struct loader *ld, const struct ynode *key,
		      const struct ynode *n)
{
	static const char *const keys[] = {"code", "reason", "twilio_error",
					   "error_text", NULL};
	struct ydoc *doc = ld->doc;
	const struct rule *rule;
	struct rule_reply *r;
	uint32_t code = 0, twerr;
	int err;

	rule = rule_find(key->val);
	if (!rule)
		return ydoc_errorf(doc, key, "unknown rule ID '%s' in "
				   "replies", key->val);

	r = &ld->cfg->profile.replies[rule->id];
	if (r->set)
		return ydoc_errorf(doc, key, "rule '%s' is given twice in "
				   "replies", rule->name);

	err = expect_map(doc, n, "a reply override", keys);
	if (err)
		return err;

	/* left out: the table's; given as 0: no X-Twilio-Error at all */
	twerr = rule->twilio_error;

	err = get_u32(doc, n, "code", 100, 699, &code);
	if (!err)
		err = get_u32(doc, n, "twilio_error", 0, UINT32_MAX, &twerr);
	if (!err)
		err = dup_text(doc, n, "reason", rule->name, &r->reason);
	if (!err)
		err = dup_text(doc, n, "error_text", rule->name,
			       &r->error_text);
	if (err)
		return err;

	/* scode 0: the table's, or what the profile's settings make it */
	r->set = true;
	r->scode = (uint16_t)code;
	r->twilio_error = twerr;

	return 0;
}


static int load_profile(struct loader *ld, const struct ynode *n)
{
	static const char *const keys[] = {
		"name", "realm", "challenge", "nonce_lifetime",
		"accept_authorization", "loopback_contacts", "refer_reply",
		"ring_timeout", "say_seconds", "replies", NULL
	};
	struct profile_conf *prof = &ld->cfg->profile;
	struct ydoc *doc = ld->doc;
	const struct ynode *v;
	const char *s = NULL;
	uint32_t x;
	int err;

	err = expect_map(doc, n, "profile", keys);
	if (err)
		return err;

	err = dup_text(doc, n, "name", "profile", &prof->name);
	if (err)
		return err;

	err = get_text(doc, n, "realm", "profile", false, &s);
	if (err)
		return err;

	if (s) {
		/* the realm is printed inside a quoted header parameter */
		if (!s[0] || strchr(s, '"') || strchr(s, '\\'))
			return ydoc_errorf(doc, ynode_get(n, "realm"),
					   "realm must be non-empty text "
					   "without \" or \\");
		err = set_str(&prof->realm, s);
		if (err)
			return err;
	}

	x = prof->challenge;
	err = get_u32(doc, n, "challenge", 0, UINT32_MAX, &x);
	if (err)
		return err;
	if (x != 401 && x != 407)
		return ydoc_errorf(doc, ynode_get(n, "challenge"), "challenge "
				   "must be 401 or 407, not %u", x);
	prof->challenge = (uint16_t)x;

	err = get_u32(doc, n, "nonce_lifetime", 1, UINT32_MAX,
		      &prof->nonce_lifetime);
	if (!err)
		err = get_bool(doc, n, "accept_authorization",
			       &prof->accept_authorization);
	if (!err)
		err = get_u32(doc, n, "ring_timeout", 1, MAX_SECONDS,
			      &prof->ring_timeout);
	if (!err)
		err = get_u32(doc, n, "say_seconds", 0, MAX_SECONDS,
			      &prof->say_seconds);
	if (err)
		return err;

	s = NULL;
	err = get_text(doc, n, "loopback_contacts", "profile", false, &s);
	if (err)
		return err;
	if (s && !strcmp(s, "allow"))
		prof->loopback_contacts = LOOPBACK_ALLOW;
	else if (s && !strcmp(s, "reject"))
		prof->loopback_contacts = LOOPBACK_REJECT;
	else if (s)
		return ydoc_errorf(doc, ynode_get(n, "loopback_contacts"),
				   "loopback_contacts must be allow or "
				   "reject, not '%s'", s);

	x = prof->refer_reply;
	err = get_u32(doc, n, "refer_reply", 0, UINT32_MAX, &x);
	if (err)
		return err;
	if (x != 403 && x != 405 && x != 501 && x != 603)
		return ydoc_errorf(doc, ynode_get(n, "refer_reply"),
				   "refer_reply must be one of 403, 405, 501 "
				   "or 603, not %u", x);
	prof->refer_reply = (uint16_t)x;

	v = ynode_get(n, "replies");
	if (!v)
		return 0;

	err = ynode_expect(doc, v, YNODE_MAP, "replies");
	if (err)
		return err;

	for (size_t i = 0; i < v->count; i++) {
		err = load_reply(ld, ynode_key(v, i), ynode_val(v, i));
		if (err)
			return err;
	}

	return 0;
}


/* an E.164 number: + and 8 to 15 digits */
static int get_e164(struct ydoc *doc, const struct ynode *n, const char *what,
		    const char **sp)
{
	const char *s;
	int err;

	err = ynode_str(doc, n, &s);
	if (err)
		return err;

	if (!twiml_is_e164(s))
		return ydoc_errorf(doc, n, "%s '%s' must be an E.164 number "
				   "(+ and 8 to 15 digits)", what, s);

	*sp = s;

	return 0;
}


static int load_numbers(struct loader *ld, const struct ynode *n)
{
	static const char *const keys[] = {"number", "voice_application",
					   NULL};
	struct reg_config *cfg = ld->cfg;
	struct ydoc *doc = ld->doc;
	int err;

	err = ynode_expect(doc, n, YNODE_SEQ, "numbers");
	if (err || !n->count)
		return err;

	if (n->count > MAX_NUMBERS)
		return ydoc_errorf(doc, n, "numbers may list at most %d "
				   "numbers", MAX_NUMBERS);

	cfg->numberv = mem_zalloc(n->count * sizeof(*cfg->numberv), NULL);
	if (!cfg->numberv)
		return ENOMEM;

	ld->numbers = n;

	for (size_t i = 0; i < n->count; i++) {
		const struct ynode *item = ynode_item(n, i), *num;
		const char *s = NULL;

		err = expect_map(doc, item, "a number", keys);
		if (err)
			return err;

		num = ynode_get(item, "number");
		if (!num)
			return missing(doc, item, "a number", "number");

		err = get_e164(doc, num, "number", &s);
		if (err)
			return err;

		if (reg_config_number(cfg, s))
			return ydoc_errorf(doc, num, "number '%s' is listed "
					   "twice", s);

		err = str_dup(&cfg->numberv[i].number, s);
		if (err)
			return err;

		cfg->numberc++;
	}

	return 0;
}


static int load_verified(struct loader *ld, const struct ynode *n)
{
	struct reg_config *cfg = ld->cfg;
	struct ydoc *doc = ld->doc;
	int err;

	err = ynode_expect(doc, n, YNODE_SEQ, "verified_caller_ids");
	if (err || !n->count)
		return err;

	if (n->count > MAX_NUMBERS)
		return ydoc_errorf(doc, n, "verified_caller_ids may list at "
				   "most %d numbers", MAX_NUMBERS);

	cfg->verifiedv = mem_zalloc(n->count * sizeof(char *), NULL);
	if (!cfg->verifiedv)
		return ENOMEM;

	for (size_t i = 0; i < n->count; i++) {
		const char *s = NULL;

		err = get_e164(doc, ynode_item(n, i), "verified caller ID",
			       &s);
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


static int load_apps(struct loader *ld, const struct ynode *n)
{
	struct reg_config *cfg = ld->cfg;
	struct ydoc *doc = ld->doc;
	int err;

	err = ynode_expect(doc, n, YNODE_MAP, "applications");
	if (err || !n->count)
		return err;

	if (n->count > MAX_APPS)
		return ydoc_errorf(doc, n, "applications may hold at most %d "
				   "documents", MAX_APPS);

	cfg->appv = mem_zalloc(n->count * sizeof(*cfg->appv), NULL);
	if (!cfg->appv)
		return ENOMEM;

	for (size_t i = 0; i < n->count; i++) {
		const struct ynode *k = ynode_key(n, i), *v = ynode_val(n, i);
		struct application_conf *app = &cfg->appv[i];
		const char *text;

		if (!k->val[0] || !text_clean(k->val))
			return ydoc_errorf(doc, k, "application names must be "
					   "non-empty text");

		err = ynode_str(doc, v, &text);
		if (err)
			return err;

		if (strlen(text) > MAX_TWIML)
			return ydoc_errorf(doc, v, "application '%s' is longer "
					   "than %d bytes", k->val, MAX_TWIML);

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


static int pstn_behaviour(struct ydoc *doc, const struct ynode *n,
			  enum pstn_behaviour *b)
{
	const char *s;
	int err;

	err = ynode_str(doc, n, &s);
	if (err)
		return err;

	if (!strcmp(s, "answer"))
		*b = PSTN_ANSWER;
	else if (!strcmp(s, "busy"))
		*b = PSTN_BUSY;
	else if (!strcmp(s, "ring"))
		*b = PSTN_RING;
	else
		return ydoc_errorf(doc, n, "behaviour must be answer, busy or "
				   "ring, not '%s'", s);

	return 0;
}


/* a number's behaviour: a word, or {behaviour, after, hangup_after} */
static int load_pstn_number(struct ydoc *doc, const struct ynode *v,
			    struct pstn_number_conf *pn)
{
	static const char *const keys[] = {"behaviour", "after",
					   "hangup_after", NULL};
	const struct ynode *b;
	int err;

	if (v->type == YNODE_SCALAR)
		return pstn_behaviour(doc, v, &pn->behaviour);

	err = expect_map(doc, v, "a number's behaviour", keys);
	if (err)
		return err;

	b = ynode_get(v, "behaviour");
	if (b) {
		err = pstn_behaviour(doc, b, &pn->behaviour);
		if (err)
			return err;
	}

	err = get_u32(doc, v, "after", 0, MAX_SECONDS, &pn->after);
	if (!err)
		err = get_u32(doc, v, "hangup_after", 0, UINT32_MAX,
			      &pn->hangup_after);

	return err;
}


static int load_pstn(struct loader *ld, const struct ynode *n)
{
	static const char *const keys[] = {"default", "after", "hangup_after",
					   "numbers", NULL};
	struct pstn_conf *pc = &ld->cfg->pstn;
	struct ydoc *doc = ld->doc;
	const struct ynode *v;
	int err;

	err = expect_map(doc, n, "pstn", keys);
	if (err)
		return err;

	v = ynode_get(n, "default");
	if (v) {
		err = pstn_behaviour(doc, v, &pc->dflt.behaviour);
		if (err)
			return err;
	}

	err = get_u32(doc, n, "after", 0, MAX_SECONDS, &pc->dflt.after);
	if (!err)
		err = get_u32(doc, n, "hangup_after", 0, UINT32_MAX,
			      &pc->dflt.hangup_after);
	if (err)
		return err;

	v = ynode_get(n, "numbers");
	if (!v)
		return 0;

	err = ynode_expect(doc, v, YNODE_MAP, "pstn numbers");
	if (err || !v->count)
		return err;

	if (v->count > MAX_NUMBERS)
		return ydoc_errorf(doc, v, "pstn numbers may hold at most %d "
				   "numbers", MAX_NUMBERS);

	pc->numv = mem_zalloc(v->count * sizeof(*pc->numv), NULL);
	if (!pc->numv)
		return ENOMEM;

	for (size_t i = 0; i < v->count; i++) {
		const struct ynode *k = ynode_key(v, i);
		struct pstn_number_conf *pn = &pc->numv[i];
		const char *s = NULL;

		err = get_e164(doc, k, "pstn number", &s);
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

		err = load_pstn_number(doc, ynode_val(v, i), pn);
		if (err)
			return err;
	}

	return 0;
}


/* `voice_application:` of a domain or a number, by name */
static int resolve_app(struct loader *ld, const struct ynode *map,
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


static int resolve_numbers(struct loader *ld)
{
	for (uint32_t i = 0; i < ld->cfg->numberc; i++) {
		int err = resolve_app(ld, ynode_item(ld->numbers, i),
				      &ld->cfg->numberv[i].app);
		if (err)
			return err;
	}

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


static int resolve_domains(struct loader *ld)
{
	static const char *const keys[] = {"registration", "calls", NULL};
	struct ydoc *doc = ld->doc;
	int err;

	for (uint32_t i = 0; i < ld->cfg->domainc; i++) {
		struct domain_conf *d = &ld->cfg->domainv[i];
		const struct ynode *m, *v;

		err = resolve_app(ld, ynode_item(ld->domains, i), &d->app);
		if (err)
			return err;

		m = ynode_get(ynode_item(ld->domains, i), "credential_lists");
		if (!m)
			continue;

		err = expect_map(doc, m, "credential_lists of a domain", keys);
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


static int compute_ha1s(struct reg_config *cfg)
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


static int config_defaults(struct reg_config *cfg, const char *source)
{
	int err;

	cfg->limits.contacts_per_aor          = 10;
	cfg->limits.registers_per_second      = 5;
	cfg->limits.registrations_per_domain  = 10000;
	cfg->limits.registrations_per_account = 20000;
	cfg->limits.max_expires               = 600;
	cfg->limits.min_expires               = 0;
	cfg->limits.default_expires           = 3600;
	cfg->limits.nonce_pool                = 65536;
	cfg->limits.reply_cache_max           = 65536;

	cfg->profile.challenge            = 407;
	cfg->profile.nonce_lifetime       = 300;
	cfg->profile.accept_authorization = true;
	cfg->profile.loopback_contacts    = LOOPBACK_ALLOW;
	cfg->profile.refer_reply          = 405;
	cfg->profile.ring_timeout         = 30;
	cfg->profile.say_seconds          = 3;
	cfg->pstn.dflt.behaviour          = PSTN_ANSWER;
	cfg->pstn.dflt.after              = 1;

	err  = str_dup(&cfg->source, source);
	err |= str_dup(&cfg->profile.name, "default");
	err |= str_dup(&cfg->profile.realm, "sip.twilio.com");

	return err ? ENOMEM : 0;
}


static int load(struct loader *ld)
{
	static const char *const keys[] = {"account", "domains",
					   "credential_lists", "limits",
					   "profile", "numbers",
					   "verified_caller_ids",
					   "applications", "pstn", NULL};
	const struct ynode *root = ydoc_root(ld->doc);
	struct ydoc *doc = ld->doc;
	int err;

	if (!root)
		return ydoc_errorf(doc, NULL, "empty document");

	if (root->type != YNODE_MAP)
		return ydoc_errorf(doc, root, "the top level must be a "
				   "mapping with domains, credential_lists, "
				   "..., not %s", root->type == YNODE_SEQ ?
				   "a list" : "a scalar");

	err = ynode_check_keys(doc, root, keys);
	if (err)
		return err;

	if (!ynode_get(root, "domains"))
		return missing(doc, root, "the configuration", "domains");

	/* in file order, so the first error is the first in the file */
	for (size_t i = 0; i < root->count; i++) {
		const char *key = ynode_key(root, i)->val;
		const struct ynode *v = ynode_val(root, i);

		if (!strcmp(key, "account"))
			err = load_account(ld, v);
		else if (!strcmp(key, "domains"))
			err = load_domains(ld, v);
		else if (!strcmp(key, "credential_lists"))
			err = load_lists(ld, v);
		else if (!strcmp(key, "limits"))
			err = load_limits(ld, v);
		else if (!strcmp(key, "profile"))
			err = load_profile(ld, v);
		else if (!strcmp(key, "numbers"))
			err = load_numbers(ld, v);
		else if (!strcmp(key, "verified_caller_ids"))
			err = load_verified(ld, v);
		else if (!strcmp(key, "applications"))
			err = load_apps(ld, v);
		else if (!strcmp(key, "pstn"))
			err = load_pstn(ld, v);

		if (err)
			return err;
	}

	err = resolve_domains(ld);
	if (!err)
		err = resolve_numbers(ld);
	if (err)
		return err;

	return compute_ha1s(ld->cfg);
}


static void report(char *errbuf, size_t errsz, const struct ydoc *doc,
		   const char *name, int err)
{
	const char *msg = ydoc_error(doc, 0);

	if (!errbuf || !errsz)
		return;

	if (msg)
		str_ncpy(errbuf, msg, errsz);
	else
		(void)snprintf(errbuf, errsz, "%s: %s", name, strerror(err));
}


int reg_config_load_str(struct reg_config **cfgp, const char *name,
			const char *yaml, size_t len, char *errbuf,
			size_t errsz)
{
	struct loader ld;
	struct ydoc *doc = NULL;
	struct config *c;
	int err;

	if (errbuf && errsz)
		errbuf[0] = '\0';

	if (!name)
		name = "<string>";

	if (!cfgp || !yaml) {
		report(errbuf, errsz, NULL, name, EINVAL);
		return EINVAL;
	}

	c = mem_zalloc(sizeof(*c), config_destructor);
	if (!c) {
		report(errbuf, errsz, NULL, name, ENOMEM);
		return ENOMEM;
	}

	err = config_defaults(&c->pub, name);
	if (err)
		goto out;

	err = ydoc_load_str(&doc, name, yaml, len);
	if (err)
		goto out;

	memset(&ld, 0, sizeof(ld));
	ld.doc = doc;
	ld.c   = c;
	ld.cfg = &c->pub;

	err = load(&ld);

 out:
	if (err) {
		report(errbuf, errsz, doc, name, err);
		mem_deref(c);
		/* ytree's errors are EINVAL; only a lack of memory differs */
		err = (err == ENOMEM) ? ENOMEM : EINVAL;
	}
	else {
		*cfgp = &c->pub;
	}

	mem_deref(doc);

	return err;
}


int reg_config_load_file(struct reg_config **cfgp, const char *path,
			 char *errbuf, size_t errsz)
{
	char *text = NULL;
	size_t len = 0;
	int err;

	if (errbuf && errsz)
		errbuf[0] = '\0';

	if (!cfgp || !path) {
		report(errbuf, errsz, NULL, path ? path : "<null>", EINVAL);
		return EINVAL;
	}

	/* read here, not in ytree, to tell "cannot read" from bad YAML */
	err = textfile_read(&text, &len, path, MAX_FILE_SIZE);
	if (err) {
		if (errbuf && errsz)
			(void)snprintf(errbuf, errsz, "%s: cannot read: %s",
				       path, strerror(err));
		return err;
	}

	err = reg_config_load_str(cfgp, path, text, len, errbuf, errsz);
	mem_deref(text);

	return err;
}


const char *reg_config_default_yaml(void)
{
	return default_yaml;
}


int reg_config_default(struct reg_config **cfgp)
{
	return reg_config_load_str(cfgp, "<default>", default_yaml,
				   sizeof(default_yaml) - 1, NULL, 0);
}


const struct domain_conf *reg_config_domain(const struct reg_config *cfg,
					    const char *host, size_t len)
{
	if (!cfg || !host)
		return NULL;

	for (uint32_t i = 0; i < cfg->domainc; i++) {
		const struct domain_conf *d = &cfg->domainv[i];

		if (strlen(d->name) == len && !strncasecmp(d->name, host, len))
			return d;
	}

	return NULL;
}


const struct credential *reg_config_credential(const struct reg_config *cfg,
					       const struct domain_conf *dom,
					       bool for_calls,
					       const char *user, size_t len)
{
	const struct config *c = (const struct config *)cfg;
	const uint32_t *idxv;
	uint32_t idxc;

	if (!cfg || !dom || !user)
		return NULL;

	idxv = for_calls ? dom->call_listv : dom->reg_listv;
	idxc = for_calls ? dom->call_listc : dom->reg_listc;

	for (uint32_t i = 0; i < idxc; i++) {
		const struct credential *cred;

		if (idxv[i] >= cfg->listc)
			continue;

		cred = index_find(&c->idxv[idxv[i]], user, len);
		if (cred)
			return cred;
	}

	return NULL;
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


const struct number_conf *reg_config_number(const struct reg_config *cfg,
					    const char *number)
{
	for (uint32_t i = 0; cfg && number && i < cfg->numberc; i++) {
		if (cfg->numberv[i].number &&
		    !strcmp(cfg->numberv[i].number, number))
			return &cfg->numberv[i];
	}

	return NULL;
}


const struct application_conf *reg_config_app(const struct reg_config *cfg,
					      const char *name)
{
	for (uint32_t i = 0; cfg && name && i < cfg->appc; i++) {
		if (!strcmp(cfg->appv[i].name, name))
			return &cfg->appv[i];
	}

	return NULL;
}


bool reg_config_caller_id_ok(const struct reg_config *cfg,
			     const char *number)
{
	if (!cfg || !number)
		return false;

	if (reg_config_number(cfg, number))
		return true;

	for (uint32_t i = 0; i < cfg->verifiedc; i++) {
		if (!strcmp(cfg->verifiedv[i], number))
			return true;
	}

	return false;
}


const struct pstn_number_conf *reg_config_pstn(const struct reg_config *cfg,
					       const char *number)
{
	if (!cfg)
		return NULL;

	for (uint32_t i = 0; number && i < cfg->pstn.numc; i++) {
		if (!strcmp(cfg->pstn.numv[i].number, number))
			return &cfg->pstn.numv[i];
	}

	return &cfg->pstn.dflt;
}
