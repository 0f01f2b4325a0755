/**
 * @file report.c  What the report writers share: writing the files, run
 * totals, the summary by rule ID, failure texts, ladder selection and
 * text ladders, escaping.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <re.h>
#include "rules.h"
#include "config.h"
#include "scenario.h"
#include "runner.h"
#include "report.h"


/* ------------------------------------------------------ files */

static int file_vph(const char *p, size_t size, void *arg)
{
	FILE *f = arg;

	return fwrite(p, 1, size, f) == size ? 0 : EIO;
}


void report_pf_file(struct re_printf *pf, FILE *f)
{
	pf->vph = file_vph;
	pf->arg = f;
}


uint64_t report_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);

	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}


typedef int (writer_h)(struct re_printf *pf, const struct report_run *run);


static int write_one(const char *dir, const char *name, writer_h *wh,
		     const struct report_run *run)
{
	char path[4096], tmp[4200];
	struct re_printf pf;
	FILE *f;
	int err;

	if (re_snprintf(path, sizeof(path), "%s/%s", dir, name) < 0 ||
	    re_snprintf(tmp, sizeof(tmp), "%s.part", path) < 0)
		return ENAMETOOLONG;

	f = fopen(tmp, "wb");
	if (!f)
		return errno;

	report_pf_file(&pf, f);
	err = wh(&pf, run);
	if (fclose(f) && !err)
		err = errno ? errno : EIO;

	if (!err && rename(tmp, path))
		err = errno;
	if (err)
		(void)remove(tmp);

	return err;
}


static int mkdir_p(const char *dir)
{
	char buf[4096];
	size_t n = strlen(dir);

	if (!n || n >= sizeof(buf))
		return EINVAL;

	memcpy(buf, dir, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, 0777) && errno != EEXIST)
			return errno;
		buf[i] = dir[i];
	}

	return 0;
}


int report_write(const char *dir, const struct report_run *run)
{
	static const struct {
		const char *name;
		writer_h *wh;
	} filev[] = {
		{"junit.xml",    report_junit},
		{"results.json", report_json},
		{"report.html",  report_html},
		{"report.md",    report_markdown},
		{"trace.pcap",   report_pcap},
	};
	int err, first = 0;

	if (!dir || !run)
		return EINVAL;

	err = mkdir_p(dir);
	if (err)
		return err;

	for (size_t i = 0; i < ARRAY_SIZE(filev); i++) {
		err = write_one(dir, filev[i].name, filev[i].wh, run);
		if (err && !first)
			first = err;
	}

	return first;
}


/* ------------------------------------------------------ totals */

void report_totals(struct report_totals *t, const struct report_run *run)
{
	memset(t, 0, sizeof(*t));

	for (size_t i = 0; i < run->entryc; i++) {
		const struct run_result *res = run->entryv[i].res;

		t->scenarios++;
		if (!res) {
			t->errors++;
			continue;
		}

		t->messages += res->msgc;
		t->dropped  += res->msgs_dropped;

		switch (res->verdict) {

		case VERDICT_PASS: t->passed++;  break;
		case VERDICT_FAIL: t->failed++;  break;
		case VERDICT_SKIP: t->skipped++; break;
		default:           t->errors++;  break;
		}
	}
}


/* ------------------------------------------------------ rule summary */

static bool cites(const struct scenario *sc, const char *rule)
{
	for (size_t i = 0; sc && rule && i < sc->rulec; i++) {
		if (!strcasecmp(sc->rulev[i], rule))
			return true;
	}

	return false;
}


bool report_entry_breaks(const struct report_entry *e, const char *rule)
{
	const struct run_result *res = e->res;

	if (!res || res->verdict != VERDICT_FAIL || !rule)
		return false;

	if (res->rule && !strcasecmp(res->rule, rule))
		return true;

	/* a failure naming a rule its scenario is about breaks that one */
	if (res->rule && cites(e->sc, res->rule))
		return false;

	return cites(e->sc, rule);
}


