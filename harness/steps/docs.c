/**
 * @file docs.c  What the step table prints: the JSON schema of a step
 * (`harness schema`) and the step reference of scenarios/README.md
 * (`harness schema --markdown`), both from the rows
 */

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "steps/steps.h"


/* the short forms' placeholders */
static const char *const value_words[] = {
	[SK_ANY]      = "{}",
	[SK_SELECTOR] = "PHONES",
	[SK_DURATION] = "DURATION",
	[SK_STEPS]    = "[STEPS]",
	[SK_ENUM]     = "WORD",
};


/* ---- JSON ---------------------------------------------------------------- */

static int json_str(FILE *f, const char *s)
{
	int err = fputc('"', f) == EOF;

	for (; s && *s; s++) {
		if (*s == '"' || *s == '\\')
			err |= fprintf(f, "\\%c", *s) < 0;
		else if ((unsigned char)*s < 0x20)
			err |= fprintf(f, "\\u%04x", (unsigned char)*s) < 0;
		else
			err |= fputc(*s, f) == EOF;
	}

	return err | (fputc('"', f) == EOF);
}


static int json_words(FILE *f, const char *const *v)
{
	int err = fputc('[', f) == EOF;

	for (size_t i = 0; v && v[i]; i++) {
		if (i)
			err |= fputs(", ", f) == EOF;
		err |= json_str(f, v[i]);
	}

	return err | (fputc(']', f) == EOF);
}


static int json_keys(FILE *f, const struct step_key *keys, bool inline_,
		     int ind);


/* a value of type t (values: its words; sub: its keys) */
static int json_type(FILE *f, enum step_ktype t, const char *const *values,
		     const struct step_key *sub, int ind)
{
	switch (t) {

	case SK_SELECTOR:
		return fputs("\"anyOf\": [{\"type\": \"string\", \"minLength\": "
			     "1}, {\"type\": \"array\", \"items\": {\"type\": "
			     "\"string\"}, \"minItems\": 1}]", f) == EOF;
	case SK_TEXT:
		return fputs("\"type\": \"string\", \"minLength\": 1", f) ==
			EOF;
	case SK_REGEX:
		return fputs("\"type\": \"string\", \"format\": \"regex\"",
			     f) == EOF;
	case SK_BOOL:
		return fputs("\"type\": \"boolean\"", f) == EOF;
	case SK_UINT:
		return fputs("\"type\": \"integer\", \"minimum\": 0", f) ==
			EOF;
	case SK_STATUS:
		return fputs("\"type\": \"integer\", \"minimum\": 100, "
			     "\"maximum\": 699", f) == EOF;
	case SK_SECONDS:
	case SK_DURATION:
		return fputs("\"type\": [\"integer\", \"string\"], "
			     "\"pattern\": \"^[0-9]+(\\\\.[0-9]+)?"
			     "(ms|s|m|min|h)?$\"", f) == EOF;
	case SK_ENUM:
		return (fputs("\"enum\": ", f) == EOF) |
			json_words(f, values);
	case SK_RULE:
		return fputs("\"type\": \"string\", \"pattern\": "
			     "\"^[A-Z]+(-[A-Z0-9]+)+$\"", f) == EOF;
	case SK_PERCENT:
		return fputs("\"type\": \"string\", \"pattern\": "
			     "\"^[0-9]+(\\\\.[0-9]+)?%$\"", f) == EOF;
	case SK_COUNT:
		return fputs("\"type\": [\"integer\", \"string\"], "
			     "\"pattern\": \"^(>=|<=)?[0-9]+$\"", f) == EOF;
	case SK_HEADER_LINES:
		return fputs("\"type\": \"array\", \"items\": {\"type\": "
			     "\"string\", \"pattern\": \"^[^:]+:\"}", f) ==
			EOF;
	case SK_HEADER_CHECKS:
		return fputs("\"type\": \"object\", \"additionalProperties\": "
			     "{\"type\": [\"string\", \"null\"]}", f) == EOF;
	case SK_CONTACTS:
		return fputs("\"type\": \"array\", \"items\": {\"type\": "
			     "\"string\"}, \"minItems\": 1", f) == EOF;
	case SK_STEPS:
		return fputs("\"type\": \"array\", \"items\": {\"$ref\": "
			     "\"#\"}, \"minItems\": 1", f) == EOF;
	case SK_MAP:
		return json_keys(f, sub, false, ind);
	default:
		return 0;
	}
}


