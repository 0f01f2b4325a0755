/**
 * @file scenario_registrar.c  A scenario's `registrar: {config: ...}`: a
 * file, or an inline mapping handed to the registrar's own loader as text
 * (ytree keeps no text, so the lines of the mapping are cut from the file,
 * with the lines and columns before it blanked out, so that the config
 * loader's `line:col` is the scenario file's)
 */

#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <re.h>
#include "ytree.h"
#include "scenario_load.h"
#include "textfile.h"
#include "config.h"


/*
 * The length of the line break at p, 0 if none.  As libyaml: CR LF, CR,
 * LF, and in UTF-8 NEL, LS and PS.
 */
static size_t brk_len(const char *p, const char *end)
{
	const unsigned char *u = (const unsigned char *)p;
	size_t n = (size_t)(end - p);

	if (!n)
		return 0;
	if (u[0] == '\r')
		return (n > 1 && u[1] == '\n') ? 2 : 1;
	if (u[0] == '\n')
		return 1;
	if (n > 1 && u[0] == 0xc2 && u[1] == 0x85)
		return 2;
	if (n > 2 && u[0] == 0xe2 && u[1] == 0x80 &&
	    (u[2] == 0xa8 || u[2] == 0xa9))
		return 3;

	return 0;
}


/* start of line `line` (1-based), counting breaks as libyaml does */
static const char *line_start(const char *p, const char *end, unsigned line)
{
	unsigned l = 1;

	while (l < line && p < end) {
		size_t b = brk_len(p, end);

		if (b) {
			p += b;
			++l;
		}
		else {
			++p;
		}
	}

	return l == line ? p : NULL;
}


/* the start of the line after p's */
static const char *line_next(const char *p, const char *end)
{
	size_t b = 0;

	while (p < end && !(b = brk_len(p, end)))
		++p;

	return p < end ? p + b : end;
}


/* one character of UTF-8 (libyaml counts columns in characters) */
static const char *utf8_next(const char *p, const char *end)
{
	++p;
	while (p < end && ((unsigned char)*p & 0xc0) == 0x80)
		++p;

	return p;
}


/* past anchors (&a) and tags (!t) and the blanks after them */
static const char *skip_props(const char *p, const char *end)
{
	for (;;) {
		while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' ||
				   *p == '\n'))
			++p;

		if (p >= end || (*p != '&' && *p != '!'))
			return p;

		while (p < end && *p != ' ' && *p != '\t' && *p != '\r' &&
		       *p != '\n')
			++p;
	}
}


/* just after the bracket that closes the flow collection at p */
static const char *flow_end(const char *p, const char *end)
{
	int depth = 0;
	char prev = ' ';

	while (p < end) {
		char c = *p;

		if ((c == '"' || c == '\'') && prev &&
		    strchr(" \t\r\n{[,:", prev)) {
			/* a quoted scalar */
			++p;
			while (p < end) {
				if (c == '"' && *p == '\\' && p + 1 < end) {
					p += 2;
					continue;
				}
				if (*p == c) {
					if (c == '\'' && p + 1 < end &&
					    p[1] == '\'') {
						p += 2;
						continue;
					}
					break;
				}
				++p;
			}
			if (p < end)
				++p;
			prev = c;
			continue;
		}

		if (c == '#' && prev && strchr(" \t\r\n", prev)) {
			while (p < end && *p != '\n' && *p != '\r')
				++p;
			prev = ' ';
			continue;
		}

		if (c == '{' || c == '[') {
			++depth;
		}
		else if (c == '}' || c == ']') {
			if (--depth <= 0)
				return p + 1;
		}

		prev = c;
		++p;
	}

	return end;
}


/* the first line after p's that is indented no deeper than column col */
static const char *block_end(const char *p, const char *end, unsigned col)
{
	p = line_next(p, end);

	while (p < end) {
		const char *q = p;
		unsigned ind = 0;

		while (q < end && *q == ' ') {
			++q;
			++ind;
		}

		if (q < end && !brk_len(q, end) && *q != '#' && *q != '\t' &&
		    ind + 1 <= col)
			return p;

		p = line_next(p, end);
	}

	return end;
}


