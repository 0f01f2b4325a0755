/**
 * @file test_twiml.c  The TwiML subset, TwiML Bin templates and E.164
 * normalisation (CALL-OUT-3, CALL-OUT-4), and the calls' configuration
 * keys.
 */

#include <check.h>
#include "fixture.h"
#include <errno.h>
#include <string.h>
#include <re.h>
#include "twiml.h"
#include "config.h"

static char err[256];


static struct twiml *parse_ok(const char *text)
{
	struct twiml *doc = NULL;
	int e = twiml_parse(&doc, text, strlen(text), err, sizeof(err));

	ck_assert_msg(e == 0, "parse failed: %s", err);
	ck_assert_ptr_nonnull(doc);

	return doc;
}


static void parse_bad(const char *text, const char *what)
{
	struct twiml *doc = NULL;
	int e = twiml_parse(&doc, text, strlen(text), err, sizeof(err));

	ck_assert_int_eq(e, EINVAL);
	ck_assert_ptr_null(doc);
	ck_assert_msg(strstr(err, what) != NULL, "error '%s' lacks '%s'",
		      err, what);
}


START_TEST(test_parse_verbs)
{
	struct twiml *doc = parse_ok(
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<Response>\n"
		"  <!-- a comment -->\n"
		"  <Pause/>\n"
		"  <Say voice=\"alice\">Hello &amp; welcome</Say>\n"
		"  <Pause length=\"5\"></Pause>\n"
		"  <Dial callerId='+14155550100' timeout=\"12\">\n"
		"     +14155551234\n"
		"  </Dial>\n"
		"  <Dial><Sip>alice@example.sip.us1.twilio.com</Sip>"
		"<Number>+14155550123</Number></Dial>\n"
		"  <Reject reason=\"busy\"/>\n"
		"  <Reject/>\n"
		"  <Hangup/>\n"
		"</Response>\n");

	ck_assert_uint_eq(doc->verbc, 8);

	ck_assert_int_eq(doc->verbv[0].kind, TWIML_PAUSE);
	ck_assert_uint_eq(doc->verbv[0].seconds, 1);
	ck_assert_uint_eq(doc->verbv[0].line, 4);

	ck_assert_int_eq(doc->verbv[1].kind, TWIML_SAY);
	ck_assert_str_eq(doc->verbv[1].text, "Hello & welcome");

	ck_assert_int_eq(doc->verbv[2].kind, TWIML_PAUSE);
	ck_assert_uint_eq(doc->verbv[2].seconds, 5);

	ck_assert_int_eq(doc->verbv[3].kind, TWIML_DIAL);
	ck_assert_str_eq(doc->verbv[3].caller_id, "+14155550100");
	ck_assert_uint_eq(doc->verbv[3].seconds, 12);
	ck_assert_uint_eq(doc->verbv[3].nounc, 1);
	ck_assert_int_eq(doc->verbv[3].nounv[0].kind, TWIML_NUMBER);
	ck_assert_str_eq(doc->verbv[3].nounv[0].target, "+14155551234");

	ck_assert_int_eq(doc->verbv[4].kind, TWIML_DIAL);
	ck_assert_ptr_null(doc->verbv[4].caller_id);
	ck_assert_uint_eq(doc->verbv[4].seconds, 0);
	ck_assert_uint_eq(doc->verbv[4].nounc, 2);
	ck_assert_int_eq(doc->verbv[4].nounv[0].kind, TWIML_SIP);
	ck_assert_str_eq(doc->verbv[4].nounv[0].target,
			 "alice@example.sip.us1.twilio.com");
	ck_assert_int_eq(doc->verbv[4].nounv[1].kind, TWIML_NUMBER);

	ck_assert_int_eq(doc->verbv[5].kind, TWIML_REJECT);
	ck_assert(doc->verbv[5].busy);
	ck_assert_int_eq(doc->verbv[6].kind, TWIML_REJECT);
	ck_assert(!doc->verbv[6].busy);
	ck_assert_int_eq(doc->verbv[7].kind, TWIML_HANGUP);

	mem_deref(doc);

	doc = parse_ok("<Response/>");
	ck_assert_uint_eq(doc->verbc, 0);
	mem_deref(doc);
}
END_TEST