/* an object of these keys */
static int json_keys(FILE *f, const struct step_key *keys, bool inline_,
		     int ind)
{
	bool first = true;
	int err = 0;

	err |= fprintf(f, "\"type\": \"object\", \"additionalProperties\": "
		       "false,\n%*s\"properties\": {", ind, "") < 0;

	for (size_t i = 0; keys && keys[i].name; i++) {
		const struct step_key *k = &keys[i];

		if (inline_ && (k->flags & SKF_NOT_INLINE))
			continue;
		err |= fprintf(f, "%s\n%*s", first ? "" : ",", ind + 2, "") <
			0;
		err |= json_str(f, k->name);
		err |= fputs(": {\"description\": ", f) == EOF;
		err |= json_str(f, k->doc);
		err |= fputs(", ", f) == EOF;
		err |= json_type(f, k->type, k->values, k->sub, ind + 4);
		err |= fputc('}', f) == EOF;
		first = false;
	}
	err |= fprintf(f, "\n%*s}", ind, "") < 0;

	first = true;
	for (size_t i = 0; keys && keys[i].name; i++) {
		if (!(keys[i].flags & SKF_REQUIRED))
			continue;
		err |= fputs(first ? ",\n" : ", ", f) == EOF;
		if (first)
			err |= fprintf(f, "%*s\"required\": [", ind, "") < 0;
		err |= json_str(f, keys[i].name);
		first = false;
	}
	if (!first)
		err |= fputc(']', f) == EOF;

	return err;
}


static int json_kind(FILE *f, const struct step_kind *k)
{
	int err = 0;

	err |= fputs("    {\"title\": ", f) == EOF;
	err |= json_str(f, k->name);
	err |= fputs(", \"description\": ", f) == EOF;
	err |= json_str(f, k->doc);
	err |= fputs(",\n     \"type\": \"object\", \"required\": [", f) ==
		EOF;
	err |= json_str(f, k->name);
	err |= fputs("], \"additionalProperties\": false,\n"
		     "     \"properties\": {\n       ", f) == EOF;
	err |= json_str(f, k->name);
	err |= fputs(": {", f) == EOF;

	if (k->value != SK_NONE && k->keys) {
		err |= fputs("\"anyOf\": [{", f) == EOF;
		err |= json_type(f, k->value, k->values, NULL, 10);
		err |= fputs("}, {", f) == EOF;
		err |= json_keys(f, k->keys, false, 10);
		err |= fputs("}]", f) == EOF;
	}
	else if (k->keys) {
		err |= json_keys(f, k->keys, false, 10);
	}
	else {
		err |= json_type(f, k->value, k->values, NULL, 10);
	}
	err |= fputc('}', f) == EOF;

	if (k->flags & STEP_WITHIN) {
		err |= fputs(",\n       \"within\": {", f) == EOF;
		err |= json_type(f, SK_DURATION, NULL, NULL, 10);
		err |= fputc('}', f) == EOF;
	}
	if (k->flags & STEP_EXPECT)
		err |= fputs(",\n       \"expect\": {\"$ref\": "
			     "\"#/$defs/inline_expect\"}", f) == EOF;

	return err | (fputs("}}", f) == EOF);
}


