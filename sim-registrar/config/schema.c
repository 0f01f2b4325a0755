/**
 * @file config/schema.c  The configuration schema: one row per key
 *
 * Adding a scalar key is one row here (and its member in config.h): the
 * loader, --print-config, --config-schema and the README's key table all
 * follow.  The rows repeat one shape on purpose: they are the data.  Rows are in depth-first order (a key's rows follow it), which
 * is also the order of the "expected one of" lists, the order keys of a
 * section are read in, and the order --print-config prints them in.
 */

#include <string.h>
#include <re.h>
#include "config/schema.h"

#define REG struct reg_config
#define DOM struct domain_conf
#define LST struct credential_list
#define NUM struct number_conf
#define RPL struct rule_reply
#define PNM struct pstn_number_conf
#define PLY struct play_conf

/* where a value lands: its offset and size in the row's base struct */
#define AT(st, m) .off = offsetof(st, m), .size = sizeof(((st *)0)->m)

/* where a list of items lands: its array, item size and count */
#define ITEMS(st, v, c) .off = offsetof(st, v), \
	.size = sizeof(((st *)0)->v[0]), .count_off = offsetof(st, c)

#define ANY UINT32_MAX

/* CFG_WORD rows store the index: these lists follow the enums' order */
static const char *const w_loopback[]  = {"allow", "reject", NULL};
static const char *const w_behaviour[] = {"answer", "busy", "ring", NULL};
static const char *const w_challenge[] = {"401", "407", NULL};
static const char *const w_refer[]     = {"403", "405", "501", "603", NULL};

_Static_assert(LOOPBACK_ALLOW == 0 && LOOPBACK_REJECT == 1,
	       "w_loopback follows enum loopback_policy");
_Static_assert(PSTN_ANSWER == 0 && PSTN_BUSY == 1 && PSTN_RING == 2,
	       "w_behaviour follows enum pstn_behaviour");

