/**
 * @file scenario.c  Scenario loader: YAML (scenarios/README.md) to
 * struct scenario, with every problem reported as `file:line:col: message`
 *
 * The loader goes on after an error so that a linter sees them all; only a
 * lack of memory stops it.  Order of work: name, description, rules,
 * registrar, phones (two passes: names and counts first, so that every
 * array is sized once), then steps.
 *
 * This file holds the document: its top-level keys, what a scenario owns
 * and frees, and the files `harness run`/`lint` collect.  The parts are
 * in scenario_registrar.c, scenario_phones.c, scenario_select.c,
 * scenario_expect.c (values: scenario_values.c); steps are read through
 * the step table (steps/steps.h).
 */

#include <errno.h>
#include <dirent.h>
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <re.h>
#include "ytree.h"
#include "textfile.h"
#include "config.h"
#include "rules.h"
#include "scenario_load.h"


/* a folder of registrar configs, not scenarios: scenario_collect skips it */
#define CONFIG_DIR "configs"


/* ---- what a scenario owns ------------------------------------------------ */

void ld_phone_free(struct sc_phone *p)
{
	mem_deref(p->name);
	mem_deref(p->group);
	mem_deref((void *)p->conf.user);
	mem_deref((void *)p->conf.domain);
	mem_deref((void *)p->conf.auth_user);
	mem_deref((void *)p->conf.password);
	mem_deref((void *)p->conf.extra);
	mem_deref((void *)p->conf.contactv);
	sc_media_conf_free(&p->conf.media);
}


static void ld_steps_free(struct sc_step *stepv, size_t stepc);

static void ld_step_free(struct sc_step *st)
{
	struct sc_expect *e = &st->expect;

	mem_deref(st->phonev);
	mem_deref((void *)st->req.callid);
	mem_deref((void *)st->req.method);
	mem_deref((void *)st->req.uri);
	mem_deref((void *)st->req.to_tag);
	mem_deref((void *)st->req.body);
	mem_deref((void *)st->req.extra);
	mem_deref((void *)st->req.contactv);

	mem_deref(e->reason);
	for (size_t i = 0; i < e->hdrc; i++) {
		mem_deref(e->hdrv[i].name);
		mem_deref(e->hdrv[i].regex);
	}
	mem_deref(e->hdrv);
	mem_deref(e->rule);
	mem_deref(e->aor);
	sc_media_check_free(&e->media);
	mem_deref(st->digits);
	mem_deref(st->to);
	mem_deref(st->extra);
	mem_deref(st->from);
	mem_deref(st->answered_by);

	ld_steps_free(st->stepv, st->stepc);
	mem_deref(st->stepv);
}


static void ld_steps_free(struct sc_step *stepv, size_t stepc)
{
	if (!stepv)
		return;

	for (size_t i = 0; i < stepc; i++)
		ld_step_free(&stepv[i]);
}


static void scen_destructor(void *data)
{
	struct scen *s = data;
	struct scenario *sc = &s->pub;

	mem_deref(sc->file);
	mem_deref(sc->name);
	mem_deref(sc->description);
	mem_deref(sc->rulev);
	mem_deref(sc->config);

	if (sc->phonev) {
		for (size_t i = 0; i < s->phone_cap; i++)
			ld_phone_free(&sc->phonev[i]);
		mem_deref(sc->phonev);
	}

	ld_steps_free(sc->stepv, sc->stepc);
	mem_deref(sc->stepv);

	mem_deref(s->symv);
	mem_deref(s->slotv);
}


/* ---- name, rules, description -------------------------------------------- */

static int ld_rules(struct loader *ld, const struct ynode *n)
{
	struct scenario *sc = &ld->s->pub;
	int err = 0;

	if (n->type != YNODE_SEQ || !n->count)
		return ydoc_errorf(ld->doc, n, "rules must be a non-empty list "
				   "of rule IDs such as [REG-AUTH-1]");

	sc->rulev = ld_strv_alloc(n->count);
	if (!sc->rulev) {
		ld->nomem = true;
		return ENOMEM;
	}

	for (size_t i = 0; i < n->count; i++) {
		const struct ynode *it = ynode_item(n, i);
		const struct rule *r;
		const char *id;
		bool dup = false;

		if (ynode_str(ld->doc, it, &id)) {
			err = EINVAL;
			continue;
		}

		r = rule_find(id);
		if (!r) {
			err = ydoc_errorf(ld->doc, it, "unknown rule ID '%s' "
					  "(not in the rules table, "
					  "sim-registrar/rules.c)", id);
			continue;
		}

		for (size_t j = 0; j < sc->rulec; j++) {
			if (!strcmp(sc->rulev[j], r->name))
				dup = true;
		}
		if (dup) {
			err = ydoc_errorf(ld->doc, it, "rule ID '%s' is listed "
					  "twice", id);
			continue;
		}

		if (ld_nomem(ld, str_dup(&sc->rulev[sc->rulec], r->name)))
			return ENOMEM;
		++sc->rulec;
	}

	return err;
}


