/**
 * @file config/print.c  `sim-registrar --print-config`: the effective
 * configuration as YAML, every key with its doc and default as a comment,
 * walked by the schema's rows.  Loading what it prints gives the same
 * configuration (test_config checks the round trip).
 */

#include <string.h>
#include <re.h>
#include "config/schema.h"

enum { DOC_WIDTH = 76 };

/* deeper than any key of the schema */
const char cfg_spaces[] = "                                        ";


/* double-quoted YAML: every text comes back as it was */
int cfg_print_text(struct re_printf *pf, const char *s)
{
	int err = re_hprintf(pf, "\"");

	for (; s && *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			err |= re_hprintf(pf, "\\%c", ch);
		else if (ch == '\n')
			err |= re_hprintf(pf, "\\n");
		else if (ch == '\t')
			err |= re_hprintf(pf, "\\t");
		else if (ch < 0x20 || ch == 0x7f)
			err |= re_hprintf(pf, "\\x%02x", ch);
		else
			err |= re_hprintf(pf, "%c", ch);
	}

	return err | re_hprintf(pf, "\"");
}


/* one comment line, folded at DOC_WIDTH */
static int print_folded(struct re_printf *pf, const char *text,
			unsigned indent)
{
	size_t col = 0;
	int err = 0;

	while (*text) {
		size_t n = strcspn(text, " ");

		if (col && col + 1 + n > DOC_WIDTH) {
			err |= re_hprintf(pf, "\n");
			col = 0;
		}

		if (!col) {
			err |= re_hprintf(pf, "%b#", CFG_INDENT(indent));
			col = indent + 1;
		}

		err |= re_hprintf(pf, " %b", text, n);
		col += 1 + n;

		text += n;
		text += strspn(text, " ");
	}

	return err | (col ? re_hprintf(pf, "\n") : 0);
}


/* the row's doc, its bounds and default, as comment lines; named: the
 * key first (docs of a group printed before its flow maps) */
static int print_doc(struct re_printf *pf, const struct cfg_row *row,
		     unsigned indent, bool named)
{
	char *text = NULL;
	char bounds[64] = "";
	int err;

	if (!row)
		return 0;

	if (row->type == CFG_U32 && !row->words && row->max == UINT32_MAX)
		re_snprintf(bounds, sizeof(bounds), "; >= %u", row->min);
	else if (row->type == CFG_U32 && !row->words)
		re_snprintf(bounds, sizeof(bounds), "; %u..%u", row->min,
			    row->max);

	err = re_sdprintf(&text, "%s%s%s%s%s%s%s", named ? cfg_row_key(row) :
			  "", named ? ": " : "", row->doc, bounds,
			  row->flags & CFG_REQUIRED ? "; required" : "",
			  row->dflt ? "; default: " : "",
			  row->dflt ? row->dflt : "");
	if (err)
		return err;

	err = print_folded(pf, text, indent);
	mem_deref(text);

	return err;
}


int cfg_print_doc(struct re_printf *pf, const struct cfg_row *row,
		  unsigned indent)
{
	return print_doc(pf, row, indent, false);
}


int cfg_print_doc_named(struct re_printf *pf, const struct cfg_row *row,
			unsigned indent)
{
	return print_doc(pf, row, indent, true);
}


static uint32_t load_uint(const void *p, size_t size)
{
	uint16_t x16;
	uint32_t x32;

	if (size == sizeof(uint16_t)) {
		memcpy(&x16, p, sizeof(x16));
		return x16;
	}

	memcpy(&x32, p, sizeof(x32));

	return x32;
}


/* a scalar at the row's offset in base */
static int print_value(struct re_printf *pf, const struct cfg_row *row,
		       const void *base, unsigned indent)
{
	const uint8_t *p = (const uint8_t *)base + row->off;
	const char *key = cfg_row_key(row);
	const char *s;
	uint32_t v;
	int err;

	switch (row->type) {

	case CFG_TEXT:
	case CFG_E164:
		memcpy(&s, p, sizeof(s));
		if (!s)
			return re_hprintf(pf, "%b# %s: (not set)\n", CFG_INDENT(indent), key);
		err  = re_hprintf(pf, "%b%s: ", CFG_INDENT(indent), key);
		err |= cfg_print_text(pf, s);
		return err | re_hprintf(pf, "\n");

	case CFG_U32:
		v = load_uint(p, row->size);
		if (!v && (row->flags & CFG_ZERO_SET))
			return re_hprintf(pf, "%b# %s: (not set)\n", CFG_INDENT(indent), key);
		return re_hprintf(pf, "%b%s: %u\n", CFG_INDENT(indent), key, v);

	case CFG_WORD:
		v = load_uint(p, row->size);
		return re_hprintf(pf, "%b%s: %s\n", CFG_INDENT(indent), key,
				  row->words[v]);

	case CFG_BOOL:
		return re_hprintf(pf, "%b%s: %s\n", CFG_INDENT(indent), key,
				  *(const bool *)(const void *)p ?
				  "true" : "false");

	default:
		return 0;
	}
}