void report_rule_summary(struct rule_tally *tv, unsigned *countv,
			 const struct report_run *run)
{
	for (int i = 0; i < RULE_COUNT; i++) {
		memset(&tv[i], 0, sizeof(tv[i]));
		tv[i].rule = rule_get((enum rule_id)i);
	}

	for (size_t i = 0; i < run->entryc; i++) {
		const struct report_entry *e = &run->entryv[i];
		const struct scenario *sc = e->sc;
		enum verdict v = e->res ? e->res->verdict : VERDICT_ERROR;
		const struct rule *named;

		for (size_t j = 0; sc && j < sc->rulec; j++) {
			const struct rule *ru = rule_find(sc->rulev[j]);
			struct rule_tally *t;

			if (!ru)
				continue;
			t = &tv[ru->id];
			t->cited++;

			switch (v) {

			case VERDICT_PASS: t->passed++;  break;
			case VERDICT_SKIP: t->skipped++; break;
			case VERDICT_FAIL:
				if (report_entry_breaks(e, ru->name))
					t->broke++;
				else
					t->failed_other++;
				break;
			default:           t->errors++;  break;
			}
		}

		/* a failure that names a rule the scenario does not cite */
		if (v == VERDICT_FAIL && e->res->rule &&
		    !cites(sc, e->res->rule)) {
			named = rule_find(e->res->rule);
			if (named)
				tv[named->id].broke++;
		}
	}

	if (countv)
		memset(countv, 0, (RULE_ST_NOT_COVERED + 1) *
		       sizeof(*countv));

	for (int i = 0; i < RULE_COUNT; i++) {
		struct rule_tally *t = &tv[i];

		if (t->broke)
			t->status = RULE_ST_BROKEN;
		else if (t->passed)
			t->status = RULE_ST_HELD;
		else if (t->failed_other || t->errors)
			t->status = RULE_ST_INCONCLUSIVE;
		else if (t->skipped)
			t->status = RULE_ST_SKIPPED;
		else
			t->status = RULE_ST_NOT_COVERED;

		if (countv)
			countv[t->status]++;
	}
}


const char *report_rule_status_name(enum rule_status st)
{
	switch (st) {

	case RULE_ST_BROKEN:       return "broken";
	case RULE_ST_HELD:         return "held";
	case RULE_ST_INCONCLUSIVE: return "inconclusive";
	case RULE_ST_SKIPPED:      return "skipped";
	default:                   return "not covered";
	}
}


/* ------------------------------------------------------ failures */

static void copy_n(char *dst, size_t sz, const char *p, size_t n)
{
	if (!sz)
		return;
	if (n >= sz)
		n = sz - 1;
	memcpy(dst, p, n);
	dst[n] = '\0';
}


bool report_why_split(const char *why, char *subject, size_t ssz,
		      char *expected, size_t esz, char *actual, size_t asz)
{
	/* in order of preference; skip: what of the separator goes */
	static const struct {
		const char *sep;
		size_t skip;
	} sepv[] = {
		{", got ",               6},
		{", the registrar has ", 2},
		{", it sent ",           2},
		{"; ",                   2},
	};
	const char *exp, *sep = NULL;
	size_t skip = 0;

	copy_n(subject, ssz, "", 0);
	copy_n(expected, esz, "", 0);
	copy_n(actual, asz, "", 0);

	if (!why)
		return false;

	if (!strncmp(why, "expected ", 9))
		exp = why;
	else {
		exp = strstr(why, ": expected ");
		if (!exp)
			return false;
		copy_n(subject, ssz, why, (size_t)(exp - why));
		exp += 2;
	}
	exp += 9;

	for (size_t i = 0; i < ARRAY_SIZE(sepv) && !sep; i++) {
		sep = strstr(exp, sepv[i].sep);
		skip = sepv[i].skip;
	}

	if (!sep)
		return false;

	copy_n(expected, esz, exp, (size_t)(sep - exp));
	copy_n(actual, asz, sep + skip, strlen(sep + skip));

	return true;
}


