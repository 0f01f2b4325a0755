/**
 * @file steps.c  The step table (steps.h): its rows by name, the loader's
 * walk of a step through its row, and the docs and schema it prints
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <re.h>
#include "ytree.h"
#include "scenario_load.h"
#include "steps/steps.h"


const struct step_theme steps_themes[] = {
	{"registration", "Operations: every selected phone at once; the step "
	 "ends when each phone's operation has ended (its final response, or "
	 "a timeout)", steps_registration},
	{"expectations", "Checks of what the phones got and of the "
	 "registrar's state", steps_expectations},
	{"time", "Virtual and real time", steps_time},
	{"flow", "Steps run together or over again", steps_flow},
	{"calls", "Calls, phone side (each acts on the phone's latest call)",
	 steps_calls},
	{"outside", "Calls from the outside network: the in-process "
	 "registrar places them, as the service's REST API would (a config's "
	 "`numbers:` says which voice application answers each number)",
	 steps_outside},
	{"faults", "Lossy links and registrar restarts", steps_faults},
	{"media", "Media in a call, phone side (each acts on the phone's "
	 "latest call); `expect: {media: ...}` checks its figures",
	 steps_media},
	{NULL, NULL, NULL},
};


/* how a key's value is told, and its shape */
static const struct ktype {
	const char *what;            /* for "X must be WHAT, not ..." */
	const char *word;            /* the README's type column      */
	bool scalar, seq, map;
} ktypes[] = {
	[SK_NONE]          = {"a mapping", "mapping", false, false, true},
	[SK_ANY]           = {"anything", "anything", true, true, true},
	[SK_SELECTOR]      = {"a phone selector (a name, a group, "
			      "NAME-{A..B}, all, or a list of these)",
			      "phones", true, true, false},
	[SK_TEXT]          = {"a text value", "text", true, false, false},
	[SK_REGEX]         = {"a regular expression", "regex", true, false,
			      false},
	[SK_BOOL]          = {"true or false", "true/false", true, false,
			      false},
	[SK_UINT]          = {"a whole number", "number", true, false, false},
	[SK_STATUS]        = {"a SIP status code", "status", true, false,
			      false},
	[SK_SECONDS]       = {"seconds (600, 10m)", "seconds", true, false,
			      false},
	[SK_DURATION]      = {"a duration such as 601s, 500ms or 10m",
			      "duration", true, false, false},
	[SK_ENUM]          = {"one of", "one of", true, false, false},
	[SK_RULE]          = {"a rule ID", "rule ID", true, false, false},
	[SK_PERCENT]       = {"a percentage such as 30%", "percent", true,
			      false, false},
	[SK_COUNT]         = {"a count (3, \">=3\", \"<=3\")", "count", true,
			      false, false},
	[SK_HEADER_LINES]  = {"a list of header lines (\"Name: value\")",
			      "header lines", false, true, false},
	[SK_HEADER_CHECKS] = {"a mapping of header name to regular "
			      "expression or null", "header checks", false,
			      false, true},
	[SK_CONTACTS]      = {"a list of Contact values", "contacts", false,
			      true, false},
	[SK_STEPS]         = {"a list of steps", "steps", false, true, false},
	[SK_MAP]           = {"a mapping", "mapping", false, false, true},
};


const char *steps_type_word(enum step_ktype t)
{
	return t < ARRAY_SIZE(ktypes) && ktypes[t].word ? ktypes[t].word :
		"value";
}


static bool shape_ok(enum step_ktype t, const struct ynode *n)
{
	const struct ktype *k = &ktypes[t];

	switch (n->type) {

	case YNODE_MAP: return k->map;
	case YNODE_SEQ: return k->seq;
	default:        return k->scalar;
	}
}


/* ---- the rows ------------------------------------------------------------ */

const struct step_kind *steps_find(const char *name)
{
	for (const struct step_theme *t = steps_themes; t->name; t++) {
		for (const struct step_kind *k = t->kinds; k->name; k++) {
			if (!strcmp(k->name, name))
				return k;
		}
	}

	return NULL;
}