START_TEST(test_parse_errors)
{
	parse_bad("", "starts with <Response>");
	parse_bad("<Resp></Resp>", "root element must be <Response>");
	parse_bad("<Response><Play>x.mp3</Play></Response>",
		  "<Play> is not simulated");
	parse_bad("<Response><Dial><Client>bob</Client></Dial></Response>",
		  "<Client> inside <Dial>");
	parse_bad("<Response><Dial/></Response>", "names nobody");
	parse_bad("<Response><Dial>+1415<Sip>a@b</Sip></Dial></Response>",
		  "not both");
	parse_bad("<Response><Dial timeout=\"0\">+14155551234</Dial>"
		  "</Response>", "timeout must be whole seconds");
	parse_bad("<Response><Dial timeout=\"abc\">+14155551234</Dial>"
		  "</Response>", "timeout");
	parse_bad("<Response><Pause length=\"601\"/></Response>", "length");
	parse_bad("<Response><Reject reason=\"later\"/></Response>",
		  "busy or rejected");
	parse_bad("<Response><Say>a</Sai></Response>", "</Say> expected");
	parse_bad("<Response><Say>a &nbsp; b</Say></Response>",
		  "unknown entity");
	parse_bad("<Response>hello</Response>", "text directly inside");
	parse_bad("<Response><Hangup/>", "not closed");
	parse_bad("<Response></Response><Response/>", "after </Response>");
	parse_bad("<Response>\n  <Hangup>x</Hangup></Response>",
		  "must be empty");

	/* errors name line and column */
	parse_bad("<Response>\n\n   <Gather/></Response>", "3:4:");
}
END_TEST


static void e164_ok(const char *in, const char *want)
{
	char out[24];
	int e = twiml_e164(out, sizeof(out), in, strlen(in));

	ck_assert_msg(e == 0, "'%s' should convert", in);
	ck_assert_str_eq(out, want);
}


static void e164_bad(const char *in)
{
	char out[24];

	ck_assert_msg(twiml_e164(out, sizeof(out), in, strlen(in)) == EDOM,
		      "'%s' should not convert", in);
}


START_TEST(test_e164)
{
	e164_ok("+14155551234", "+14155551234");
	e164_ok("4155551234", "+14155551234");     /* NANP: country code 1 */
	e164_ok("14155551234", "+14155551234");
	e164_ok("(415) 555-1234", "+14155551234");
	e164_ok(" +44 1562 720212 ", "+441562720212");
	e164_ok("00441562720212", "+441562720212");
	e164_ok("+81312345678", "+81312345678");
	e164_ok("+12345678", "+12345678");         /* 8 digits: the least */

	e164_bad("abc");
	e164_bad("");
	e164_bad("+1234567");                      /* 7 digits */
	e164_bad("+1234567890123456");             /* 16 digits */
	e164_bad("555-1234");                      /* 7 digits, no + */
	e164_bad("0415551234");                    /* 10, leading 0 */
	e164_bad("24155551234");                   /* 11, not NANP */
	e164_bad("+1415555abcd");
	e164_bad("alice");
	e164_bad("1+4155551234");

	ck_assert(twiml_is_e164("+14155551234"));
	ck_assert(!twiml_is_e164("14155551234"));
	ck_assert(!twiml_is_e164("+1415555123x"));
}
END_TEST


static char *expand_ok(const char *tmpl, const char *to, const char *from)
{
	const struct twiml_vars vars = {to, from};
	char *out = NULL;
	int e = twiml_expand(&out, tmpl, &vars, err, sizeof(err));

	ck_assert_msg(e == 0, "expand failed: %s", err);

	return out;
}