const char *report_step_kind(const struct run_result *res, unsigned line)
{
	const char *kind = "";

	/* the innermost (last begun) step on that line */
	for (size_t i = 0; res && i < res->stepc; i++) {
		if (res->stepv[i].line == line && res->stepv[i].kind)
			kind = res->stepv[i].kind;
	}

	return kind;
}


/* ------------------------------------------------------ ladders */

void ladder_reset(struct ladder *l)
{
	if (!l)
		return;

	mem_deref(l->idxv);
	mem_deref(l->colv);
	mem_deref(l->colofv);
	memset(l, 0, sizeof(*l));
	l->gap_at = SIZE_MAX;
}


static size_t col_find(const struct ladder *l, const char *phone)
{
	for (size_t i = 0; i < l->colc; i++) {
		if (l->colv[i] == phone)
			return i + 1;
	}
	for (size_t i = 0; phone && i < l->colc; i++) {
		if (!strcmp(l->colv[i], phone))
			return i + 1;
	}

	return 0;
}


const struct sc_phone *report_phone(const struct scenario *sc,
				    const char *name)
{
	if (!sc || !name)
		return NULL;

	/* a message's phone is the scenario's own string */
	for (size_t i = 0; i < sc->phonec; i++) {
		if (sc->phonev[i].name == name)
			return &sc->phonev[i];
	}
	for (size_t i = 0; i < sc->phonec; i++) {
		if (sc->phonev[i].name && !strcmp(sc->phonev[i].name, name))
			return &sc->phonev[i];
	}

	return NULL;
}


static size_t phone_index(const struct scenario *sc, const char *name)
{
	const struct sc_phone *p = report_phone(sc, name);

	return p ? (size_t)(p - sc->phonev) : SIZE_MAX;
}


static int col_cmp(const void *a, const void *b, void *arg)
{
	size_t ia = phone_index(arg, *(const char *const *)a);
	size_t ib = phone_index(arg, *(const char *const *)b);

	return ia < ib ? -1 : ia > ib;
}


/* the phone of a message as a column, added within budget; 0: none */
static size_t col_take(struct ladder *l, const char *phone, size_t *budget)
{
	size_t c = col_find(l, phone);

	if (c)
		return c;
	if (!*budget || !phone)
		return 0;

	(*budget)--;
	l->colv[l->colc++] = phone;

	return l->colc;
}