static const struct cfg_row rows[] = {
	{"account", CFG_MAP, .what = "account",
	 .doc = "the account the domains belong to"},
	{"account.sid", CFG_TEXT, AT(REG, account_sid),
	 .doc = "its SID, AC followed by 32 hex digits"},
	{"account.name", CFG_TEXT, AT(REG, account_name),
	 .doc = "its friendly name"},

	{"domains", CFG_LIST, CFG_REQUIRED, .what = "domains",
	 .load = cfg_load_domains, ITEMS(REG, domainv, domainc),
	 .doc = "the SIP domains served, 1 to 100"},
	{"domains[]", CFG_MAP, .what = "a domain",
	 .doc = "one SIP domain"},
	{"domains[].name", CFG_TEXT, CFG_REQUIRED, AT(DOM, name),
	 .check = cfg_check_domain_name,
	 .doc = "{label}.sip.{region}.{suffix}, e.g. "
		"example.sip.us1.twilio.com; compared case-insensitively, "
		"unique"},
	{"domains[].region", CFG_TEXT, .check = cfg_check_domain_region,
	 .print = cfg_print_domain_region,
	 .doc = "must equal the region in name"},
	{"domains[].registration", CFG_BOOL, .dflt = "true",
	 AT(DOM, registration),
	 .doc = "SIP registration switched on"},
	{"domains[].secure_media", CFG_BOOL, .dflt = "false",
	 AT(DOM, secure_media),
	 .doc = "SDES SRTP over TLS only (MEDIA-SRTP-1): an INVITE needs "
		"RTP/SAVP with a=crypto AES_CM_128_HMAC_SHA1_80 and TLS, "
		"else 488; off: an RTP/SAVP-only offer gets 488"},
	{"domains[].credential_lists", CFG_MAP, CFG_LATER,
	 .what = "credential_lists of a domain",
	 .print = cfg_print_domain_lists,
	 .doc = "the credential lists mapped to the domain"},
	{"domains[].credential_lists.registration", CFG_LIST, CFG_LATER,
	 .what = "registration",
	 .doc = "names of credential lists for REGISTER, at most 16"},
	{"domains[].credential_lists.calls", CFG_LIST, CFG_LATER,
	 .what = "calls",
	 .doc = "names of credential lists for INVITE, at most 16"},
	{"domains[].voice_application", CFG_TEXT, CFG_LATER, AT(DOM, app),
	 .print = cfg_print_app_name,
	 .doc = "what an authenticated INVITE from a phone runs "
		"(CALL-OUT-3): a name in applications; none: such an INVITE "
		"gets 503"},

	{"credential_lists", CFG_LIST, .what = "credential_lists",
	 .load = cfg_load_lists, .print = cfg_print_lists,
	 .doc = "the credential lists (at most 200000 credentials in all)"},
	{"credential_lists[]", CFG_MAP, .what = "a credential list",
	 .doc = "one credential list"},
	{"credential_lists[].name", CFG_TEXT, CFG_REQUIRED, AT(LST, name),
	 .check = cfg_check_list_name,
	 .doc = "non-empty, unique"},
	{"credential_lists[].credentials", CFG_LIST, .what = "credentials",
	 .load = cfg_load_credentials,
	 .doc = "its credentials"},
	{"credential_lists[].credentials[]", CFG_MAP, .what = "a credential",
	 .doc = "one credential, or a range of them"},
	{"credential_lists[].credentials[].username", CFG_TEXT, CFG_REQUIRED,
	 .doc = "at most 32 characters, unique in the list; one {A..B} "
		"range expands to B-A+1 credentials (A <= B, at most "
		"100000), a leading zero in A pads every number to A's "
		"width"},
	{"credential_lists[].credentials[].password", CFG_TEXT,
	 .doc = "at least 12 characters with a digit, an upper and a lower "
		"case letter; exactly one of password and ha1"},
	{"credential_lists[].credentials[].ha1", CFG_TEXT,
	 .doc = "MD5(username:realm:password) as 32 hex digits; not with a "
		"range (an HA1 holds the username)"},

	{"limits", CFG_MAP, .what = "limits", .check = cfg_check_limits,
	 .doc = "the service's limits"},
	{"limits.contacts_per_aor", CFG_U32, .min = 1, .max = ANY,
	 .dflt = "10", AT(REG, limits.contacts_per_aor),
	 .doc = "bindings of one AOR"},
	{"limits.registers_per_second", CFG_U32, .min = 1, .max = ANY,
	 .dflt = "5", AT(REG, limits.registers_per_second),
	 .doc = "REGISTERs per second of one AOR"},
	{"limits.registrations_per_domain", CFG_U32, .min = 1, .max = ANY,
	 .dflt = "10000", AT(REG, limits.registrations_per_domain),
	 .doc = "bindings of one domain"},
	{"limits.registrations_per_account", CFG_U32, .min = 1, .max = ANY,
	 .dflt = "20000", AT(REG, limits.registrations_per_account),
	 .doc = "bindings of the account"},
	{"limits.max_expires", CFG_U32, .min = 1, .max = ANY,
	 .dflt = "600", AT(REG, limits.max_expires),
	 .doc = "the longest registration granted, seconds"},
	{"limits.min_expires", CFG_U32, .min = 0, .max = ANY,
	 .dflt = "0", AT(REG, limits.min_expires),
	 .doc = "the shortest registration accepted, seconds (0: none); "
		"not above max_expires"},
	{"limits.default_expires", CFG_U32, .min = 1, .max = ANY,
	 .dflt = "3600", AT(REG, limits.default_expires),
	 .doc = "asked for when a REGISTER gives no expiry, seconds"},
	{"limits.nonce_pool", CFG_U32, .min = 16, .max = 16777216,
	 .dflt = "65536", AT(REG, limits.nonce_pool),
	 .doc = "digest nonce slots: replay protection in constant memory, "
		"12 bytes a slot; a nonce whose slot was taken over gets a "
		"stale challenge"},
	{"limits.reply_cache_max", CFG_U32, .min = 16, .max = 16777216,
	 .dflt = "65536", AT(REG, limits.reply_cache_max),
	 .doc = "answers kept for retransmissions (Timer J), in a ring of "
		"64 bytes an answer; the oldest dropped first when full"},

	{"profile", CFG_MAP, .what = "profile",
	 .doc = "the choices the rules table marks C"},
	{"profile.name", CFG_TEXT, .dflt = "default", AT(REG, profile.name),
	 .doc = "the profile's name"},
	{"profile.realm", CFG_TEXT, .dflt = "sip.twilio.com",
	 AT(REG, profile.realm), .check = cfg_check_realm,
	 .doc = "the digest realm: non-empty, without `\"` or `\\`"},
	{"profile.challenge", CFG_U32, .words = w_challenge, .dflt = "407",
	 AT(REG, profile.challenge),
	 .doc = "the challenge to a REGISTER: 407 (Proxy-Authenticate) or "
		"401 (WWW-Authenticate)"},
	{"profile.nonce_lifetime", CFG_U32, .min = 1, .max = ANY,
	 .dflt = "300", AT(REG, profile.nonce_lifetime),
	 .doc = "seconds a nonce is good for"},
	{"profile.accept_authorization", CFG_BOOL, .dflt = "true",
	 AT(REG, profile.accept_authorization),
	 .doc = "an Authorization header is accepted too (REG-AUTH-6)"},
	{"profile.loopback_contacts", CFG_WORD, .words = w_loopback,
	 .dflt = "allow", AT(REG, profile.loopback_contacts),
	 .doc = "contacts on loopback: allow (local test phones) or reject "
		"as the real service does (REG-CONTACT-1)"},
	{"profile.refer_reply", CFG_U32, .words = w_refer, .dflt = "405",
	 AT(REG, profile.refer_reply),
	 .doc = "the answer to REFER (REFER-1)"},
	{"profile.ring_timeout", CFG_U32, .min = 1, .max = CFG_MAX_SECONDS,
	 .dflt = "30", AT(REG, profile.ring_timeout),
	 .doc = "the Dial timeout when `<Dial>` gives none, seconds (RING-5)"},
	{"profile.say_seconds", CFG_U32, .min = 0, .max = CFG_MAX_SECONDS,
	 .dflt = "3", AT(REG, profile.say_seconds),
	 .doc = "seconds one `<Say>` speaks (a tone of 2000 Hz on the leg)"},
	{"profile.media_timeout", CFG_U32, .min = 0, .max = ANY,
	 .dflt = "0", AT(REG, profile.media_timeout),
	 .doc = "seconds without RTP from a phone after which the call "
		"gets BYE (MEDIA-RTP-3); 0: never"},
	{"profile.replies", CFG_MAP, .what = "replies",
	 .load = cfg_load_replies, .print = cfg_print_replies,
	 .doc = "rule ID -> an override of its reply; each field left out "
		"is the rule's (with challenge and refer_reply applied)"},
	{"profile.replies.*", CFG_MAP, .what = "a reply override",
	 .doc = "the override for one rule ID"},
	{"profile.replies.*.code", CFG_U32, CFG_ZERO_SET, .min = 100,
	 .max = 699, AT(RPL, scode),
	 .doc = "the status code (with the rule's reason phrase)"},
	{"profile.replies.*.reason", CFG_TEXT, AT(RPL, reason),
	 .doc = "the reason phrase"},
	{"profile.replies.*.twilio_error", CFG_U32, .min = 0, .max = ANY,
	 AT(RPL, twilio_error),
	 .doc = "the X-Twilio-Error code; 0: none"},
	{"profile.replies.*.error_text", CFG_TEXT, AT(RPL, error_text),
	 .doc = "the X-Twilio-Error text"},

	{"numbers", CFG_LIST, .what = "numbers",
	 .load = cfg_load_numbers, ITEMS(REG, numberv, numberc),
	 .doc = "the account's phone numbers, at most 1000"},
	{"numbers[]", CFG_MAP, .what = "a number",
	 .doc = "one phone number"},
	{"numbers[].number", CFG_E164, CFG_REQUIRED, AT(NUM, number),
	 .check = cfg_check_number,
	 .doc = "the number, unique"},
	{"numbers[].voice_application", CFG_TEXT, CFG_LATER, AT(NUM, app),
	 .print = cfg_print_app_name,
	 .doc = "what a call to it runs (POST /calls, sim_registrar_call); "
		"none: such a call fails with 503"},

	{"verified_caller_ids", CFG_LIST, .what = "verified_caller_ids",
	 .load = cfg_load_verified, .print = cfg_print_verified,
	 .doc = "numbers the account may show as caller ID besides its own "
		"(CALL-OUT-5), at most 1000"},
	{"verified_caller_ids[]", CFG_E164, .what = "verified caller ID",
	 .doc = "one number"},

	{"applications", CFG_MAP, .what = "applications",
	 .load = cfg_load_apps, .print = cfg_print_apps,
	 .doc = "name -> TwiML document, at most 1000; checked at load "
		"(expanded with To=From=+14155550000, then parsed)"},
	{"applications.*", CFG_TEXT,
	 .doc = "Response, Say, Play (a URL of play), Pause, Gather (input, "
		"numDigits, finishOnKey, timeout, action: an application; "
		"Say, Play, Pause inside), Dial (callerId, timeout; a number, "
		"Number, Sip), Hangup, Reject; templates {{To}}, {{From}}, "
		"{{Digits}}, {{#e164}}..{{/e164}}; at most 65536 bytes"},

	{"pstn", CFG_MAP, .what = "pstn",
	 .doc = "the simulated outside network"},
	{"pstn.default", CFG_WORD, CFG_ANY_CHAR, .words = w_behaviour, .what = "behaviour",
	 .dflt = "answer", AT(REG, pstn.dflt.behaviour),
	 .doc = "what every number not listed does (ring: never answers)"},
	{"pstn.after", CFG_U32, .min = 0, .max = CFG_MAX_SECONDS,
	 .dflt = "1", AT(REG, pstn.dflt.after),
	 .doc = "seconds an answering number rings first"},
	{"pstn.hangup_after", CFG_U32, .min = 0, .max = ANY, .dflt = "0",
	 AT(REG, pstn.dflt.hangup_after),
	 .doc = "seconds of talk before an answering number hangs up; 0: "
		"never"},
	{"pstn.numbers", CFG_MAP, .what = "pstn numbers",
	 .load = cfg_load_pstn_numbers, .print = cfg_print_pstn_numbers,
	 .doc = "E.164 number -> its behaviour, at most 1000"},
	{"pstn.numbers.*", CFG_MAP, .what = "a number's behaviour",
	 .doc = "a behaviour word, or a map; what it leaves out is pstn's"},
	{"pstn.numbers.*.behaviour", CFG_WORD, CFG_ANY_CHAR, .words = w_behaviour,
	 .what = "behaviour", AT(PNM, behaviour),
	 .doc = "answer, busy or ring"},
	{"pstn.numbers.*.after", CFG_U32, .min = 0, .max = CFG_MAX_SECONDS,
	 AT(PNM, after),
	 .doc = "seconds it rings before answering"},
	{"pstn.numbers.*.hangup_after", CFG_U32, .min = 0, .max = ANY,
	 AT(PNM, hangup_after),
	 .doc = "seconds of talk before it hangs up; 0: never"},

	{"play", CFG_LIST, .what = "play",
	 .load = cfg_load_play, ITEMS(REG, playv, playc),
	 .doc = "what `<Play>` URLs stand for, at most 1000"},
	{"play[]", CFG_MAP, .what = "a play entry",
	 .doc = "one URL and its file"},
	{"play[].url", CFG_TEXT, CFG_REQUIRED, AT(PLY, url),
	 .doc = "the URL as written in `<Play>`"},
	{"play[].file", CFG_TEXT, CFG_REQUIRED, AT(PLY, file),
	 .doc = "a WAV file, 8 kHz mono 16-bit, played on the leg"},
};


