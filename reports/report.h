/**
 * @file report.h  Conformance reports of a harness run: JUnit XML, a JSON
 * document, a self-contained HTML report with ladder diagrams, a Markdown
 * summary and a pcap trace (the formats are described in README.md).
 *
 * Every writer reads a struct report_run: the run's facts (tool version,
 * profile, target, wall times) and, per scenario, the scenario and its
 * struct run_result (messages and steps as harness/runner.c recorded them).
 */

#ifndef SIPCONFORM_REPORT_H
#define SIPCONFORM_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct re_printf;
struct scenario;
struct sc_phone;
struct run_result;
struct run_msg;
struct run_pkt;
struct rule;
struct report_guide;

/* one scenario of the run */
struct report_entry {
	const struct scenario *sc;
	const struct run_result *res;   /* NULL: the runner could not run it */
};

struct report_run {
	const char *version;            /* SIPCONFORM_VERSION                */
	const char *profile;            /* registrar profile ("default")     */
	const char *target;             /* "in-process sim-registrar", or
					   the --target HOST:PORT            */
	const char *filter;             /* --filter, or NULL                 */
	bool external;                  /* an external target (--target):
					   its profile is the run's, whatever
					   a scenario's own config says      */
	uint64_t started_us;            /* wall clock, µs since the epoch    */
	uint64_t finished_us;
	const struct report_entry *entryv;
	size_t entryc;
	/* harness phone: the configuration-guide section (guide.h); NULL
	 * for harness run */
	const struct report_guide *guide;
};

/*
 * Writes junit.xml, results.json, report.html, report.md and trace.pcap
 * into dir (made if missing).  Returns 0 or the errno of the first file
 * that could not be written (the others are still attempted).
 */
int report_write(const char *dir, const struct report_run *run);

/* the writers, each to any re_printf sink */
int report_junit(struct re_printf *pf, const struct report_run *run);
int report_json(struct re_printf *pf, const struct report_run *run);
int report_html(struct re_printf *pf, const struct report_run *run);
int report_markdown(struct re_printf *pf, const struct report_run *run);
int report_pcap(struct re_printf *pf, const struct report_run *run);

/* wall clock, µs since the epoch */
uint64_t report_now_us(void);


/* ------------------------------------------------------ run totals */

struct report_totals {
	unsigned scenarios, passed, failed, skipped, errors;
	size_t messages;                /* recorded SIP messages             */
	size_t dropped;                 /* not recorded (beyond the cap)     */
};

void report_totals(struct report_totals *t, const struct report_run *run);


/* ------------------------------------------------------ rule summary */

enum rule_status {
	RULE_ST_BROKEN,       /* a failure broke it                          */
	RULE_ST_HELD,         /* a scenario citing it passed; none broke it  */
	RULE_ST_INCONCLUSIVE, /* its scenarios failed on other rules, or the
				 infrastructure failed: neither shown        */
	RULE_ST_SKIPPED,      /* every scenario citing it was skipped        */
	RULE_ST_NOT_COVERED,  /* no scenario of the run cites it             */
};

struct rule_tally {
	const struct rule *rule;
	enum rule_status status;
	unsigned cited;       /* scenarios of the run citing it              */
	unsigned passed;
	unsigned broke;       /* failures that broke it                      */
	unsigned failed_other;/* failures of citing scenarios on other rules */
	unsigned skipped;
	unsigned errors;
};

/*
 * One tally per row of the rules table (tv has RULE_COUNT entries), plus
 * the count per status (countv has RULE_ST_NOT_COVERED + 1 entries, may
 * be NULL).  A failure breaks the rule its result names (run_result.rule)
 * when the scenario cites it; a failure that names no rule, or one the
 * scenario does not cite, breaks every rule the scenario cites (and the
 * named one).
 */
void report_rule_summary(struct rule_tally *tv, unsigned *countv,
			 const struct report_run *run);
const char *report_rule_status_name(enum rule_status st);

/* does the entry's failure break this rule? */
bool report_entry_breaks(const struct report_entry *e, const char *rule);


/* ------------------------------------------------------ failures */

/*
 * A failure's text split into what was expected and what arrived:
 * "desk-11: expected status 200, got 403 Forbidden" gives subject
 * "desk-11", expected "status 200", actual "403 Forbidden".  false (and
 * empty strings) when the text does not have that shape.
 */
bool report_why_split(const char *why, char *subject, size_t ssz,
		      char *expected, size_t esz, char *actual, size_t asz);

/* the kind of the step at line ("register", ...), "" if none ran there */
const char *report_step_kind(const struct run_result *res, unsigned line);


/* ------------------------------------------------------ ladders */

/*
 * Which messages a ladder diagram shows and between which columns.
 * Column 0 is the registrar, columns 1..colc the phones, and when some
 * shown message's phone has no column of its own, column colc + 1 stands
 * for the other phones (others).  A scenario with at most max_cols phones
 * gets a column for each of its phones; a bigger one a column for each of
 * the first max_cols phones its first shown messages involve, plus up to
 * max_tail_cols for the phones of the last ones.  At most max_head
 * messages from the start are shown, then, after a gap, up to max_tail
 * from the end (where a failure is).
 */
struct ladder {
	size_t *idxv;                   /* shown messages (indices in msgv)  */
	size_t idxc;
	size_t gap_at;                  /* the gap comes before idxv[gap_at];
					   SIZE_MAX: no gap                  */
	size_t left_out;                /* messages not shown                */
	const char **colv;              /* phone names, column i+1           */
	size_t colc;
	bool others;                    /* column colc + 1: other phones     */
	size_t others_phones;           /* how many phones it stands for     */
	size_t *colofv;                 /* per shown message: its phone's
					   column (1..colc, or colc + 1)     */
};