int steps_print_schema(FILE *f)
{
	bool first = true;
	int err = 0;

	err |= fputs("{\n  \"$schema\": \"https://json-schema.org/draft/"
		     "2020-12/schema\",\n"
		     "  \"$id\": \"https://sipconform.invalid/step.json\",\n"
		     "  \"title\": \"a step of a sipconform scenario "
		     "(scenarios/README.md)\",\n"
		     "  \"description\": \"generated from the step table, "
		     "harness/steps/ (harness schema)\",\n"
		     "  \"oneOf\": [\n", f) == EOF;

	for (const struct step_theme *t = steps_themes; t->name; t++) {
		for (const struct step_kind *k = t->kinds; k->name; k++) {
			err |= fputs(first ? "" : ",\n", f) == EOF;
			err |= json_kind(f, k);
			first = false;
		}
	}

	err |= fputs("\n  ],\n  \"$defs\": {\"inline_expect\": {", f) == EOF;
	err |= json_keys(f, steps_expect_keys, true, 4);
	err |= fputs("}}\n}\n", f) == EOF;

	return err ? EIO : 0;
}


/* ---- Markdown ------------------------------------------------------------ */

static int md_type(FILE *f, const struct step_key *k)
{
	int err = fputs(steps_type_word(k->type), f) == EOF;

	if (k->type == SK_ENUM) {
		for (size_t i = 0; k->values && k->values[i]; i++)
			err |= fprintf(f, "%s`%s`", i ? ", " : ": ",
				       k->values[i]) < 0;
	}

	if (k->type == SK_MAP) {
		for (size_t i = 0; k->sub && k->sub[i].name; i++) {
			err |= fprintf(f, "%s`%s` (%s", i ? ", " : " of ",
				       k->sub[i].name, k->sub[i].flags &
				       SKF_REQUIRED ? "required, " : "") < 0;
			err |= md_type(f, &k->sub[i]);
			err |= fputc(')', f) == EOF;
		}
	}

	return err;
}


static int md_kind(FILE *f, const struct step_kind *k)
{
	int err = 0;

	err |= fprintf(f, "##### `%s`\n\n", k->name) < 0;

	if (k->value != SK_NONE)
		err |= fprintf(f, "`%s: %s`%s", k->name,
			       k->value == SK_ENUM && k->values ?
			       k->values[0] : value_words[k->value] ?
			       value_words[k->value] : "VALUE",
			       k->keys && k->keys[0].name ? ", or a mapping "
			       "of the keys below"
			       : "") < 0;
	else
		err |= fprintf(f, "`%s: {...}`, a mapping of the keys below",
			       k->name) < 0;

	if ((k->flags & STEP_WITHIN) && (k->flags & STEP_EXPECT))
		err |= fputs("; `within:` and `expect:` may stand beside it",
			     f) == EOF;

	err |= fprintf(f, ". %c%s%s.\n\n", toupper((unsigned char)k->doc[0]),
		       k->doc + 1, k->flags & STEP_OP ?
		       " (an operation: a later `expect` checks its phones "
		       "by default)" : "") < 0;

	if (!k->keys || !k->keys[0].name)
		return err;

	err |= fputs("| key | type | meaning |\n|---|---|---|\n", f) == EOF;

	for (size_t i = 0; k->keys[i].name; i++) {
		const struct step_key *x = &k->keys[i];

		err |= fprintf(f, "| `%s`%s | ", x->name, x->flags &
			       SKF_REQUIRED ? " (required)" : "") < 0;
		err |= md_type(f, x);
		err |= fprintf(f, " | %s%s |\n", x->doc, x->flags &
			       SKF_NOT_INLINE ? " (not beside an operation)" :
			       "") < 0;
	}

	return err | (fputc('\n', f) == EOF);
}


int steps_print_markdown(FILE *f)
{
	int err = 0;

	err |= fputs("<!-- generated from the step table (harness/steps/) by "
		     "`harness schema --markdown`: edit the rows, not this; "
		     "test_scenario compares -->\n\n", f) == EOF;

	for (const struct step_theme *t = steps_themes; t->name; t++) {
		err |= fprintf(f, "#### %c%s\n\n%s.\n\n",
			       t->name[0] - 'a' + 'A', t->name + 1, t->doc) <
			0;

		for (const struct step_kind *k = t->kinds; k->name; k++)
			err |= md_kind(f, k);
	}

	err |= fputs("<!-- end of the generated step reference -->\n", f) ==
		EOF;

	return err ? EIO : 0;
}