const struct cfg_row *cfg_rows(size_t *n)
{
	*n = ARRAY_SIZE(rows);

	return rows;
}


const struct cfg_row *cfg_row_find(const char *path)
{
	for (size_t i = 0; path && i < ARRAY_SIZE(rows); i++) {
		if (!strcmp(rows[i].path, path))
			return &rows[i];
	}

	return NULL;
}


/* the last part of the path: the key in its map */
const char *cfg_row_key(const struct cfg_row *row)
{
	const char *dot = strrchr(row->path, '.');

	return dot ? dot + 1 : row->path;
}


/* a key of the map at parent ("": the top level), not an item or a
 * value of free keys */
bool cfg_row_is_child(const struct cfg_row *row, const char *parent)
{
	size_t len = strlen(parent);
	const char *rest;

	if (len) {
		if (strncmp(row->path, parent, len) || row->path[len] != '.')
			return false;
		rest = row->path + len + 1;
	}
	else {
		rest = row->path;
	}

	return !strpbrk(rest, ".[*");
}


static const char *type_name(const struct cfg_row *row)
{
	switch (row->type) {

	case CFG_MAP:  return "map";
	case CFG_LIST: return "list";
	case CFG_TEXT: return "text";
	case CFG_U32:  return "number";
	case CFG_BOOL: return "bool";
	case CFG_WORD: return "word";
	case CFG_E164: return "E.164";
	default:       return "?";
	}
}