/* ---- registrar: config --------------------------------------------------- */


/* ---- the scenario -------------------------------------------------------- */

static int load_root(struct loader *ld)
{
	static const char *const keys[] = {"name", "rules", "description",
					   "registrar", "phones", "steps",
					   "seed", NULL};
	const struct ynode *root = ydoc_root(ld->doc), *v;
	struct scenario *sc = &ld->s->pub;
	int err = 0;

	if (!root)
		return ydoc_errorf(ld->doc, NULL, "empty document");

	sc->pos.line = root->line;
	sc->pos.col  = root->col;

	if (root->type != YNODE_MAP)
		return ydoc_errorf(ld->doc, root, "a scenario must be a "
				   "mapping with name, rules, phones and "
				   "steps, not %s", ld_type_word(root));

	if (ynode_check_keys(ld->doc, root, keys))
		err = EINVAL;

	v = ynode_get(root, "name");
	if (!v)
		err = ld_missing(ld, root, "the scenario", "name");
	else if (ld_dup_text(ld, v, "name", &sc->name))
		err = EINVAL;

	v = ynode_get(root, "description");
	if (v) {
		const char *s;

		if (ynode_str(ld->doc, v, &s))
			err = EINVAL;
		else if (ld_nomem(ld, str_dup(&sc->description, s)))
			return ENOMEM;
	}

	v = ynode_get(root, "rules");
	if (!v)
		err = ld_missing(ld, root, "the scenario", "rules");
	else if (ld_rules(ld, v))
		err = EINVAL;

	if (ld->nomem)
		return ENOMEM;

	v = ynode_get(root, "registrar");
	if (v && ld_registrar(ld, v))
		err = EINVAL;

	/* the link faults' dice: a fixed default, so a run repeats */
	sc->seed = 1;
	v = ynode_get(root, "seed");
	if (v) {
		uint32_t seed;

		if (ynode_u32(ld->doc, v, &seed))
			err = EINVAL;
		else
			sc->seed = seed;
	}

	if (ld->nomem)
		return ENOMEM;

	v = ynode_get(root, "phones");
	if (!v) {
		ld->phones_broken = true;
		err = ld_missing(ld, root, "the scenario", "phones");
	}
	else if (ld_phones(ld, v)) {
		err = EINVAL;
	}

	if (ld->nomem || ld_phones_default_domain(ld))
		return ENOMEM;

	v = ynode_get(root, "steps");
	if (!v)
		err = ld_missing(ld, root, "the scenario", "steps");
	else if (ld_steps(ld, v, "steps", &sc->stepv, &sc->stepc))
		err = EINVAL;

	return ld->nomem ? ENOMEM : err;
}


/* the whole file, as text (kept for inline configs) */
static int read_file(const char *path, char **textp, size_t *lenp)
{
	return textfile_read(textp, lenp, path, MAX_FILE_SIZE);
}


int scenario_load(struct scenario **scp, struct ydoc **docp,
		  const char *path)
{
	struct loader ld;
	struct ydoc *doc = NULL;
	struct scen *s = NULL;
	char *text = NULL;
	size_t len = 0;
	int err;

	if (docp)
		*docp = NULL;

	if (!scp || !path)
		return EINVAL;

	memset(&ld, 0, sizeof(ld));

	err = read_file(path, &text, &len);
	if (err) {
		if (!ydoc_load_str(&doc, path, "{}", 2))
			(void)ydoc_errorf(doc, NULL, "cannot read: %s",
					  err == EFBIG ? "file too large" :
					  strerror(err));
		err = err == ENOMEM ? ENOMEM : EINVAL;
		goto out;
	}

	err = ydoc_load_str(&doc, path, text, len);
	if (err) {
		if (doc && err != ENOMEM)
			err = EINVAL;
		goto out;
	}

	s = mem_zalloc(sizeof(*s), scen_destructor);
	if (!s) {
		err = ENOMEM;
		goto out;
	}

	err = str_dup(&s->pub.file, path);
	if (err)
		goto out;

	ld.doc  = doc;
	ld.s    = s;
	ld.path = path;
	ld.text = text;
	ld.len  = len;

	err = load_root(&ld);
	if (ld.nomem)
		err = ENOMEM;
	else if (err || ydoc_errorc(doc))
		err = EINVAL;

 out:
	mem_deref(ld.entv);
	mem_deref(ld.brokenv);
	mem_deref(ld.markv);
	mem_deref(ld.selv);
	mem_deref(text);

	if (err)
		mem_deref(s);
	else
		*scp = &s->pub;

	if (docp)
		*docp = doc;
	else
		mem_deref(doc);

	return err;
}