int ladder_build(struct ladder *l, const struct scenario *sc,
		 const struct run_result *res,
		 const struct ladder_limits *lim)
{
	size_t *candv = NULL, candc = 0, head, tail, budget;
	size_t msgc = res ? res->msgc : 0, maxcols;
	bool all_phones;
	int err = 0;

	if (!l || !sc || !lim)
		return EINVAL;

	memset(l, 0, sizeof(*l));
	l->gap_at = SIZE_MAX;

	all_phones = sc->phonec <= lim->max_cols;
	maxcols = all_phones ? sc->phonec : lim->max_cols + lim->max_tail_cols;

	/* at least one element each: mem_zalloc(0) is not portable */
	candv = mem_zalloc((msgc + 1) * sizeof(*candv), NULL);
	l->idxv = mem_zalloc((msgc + 1) * sizeof(*l->idxv), NULL);
	l->colofv = mem_zalloc((msgc + 1) * sizeof(*l->colofv), NULL);
	l->colv = mem_zalloc((maxcols + 1) * sizeof(*l->colv), NULL);
	if (!candv || !l->idxv || !l->colofv || !l->colv) {
		err = ENOMEM;
		goto out;
	}

	for (size_t i = 0; i < msgc; i++) {
		if (!lim->only_line || res->msgv[i].line == lim->only_line)
			candv[candc++] = i;
	}

	/* the head from the start, the tail back from the end */
	head = candc < lim->max_head ? candc : lim->max_head;
	tail = candc - head < lim->max_tail ? candc - head : lim->max_tail;

	if (all_phones) {
		for (size_t i = 0; i < sc->phonec; i++)
			l->colv[l->colc++] = sc->phonev[i].name;
	}
	else {
		budget = lim->max_cols;
		for (size_t i = 0; i < head; i++)
			(void)col_take(l, res->msgv[candv[i]].phone, &budget);

		/* the last messages' phones first: a failure is there */
		budget = lim->max_tail_cols;
		for (size_t i = candc; i-- > candc - tail;)
			(void)col_take(l, res->msgv[candv[i]].phone, &budget);

		qsort_r(l->colv, l->colc, sizeof(*l->colv), col_cmp,
			(void *)sc);
	}

	for (size_t i = 0; i < head; i++)
		l->idxv[l->idxc++] = candv[i];
	if (head + tail < candc && tail)
		l->gap_at = l->idxc;
	for (size_t i = candc - tail; i < candc; i++)
		l->idxv[l->idxc++] = candv[i];

	l->left_out = candc - l->idxc;

	for (size_t i = 0; i < l->idxc; i++) {
		l->colofv[i] = col_find(l, res->msgv[l->idxv[i]].phone);
		if (!l->colofv[i])
			l->others = true;
	}

	if (l->others) {
		for (size_t i = 0; i < l->idxc; i++) {
			if (!l->colofv[i])
				l->colofv[i] = l->colc + 1;
		}
		l->others_phones = sc->phonec > l->colc ?
			sc->phonec - l->colc : 0;
	}

 out:
	mem_deref(candv);
	if (err)
		ladder_reset(l);

	return err;
}


enum { TXT_COLW = 14, TXT_MAXCOLS = 8 };


static int text_row_lane(struct re_printf *pf, size_t cols, size_t from,
			 size_t to)
{
	char lane[TXT_COLW * (TXT_MAXCOLS + 1) + 1];
	size_t w = (cols + 1) * TXT_COLW, a, b;

	if (w >= sizeof(lane))
		return EINVAL;

	memset(lane, ' ', w);
	lane[w] = '\0';
	for (size_t k = 0; k <= cols; k++)
		lane[k * TXT_COLW + TXT_COLW / 2] = '|';

	if (from != to) {
		a = (from < to ? from : to) * TXT_COLW + TXT_COLW / 2;
		b = (from < to ? to : from) * TXT_COLW + TXT_COLW / 2;
		for (size_t i = a + 1; i < b; i++)
			lane[i] = '-';
		if (from < to)
			lane[b - 1] = '>';
		else
			lane[a + 1] = '<';
	}

	/* no trailing blanks */
	while (w && lane[w - 1] == ' ')
		lane[--w] = '\0';

	return re_hprintf(pf, "%s", lane);
}


static int pad(struct re_printf *pf, size_t n)
{
	static const char blanks[] = "                                ";
	int err = 0;

	while (n && !err) {
		size_t k = n < sizeof(blanks) - 1 ? n : sizeof(blanks) - 1;

		err = re_hprintf(pf, "%b", blanks, k);
		n -= k;
	}

	return err;
}


static int text_name(struct re_printf *pf, const char *name, size_t w)
{
	size_t n = name ? strlen(name) : 0, lpad;
	int err = 0;

	if (n > w - 2)
		return re_hprintf(pf, " %b~ ", name, w - 3);

	lpad = (w - n) / 2;
	err |= pad(pf, lpad);
	err |= report_md_str(pf, name, false);
	err |= pad(pf, w - n - lpad);

	return err;
}


static int text_list_row(struct re_printf *pf, const struct run_msg *m)
{
	return re_hprintf(pf, "%s %s registrar", m->phone ? m->phone : "?",
			  m->from_phone ? "->" : "<-");
}


