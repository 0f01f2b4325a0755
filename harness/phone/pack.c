/**
 * @file pack.c  Loads the phone pack (pack.h): *.phone files into
 * struct pstep, every error as file:line:col.
 */

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <re.h>
#include "ytree.h"
#include "phone/judges.h"
#include "phone/pack.h"


static void pstep_destructor(void *data)
{
	struct pstep *st = data;

	mem_deref(st->file);
	mem_deref(st->name);
	mem_deref(st->description);
	mem_deref(st->rule);
	mem_deref(st->from);
	mem_deref(st->to);
	mem_deref(st->prompt);
}


static int dup_str(struct ydoc *doc, const struct ynode *n, char **out)
{
	const char *s;
	int err;

	if (!n)
		return 0;

	err = ynode_str(doc, n, &s);
	if (err)
		return err;

	return str_dup(out, s);
}


static int load_reply(struct ydoc *doc, const struct ynode *n,
		      struct pstep *st)
{
	static const char *const keys[] = {"grant", "code", "min_expires",
					   "retry_after", "stale", "hold",
					   NULL};
	const struct ynode *k;
	int err = 0;

	if (ynode_expect(doc, n, YNODE_MAP, "reply"))
		return EINVAL;

	err |= ynode_check_keys(doc, n, keys);
	st->has_reply = true;

	k = ynode_get(n, "grant");
	if (k && k->type == YNODE_SCALAR && k->val &&
	    !strcmp(k->val, "half"))
		st->grant_half = true;
	else if (k && ynode_u32(doc, k, &st->grant))
		err |= EINVAL;
	else if (k && !st->grant)
		err |= ydoc_errorf(doc, k, "grant: a number of seconds "
				   "above 0, or half");

	k = ynode_get(n, "code");
	if (k) {
		uint32_t c = 0;

		if (ynode_u32(doc, k, &c))
			err |= EINVAL;
		else if (c != 403 && c != 423 && c != 503)
			err |= ydoc_errorf(doc, k, "code: 403, 423 or 503");
		st->code = (uint16_t)c;
	}

	k = ynode_get(n, "min_expires");
	if (k && ynode_u32(doc, k, &st->min_expires))
		err |= EINVAL;
	k = ynode_get(n, "retry_after");
	if (k && ynode_u32(doc, k, &st->retry_after))
		err |= EINVAL;
	k = ynode_get(n, "stale");
	if (k && ynode_bool(doc, k, &st->stale))
		err |= EINVAL;
	k = ynode_get(n, "hold");
	if (k && ynode_duration_ms(doc, k, &st->hold_ms))
		err |= EINVAL;

	if (st->code == 423 && !st->min_expires)
		err |= ydoc_errorf(doc, n, "code 423 needs min_expires");

	return err ? EINVAL : 0;
}


static int load_call(struct ydoc *doc, const struct ynode *n,
		     struct pstep *st)
{
	static const char *const keys[] = {"from", "to", "fork", "talk",
					   "previous", NULL};
	const struct ynode *k;
	int err = 0;

	if (ynode_expect(doc, n, YNODE_MAP, "call"))
		return EINVAL;

	err |= ynode_check_keys(doc, n, keys);
	st->call = true;
	err |= dup_str(doc, ynode_get(n, "from"), &st->from);
	err |= dup_str(doc, ynode_get(n, "to"), &st->to);
	k = ynode_get(n, "fork");
	if (k && ynode_bool(doc, k, &st->fork))
		err |= EINVAL;
	k = ynode_get(n, "previous");
	if (k && ynode_bool(doc, k, &st->call_previous))
		err |= EINVAL;
	k = ynode_get(n, "talk");
	if (k && ynode_duration_ms(doc, k, &st->talk_ms))
		err |= EINVAL;

	return err ? EINVAL : 0;
}


static int load_send(struct ydoc *doc, const struct ynode *n,
		     struct pstep *st)
{
	int err = 0;

	if (ynode_expect(doc, n, YNODE_SEQ, "send"))
		return EINVAL;

	for (size_t i = 0; i < n->count; i++) {
		const struct ynode *it = ynode_item(n, i);
		const char *s;

		if (ynode_str(doc, it, &s)) {
			err = EINVAL;
			continue;
		}

		if (!strcmp(s, "unknown"))
			st->send_unknown = true;
		else if (!strcmp(s, "unsupported"))
			st->send_unsupported = true;
		else if (!strcmp(s, "require"))
			st->send_require = true;
		else
			err |= ydoc_errorf(doc, it, "send: unknown, "
					   "unsupported or require");
	}

	return err ? EINVAL : 0;
}