static int print_values(struct re_printf *pf, const struct cfg_row *row)
{
	int err = 0;

	if (row->words) {
		for (size_t i = 0; row->words[i]; i++)
			err |= re_hprintf(pf, "%s`%s`", i ? ", " : "",
					  row->words[i]);
		return err;
	}

	if (row->type != CFG_U32)
		return 0;

	if (row->max == ANY)
		return re_hprintf(pf, ">= %u", row->min);

	return re_hprintf(pf, "%u..%u", row->min, row->max);
}


/*
 * The schema as a Markdown table: `sim-registrar --config-schema`, and
 * the key table of sim-registrar/README.md (test_config checks they agree).
 */
int reg_config_schema_print(struct re_printf *pf, void *unused)
{
	int err;

	(void)unused;

	err = re_hprintf(pf, "| key | type | default | values | meaning |\n"
			 "|---|---|---|---|---|\n");

	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		const struct cfg_row *row = &rows[i];

		err |= re_hprintf(pf, "| `%s` | %s%s | %s%s%s | ", row->path,
				  type_name(row),
				  row->flags & CFG_REQUIRED ?
				  ", required" : "",
				  row->dflt ? "`" : "",
				  row->dflt ? row->dflt : "",
				  row->dflt ? "`" : "");
		err |= print_values(pf, row);
		err |= re_hprintf(pf, " | %s |\n", row->doc);
	}

	return err;
}