int ladder_text(struct re_printf *pf, const struct ladder *l,
		const struct run_result *res, const char *indent)
{
	size_t cols = ladder_ncols(l);
	bool lanes = cols <= TXT_MAXCOLS;
	int err = 0;

	if (!indent)
		indent = "";

	if (!l->idxc)
		return re_hprintf(pf, "%s(no SIP messages)\n", indent);

	err |= re_hprintf(pf, "%s%9s %8s ", indent, "real", "virtual");
	if (lanes) {
		err |= text_name(pf, "registrar", TXT_COLW);
		for (size_t k = 0; k < l->colc; k++)
			err |= text_name(pf, l->colv[k], TXT_COLW);
		if (l->others)
			err |= text_name(pf, "(others)", TXT_COLW);
	}
	err |= re_hprintf(pf, "\n");

	for (size_t i = 0; i < l->idxc && !err; i++) {
		const struct run_msg *m = &res->msgv[l->idxv[i]];
		uint64_t rel = m->wall_us > res->wall_start_us ?
			m->wall_us - res->wall_start_us : 0;
		size_t col = l->colofv[i];

		if (i == l->gap_at)
			err |= re_hprintf(pf, "%s%18s ... %zu message(s) left "
					  "out ...\n", indent, "",
					  l->left_out);

		err |= re_hprintf(pf, "%s%8.3fs %7llus ", indent,
				  (double)rel / 1e6,
				  (unsigned long long)m->virtual_ms / 1000);
		if (lanes)
			err |= text_row_lane(pf, cols,
					     m->from_phone ? col : 0,
					     m->from_phone ? 0 : col);
		else
			err |= text_list_row(pf, m);

		err |= re_hprintf(pf, "   ");
		if (lanes && l->others && col == l->colc + 1)
			err |= re_hprintf(pf, "%s: ",
					  m->phone ? m->phone : "?");
		err |= report_md_str(pf, m->summary ? m->summary : "?",
				     false);
		if (m->rule[0]) {
			err |= re_hprintf(pf, " [");
			err |= report_md_str(pf, m->rule, false);
			err |= re_hprintf(pf, "]");
		}
		err |= re_hprintf(pf, " %s%s (line %u)\n",
				  report_tp_ladder(m->tp),
				  m->retrans ? " retransmission" : "",
				  m->line);
	}

	if (l->left_out && l->gap_at == SIZE_MAX)
		err |= re_hprintf(pf, "%s%18s ... %zu more message(s) left "
				  "out ...\n", indent, "", l->left_out);

	return err;
}


/* ------------------------------------------------------ escaping */

size_t report_utf8_seq(const char *p, size_t n, uint32_t *cp)
{
	const unsigned char *s = (const unsigned char *)p;
	uint32_t c, min;
	size_t len;

	if (!n)
		return 0;

	if (s[0] < 0x80) {
		len = 1; c = s[0]; min = 0;
	}
	else if ((s[0] & 0xe0) == 0xc0) {
		len = 2; c = s[0] & 0x1f; min = 0x80;
	}
	else if ((s[0] & 0xf0) == 0xe0) {
		len = 3; c = s[0] & 0x0f; min = 0x800;
	}
	else if ((s[0] & 0xf8) == 0xf0) {
		len = 4; c = s[0] & 0x07; min = 0x10000;
	}
	else
		return 0;

	if (len > n)
		return 0;

	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}

	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;

	if (cp)
		*cp = c;

	return len;
}


bool report_utf8_valid(const char *p, size_t n)
{
	for (size_t i = 0; i < n;) {
		size_t k = report_utf8_seq(p + i, n - i, NULL);

		if (!k)
			return false;
		i += k;
	}

	return true;
}