static void config_error(struct loader *ld, const struct ynode *v,
			 const char *name, const char *msg, int err)
{
	size_t nl = strlen(name);
	unsigned long line, col;
	char *e;

	if (!msg[0]) {
		(void)ydoc_errorf(ld->doc, v, "registrar config: %s",
				  strerror(err));
		return;
	}

	if (!strncmp(msg, name, nl) && msg[nl] == ':') {
		line = strtoul(msg + nl + 1, &e, 10);
		if (*e == ':') {
			col = strtoul(e + 1, &e, 10);
			if (!strncmp(e, ": ", 2) && line >= v->line &&
			    line < 1000000000ul && col < 1000000000ul) {
				char buf[560];

				(void)snprintf(buf, sizeof(buf),
					       "registrar config: %s", e + 2);
				(void)ld_pos_errorf(ld->doc, (unsigned)line,
						 (unsigned)col ? (unsigned)col :
						 1, buf);
				return;
			}
			/* before the mapping: an error about all of it */
			(void)ydoc_errorf(ld->doc, v, "registrar config: %s",
					  !strncmp(e, ": ", 2) ? e + 2 : msg);
			return;
		}
	}

	(void)ydoc_errorf(ld->doc, v, "registrar config: %s", msg);
}


static int config_inline(struct loader *ld, const struct ynode *key,
			 const struct ynode *v)
{
	const char *end = ld->text + ld->len, *p, *q, *stop;
	char errbuf[512] = "";
	char *name = NULL, *buf;
	size_t pre, len;
	int err;

	p = ld->text ? line_start(ld->text, end, v->line) : NULL;
	if (!p)
		return ydoc_errorf(ld->doc, v, "registrar config: cannot find "
				   "its text");

	/* libyaml does not count a byte order mark */
	if (v->line == 1 && end - p >= 3 && !memcmp(p, "\xef\xbb\xbf", 3))
		p += 3;

	for (unsigned c = 1; c < v->col && p < end && !brk_len(p, end); c++)
		p = utf8_next(p, end);

	q = skip_props(p, end);
	if (q < end && (*q == '{' || *q == '['))
		stop = flow_end(q, end);
	else
		stop = block_end(p, end, key->col);

	pre = (size_t)(v->line - 1) + (v->col - 1);
	len = pre + (size_t)(stop - p);

	buf = mem_alloc(len + 1, NULL);
	err = re_sdprintf(&name, "%s(registrar.config)", ld->path);
	if (!buf || err) {
		mem_deref(buf);
		mem_deref(name);
		ld->nomem = true;
		return ENOMEM;
	}

	memset(buf, '\n', v->line - 1);
	memset(buf + v->line - 1, ' ', v->col - 1);
	memcpy(buf + pre, p, (size_t)(stop - p));
	buf[len] = '\0';

	err = reg_config_load_str(&ld->s->pub.config, name, buf, len, errbuf,
				  sizeof(errbuf));
	if (err == ENOMEM) {
		ld->nomem = true;
	}
	else if (err) {
		config_error(ld, v, name, errbuf, err);
		err = EINVAL;
	}

	mem_deref(buf);
	mem_deref(name);

	return err;
}


static int config_file(struct loader *ld, const struct ynode *v)
{
	const char *file, *slash;
	char errbuf[512] = "";
	char *full = NULL;
	int err;

	err = ld_get_text(ld, v, "registrar config", &file);
	if (err)
		return err;

	slash = strrchr(ld->path, '/');
	if (file[0] == '/' || !slash)
		err = str_dup(&full, file);
	else
		err = re_sdprintf(&full, "%b/%s", ld->path,
				  (size_t)(slash - ld->path), file);
	if (ld_nomem(ld, err))
		return ENOMEM;

	err = reg_config_load_file(&ld->s->pub.config, full, errbuf,
				   sizeof(errbuf));
	if (err == ENOMEM) {
		ld->nomem = true;
	}
	else if (err) {
		(void)ydoc_errorf(ld->doc, v, "registrar config: %s",
				  errbuf[0] ? errbuf : strerror(err));
		err = EINVAL;
	}

	mem_deref(full);

	return err;
}


int ld_registrar(struct loader *ld, const struct ynode *n)
{
	static const char *const keys[] = {"config", NULL};
	const struct ynode *v;

	if (ld_expect_map(ld, n, "registrar"))
		return EINVAL;

	if (ynode_check_keys(ld->doc, n, keys))
		return EINVAL;

	v = ynode_get(n, "config");
	if (!v)
		return 0;

	if (v->type == YNODE_SCALAR)
		return config_file(ld, v);

	if (v->type == YNODE_MAP) {
		const struct ynode *key = NULL;

		for (size_t i = 0; i < n->count; i++) {
			if (ynode_val(n, i) == v)
				key = ynode_key(n, i);
		}

		return config_inline(ld, key ? key : v, v);
	}

	return ydoc_errorf(ld->doc, v, "registrar config must be a file name "
			   "or a mapping, not a list");
}