const struct step_kind *steps_of(enum sc_step_type type)
{
	for (const struct step_theme *t = steps_themes; t->name; t++) {
		for (const struct step_kind *k = t->kinds; k->name; k++) {
			if (k->type == type)
				return k;
		}
	}

	return NULL;
}


const struct step_kind *steps_kind(const struct sc_step *st)
{
	return st->kind ? st->kind : steps_of(st->type);
}


const struct step_key *steps_key(const struct step_key *keys,
				 const char *name)
{
	for (size_t i = 0; keys && keys[i].name; i++) {
		if (!strcmp(keys[i].name, name))
			return &keys[i];
	}

	return NULL;
}


/* "a, b, c" (or "a, b or c"), of rows with flags (0: every row) */
static void kind_list(char *buf, size_t sz, unsigned flags, bool or_)
{
	size_t len = 0, n = 0, total = 0;

	for (const struct step_theme *t = steps_themes; t->name; t++) {
		for (const struct step_kind *k = t->kinds; k->name; k++)
			total += (k->flags & flags) == flags;
	}

	buf[0] = '\0';
	for (const struct step_theme *t = steps_themes; t->name; t++) {
		for (const struct step_kind *k = t->kinds; k->name; k++) {
			if ((k->flags & flags) != flags)
				continue;
			++n;
			len += (size_t)snprintf(buf + len, len < sz ? sz - len
						: 0, "%s%s", n == 1 ? "" :
						or_ && n == total ? " or " :
						", ", k->name);
		}
	}
}


/* ---- loading a step ------------------------------------------------------ */

void steps_key_list(char *buf, size_t sz, const struct step_key *keys,
		    bool inline_, bool or_)
{
	size_t len = 0, n = 0, total = 0;

	for (size_t i = 0; keys[i].name; i++)
		total += !(inline_ && (keys[i].flags & SKF_NOT_INLINE));

	buf[0] = '\0';
	for (size_t i = 0; keys[i].name; i++) {
		if (inline_ && (keys[i].flags & SKF_NOT_INLINE))
			continue;
		++n;
		len += (size_t)snprintf(buf + len, len < sz ? sz - len : 0,
					"%s%s", n == 1 ? "" : or_ && n == total
					? " or " : ", ", keys[i].name);
	}
}


int steps_check_keys(struct loader *ld, const struct ynode *map,
		     const char *what, const struct step_key *keys,
		     bool inline_)
{
	int err = 0;

	for (size_t i = 0; i < map->count; i++) {
		const struct ynode *kn = ynode_key(map, i);
		const struct ynode *v = ynode_val(map, i);
		const struct step_key *k = steps_key(keys, kn->val);
		char list[400] = "";
		size_t len = 0;

		if (k && inline_ && (k->flags & SKF_NOT_INLINE))
			k = NULL;

		if (!k && !keys[0].name) {
			err = ydoc_errorf(ld->doc, kn, "%s takes no keys: give "
					  "{}", what);
			ld->keyerrc++;
			continue;
		}

		if (!k) {
			steps_key_list(list, sizeof(list), keys, inline_,
				       false);
			err = ydoc_errorf(ld->doc, kn, "unknown key '%s' in "
					  "%s (expected one of: %s)", kn->val,
					  what, list);
			ld->keyerrc++;
			continue;
		}

		if (!shape_ok(k->type, v)) {
			list[0] = '\0';
			for (size_t j = 0; k->type == SK_ENUM && k->values &&
				     k->values[j]; j++)
				len += (size_t)snprintf(list + len, len <
					sizeof(list) ? sizeof(list) - len : 0,
					"%s%s", j ? ", " : ": ", k->values[j]);
			err = ydoc_errorf(ld->doc, v, "%s must be %s%s, not %s "
					  "(in %s)", k->name,
					  ktypes[k->type].what, list,
					  ld_type_word(v), what);
			ld->keyerrc++;
			if (ld->badc < ARRAY_SIZE(ld->badv))
				ld->badv[ld->badc++] = v;
		}
	}

	for (size_t j = 0; keys[j].name; j++) {
		if ((keys[j].flags & SKF_REQUIRED) &&
		    !ynode_get(map, keys[j].name)) {
			err = ld_missing(ld, map, what, keys[j].name);
			ld->keyerrc++;
		}
	}

	return err;
}


