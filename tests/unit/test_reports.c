/**
 * @file test_reports.c  The report writers: JSON, XML, HTML and Markdown
 * escaping of nasty message text, the pcap header and record layout
 * (UDP, TCP sequence numbers, IPv6), the summary by rule ID, failure texts,
 * ladder selection, and all five files written for a made-up run.
 */

#include <check.h>
#include "fixture.h"
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <re.h>
#include "rules.h"
#include "scenario.h"
#include "runner.h"
#include "report.h"


/* ---------------------------------------------------------- helpers */

static struct mbuf *out;


static int mb_vph(const char *p, size_t size, void *arg)
{
	return mbuf_write_mem(arg, (const uint8_t *)p, size);
}


static struct re_printf *sink(void)
{
	static struct re_printf pf;

	mem_deref(out);
	out = mbuf_alloc(256);
	ck_assert_ptr_nonnull(out);
	pf.vph = mb_vph;
	pf.arg = out;

	return &pf;
}


/* what the sink got, as a string (static copy) */
static const char *got(void)
{
	static char buf[8192];

	ck_assert_uint_lt(out->end, sizeof(buf));
	memcpy(buf, out->buf, out->end);
	buf[out->end] = '\0';

	return buf;
}


static void setup(void)
{
	ck_assert_int_eq(libre_init(), 0);
}


static void teardown(void)
{
	out = mem_deref(out);
	libre_close();
}


static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}


static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
		(uint32_t)p[2] << 8 | p[3];
}


static uint32_t get32le(const uint8_t *p)
{
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 |
		(uint32_t)p[1] << 8 | p[0];
}


/*
 * quotes, markup, control characters, bytes that are no UTF-8: a stray
 * 0xff, a cut-off 0xc3, an overlong '/', a surrogate; then U+FFFE (valid
 * UTF-8, not an XML character), and good é, €, and an emoji
 */
static const char nasty[] =
	"a\"b\\c<d>&e'\x01\x1f\x7f\n\r\t|"
	"\xff" "\xc3(" "\xc0\xaf" "\xed\xa0\x80" "\xef\xbf\xbe"
	"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80";


/* ---------------------------------------------------------- escaping */

START_TEST(test_utf8)
{
	uint32_t cp = 0;

	ck_assert_uint_eq(report_utf8_seq("A", 1, &cp), 1);
	ck_assert_uint_eq(cp, 'A');
	ck_assert_uint_eq(report_utf8_seq("\xc3\xa9", 2, &cp), 2);
	ck_assert_uint_eq(cp, 0xe9);
	ck_assert_uint_eq(report_utf8_seq("\xe2\x82\xac", 3, &cp), 3);
	ck_assert_uint_eq(cp, 0x20ac);
	ck_assert_uint_eq(report_utf8_seq("\xf0\x9f\x98\x80", 4, &cp), 4);
	ck_assert_uint_eq(cp, 0x1f600);

	ck_assert_uint_eq(report_utf8_seq("\x80", 1, NULL), 0);   /* stray */
	ck_assert_uint_eq(report_utf8_seq("\xc3", 1, NULL), 0);   /* cut   */
	ck_assert_uint_eq(report_utf8_seq("\xc3(", 2, NULL), 0);
	ck_assert_uint_eq(report_utf8_seq("\xc0\xaf", 2, NULL), 0); /* long */
	ck_assert_uint_eq(report_utf8_seq("\xe0\x80\xaf", 3, NULL), 0);
	ck_assert_uint_eq(report_utf8_seq("\xed\xa0\x80", 3, NULL), 0);
	ck_assert_uint_eq(report_utf8_seq("\xf4\x90\x80\x80", 4, NULL), 0);
	ck_assert_uint_eq(report_utf8_seq("\xff", 1, NULL), 0);

	ck_assert(report_utf8_valid("plain \xc3\xa9", 8));
	ck_assert(!report_utf8_valid(nasty, sizeof(nasty) - 1));
}
END_TEST