const struct sc_phone *scenario_phone(const struct scenario *sc,
				      const char *name)
{
	const struct scen *s = (const struct scen *)sc;
	const struct sym *y;

	if (!sc || !name)
		return NULL;

	y = ld_sym_find(s, name);
	if (!y || y->group)
		return NULL;

	return &sc->phonev[y->first];
}


/* ---- finding scenario files ---------------------------------------------- */

struct flist {
	char **v;
	size_t c;
	size_t cap;
};


static int flist_add(struct flist *fl, const char *path)
{
	int err;

	if (fl->c + 1 >= fl->cap) {
		size_t n = fl->cap ? fl->cap * 2 : 16;
		char **v = fl->v ? mem_realloc(fl->v, n * sizeof(*v)) :
			mem_alloc(n * sizeof(*v), NULL);

		if (!v)
			return ENOMEM;

		memset(v + fl->cap, 0, (n - fl->cap) * sizeof(*v));
		fl->v = v;
		fl->cap = n;
	}

	err = str_dup(&fl->v[fl->c], path);
	if (err)
		return err;

	++fl->c;

	return 0;
}


static bool yaml_name(const char *name)
{
	size_t n = strlen(name);

	return (n > 5 && !strcmp(name + n - 5, ".yaml")) ||
		(n > 4 && !strcmp(name + n - 4, ".yml"));
}


static int walk(struct flist *fl, const char *dir, int depth)
{
	struct dirent *de;
	DIR *d;
	int err = 0;

	d = depth < MAX_DIR_DEPTH ? opendir(dir) : NULL;
	if (!d)
		return flist_add(fl, dir);   /* loading it says why */

	while (!err && (de = readdir(d)) != NULL) {
		char *sub = NULL;
		struct stat st;

		if (de->d_name[0] == '.')
			continue;

		err = re_sdprintf(&sub, "%s/%s", dir, de->d_name);
		if (err)
			break;

		if (stat(sub, &st))
			err = yaml_name(de->d_name) ? flist_add(fl, sub) : 0;
		else if (S_ISDIR(st.st_mode) &&
			 strcmp(de->d_name, CONFIG_DIR))
			err = walk(fl, sub, depth + 1);
		else if (S_ISREG(st.st_mode) && yaml_name(de->d_name))
			err = flist_add(fl, sub);

		mem_deref(sub);
	}

	closedir(d);

	return err;
}


static int path_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}


int scenario_collect(const char *const *paths, size_t n, char ***filevp,
		     size_t *filecp)
{
	struct flist fl;
	int err = 0;

	if (!filevp || (n && !paths))
		return EINVAL;

	memset(&fl, 0, sizeof(fl));

	for (size_t i = 0; !err && i < n; i++) {
		struct stat st;

		if (!paths[i])
			continue;

		if (!stat(paths[i], &st) && S_ISDIR(st.st_mode)) {
			size_t first = fl.c, l = strlen(paths[i]);
			char *dir = NULL;

			/* "scenarios/" lists as "scenarios/x.yaml" */
			while (l > 1 && paths[i][l - 1] == '/')
				--l;
			err = re_sdprintf(&dir, "%b", paths[i], l);
			if (!err)
				err = walk(&fl, dir, 0);
			mem_deref(dir);
			if (!err)
				qsort(fl.v + first, fl.c - first,
				      sizeof(*fl.v), path_cmp);
		}
		else {
			err = flist_add(&fl, paths[i]);
		}
	}

	if (!err && !fl.v) {
		fl.v = mem_zalloc(sizeof(*fl.v), NULL);
		if (!fl.v)
			err = ENOMEM;
	}

	if (err) {
		for (size_t i = 0; i < fl.c; i++)
			mem_deref(fl.v[i]);
		mem_deref(fl.v);
		return err;
	}

	/* from now on one mem object frees it all */
	{
		char **v = ld_strv_alloc(fl.c);

		if (!v) {
			for (size_t i = 0; i < fl.c; i++)
				mem_deref(fl.v[i]);
			mem_deref(fl.v);
			return ENOMEM;
		}
		memcpy(v, fl.v, fl.c * sizeof(*v));
		mem_deref(fl.v);
		*filevp = v;
	}

	if (filecp)
		*filecp = fl.c;

	return 0;
}