START_TEST(test_templates)
{
	const struct twiml_vars vars = {"abc", "alice"};
	char *out;
	int e;

	/* the seed's examples */
	out = expand_ok("<Response><Dial callerId=\"+14087998994\">"
			"{{#e164}}{{To}}{{/e164}}</Dial></Response>",
			"4155551234", "alice");
	ck_assert_str_eq(out, "<Response><Dial callerId=\"+14087998994\">"
			 "+14155551234</Dial></Response>");
	mem_deref(out);

	out = expand_ok("<Dial callerId=\"{{#e164}}{{From}}{{/e164}}\">"
			"{{#e164}}{{To}}{{/e164}}</Dial>", "+14155551234",
			"14155550100");
	ck_assert_str_eq(out, "<Dial callerId=\"+14155550100\">"
			 "+14155551234</Dial>");
	mem_deref(out);

	/* plain variables, XML-escaped; unknown ones are empty */
	out = expand_ok("{{ To }}|{{From}}|{{CallSid}}|{{! note }}",
			"a<b", "x&y");
	ck_assert_str_eq(out, "a&lt;b|x&amp;y||");
	mem_deref(out);

	/* CALL-OUT-4: not convertible */
	out = NULL;
	e = twiml_expand(&out, "<Dial>{{#e164}}{{To}}{{/e164}}</Dial>", &vars,
			 err, sizeof(err));
	ck_assert_int_eq(e, EDOM);
	ck_assert_ptr_null(out);
	ck_assert_ptr_nonnull(strstr(err, "'abc' is not a phone number"));

	/* broken templates */
	e = twiml_expand(&out, "{{#e164}}{{To}}", &vars, err, sizeof(err));
	ck_assert_int_eq(e, EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "not closed"));
	e = twiml_expand(&out, "{{/e164}}", &vars, err, sizeof(err));
	ck_assert_int_eq(e, EINVAL);
	e = twiml_expand(&out, "{{#upper}}x{{/upper}}", &vars, err,
			 sizeof(err));
	ck_assert_int_eq(e, EINVAL);
	e = twiml_expand(&out, "{{To", &vars, err, sizeof(err));
	ck_assert_int_eq(e, EINVAL);
	e = twiml_expand(&out, "{{#e164}}{{#e164}}1{{/e164}}{{/e164}}",
			 &vars, err, sizeof(err));
	ck_assert_int_eq(e, EINVAL);
}
END_TEST


static const char base_yaml[] =
	"domains:\n"
	"  - name: example.sip.us1.twilio.com\n"
	"    credential_lists: {registration: [l], calls: [l]}\n"
	"%s"
	"credential_lists:\n"
	"  - name: l\n"
	"    credentials: [{username: alice, password: Conform-Pass-1}]\n"
	"%s";


static int load(struct reg_config **cfgp, const char *dom_extra,
		const char *extra)
{
	char yaml[4096];

	(void)re_snprintf(yaml, sizeof(yaml), base_yaml, dom_extra, extra);

	return reg_config_load_str(cfgp, "t.yaml", yaml, strlen(yaml), err,
				   sizeof(err));
}