int report_json_strn(struct re_printf *pf, const char *p, size_t n)
{
	size_t i = 0, run = 0;
	int err;

	if (!p)
		return re_hprintf(pf, "null");

	err = re_hprintf(pf, "\"");

	while (i < n && !err) {
		unsigned char c = (unsigned char)p[i];
		uint32_t cp;
		size_t k = report_utf8_seq(p + i, n - i, &cp);

		/* runs of plain text go out in one piece */
		if (k && c >= 0x20 && c != '"' && c != '\\' && c != 0x7f) {
			run = k;
			while (i + run < n) {
				unsigned char d = (unsigned char)p[i + run];
				size_t kk = report_utf8_seq(p + i + run,
							    n - i - run,
							    &cp);

				if (!kk || d < 0x20 || d == '"' ||
				    d == '\\' || d == 0x7f)
					break;
				run += kk;
			}
			err = re_hprintf(pf, "%b", p + i, run);
			i += run;
			continue;
		}

		if (!k)
			err = re_hprintf(pf, "\\ufffd");
		else if (c == '"')
			err = re_hprintf(pf, "\\\"");
		else if (c == '\\')
			err = re_hprintf(pf, "\\\\");
		else if (c == '\n')
			err = re_hprintf(pf, "\\n");
		else if (c == '\r')
			err = re_hprintf(pf, "\\r");
		else if (c == '\t')
			err = re_hprintf(pf, "\\t");
		else
			err = re_hprintf(pf, "\\u%04x", c);
		i++;
	}

	return err ? err : re_hprintf(pf, "\"");
}


int report_json_str(struct re_printf *pf, const char *s)
{
	return report_json_strn(pf, s, s ? strlen(s) : 0);
}


enum esc_mode { ESC_XML_TEXT, ESC_XML_ATTR, ESC_HTML, ESC_MD, ESC_MD_CELL };


static int esc_bad(struct re_printf *pf, unsigned char c, enum esc_mode md)
{
	if (md == ESC_HTML)
		return re_hprintf(pf, "<span class=\"x\">\\x%02X</span>", c);

	return re_hprintf(pf, "\\x%02X", c);
}


static int escape(struct re_printf *pf, const char *p, size_t n,
		  enum esc_mode md)
{
	bool xml = md == ESC_XML_TEXT || md == ESC_XML_ATTR || md == ESC_HTML;
	int err = 0;

	if (!p)
		return 0;

	for (size_t i = 0; i < n && !err;) {
		unsigned char c = (unsigned char)p[i];
		uint32_t cp = 0;
		size_t k = report_utf8_seq(p + i, n - i, &cp);
		size_t run;

		if (!k || (xml && (cp == 0xfffe || cp == 0xffff))) {
			/* each byte of a bad sequence */
			size_t bad = k ? k : 1;

			for (size_t j = 0; j < bad && !err; j++)
				err = esc_bad(pf, (unsigned char)p[i + j], md);
			i += bad;
			continue;
		}

		if (k > 1) {
			err = re_hprintf(pf, "%b", p + i, k);
			i += k;
			continue;
		}

		switch (c) {

		case '&':
			err = xml ? re_hprintf(pf, "&amp;") :
				re_hprintf(pf, "&");
			break;

		case '<':
			err = xml ? re_hprintf(pf, "&lt;") :
				re_hprintf(pf, "<");
			break;

		case '>':
			err = xml ? re_hprintf(pf, "&gt;") :
				re_hprintf(pf, ">");
			break;

		case '"':
			err = xml ? re_hprintf(pf, "&quot;") :
				re_hprintf(pf, "\"");
			break;

		case '\'':
			err = xml ? re_hprintf(pf, "&#39;") :
				re_hprintf(pf, "'");
			break;

		case '|':
			err = re_hprintf(pf, md == ESC_MD_CELL ? "\\|" : "|");
			break;

		case '\t':
		case '\n':
		case '\r':
			if (md == ESC_XML_ATTR)
				err = re_hprintf(pf, "&#%u;", c);
			else if (md == ESC_XML_TEXT && c == '\r')
				err = re_hprintf(pf, "&#13;");
			else if (md == ESC_MD_CELL)
				err = re_hprintf(pf, "%s", c == '\n' ?
						 "<br>" : c == '\t' ? " " : "");
			else
				err = re_hprintf(pf, "%c", c);
			break;

		default:
			if (c < 0x20 || c == 0x7f) {
				err = esc_bad(pf, c, md);
				break;
			}

			/* a run of plain ASCII */
			run = 1;
			while (i + run < n) {
				unsigned char d = (unsigned char)p[i + run];

				if (d < 0x20 || d >= 0x7f || d == '&' ||
				    d == '<' || d == '>' || d == '"' ||
				    d == '\'' || d == '|')
					break;
				run++;
			}
			err = re_hprintf(pf, "%b", p + i, run);
			i += run;
			continue;
		}
		i++;
	}

