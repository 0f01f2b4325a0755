/**
 * @file judges.c  The table of P-* rows (judges.h): the themes' rows
 * joined, found by ID, run; the verdict helpers their functions use.
 */

#include <stdarg.h>
#include <string.h>
#include <re.h>
#include "phone/judges.h"


const char *jlevel_name(enum jlevel v)
{
	switch (v) {

	case JV_PASS: return "PASS";
	case JV_INFO: return "INFO";
	case JV_WARN: return "WARN";
	case JV_FAIL: return "FAIL";
	default:      return "SKIP";
	}
}


/* the themes' rows, in the order of phone-rules.md */
static const struct {
	const struct judge_row *rowv;
	const size_t *rowc;
} themes[] = {
	{judges_reg, &judges_reg_count},
	{judges_call, &judges_call_count},
	{judges_media, &judges_media_count},
	{judges_sec, &judges_sec_count},
};


const struct judge_row *judges_at(size_t i)
{
	for (size_t t = 0; t < ARRAY_SIZE(themes); t++) {
		if (i < *themes[t].rowc)
			return &themes[t].rowv[i];
		i -= *themes[t].rowc;
	}

	return NULL;
}


size_t judges_count(void)
{
	size_t n = 0;

	for (size_t t = 0; t < ARRAY_SIZE(themes); t++)
		n += *themes[t].rowc;

	return n;
}


const struct judge_row *judges_find(const char *id)
{
	const struct judge_row *row;

	for (size_t i = 0; id && (row = judges_at(i)); i++) {
		if (!strcasecmp(row->id, id))
			return row;
	}

	return NULL;
}


bool judges_for_person(const struct judge_row *row,
		       const struct jverdict *v)
{
	if (!row || !v || v->level != JV_SKIP)
		return false;

	switch (row->need) {

	case JN_SHUTDOWN:
	case JN_DIAL:
	case JN_TRANSFER:
	case JN_DTMF:
	case JN_HOLD:
		return !strstr(v->why, "never") && !strstr(v->why,
							   "not registered");
	case JN_CALL:
		/* the phone was there, but answered (or refused) at once */
		return strstr(v->why, "answered") || strstr(v->why, "person");
	default:
		return false;
	}
}


void jctx_init(struct jctx *x, const struct capture *cap)
{
	memset(x, 0, sizeof(*x));
	x->cap = cap;
	x->i = x->next = x->ok = -1;
	x->now = tmr_jiffies();
}


void judges_run(const struct judge_row *row, const struct jctx *x,
		struct jverdict *v)
{
	memset(v, 0, sizeof(*v));
	if (!row)
		return;

	if (row->judge)
		row->judge(x, v);

	if (!v->rule)
		jverdict_set(v, row->id, JV_SKIP, "not judged");

	if ((v->level == JV_FAIL || v->level == JV_WARN) && !v->advice[0] &&
	    row->advice)
		jverdict_advice(v, "%s", row->advice);
}


void jverdict_set(struct jverdict *v, const char *rule, enum jlevel level,
		  const char *why_fmt, ...)
{
	const struct judge_row *pr = judges_find(rule);
	va_list ap;

	v->rule = pr ? pr->id : rule;
	v->level = level;
	va_start(ap, why_fmt);
	(void)re_vsnprintf(v->why, sizeof(v->why), why_fmt, ap);
	va_end(ap);
}


void jverdict_observed(struct jverdict *v, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)re_vsnprintf(v->observed, sizeof(v->observed), fmt, ap);
	va_end(ap);
}


void jverdict_advice(struct jverdict *v, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)re_vsnprintf(v->advice, sizeof(v->advice), fmt, ap);
	va_end(ap);
}