START_TEST(test_config_keys)
{
	struct reg_config *cfg = NULL;
	const struct pstn_number_conf *pn;

	ck_assert_int_eq(load(&cfg, "    voice_application: out\n",
		"numbers:\n"
		"  - {number: \"+14155550199\", voice_application: ring}\n"
		"  - {number: \"+14155550198\"}\n"
		"verified_caller_ids: [\"+14155550100\"]\n"
		"applications:\n"
		"  ring: <Response><Dial><Sip>alice@example.sip.us1.twilio.com"
		"</Sip></Dial></Response>\n"
		"  out: |\n"
		"    <Response>\n"
		"      <Dial callerId=\"+14155550199\">{{#e164}}{{To}}{{/e164}}"
		"</Dial>\n"
		"    </Response>\n"
		"pstn:\n"
		"  default: ring\n"
		"  after: 2\n"
		"  numbers:\n"
		"    \"+14155550123\": busy\n"
		"    \"+14155550124\": {behaviour: answer, after: 5, "
		"hangup_after: 20}\n"
		"profile: {say_seconds: 4, ring_timeout: 20}\n"), 0);

	ck_assert_uint_eq(cfg->numberc, 2);
	ck_assert_str_eq(reg_config_number(cfg, "+14155550199")->app->name,
			 "ring");
	ck_assert_ptr_null(reg_config_number(cfg, "+14155550198")->app);
	ck_assert_ptr_null(reg_config_number(cfg, "+14155550100"));
	ck_assert_str_eq(cfg->domainv[0].app->name, "out");
	ck_assert(reg_config_caller_id_ok(cfg, "+14155550100"));
	ck_assert(reg_config_caller_id_ok(cfg, "+14155550199"));
	ck_assert(!reg_config_caller_id_ok(cfg, "+14155550101"));
	ck_assert_uint_eq(cfg->profile.say_seconds, 4);
	ck_assert_uint_eq(cfg->profile.ring_timeout, 20);

	pn = reg_config_pstn(cfg, "+14155550123");
	ck_assert_int_eq(pn->behaviour, PSTN_BUSY);
	ck_assert_uint_eq(pn->after, 2);      /* the defaults, then its own */
	pn = reg_config_pstn(cfg, "+14155550124");
	ck_assert_int_eq(pn->behaviour, PSTN_ANSWER);
	ck_assert_uint_eq(pn->after, 5);
	ck_assert_uint_eq(pn->hangup_after, 20);
	pn = reg_config_pstn(cfg, "+14155559999");
	ck_assert_int_eq(pn->behaviour, PSTN_RING);
	mem_deref(cfg);

	/* nothing given: no numbers, the outside network answers in 1 s */
	ck_assert_int_eq(load(&cfg, "", ""), 0);
	ck_assert_uint_eq(cfg->numberc, 0);
	ck_assert_ptr_null(cfg->domainv[0].app);
	ck_assert_uint_eq(cfg->profile.say_seconds, 3);
	pn = reg_config_pstn(cfg, "+14155551234");
	ck_assert_int_eq(pn->behaviour, PSTN_ANSWER);
	ck_assert_uint_eq(pn->after, 1);
	mem_deref(cfg);

	/* the default configuration has a number and both applications */
	ck_assert_int_eq(reg_config_default(&cfg), 0);
	ck_assert_str_eq(reg_config_number(cfg, "+14155550199")->app->name,
			 "ring-alice");
	ck_assert_str_eq(cfg->domainv[0].app->name, "outbound");
	mem_deref(cfg);
}
END_TEST


static void config_bad(const char *dom_extra, const char *extra,
		       const char *what)
{
	struct reg_config *cfg = NULL;

	ck_assert_int_eq(load(&cfg, dom_extra, extra), EINVAL);
	ck_assert_ptr_null(cfg);
	ck_assert_msg(strstr(err, what) != NULL, "error '%s' lacks '%s'",
		      err, what);
	ck_assert_msg(!strncmp(err, "t.yaml:", 7), "no position: %s", err);
}


START_TEST(test_config_errors)
{
	config_bad("", "numbers: [{number: \"4155550199\"}]\n",
		   "must be an E.164 number");
	config_bad("", "numbers: [{number: \"+14155550199\"}, "
		   "{number: \"+14155550199\"}]\n", "listed twice");
	config_bad("", "numbers: [{number: \"+14155550199\", "
		   "voice_application: nope}]\n", "unknown application 'nope'");
	config_bad("    voice_application: nope\n", "",
		   "unknown application 'nope'");
	config_bad("", "verified_caller_ids: [alice]\n", "E.164");
	config_bad("", "applications: {a: \"<Response><Play/></Response>\"}\n",
		   "application 'a': TwiML 1:11: <Play> is not simulated");
	config_bad("", "applications: {a: \"<Response>{{#e164}}</Response>\"}"
		   "\n", "application 'a': template:");
	config_bad("", "pstn: {default: maybe}\n", "answer, busy or ring");
	config_bad("", "pstn: {numbers: {\"+14155550123\": {after: 601}}}\n",
		   "after must be between 0 and 600");
	config_bad("", "pstn: {colour: red}\n", "colour");
	config_bad("", "profile: {ring_timeout: 0}\n", "ring_timeout");
	config_bad("", "profile: {say_seconds: 601}\n", "say_seconds");
}
END_TEST


FIXTURE_MAIN("twiml",
	FIXTURE_CASE("twiml", NULL, NULL, 0, 0,
		test_parse_verbs, test_parse_errors, test_e164, test_templates,
		test_config_keys, test_config_errors))