/* phone columns, the others column included */
static inline size_t ladder_ncols(const struct ladder *l)
{
	return l->colc + (l->others ? 1 : 0);
}

struct ladder_limits {
	size_t max_head;
	size_t max_tail;
	size_t max_cols;
	size_t max_tail_cols;
	unsigned only_line;             /* only the messages of this step    */
};

int  ladder_build(struct ladder *l, const struct scenario *sc,
		  const struct run_result *res,
		  const struct ladder_limits *lim);
void ladder_reset(struct ladder *l);

/* a plain-text ladder (JUnit system-out, Markdown) */
int  ladder_text(struct re_printf *pf, const struct ladder *l,
		 const struct run_result *res, const char *indent);


/* ------------------------------------------------------ escaping */

/*
 * The length of the valid UTF-8 sequence at p (1..4), 0 if none starts
 * there (a stray continuation byte, an overlong form, a surrogate, a code
 * point beyond U+10FFFF, a cut-off sequence); *cp is its code point.
 */
size_t report_utf8_seq(const char *p, size_t n, uint32_t *cp);
bool   report_utf8_valid(const char *p, size_t n);

/*
 * JSON string: quotes, backslash and control characters escaped (\n, \r,
 * \t, \u00XX), bytes that are not UTF-8 replaced by \ufffd.  NULL: null.
 */
int report_json_strn(struct re_printf *pf, const char *p, size_t n);
int report_json_str(struct re_printf *pf, const char *s);

/*
 * XML 1.0 character data or attribute value: & < > " ' as entities;
 * characters XML 1.0 cannot carry (control characters other than tab, LF
 * and CR, U+FFFE, U+FFFF) and bytes that are not UTF-8 shown as the text
 * \xNN.  In attributes tab, LF and CR become character references, so
 * that they survive attribute-value normalisation.
 */
int report_xml_strn(struct re_printf *pf, const char *p, size_t n,
		    bool attr);
int report_xml_str(struct re_printf *pf, const char *s, bool attr);

/* HTML text or attribute: as XML, bad bytes marked <span class=x>. */
int report_html_str(struct re_printf *pf, const char *s);
int report_html_strn(struct re_printf *pf, const char *p, size_t n);

/*
 * Markdown: text with control characters and bad bytes as \xNN; in a
 * table cell (cell true) | and line breaks escaped as well.
 */
int report_md_str(struct re_printf *pf, const char *s, bool cell);


/* ------------------------------------------------------ pcap */

enum {
	PCAP_MAGIC        = 0xa1b2c3d4,   /* microsecond timestamps         */
	PCAP_LINKTYPE_RAW = 101,          /* IPv4 or IPv6, no link header   */
	PCAP_SNAPLEN      = 262144,
	PCAP_HDR_LEN      = 24,
	PCAP_REC_LEN      = 16,
	PCAP_TCP_MSS      = 65000,        /* a longer TCP message is cut
					     into segments of this size     */
};

struct pcap_flow;

/* TCP sequence numbers of a trace, per direction of a connection */
struct pcap_state {
	struct pcap_flow *flowv;
	size_t flowc;
	size_t flowcap;
	uint16_t ip_id;
};

/* the 24-byte global header, little-endian */
int  report_pcap_header(struct re_printf *pf);

/*
 * The records of one message: one IPv4 (or IPv6) + UDP packet, or for TCP
 * (and TLS, written as the plain text the phone saw) one or more TCP
 * segments with sequence and acknowledgement numbers kept per flow.
 */
int  report_pcap_msg(struct re_printf *pf, struct pcap_state *st,
		     const struct run_msg *m);
/* one UDP packet that is not SIP (RTP, RTCP), its bytes as sent */
int  report_pcap_pkt(struct re_printf *pf, struct pcap_state *st,
		     const struct run_pkt *p);
void report_pcap_state_reset(struct pcap_state *st);

/* the Internet checksum of len bytes (with a running sum) */
uint16_t report_inet_csum(const uint8_t *p, size_t len, uint32_t sum);


/* ------------------------------------------------------ small helpers */

/* "2024-05-01T12:00:00.123Z" */
int report_iso_time(struct re_printf *pf, uint64_t wall_us);
/* the same; ms_zone false: whole seconds, no zone (JUnit's Ant schema) */
int report_iso_time_ex(struct re_printf *pf, uint64_t wall_us, bool ms_zone);

/* a re_printf sink on a stdio stream */
void report_pf_file(struct re_printf *pf, FILE *f);

/* "SIP/UDP"-style transport name of enum sip_transp */
const char *report_tp_name(int tp);
/* the same for a ladder: a TLS message is shown as decrypted (phone mode
 * reads it above TLS, through the registrar's SIP trace) */
const char *report_tp_ladder(int tp);

/* the profile a scenario ran against: an external target's (the run's),
 * else the scenario's own config's, else "default" */
const char *report_scenario_profile(const struct report_run *run,
				    const struct scenario *sc);

/* a phone of the scenario by name (no index needed: works on any
 * struct scenario, loaded or made by hand) */
const struct sc_phone *report_phone(const struct scenario *sc,
				    const char *name);

/* classname for JUnit: the file without extension, '/' as '.' */
int report_classname(struct re_printf *pf, const char *file);

#endif