static int print_rows(struct re_printf *pf, const char *parent,
		      const struct reg_config *cfg, const void *base,
		      unsigned indent, bool docs);
static int print_items(struct re_printf *pf, const struct cfg_row *row,
		       const struct reg_config *cfg, const void *base,
		       unsigned indent, bool docs);


/* a map whose keys all print as comments is {}, not empty (null) */
static bool has_value(const char *parent, const void *base)
{
	const struct cfg_row *rows;
	size_t rowc;

	rows = cfg_rows(&rowc);
	for (size_t i = 0; i < rowc; i++) {
		const struct cfg_row *row = &rows[i];
		const uint8_t *p = (const uint8_t *)base + row->off;
		const char *s;

		if (!cfg_row_is_child(row, parent))
			continue;

		if (row->print || row->type == CFG_MAP)
			return true;
		if (!row->size)
			continue;

		if (row->type == CFG_TEXT || row->type == CFG_E164) {
			memcpy(&s, p, sizeof(s));
			if (s)
				return true;
		}
		else if (row->type != CFG_U32 ||
			 !(row->flags & CFG_ZERO_SET) ||
			 load_uint(p, row->size)) {
			return true;
		}
	}

	return false;
}


int cfg_print_rows(struct re_printf *pf, const char *parent,
		   const struct reg_config *cfg, const void *base,
		   unsigned indent, bool docs)
{
	if (!has_value(parent, base))
		return re_hprintf(pf, "%b{}\n", CFG_INDENT(indent)) |
			print_rows(pf, parent, cfg, base, indent, docs);

	return print_rows(pf, parent, cfg, base, indent, docs);
}


/*
 * The keys under parent, in table order: a row's print handler, a map's
 * own keys, or a scalar.  docs: each with its doc comment first.
 */
static int print_rows(struct re_printf *pf, const char *parent,
		      const struct reg_config *cfg, const void *base,
		      unsigned indent, bool docs)
{
	const struct cfg_row *rows;
	size_t rowc;
	int err = 0;

	rows = cfg_rows(&rowc);
	for (size_t i = 0; i < rowc; i++) {
		const struct cfg_row *row = &rows[i];

		if (!cfg_row_is_child(row, parent))
			continue;

		if (!indent && *parent == '\0')
			err |= re_hprintf(pf, "\n");

		if (docs)
			err |= cfg_print_doc(pf, row, indent);

		if (row->print) {
			err |= row->print(pf, row, cfg, base, indent, docs);
		}
		else if (row->type == CFG_LIST && row->size) {
			err |= print_items(pf, row, cfg, base, indent, docs);
		}
		else if (row->type == CFG_MAP) {
			err |= re_hprintf(pf, "%b%s:\n", CFG_INDENT(indent),
					  cfg_row_key(row));
			err |= cfg_print_rows(pf, row->path, cfg, base,
					      indent + 2, docs);
		}
		else if (row->size) {
			err |= print_value(pf, row, base, indent);
		}
	}

	return err;
}


/* a list of items (where its row says), each a block of the rows at
 * "path[]" */
static int print_items(struct re_printf *pf, const struct cfg_row *row,
		       const struct reg_config *cfg, const void *base,
		       unsigned indent, bool docs)
{
	const uint8_t *arr;
	uint32_t count;
	char path[64];
	int err;

	memcpy(&arr, (const uint8_t *)base + row->off, sizeof(arr));
	memcpy(&count, (const uint8_t *)base + row->count_off,
	       sizeof(count));

	(void)re_snprintf(path, sizeof(path), "%s[]", row->path);

	err = re_hprintf(pf, "%b%s:%s\n", CFG_INDENT(indent),
			 cfg_row_key(row), count ? "" : " []");

	for (uint32_t i = 0; i < count; i++) {
		err |= re_hprintf(pf, "%b-\n", CFG_INDENT(indent + 2));
		err |= cfg_print_rows(pf, path, cfg, arr + i * row->size,
				      indent + 4, docs && i == 0);
	}

	return err;
}


int reg_config_print(struct re_printf *pf, const struct reg_config *cfg)
{
	int err;

	if (!cfg)
		return EINVAL;

	err = re_hprintf(pf, "# sipconform registrar: the effective "
			 "configuration (sim-registrar --print-config)\n"
			 "# every key with its value; loading this file "
			 "gives the same configuration\n");

	return err | cfg_print_rows(pf, "", cfg, cfg, 0, true);
}