const struct ynode *ld_arg(const struct loader *ld, const struct ynode *map,
			   const char *key)
{
	const struct ynode *v = ynode_get(map, key);

	for (size_t i = 0; v && i < ld->badc; i++) {
		if (ld->badv[i] == v)
			return NULL;
	}

	return v;
}


int ld_arg_phones(struct loader *ld, const struct ynode *map,
		  struct sc_step *st)
{
	const struct ynode *x = ld_arg(ld, map, "phones");

	return x ? ld_selector(ld, x, &st->phonev, &st->phonec) : 0;
}


int ld_arg_within(struct loader *ld, const struct ynode *map,
		  struct sc_step *st)
{
	const struct ynode *x = ld_arg(ld, map, "within");

	return x ? ld_get_duration(ld, x, "within", false, &st->within_ms) :
		0;
}


static void ld_step_init(struct sc_step *st, const struct ynode *n)
{
	memset(st, 0, sizeof(*st));
	st->pos.line = n->line;
	st->pos.col  = n->col;
	st->within_ms = DEFAULT_WITHIN;
	st->expect.granted = -1;
	st->expect.contacts = -1;
	st->expect.binding_count = -1;
}


/* the key node of a mapping's key (for errors at the key) */
static const struct ynode *key_of(const struct ynode *map, const char *key)
{
	for (size_t i = 0; i < map->count; i++) {
		if (!strcmp(ynode_key(map, i)->val, key))
			return ynode_key(map, i);
	}

	return map;
}


/* `within:` and `expect:` beside the kind: where the row allows them */
static int siblings(struct loader *ld, const struct ynode *n,
		    const struct step_kind *k, struct sc_step *st)
{
	char list[300];
	const struct ynode *x;
	int err = 0;

	x = ynode_get(n, "within");
	if (x && (k->flags & STEP_WITHIN)) {
		if (ld_get_duration(ld, x, "within", false, &st->within_ms))
			err = EINVAL;
	}
	else if (x && steps_key(k->keys, "within")) {
		err = ydoc_errorf(ld->doc, key_of(n, "within"),
				  "within goes inside %s: {phones: ..., "
				  "within: ...}", k->name);
	}
	else if (x) {
		kind_list(list, sizeof(list), STEP_WITHIN, true);
		err = ydoc_errorf(ld->doc, key_of(n, "within"),
				  "'within' goes with %s, not with %s", list,
				  k->name);
	}

	x = ynode_get(n, "expect");
	if (x && (k->flags & STEP_EXPECT)) {
		if (ld_expect(ld, x, st, true))
			err = EINVAL;
	}
	else if (x) {
		kind_list(list, sizeof(list), STEP_EXPECT, true);
		err = ydoc_errorf(ld->doc, key_of(n, "expect"),
				  "'expect' goes with %s (their response), "
				  "not with %s", list, k->name);
	}

	return err;
}


/* `kind: VALUE` of a row without a short form */
static int needs_map(struct loader *ld, const struct ynode *v,
		     const struct step_kind *k)
{
	char eg[200] = "";
	size_t len = 0;

	for (size_t i = 0; k->keys && k->keys[i].name; i++) {
		if (!(k->keys[i].flags & SKF_REQUIRED))
			continue;
		len += (size_t)snprintf(eg + len, len < sizeof(eg) ?
					sizeof(eg) - len : 0, "%s%s: ...",
					len ? ", " : "", k->keys[i].name);
	}

	if (!len)
		return ydoc_errorf(ld->doc, v, "%s must be a mapping, not %s",
				   k->name, ld_type_word(v));

	return ydoc_errorf(ld->doc, v, "%s must be a mapping such as {%s}, "
			   "not %s", k->name, eg, ld_type_word(v));
}