int pstep_load(struct pstep **stp, struct ydoc **docp, const char *path)
{
	static const char *const keys[] = {"rule", "name", "description",
					   "reply", "within", "window",
					   "grant_cap", "call", "send",
					   "operator", NULL};
	const struct ynode *root, *k;
	struct ydoc *doc = NULL;
	struct pstep *st;
	int err;

	if (!stp || !docp || !path)
		return EINVAL;

	err = ydoc_load_file(&doc, path);
	*docp = doc;
	if (err)
		return err;

	root = ydoc_root(doc);
	if (!root || ynode_expect(doc, root, YNODE_MAP, "a phone step"))
		return EINVAL;

	st = mem_zalloc(sizeof(*st), pstep_destructor);
	if (!st)
		return ENOMEM;

	err = ynode_check_keys(doc, root, keys);
	err |= str_dup(&st->file, path);

	k = ynode_get(root, "rule");
	if (!k)
		err |= ydoc_errorf(doc, root, "rule: required (a P-* ID)");
	else if (!dup_str(doc, k, &st->rule) && !judges_find(st->rule))
		err |= ydoc_errorf(doc, k, "unknown rule '%s' (phone-rules.md"
				   " P-* IDs)", st->rule);

	k = ynode_get(root, "name");
	if (!k)
		err |= ydoc_errorf(doc, root, "name: required");
	else
		err |= dup_str(doc, k, &st->name);
	err |= dup_str(doc, ynode_get(root, "description"),
		       &st->description);
	err |= dup_str(doc, ynode_get(root, "operator"), &st->prompt);

	k = ynode_get(root, "reply");
	if (k)
		err |= load_reply(doc, k, st);
	k = ynode_get(root, "call");
	if (k)
		err |= load_call(doc, k, st);
	k = ynode_get(root, "send");
	if (k)
		err |= load_send(doc, k, st);
	k = ynode_get(root, "within");
	if (k && ynode_duration_ms(doc, k, &st->within_ms))
		err |= EINVAL;
	k = ynode_get(root, "window");
	if (k && ynode_duration_ms(doc, k, &st->window_ms))
		err |= EINVAL;
	k = ynode_get(root, "grant_cap");
	if (k && ynode_u32(doc, k, &st->grant_cap))
		err |= EINVAL;
	else if (k && st->grant_cap < 20)
		err |= ydoc_errorf(doc, k, "grant_cap: at least 20 seconds");

	if (err || ydoc_errorc(doc)) {
		mem_deref(st);
		return EINVAL;
	}

	*stp = st;

	return 0;
}


static int path_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}


static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n > m && !strcmp(s + n - m, suffix);
}


static void filev_destructor(void *data)
{
	char **v = data;

	for (size_t i = 0; v[i]; i++)
		mem_deref(v[i]);
}


int phone_pack_collect(const char *const *paths, size_t n, char ***filevp,
		       size_t *filecp)
{
	char **v = NULL;
	size_t c = 0, cap = 0;
	int err = 0;

	for (size_t i = 0; i < n && !err; i++) {
		DIR *d = opendir(paths[i]);
		size_t first = c;
		struct dirent *de;

		if (!d) {
			/* a file as given */
			char *s = NULL;

			if (c + 2 > cap) {
				cap = cap ? cap * 2 : 32;
				v = realloc(v, cap * sizeof(*v));
				if (!v)
					return ENOMEM;
			}
			err = str_dup(&s, paths[i]);
			v[c++] = s;
			continue;
		}

		while ((de = readdir(d)) && !err) {
			char *s = NULL;

			if (de->d_name[0] == '.' ||
			    !ends_with(de->d_name, ".phone"))
				continue;
			if (c + 2 > cap) {
				cap = cap ? cap * 2 : 32;
				v = realloc(v, cap * sizeof(*v));
				if (!v) {
					closedir(d);
					return ENOMEM;
				}
			}
			err = re_sdprintf(&s, "%s%s%s", paths[i],
					  ends_with(paths[i], "/") ? "" : "/",
					  de->d_name);
			v[c++] = s;
		}
		closedir(d);

		qsort(v + first, c - first, sizeof(*v), path_cmp);
	}

	if (!err) {
		char **mv = mem_zalloc((c + 1) * sizeof(*mv),
				       filev_destructor);

		if (!mv)
			err = ENOMEM;
		else {
			for (size_t i = 0; i < c; i++)
				mv[i] = v[i];
			*filevp = mv;
			*filecp = c;
			free(v);
			return 0;
		}
	}

	for (size_t i = 0; i < c; i++)
		mem_deref(v[i]);
	free(v);

	return err;
}