START_TEST(test_json_escape)
{
	ck_assert_int_eq(report_json_strn(sink(), nasty, sizeof(nasty) - 1),
			 0);
	ck_assert_str_eq(got(),
		"\"a\\\"b\\\\c<d>&e'\\u0001\\u001f\\u007f\\n\\r\\t|"
		"\\ufffd" "\\ufffd(" "\\ufffd\\ufffd" "\\ufffd\\ufffd\\ufffd"
		"\xef\xbf\xbe"
		"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"");

	ck_assert_int_eq(report_json_str(sink(), NULL), 0);
	ck_assert_str_eq(got(), "null");

	ck_assert_int_eq(report_json_str(sink(), ""), 0);
	ck_assert_str_eq(got(), "\"\"");

	/* a NUL inside a counted string */
	ck_assert_int_eq(report_json_strn(sink(), "a\0b", 3), 0);
	ck_assert_str_eq(got(), "\"a\\u0000b\"");
}
END_TEST


START_TEST(test_xml_escape)
{
	ck_assert_int_eq(report_xml_str(sink(), nasty, false), 0);
	ck_assert_str_eq(got(),
		"a&quot;b\\c&lt;d&gt;&amp;e&#39;\\x01\\x1F\\x7F\n&#13;\t|"
		"\\xFF" "\\xC3(" "\\xC0\\xAF" "\\xED\\xA0\\x80"
		"\\xEF\\xBF\\xBE"
		"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");

	/* in attributes, white space survives normalisation */
	ck_assert_int_eq(report_xml_str(sink(), "x\n\r\t\"y", true), 0);
	ck_assert_str_eq(got(), "x&#10;&#13;&#9;&quot;y");

	ck_assert_int_eq(report_xml_str(sink(), NULL, false), 0);
	ck_assert_str_eq(got(), "");

	/* the classname of a file */
	ck_assert_int_eq(report_classname(sink(), "./scenarios/a/b-c.yaml"),
			 0);
	ck_assert_str_eq(got(), "scenarios.a.b-c");
}
END_TEST


START_TEST(test_html_escape)
{
	ck_assert_int_eq(report_html_str(sink(),
		"<script>alert('x')</script>&\x01\xff"), 0);
	ck_assert_str_eq(got(),
		"&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;"
		"<span class=\"x\">\\x01</span><span class=\"x\">\\xFF</span>");
}
END_TEST


START_TEST(test_md_escape)
{
	ck_assert_int_eq(report_md_str(sink(), "a|b\nc\x01\xff", false), 0);
	ck_assert_str_eq(got(), "a|b\nc\\x01\\xFF");

	ck_assert_int_eq(report_md_str(sink(), "a|b\r\nc\td", true), 0);
	ck_assert_str_eq(got(), "a\\|b<br>c d");
}
END_TEST


/* ---------------------------------------------------------- pcap */

static struct run_msg mkmsg(const char *src, const char *dst, int tp,
			    const char *text, uint64_t wall_us)
{
	struct run_msg m;

	memset(&m, 0, sizeof(m));
	ck_assert_int_eq(sa_decode(&m.src, src, strlen(src)), 0);
	ck_assert_int_eq(sa_decode(&m.dst, dst, strlen(dst)), 0);
	m.tp = tp;
	m.text = (char *)text;
	m.wall_us = wall_us;
	m.phone = "desk";

	return m;
}


START_TEST(test_pcap_header)
{
	const uint8_t *p;

	ck_assert_int_eq(report_pcap_header(sink()), 0);
	ck_assert_uint_eq(out->end, PCAP_HDR_LEN);

	p = out->buf;
	ck_assert_uint_eq(get32le(p), 0xa1b2c3d4);    /* µs, little-endian */
	ck_assert_uint_eq(p[4] | p[5] << 8, 2);        /* version 2.4     */
	ck_assert_uint_eq(p[6] | p[7] << 8, 4);
	ck_assert_uint_eq(get32le(p + 8), 0);
	ck_assert_uint_eq(get32le(p + 12), 0);
	ck_assert_uint_eq(get32le(p + 16), PCAP_SNAPLEN);
	ck_assert_uint_eq(get32le(p + 20), 101);       /* LINKTYPE_RAW    */
}
END_TEST


/* m written as one record of PCAP_REC_LEN + iplen + 8 + len bytes */
static void pcap_one(const struct run_msg *m, size_t iplen, size_t len)
{
	struct pcap_state st;

	memset(&st, 0, sizeof(st));
	ck_assert_int_eq(report_pcap_msg(sink(), &st, m), 0);
	ck_assert_uint_eq(out->end, PCAP_REC_LEN + iplen + 8 + len);
}


/* udp's checksum (8 + len bytes) checks out with the pseudo-header of
 * the addresses at addr: IPv4's (alen 4) or IPv6's (alen 16) */
static void assert_udp_csum(const uint8_t *addr, size_t alen,
			    const uint8_t *udp, size_t len)
{
	uint8_t pseudo[40];
	size_t n = 2 * alen;
	uint32_t sum;

	memset(pseudo, 0, sizeof(pseudo));
	memcpy(pseudo, addr, n);
	if (alen == 4) {
		pseudo[9] = 17;
		pseudo[10] = (uint8_t)((8 + len) >> 8);
		pseudo[11] = (uint8_t)(8 + len);
		n += 4;
	}
	else {
		pseudo[34] = (uint8_t)((8 + len) >> 8);
		pseudo[35] = (uint8_t)(8 + len);
		pseudo[39] = 17;
		n += 8;
	}
	sum = (uint16_t)~report_inet_csum(pseudo, n, 0);
	ck_assert_uint_eq(report_inet_csum(udp, 8 + len, sum), 0);
}


START_TEST(test_pcap_udp)
{
	static const char text[] = "OPTIONS sip:x SIP/2.0\r\n\r\n";
	struct run_msg m = mkmsg("10.0.0.1:5060", "10.0.0.2:40000",
				 SIP_TRANSP_UDP, text, 1700000000123456ULL);
	const uint8_t *rec, *ip, *udp;
	size_t len = strlen(text);

	pcap_one(&m, 20, len);

	rec = out->buf;
	ck_assert_uint_eq(get32le(rec), 1700000000);
	ck_assert_uint_eq(get32le(rec + 4), 123456);
	ck_assert_uint_eq(get32le(rec + 8), 20 + 8 + len);
	ck_assert_uint_eq(get32le(rec + 12), 20 + 8 + len);

	ip = rec + PCAP_REC_LEN;
	ck_assert_uint_eq(ip[0], 0x45);
	ck_assert_uint_eq(get16(ip + 2), 20 + 8 + len);
	ck_assert_uint_eq(ip[8], 64);
	ck_assert_uint_eq(ip[9], 17);
	ck_assert_uint_eq(get32(ip + 12), 0x0a000001);
	ck_assert_uint_eq(get32(ip + 16), 0x0a000002);
	/* a header with its checksum sums to 0xffff */
	ck_assert_uint_eq(report_inet_csum(ip, 20, 0), 0);

	udp = ip + 20;
	ck_assert_uint_eq(get16(udp), 5060);
	ck_assert_uint_eq(get16(udp + 2), 40000);
	ck_assert_uint_eq(get16(udp + 4), 8 + len);
	ck_assert_uint_ne(get16(udp + 6), 0);
	assert_udp_csum(ip + 12, 4, udp, len);

	ck_assert_mem_eq(udp + 8, text, len);
}
END_TEST


static const uint8_t *tcp_of(const uint8_t *rec)
{
	return rec + PCAP_REC_LEN + 20;
}


START_TEST(test_pcap_tcp)
{
	static const char req[] = "REGISTER sip:x SIP/2.0\r\n\r\n";
	static const char rsp[] = "SIP/2.0 200 OK\r\n\r\n";
	struct run_msg m1 = mkmsg("127.0.0.1:40001", "127.0.0.1:5060",
				  SIP_TRANSP_TCP, req, 1000);
	struct run_msg m2 = mkmsg("127.0.0.1:5060", "127.0.0.1:40001",
				  SIP_TRANSP_TCP, rsp, 2000);
	struct pcap_state st;
	const uint8_t *t1, *t2, *t3;
	size_t l1 = strlen(req), l2 = strlen(rsp), r1, r2;

	memset(&st, 0, sizeof(st));
	ck_assert_int_eq(report_pcap_msg(sink(), &st, &m1), 0);
	r1 = out->end;
	ck_assert_uint_eq(r1, PCAP_REC_LEN + 20 + 20 + l1);
	ck_assert_int_eq(report_pcap_msg(&(struct re_printf){mb_vph, out},
					 &st, &m2), 0);
	r2 = out->end;
	ck_assert_int_eq(report_pcap_msg(&(struct re_printf){mb_vph, out},
					 &st, &m1), 0);

	t1 = tcp_of(out->buf);
	t2 = tcp_of(out->buf + r1);
	t3 = tcp_of(out->buf + r2);

	ck_assert_uint_eq((out->buf + PCAP_REC_LEN)[9], 6);
	ck_assert_uint_eq(get16(t1), 40001);
	ck_assert_uint_eq(get16(t1 + 2), 5060);
	ck_assert_uint_eq(t1[12], 0x50);               /* 20-byte header  */
	ck_assert_uint_eq(t1[13], 0x18);               /* PSH, ACK        */

	/* each direction numbers its own bytes; each acks the other's */
	ck_assert_uint_eq(get32(t2 + 8), get32(t1 + 4) + l1);
	ck_assert_uint_eq(get32(t3 + 4), get32(t1 + 4) + l1);
	ck_assert_uint_eq(get32(t3 + 8), get32(t2 + 4) + l2);
	ck_assert_uint_eq(get32(t1 + 8), get32(t2 + 4));

	/* a new state (a new scenario) starts afresh */
	report_pcap_state_reset(&st);
	ck_assert_uint_eq(st.flowc, 0);
	ck_assert_ptr_null(st.flowv);
}
END_TEST


START_TEST(test_pcap_tcp_long)
{
	size_t len = PCAP_TCP_MSS + 5000;
	char *text = malloc(len + 1);
	struct run_msg m;
	struct pcap_state st;
	const uint8_t *t1, *t2;

	ck_assert_ptr_nonnull(text);
	memset(text, 'x', len);
	text[len] = '\0';
	m = mkmsg("127.0.0.1:40001", "127.0.0.1:5060", SIP_TRANSP_TLS, text,
		  1);

	memset(&st, 0, sizeof(st));
	ck_assert_int_eq(report_pcap_msg(sink(), &st, &m), 0);
	ck_assert_uint_eq(out->end, 2 * (PCAP_REC_LEN + 40) + len);

	t1 = tcp_of(out->buf);
	t2 = tcp_of(out->buf + PCAP_REC_LEN + 40 + PCAP_TCP_MSS);
	ck_assert_uint_eq(get32(t2 + 4), get32(t1 + 4) + PCAP_TCP_MSS);

	report_pcap_state_reset(&st);
	free(text);
}
END_TEST


START_TEST(test_pcap_ipv6)
{
	static const char text[] = "SIP/2.0 100 Trying\r\n\r\n";
	struct run_msg m = mkmsg("[::1]:5060", "[::1]:40000", SIP_TRANSP_UDP,
				 text, 5);
	const uint8_t *ip, *udp;
	size_t len = strlen(text);

	pcap_one(&m, 40, len);

	ip = out->buf + PCAP_REC_LEN;
	ck_assert_uint_eq(ip[0] >> 4, 6);
	ck_assert_uint_eq(get16(ip + 4), 8 + len);
	ck_assert_uint_eq(ip[6], 17);
	ck_assert_uint_eq(ip[7], 64);
	ck_assert_uint_eq(ip[23], 1);                  /* ::1             */
	ck_assert_uint_eq(ip[39], 1);

	udp = ip + 40;
	assert_udp_csum(ip + 8, 16, udp, len);
}
END_TEST


/* ---------------------------------------------------------- a made-up run */

static char *rules_pass[]   = {"REG-AUTH-1"};
static char *rules_aor[]    = {"REG-LIM-AOR", "REG-FETCH-1", "REG-EXP-1"};
static char *rules_skip[]   = {"REG-EXP-2"};
static char *rules_del1[]   = {"REG-DEL-1"};
static char *rules_del2[]   = {"REG-DEL-2"};
static char *rules_err[]    = {"REG-AUTH-1", "REG-EXP-3"};
static char *rules_norun[]  = {"REG-MSG-1"};
static char *rules_exp1[]   = {"REG-EXP-1"};

struct fake {
	struct scenario scv[8];
	struct run_result resv[8];
	struct report_entry entv[8];
	struct report_run run;
	struct sc_phone phonev[3];
	struct run_msg msgv[4];
	struct run_step stepv[2];
};

static struct fake fk;


static void fake_sc(size_t i, const char *file, char **rulev, size_t rulec,
		    enum verdict v, const char *rule, const char *why)
{
	struct scenario *sc = &fk.scv[i];
	struct run_result *res = &fk.resv[i];

	sc->file = (char *)file;
	sc->name = (char *)file;
	sc->rulev = rulev;
	sc->rulec = rulec;
	res->verdict = v;
	res->rule = (char *)rule;
	res->why = (char *)why;
	res->line = v == VERDICT_FAIL ? 7 : 0;
	fk.entv[i].sc = sc;
	fk.entv[i].res = res;
}


/* the made-up run's messages: desk's REGISTER and its 401, then the
 * TCP phone's REGISTER and the 200 to mobile */
static const struct fake_msg {
	const char *src, *dst;
	enum sip_transp tp;
	const char *text;
	uint64_t us;
	bool from_phone;
	char *summary;                  /* run_msg.summary is not const */
	size_t phone;                   /* in names[] */
} fake_msgs[4] = {
	{"127.0.0.1:40001", "127.0.0.1:5060", SIP_TRANSP_UDP,
	 "REGISTER sip:x SIP/2.0\r\n\r\n", 1700000000000000ULL, true,
	 "REGISTER", 0},
	{"127.0.0.1:5060", "127.0.0.1:40001", SIP_TRANSP_UDP,
	 "SIP/2.0 401 <Nope> & \"x\"\x01\xff\r\n\r\n", 1700000000000100ULL,
	 false, "401 <Nope> & \"x\"\x01\xff", 0},
	{"127.0.0.1:40002", "127.0.0.1:5060", SIP_TRANSP_TCP,
	 "REGISTER sip:x SIP/2.0\r\n\r\n", 1700000000000200ULL, true,
	 "REGISTER", 1},
	{"127.0.0.1:5060", "127.0.0.1:40003", SIP_TRANSP_UDP,
	 "SIP/2.0 200 OK\r\n\r\n", 1700000000000300ULL, false, "200 OK", 2},
};


static void fake_run(void)
{
	static const char *names[] = {"desk", "lobby", "mobile"};

	memset(&fk, 0, sizeof(fk));

	fake_sc(0, "pass.yaml", rules_pass, 1, VERDICT_PASS, NULL, NULL);
	fake_sc(1, "aor.yaml", rules_aor, 3, VERDICT_FAIL, "REG-LIM-AOR",
		"desk-11: expected status 200, got 403 Forbidden");
	fake_sc(2, "skip.yaml", rules_skip, 1, VERDICT_SKIP, NULL,
		"needs the registrar's clock");
	fake_sc(3, "del1.yaml", rules_del1, 1, VERDICT_FAIL, NULL,
		"something <odd> & \"quoted\"\x01\xff");
	fake_sc(4, "del2.yaml", rules_del2, 1, VERDICT_FAIL, "REG-ORD-1",
		"expected 500, got 200 OK");
	fake_sc(5, "err.yaml", rules_err, 2, VERDICT_ERROR, NULL,
		"the control API did not answer");
	fake_sc(6, "norun.yaml", rules_norun, 1, VERDICT_ERROR, NULL, NULL);
	fk.entv[6].res = NULL;                     /* the runner gave up */
	fake_sc(7, "exp1.yaml", rules_exp1, 1, VERDICT_PASS, NULL, NULL);

	/* scenario 0: three phones, four messages, a nasty one among them */
	for (size_t i = 0; i < 3; i++) {
		fk.phonev[i].name = (char *)names[i];
		fk.phonev[i].conf.tp = i == 1 ? SIP_TRANSP_TCP :
			SIP_TRANSP_UDP;
	}
	fk.scv[0].phonev = fk.phonev;
	fk.scv[0].phonec = 3;

	for (size_t i = 0; i < ARRAY_SIZE(fake_msgs); i++) {
		const struct fake_msg *f = &fake_msgs[i];

		fk.msgv[i] = mkmsg(f->src, f->dst, f->tp, f->text, f->us);
		fk.msgv[i].from_phone = f->from_phone;
		fk.msgv[i].summary = f->summary;
		fk.msgv[i].phone = names[f->phone];
		fk.msgv[i].line = 5;
	}
	(void)re_snprintf(fk.msgv[1].rule, sizeof(fk.msgv[1].rule),
			  "REG-AUTH-1");

	fk.resv[0].msgv = fk.msgv;
	fk.resv[0].msgc = 4;
	fk.resv[0].wall_start_us = 1700000000000000ULL;
	fk.stepv[0].line = 5;
	fk.stepv[0].kind = "register";
	fk.resv[0].stepv = fk.stepv;
	fk.resv[0].stepc = 1;
	fk.stepv[1].line = 7;
	fk.stepv[1].kind = "expect";
	fk.stepv[1].verdict = VERDICT_FAIL;
	fk.resv[1].stepv = &fk.stepv[1];
	fk.resv[1].stepc = 1;

	fk.run.version = "9.9.9";
	fk.run.profile = "default";
	fk.run.target = "in-process sim-registrar";
	fk.run.started_us = 1700000000000000ULL;
	fk.run.finished_us = 1700000001000000ULL;
	fk.run.entryv = fk.entv;
	fk.run.entryc = 8;
}


static const struct rule_tally *tally(const struct rule_tally *tv,
				      const char *name)
{
	const struct rule *ru = rule_find(name);

	ck_assert_ptr_nonnull(ru);

	return &tv[ru->id];
}


START_TEST(test_rule_summary)
{
	struct rule_tally tv[RULE_COUNT];
	unsigned countv[RULE_ST_NOT_COVERED + 1], sum = 0;
	struct report_totals t;

	fake_run();
	report_rule_summary(tv, countv, &fk.run);

	/* passed, and also cited by one that could not run: held */
	ck_assert_int_eq(tally(tv, "REG-AUTH-1")->status, RULE_ST_HELD);
	ck_assert_uint_eq(tally(tv, "REG-AUTH-1")->passed, 1);
	ck_assert_uint_eq(tally(tv, "REG-AUTH-1")->errors, 1);

	/* the rule a failure names is broken ... */
	ck_assert_int_eq(tally(tv, "REG-LIM-AOR")->status, RULE_ST_BROKEN);
	ck_assert_uint_eq(tally(tv, "REG-LIM-AOR")->broke, 1);
	/* ... its scenario's other rules are not */
	ck_assert_int_eq(tally(tv, "REG-FETCH-1")->status,
			 RULE_ST_INCONCLUSIVE);
	ck_assert_uint_eq(tally(tv, "REG-FETCH-1")->failed_other, 1);
	ck_assert_int_eq(tally(tv, "REG-EXP-1")->status, RULE_ST_HELD);

	ck_assert_int_eq(tally(tv, "REG-EXP-2")->status, RULE_ST_SKIPPED);

	/* a failure naming no rule breaks what its scenario cites */
	ck_assert_int_eq(tally(tv, "REG-DEL-1")->status, RULE_ST_BROKEN);

	/* one naming a rule its scenario does not cite breaks both */
	ck_assert_int_eq(tally(tv, "REG-DEL-2")->status, RULE_ST_BROKEN);
	ck_assert_int_eq(tally(tv, "REG-ORD-1")->status, RULE_ST_BROKEN);
	ck_assert_uint_eq(tally(tv, "REG-ORD-1")->cited, 0);

	/* infrastructure errors decide nothing */
	ck_assert_int_eq(tally(tv, "REG-EXP-3")->status,
			 RULE_ST_INCONCLUSIVE);
	ck_assert_int_eq(tally(tv, "REG-MSG-1")->status,
			 RULE_ST_INCONCLUSIVE);

	ck_assert_int_eq(tally(tv, "RING-1")->status, RULE_ST_NOT_COVERED);

	ck_assert_uint_eq(countv[RULE_ST_BROKEN], 4);
	ck_assert_uint_eq(countv[RULE_ST_HELD], 2);
	ck_assert_uint_eq(countv[RULE_ST_INCONCLUSIVE], 3);
	ck_assert_uint_eq(countv[RULE_ST_SKIPPED], 1);
	for (int s = 0; s <= RULE_ST_NOT_COVERED; s++)
		sum += countv[s];
	ck_assert_uint_eq(sum, RULE_COUNT);

	ck_assert_str_eq(report_rule_status_name(RULE_ST_NOT_COVERED),
			 "not covered");

	report_totals(&t, &fk.run);
	ck_assert_uint_eq(t.scenarios, 8);
	ck_assert_uint_eq(t.passed, 2);
	ck_assert_uint_eq(t.failed, 3);
	ck_assert_uint_eq(t.skipped, 1);
	ck_assert_uint_eq(t.errors, 2);
	ck_assert_uint_eq(t.messages, 4);
}
END_TEST


/* a failure's why split into subject, expected and actual (NULL: not
 * looked at) */
static const struct {
	const char *why;
	bool ok;
	const char *s, *e, *a;
} whyv[] = {
	{"desk-11: expected status 200 REG-OK-1, got 403 Forbidden "
	 "(registrar: REG-LIM-AOR)", true,
	 "desk-11", "status 200 REG-OK-1",
	 "403 Forbidden (registrar: REG-LIM-AOR)"},
	{"bindings of alice@x: expected 10, the registrar has 11", true,
	 "bindings of alice@x", "10", "the registrar has 11"},
	{"desk: expected a refresh to end within 5000 ms; none did", true,
	 NULL, "a refresh to end within 5000 ms", "none did"},
	{"expected 500, got 200 OK", true, "", "500", "200 OK"},
	{"no configuration", false, NULL, "", NULL},
	{NULL, false, NULL, NULL, NULL},
};


START_TEST(test_why_split)
{
	char s[64], e[64], a[64];

	for (size_t i = 0; i < ARRAY_SIZE(whyv); i++) {
		ck_assert(report_why_split(whyv[i].why, s, sizeof(s), e,
					   sizeof(e), a, sizeof(a)) ==
			  whyv[i].ok);
		if (whyv[i].s)
			ck_assert_str_eq(s, whyv[i].s);
		if (whyv[i].e)
			ck_assert_str_eq(e, whyv[i].e);
		if (whyv[i].a)
			ck_assert_str_eq(a, whyv[i].a);
	}

	/* truncated, not overrun */
	ck_assert(report_why_split("x: expected 0123456789, got y", s, 4, e,
				   4, a, 4));
	ck_assert_str_eq(e, "012");
}
END_TEST


START_TEST(test_ladder_small)
{
	static const struct ladder_limits lim = {300, 60, 12, 4, 0};
	struct ladder l;

	fake_run();
	ck_assert_int_eq(ladder_build(&l, &fk.scv[0], &fk.resv[0], &lim), 0);

	/* every phone a column, every message shown, no gap */
	ck_assert_uint_eq(l.colc, 3);
	ck_assert_str_eq(l.colv[0], "desk");
	ck_assert_str_eq(l.colv[2], "mobile");
	ck_assert(!l.others);
	ck_assert_uint_eq(l.idxc, 4);
	ck_assert_uint_eq(l.left_out, 0);
	ck_assert_uint_eq(l.gap_at, SIZE_MAX);
	ck_assert_uint_eq(l.colofv[0], 1);
	ck_assert_uint_eq(l.colofv[2], 2);
	ck_assert_uint_eq(l.colofv[3], 3);

	ck_assert_int_eq(ladder_text(sink(), &l, &fk.resv[0], ""), 0);
	ck_assert_ptr_nonnull(strstr(got(), "registrar"));
	ck_assert_ptr_nonnull(strstr(got(), "|<------------|"));
	ck_assert_ptr_nonnull(strstr(got(), "[REG-AUTH-1]"));
	/* the nasty summary, harmless */
	ck_assert_ptr_nonnull(strstr(got(), "401 <Nope> & \"x\"\\x01\\xFF"));

	ladder_reset(&l);
}
END_TEST


START_TEST(test_ladder_capped)
{
	enum { PHONES = 40, MSGS = 200 };
	static struct sc_phone phonev[PHONES];
	static struct run_msg msgv[MSGS];
	static char names[PHONES][16];
	struct ladder_limits lim = {10, 5, 3, 1, 0};
	struct scenario sc;
	struct run_result res;
	struct ladder l;

	memset(&sc, 0, sizeof(sc));
	memset(&res, 0, sizeof(res));
	for (size_t i = 0; i < PHONES; i++) {
		(void)re_snprintf(names[i], sizeof(names[i]), "p-%zu", i + 1);
		phonev[i].name = names[i];
	}
	for (size_t i = 0; i < MSGS; i++) {
		memset(&msgv[i], 0, sizeof(msgv[i]));
		msgv[i].phone = names[i / 5];      /* five messages a phone */
		msgv[i].from_phone = !(i & 1);
		msgv[i].line = i < 100 ? 3 : 4;
		msgv[i].summary = "REGISTER";
	}
	sc.file = "big.yaml";
	sc.phonev = phonev;
	sc.phonec = PHONES;
	res.msgv = msgv;
	res.msgc = MSGS;

	ck_assert_int_eq(ladder_build(&l, &sc, &res, &lim), 0);
	ck_assert_uint_eq(l.idxc, 15);
	ck_assert_uint_eq(l.gap_at, 10);
	ck_assert_uint_eq(l.left_out, MSGS - 15);
	ck_assert_uint_eq(l.idxv[9], 9);
	ck_assert_uint_eq(l.idxv[10], MSGS - 5);
	/* p-1, p-2 from the head (all its 10 messages), p-40 from the tail;
	   in scenario order */
	ck_assert_uint_eq(l.colc, 3);
	ck_assert_str_eq(l.colv[0], "p-1");
	ck_assert_str_eq(l.colv[1], "p-2");
	ck_assert_str_eq(l.colv[2], "p-40");
	ck_assert(!l.others);
	ladder_reset(&l);

	/* one column for the head: the others column takes p-2 */
	lim.max_cols = 1;
	ck_assert_int_eq(ladder_build(&l, &sc, &res, &lim), 0);
	ck_assert_uint_eq(l.colc, 2);
	ck_assert(l.others);
	ck_assert_uint_eq(l.others_phones, PHONES - 2);
	ck_assert_uint_eq(ladder_ncols(&l), 3);
	ck_assert_uint_eq(l.colofv[0], 1);
	ck_assert_uint_eq(l.colofv[5], 3);            /* p-2: others     */
	ck_assert_uint_eq(l.colofv[14], 2);           /* p-40            */
	ck_assert_int_eq(ladder_text(sink(), &l, &res, ""), 0);
	ck_assert_ptr_nonnull(strstr(got(), "(others)"));
	ck_assert_ptr_nonnull(strstr(got(), "p-2: REGISTER"));
	ck_assert_ptr_nonnull(strstr(got(), "185 message(s) left out"));
	ladder_reset(&l);

	/* one step's messages only */
	lim.max_cols = 3;
	lim.only_line = 4;
	ck_assert_int_eq(ladder_build(&l, &sc, &res, &lim), 0);
	ck_assert_uint_eq(l.idxv[0], 100);
	ck_assert_uint_eq(l.left_out, 100 - 15);
	ladder_reset(&l);

	/* no messages at all */
	res.msgc = 0;
	ck_assert_int_eq(ladder_build(&l, &sc, &res, &lim), 0);
	ck_assert_uint_eq(l.idxc, 0);
	ck_assert_uint_eq(l.left_out, 0);
	ladder_reset(&l);
}
END_TEST


START_TEST(test_step_kind)
{
	fake_run();
	ck_assert_str_eq(report_step_kind(&fk.resv[0], 5), "register");
	ck_assert_str_eq(report_step_kind(&fk.resv[1], 7), "expect");
	ck_assert_str_eq(report_step_kind(&fk.resv[0], 99), "");
}
END_TEST


/* ---------------------------------------------------------- the files */

static char *slurp(const char *path, size_t *lenp)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	ck_assert_int_ge(n, 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	if (lenp)
		*lenp = (size_t)n;

	return buf;
}


START_TEST(test_write_all)
{
	char dir[] = "/tmp/test_reports.XXXXXX", sub[64], path[128];
	static const char *files[] = {
		"junit.xml", "results.json", "report.html", "report.md",
		"trace.pcap",
	};
	char *s;
	size_t len;

	fake_run();
	ck_assert_ptr_nonnull(mkdtemp(dir));
	(void)re_snprintf(sub, sizeof(sub), "%s/a/b", dir);

	/* the directory is made, parents too */
	ck_assert_int_eq(report_write(sub, &fk.run), 0);

	for (size_t i = 0; i < 5; i++) {
		struct stat st;

		(void)re_snprintf(path, sizeof(path), "%s/%s", sub, files[i]);
		ck_assert_int_eq(stat(path, &st), 0);
		ck_assert_int_gt(st.st_size, 0);
	}

	(void)re_snprintf(path, sizeof(path), "%s/junit.xml", sub);
	s = slurp(path, NULL);
	ck_assert_ptr_nonnull(strstr(s, "<testsuites name=\"sipconform 9.9.9\""
				     " tests=\"8\" failures=\"3\" errors=\"2\""
				     " skipped=\"1\""));
	ck_assert_ptr_nonnull(strstr(s, "type=\"REG-LIM-AOR\""));
	ck_assert_ptr_nonnull(strstr(s, "aor.yaml:7 (expect): desk-11: "
				     "expected status 200, got 403 Forbidden;"
				     " breaks REG-LIM-AOR"));
	ck_assert_ptr_nonnull(strstr(s, "something &lt;odd&gt; &amp; "
				     "&quot;quoted&quot;\\x01\\xFF"));
	ck_assert_ptr_null(strstr(s, "<odd>"));
	ck_assert_ptr_null(strstr(s, "\x01"));
	free(s);

	(void)re_snprintf(path, sizeof(path), "%s/results.json", sub);
	s = slurp(path, NULL);
	ck_assert_ptr_nonnull(strstr(s, "\"schema\":\"sipconform-results/1\""));
	ck_assert_ptr_nonnull(strstr(s, "\"messages\":4"));
	ck_assert_ptr_nonnull(strstr(s, "\"text_base64\":"));
	ck_assert_ptr_null(strstr(s, "\xff"));
	free(s);

	(void)re_snprintf(path, sizeof(path), "%s/report.html", sub);
	s = slurp(path, NULL);
	ck_assert_ptr_nonnull(strstr(s, "data-columns=\"4\" "
				     "data-messages=\"4\""));
	ck_assert_ptr_nonnull(strstr(s, "401 &lt;Nope&gt; &amp; "
				     "&quot;x&quot;"));
	ck_assert_ptr_null(strstr(s, "<Nope>"));
	ck_assert_ptr_null(strstr(s, "http://"));   /* nothing external */
	ck_assert_ptr_null(strstr(s, "https://"));
	free(s);

	(void)re_snprintf(path, sizeof(path), "%s/trace.pcap", sub);
	s = slurp(path, &len);
	ck_assert_uint_eq(len, PCAP_HDR_LEN + 4 * (PCAP_REC_LEN + 20) +
			  8 + 20 + 8 + 8 +
			  strlen(fk.msgv[0].text) + strlen(fk.msgv[1].text) +
			  strlen(fk.msgv[2].text) + strlen(fk.msgv[3].text));
	free(s);

	for (size_t i = 0; i < 5; i++) {
		(void)re_snprintf(path, sizeof(path), "%s/%s", sub, files[i]);
		(void)unlink(path);
	}
	(void)rmdir(sub);
	(void)re_snprintf(path, sizeof(path), "%s/a", dir);
	(void)rmdir(path);
	(void)rmdir(dir);
}
END_TEST


START_TEST(test_write_bad_dir)
{
	fake_run();
	ck_assert_int_ne(report_write("/proc/no/such/dir", &fk.run), 0);
	ck_assert_int_eq(report_write(NULL, &fk.run), EINVAL);
}
END_TEST


FIXTURE_MAIN("reports",
	FIXTURE_CASE("core", setup, teardown, 0, 0,
		test_utf8, test_json_escape, test_xml_escape, test_html_escape,
		test_md_escape, test_pcap_header, test_pcap_udp, test_pcap_tcp,
		test_pcap_tcp_long, test_pcap_ipv6, test_rule_summary,
		test_why_split, test_ladder_small, test_ladder_capped,
		test_step_kind, test_write_all, test_write_bad_dir))