	return err;
}


int report_xml_strn(struct re_printf *pf, const char *p, size_t n,
		    bool attr)
{
	return escape(pf, p, n, attr ? ESC_XML_ATTR : ESC_XML_TEXT);
}


int report_xml_str(struct re_printf *pf, const char *s, bool attr)
{
	return report_xml_strn(pf, s, s ? strlen(s) : 0, attr);
}


int report_html_strn(struct re_printf *pf, const char *p, size_t n)
{
	return escape(pf, p, n, ESC_HTML);
}


int report_html_str(struct re_printf *pf, const char *s)
{
	return report_html_strn(pf, s, s ? strlen(s) : 0);
}


int report_md_str(struct re_printf *pf, const char *s, bool cell)
{
	return escape(pf, s, s ? strlen(s) : 0, cell ? ESC_MD_CELL : ESC_MD);
}


/* ------------------------------------------------------ small helpers */

int report_iso_time_ex(struct re_printf *pf, uint64_t wall_us, bool ms_zone)
{
	time_t t = (time_t)(wall_us / 1000000);
	struct tm tm;
	char buf[32];

	if (!gmtime_r(&t, &tm) ||
	    !strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm))
		return EINVAL;

	if (!ms_zone)
		return re_hprintf(pf, "%s", buf);

	return re_hprintf(pf, "%s.%03uZ", buf,
			  (unsigned)(wall_us % 1000000 / 1000));
}


int report_iso_time(struct re_printf *pf, uint64_t wall_us)
{
	return report_iso_time_ex(pf, wall_us, true);
}


const char *report_tp_name(int tp)
{
	switch (tp) {

	case SIP_TRANSP_UDP: return "UDP";
	case SIP_TRANSP_TCP: return "TCP";
	case SIP_TRANSP_TLS: return "TLS";
	case SIP_TRANSP_WS:  return "WS";
	case SIP_TRANSP_WSS: return "WSS";
	default:             return "?";
	}
}


const char *report_tp_ladder(int tp)
{
	return tp == SIP_TRANSP_TLS ? "TLS (decrypted)" : report_tp_name(tp);
}


const char *report_scenario_profile(const struct report_run *run,
				    const struct scenario *sc)
{
	if (run && run->external)
		return run->profile ? run->profile : "unknown";

	if (sc && sc->config && sc->config->profile.name)
		return sc->config->profile.name;

	return "default";
}


int report_classname(struct re_printf *pf, const char *file)
{
	const char *dot, *slash;
	size_t n;
	char *buf;
	int err;

	if (!file)
		return 0;

	n = strlen(file);
	dot = strrchr(file, '.');
	slash = strrchr(file, '/');
	if (dot && (!slash || dot > slash))
		n = (size_t)(dot - file);

	while (n && (file[0] == '.' || file[0] == '/')) {
		file++;
		n--;
	}

	buf = mem_alloc(n + 1, NULL);
	if (!buf)
		return ENOMEM;

	for (size_t i = 0; i < n; i++)
		buf[i] = file[i] == '/' ? '.' : file[i];
	buf[n] = '\0';

	err = report_xml_str(pf, buf, true);
	mem_deref(buf);

	return err;
}
