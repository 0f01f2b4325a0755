/**
 * @file config.h  Registrar configuration, shaped like the hosted service:
 * one account, its SIP domains, credential lists, limits, and the profile
 * (every choice the rules table marks C).  Loaded from YAML (config.c) or
 * from the embedded default; errors name `file:line:col`.  Every key is a
 * row of the schema table (config/schema.c); a new scalar key is its
 * member here and one row there.
 */

#ifndef SIPCONFORM_CONFIG_H
#define SIPCONFORM_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "rules.h"

struct ydoc;
struct re_printf;

enum { CONFIG_MAX_LISTS_PER_DOMAIN = 16 };

struct credential {
	char *username;           /* <= 32 characters                          */
	char *password;           /* NULL when only ha1 is known               */
	char ha1[33];             /* MD5(user:realm:password), lower-case hex  */
};

struct application_conf {
	char *name;
	char *twiml;              /* TwiML document, templates unexpanded      */
};

/* a phone number of the account */
struct number_conf {
	char *number;             /* E.164: "+14155550199"                     */
	const struct application_conf *app;   /* what a call runs, or NULL */
};

/* the simulated outside network (pstn.c) */
enum pstn_behaviour {
	PSTN_ANSWER,              /* answers after `after` seconds             */
	PSTN_BUSY,                /* 486 at once                               */
	PSTN_RING,                /* rings and never answers                   */
};

struct pstn_number_conf {
	char *number;             /* E.164                                     */
	enum pstn_behaviour behaviour;
	uint32_t after;           /* answer: seconds of ringing first          */
	uint32_t hangup_after;    /* answer: seconds of talk until the far end
				     hangs up; 0 never                         */
};

struct pstn_conf {
	struct pstn_number_conf dflt;   /* every number not listed         */
	struct pstn_number_conf *numv;
	uint32_t numc;
};

/* what a <Play> URL stands for: a WAV file (8 kHz mono 16-bit) */
struct play_conf {
	char *url;
	char *file;
};

struct credential_list {
	char *name;
	struct credential *credv;
	uint32_t credc;
};

struct domain_conf {
	char *name;               /* full host: example.sip.us1.twilio.com     */
	char *label;              /* "example"                                 */
	char *region;             /* "us1"                                     */
	char *suffix;             /* "twilio.com"                              */
	bool registration;        /* SIP registration switched on              */
	bool secure_media;        /* SDES SRTP over TLS only (MEDIA-SRTP-1)    */
	uint32_t reg_listc;       /* credential lists mapped for registration  */
	uint32_t reg_listv[CONFIG_MAX_LISTS_PER_DOMAIN];   /* indexes         */
	uint32_t call_listc;      /* credential lists mapped for calls         */
	uint32_t call_listv[CONFIG_MAX_LISTS_PER_DOMAIN];
	const struct application_conf *app;  /* voice_application, or NULL  */
};

struct limits_conf {
	uint32_t contacts_per_aor;          /* 10                              */
	uint32_t registers_per_second;      /* 5, per AOR                      */
	uint32_t registrations_per_domain;  /* 10,000                          */
	uint32_t registrations_per_account; /* 20,000                          */
	uint32_t max_expires;               /* 600                             */
	uint32_t min_expires;               /* 0: no minimum                   */
	uint32_t default_expires;           /* asked when none given: 3600     */
	uint32_t nonce_pool;                /* digest nonce slots: 65536       */
	uint32_t reply_cache_max;           /* answers kept (Timer J): 65536   */
};

/* a reply the profile gives for one rule ID instead of the table's */
struct rule_reply {
	bool set;
	uint16_t scode;
	char *reason;             /* NULL: the table's                         */
	uint32_t twilio_error;    /* 0: none                                   */
	char *error_text;
};

enum loopback_policy {
	LOOPBACK_ALLOW,           /* local test phones live on loopback        */
	LOOPBACK_REJECT,          /* what the real service does (REG-CONTACT-1) */
};

struct profile_conf {
	char *name;               /* "default"                                 */
	char *realm;              /* "sip.twilio.com"                          */
	uint16_t challenge;       /* 407 (Proxy-Authenticate) or 401 (WWW-)    */
	uint32_t nonce_lifetime;  /* seconds, 300                              */
	bool accept_authorization;/* REG-AUTH-6: Authorization accepted too    */
	enum loopback_policy loopback_contacts;
	uint16_t refer_reply;     /* REFER-1: 405, 403, 501 or 603             */
	uint32_t ring_timeout;    /* RING-5: Dial timeout, seconds, 30         */
	uint32_t say_seconds;     /* how long one <Say> speaks, seconds, 3     */
	uint32_t media_timeout;   /* MEDIA-RTP-3: BYE after this many seconds
				     without RTP; 0 never (the default)        */
	struct rule_reply replies[RULE_COUNT];
};

struct reg_config {
	char *source;             /* file name, or "<default>"                 */
	char *account_sid;
	char *account_name;
	struct domain_conf *domainv;
	uint32_t domainc;         /* at most 100                               */
	struct credential_list *listv;
	uint32_t listc;
	struct limits_conf limits;
	struct profile_conf profile;
	struct number_conf *numberv;        /* the account's phone numbers */
	uint32_t numberc;
	char **verifiedv;                   /* verified caller IDs (E.164) */
	uint32_t verifiedc;
	struct application_conf *appv;      /* TwiML applications          */
	uint32_t appc;
	struct pstn_conf pstn;
	struct play_conf *playv;            /* <Play> URL -> WAV file      */
	uint32_t playc;
};

/*
 * Load from a file / text.  On error returns EINVAL (or errno) and, when
 * errbuf is given, writes `file:line:col: what is wrong` into it.
 */
int reg_config_load_file(struct reg_config **cfgp, const char *path,
			 char *errbuf, size_t errsz);
int reg_config_load_str(struct reg_config **cfgp, const char *name,
			const char *yaml, size_t len, char *errbuf,
			size_t errsz);
int reg_config_default(struct reg_config **cfgp);
const char *reg_config_default_yaml(void);

/*
 * The configuration as YAML, every key with its value and, as comments,
 * its doc and default (--print-config); loading it gives the same
 * configuration.  And the schema as a Markdown table (--config-schema,
 * the key table of sim-registrar/README.md).  Both for "%H".
 */
int reg_config_print(struct re_printf *pf, const struct reg_config *cfg);
int reg_config_schema_print(struct re_printf *pf, void *unused);

/* lookups used by the registrar */
const struct domain_conf *reg_config_domain(const struct reg_config *cfg,
					    const char *host, size_t len);
const struct credential *reg_config_credential(const struct reg_config *cfg,
					       const struct domain_conf *dom,
					       bool for_calls,
					       const char *user, size_t len);

/* calls: a number of the account (exact E.164), an application by name,
 * a caller ID the account may use (its numbers and verified_caller_ids),
 * how the outside network treats a number */
const struct number_conf *reg_config_number(const struct reg_config *cfg,
					    const char *number);
const struct application_conf *reg_config_app(const struct reg_config *cfg,
					      const char *name);
/* the WAV file a <Play> URL stands for, or NULL */
const char *reg_config_play_file(const struct reg_config *cfg,
				 const char *url);
bool reg_config_caller_id_ok(const struct reg_config *cfg,
			     const char *number);
const struct pstn_number_conf *reg_config_pstn(const struct reg_config *cfg,
					       const char *number);

/* the reply for a rule: the profile's override, else the table's */
void reg_config_reply(const struct reg_config *cfg, enum rule_id id,
		      uint16_t *scode, const char **reason,
		      uint32_t *twilio_error, const char **error_text);

#endif