static int load_step(struct loader *ld, const struct ynode *n,
		     struct sc_step *st)
{
	const struct ynode *kind = NULL, *v = NULL;
	const struct step_kind *k;
	bool unknown = false;
	char list[400];
	int err = 0;

	if (n->type != YNODE_MAP)
		return ydoc_errorf(ld->doc, n, "a step must be a mapping such "
				   "as {register: desk}, not %s",
				   ld_type_word(n));

	/* the kind: one key other than within (and expect, if another) */
	for (size_t i = 0; i < n->count; i++) {
		const struct ynode *kn = ynode_key(n, i);

		if (!strcmp(kn->val, "within") || !strcmp(kn->val, "expect"))
			continue;

		if (!steps_find(kn->val)) {
			kind_list(list, sizeof(list), 0, false);
			err = ydoc_errorf(ld->doc, kn, "unknown key '%s' "
					  "(expected one of: %s, within)",
					  kn->val, list);
			unknown = true;
			continue;
		}

		if (kind)
			return ydoc_errorf(ld->doc, kn, "a step has one kind, "
					   "but '%s' and '%s' are both given",
					   kind->val, kn->val);
		kind = kn;
		v = ynode_val(n, i);
	}

	if (!kind) {
		v = ynode_get(n, "expect");
		if (!v) {
			if (unknown)
				return err;
			kind_list(list, sizeof(list), 0, false);
			return ydoc_errorf(ld->doc, n, "a step needs one of: "
					   "%s", list);
		}

		if (ynode_get(n, "within"))
			return ydoc_errorf(ld->doc, key_of(n, "within"),
					   "within of an expect step goes "
					   "inside it: expect: {within: ...}");
		k = steps_find("expect");
	}
	else {
		k = steps_find(kind->val);
		if (siblings(ld, n, k, st))
			err = EINVAL;
	}

	st->type = k->type;
	st->kind = k;

	if (v->type == YNODE_MAP && k->keys) {
		if (steps_check_keys(ld, v, k->name, k->keys, false))
			err = EINVAL;
	}
	else if (v->type != YNODE_MAP && k->value == SK_NONE) {
		return needs_map(ld, v, k);
	}

	if (k->load(ld, n, v, st))
		err = EINVAL;

	/* what a following `expect` checks by default (if the selector
	   failed, none: its error is reported already) */
	if (k->flags & STEP_OP) {
		ld->last_phonev = st->phonev;
		ld->last_phonec = st->phonec;
		ld->have_last = true;
	}

	return ld->nomem ? ENOMEM : err;
}


static int ld_step(struct loader *ld, const struct ynode *n, struct sc_step *st)
{
	size_t badc = ld->badc;       /* a parallel's or repeat's, kept */
	unsigned keyerrc = ld->keyerrc;
	int err;

	ld_step_init(st, n);
	ld->keyerrc = 0;
	err = load_step(ld, n, st);
	ld->badc = badc;
	ld->keyerrc = keyerrc;

	return err;
}


int ld_steps(struct loader *ld, const struct ynode *n, const char *what,
	     struct sc_step **stepvp, size_t *stepcp)
{
	struct sc_step *v;
	int err = 0;

	if (n->type != YNODE_SEQ || !n->count)
		return ydoc_errorf(ld->doc, n, "%s must be a non-empty list of "
				   "steps", what);

	v = mem_zalloc(n->count * sizeof(*v), NULL);
	if (!v) {
		ld->nomem = true;
		return ENOMEM;
	}

	*stepvp = v;
	*stepcp = n->count;

	for (size_t i = 0; i < n->count; i++) {
		if (ld_step(ld, ynode_item(n, i), &v[i]))
			err = EINVAL;
		if (ld->nomem)
			return ENOMEM;
	}

	return err;
}
