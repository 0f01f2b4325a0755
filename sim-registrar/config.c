/**
 * @file config.c  Registrar configuration from YAML: the entry points,
 * the embedded default, and the lookups the registrar uses.
 *
 * The schema (every key: its type, bounds, default, doc) is the table in
 * config/schema.c; config/walk.c loads by it, config/print.c prints by it
 * (--print-config), and --config-schema prints it as the README's key
 * table.  The sections' own rules: config/domains.c, credentials.c,
 * profile.c, numbers.c.
 *
 * Sections are read in file order; then the domains' list names and the
 * voice applications are resolved, and HA1s computed with the profile's
 * realm, which may come later in the file than the lists.
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <re.h>
#include "ytree.h"
#include "textfile.h"
#include "config/schema.h"

enum { MAX_FILE_SIZE = 64 * 1024 * 1024 };


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

	cfg_lists_free(c);

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


static int load(struct loader *ld)
{
	int err;

	err = cfg_read_root(ld, ydoc_root(ld->doc));
	if (!err)
		err = cfg_resolve_domains(ld);
	if (!err)
		err = cfg_resolve_numbers(ld);
	if (err)
		return err;

	return cfg_compute_ha1s(ld->cfg);
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

	err = str_dup(&c->pub.source, name);
	if (!err)
		err = cfg_apply_defaults(&c->pub);
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

		cred = cfg_index_find(&c->idxv[idxv[i]], user, len);
		if (cred)
			return cred;
	}

	return NULL;
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
