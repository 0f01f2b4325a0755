/**
 * @file persist.c  State file and journal (persist.h)
 *
 * One line per record, fields separated by TAB, each percent-escaped:
 *   B aor domain key uri callid cseq granted expires_wall_ms updated_wall_ms
 *     transport source user_agent        a binding set
 *   D aor key                            a binding removed
 *   X                                    everything removed (reset)
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <re.h>
#include "vclock.h"
#include "textfile.h"
#include "config.h"
#include "location.h"
#include "persist.h"

enum {
	MAX_STATE_SIZE = 512 * 1024 * 1024,
	COMPACT_MIN    = 10000,       /* journal lines before compacting  */
	FIELDS_MAX     = 13,
};

struct persist {
	char *path;
	char *journal;
	char *tmp;
	int fd;                       /* the journal, O_APPEND            */
	struct location *loc;
	const struct reg_config *cfg;
	unsigned lines;               /* in the journal                   */
	unsigned loaded;
};


static void destructor(void *data)
{
	struct persist *p = data;

	location_set_change_handler(p->loc, NULL, NULL);
	if (p->fd >= 0)
		(void)close(p->fd);
	mem_deref(p->path);
	mem_deref(p->journal);
	mem_deref(p->tmp);
}


/* TAB, CR, LF and % would break the line format */
static int print_field(struct re_printf *pf, const char *s)
{
	int err = 0;

	for (; s && *s && !err; s++) {
		if (*s == '\t' || *s == '\r' || *s == '\n' || *s == '%')
			err = re_hprintf(pf, "%%%02X", (unsigned char)*s);
		else
			err = re_hprintf(pf, "%c", *s);
	}

	return err;
}


static void unescape(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (s[0] == '%' && s[1] && s[2]) {
			char hex[3] = {s[1], s[2], 0};
			*o++ = (char)strtoul(hex, NULL, 16);
			s += 2;
		}
		else {
			*o++ = *s;
		}
	}
	*o = '\0';
}


static uint64_t to_wall(uint64_t vclock_ms)
{
	uint64_t now = vclock_now();

	return vclock_wall_ms() + (vclock_ms > now ? vclock_ms - now : 0);
}


static int print_binding(struct mbuf *mb, const struct binding *b,
			 const char *domain)
{
	return mbuf_printf(mb, "B\t%H\t%H\t%H\t%H\t%H\t%u\t%u\t%llu\t%llu\t"
			   "%H\t%H\t%H\n",
			   print_field, b->aor, print_field, domain,
			   print_field, b->key, print_field, b->uri,
			   print_field, b->callid, b->cseq, b->granted,
			   (unsigned long long)to_wall(b->expires_at),
			   (unsigned long long)to_wall(b->updated_at),
			   print_field, b->transport, print_field, b->source,
			   print_field, b->user_agent ? b->user_agent : "");
}


static int journal_append(struct persist *p, struct mbuf *mb)
{
	ssize_t n;

	if (p->fd < 0)
		return EBADF;

	n = write(p->fd, mb->buf, mb->end);
	if (n < 0 || (size_t)n != mb->end)
		return n < 0 ? errno : EIO;

	p->lines++;

	return 0;
}


static int compact(struct persist *p);


static void change_handler(const struct binding *b, uint32_t domain,
			   bool removed, void *arg)
{
	struct persist *p = arg;
	struct mbuf *mb = mbuf_alloc(256);

	if (!mb)
		return;

	if (removed)
		(void)mbuf_printf(mb, "D\t%H\t%H\n", print_field, b->aor,
				  print_field, b->key);
	else
		(void)print_binding(mb, b, p->cfg->domainv[domain].name);

	if (journal_append(p, mb))
		(void)re_fprintf(stderr, "sim-registrar: state journal %s: "
				 "cannot write\n", p->journal);
	mem_deref(mb);

	if (p->lines > COMPACT_MIN + 4 * location_count_account(p->loc))
		(void)compact(p);
}


static const char *transport_name(const char *s)
{
	static const char *const names[] = {"UDP", "TCP", "TLS", NULL};

	for (size_t i = 0; names[i]; i++) {
		if (!strcmp(s, names[i]))
			return names[i];
	}

	return "UDP";
}


static void apply_line(struct persist *p, char *line)
{
	char *f[FIELDS_MAX + 1];
	size_t n = 0;
	char *save = NULL, *tok;

	/* strtok_r would merge empty fields: split by hand */
	for (tok = line; n <= FIELDS_MAX; ) {
		char *tab = strchr(tok, '\t');

		f[n++] = tok;
		if (!tab)
			break;
		*tab = '\0';
		tok = tab + 1;
	}
	(void)save;

	for (size_t i = 0; i < n; i++)
		unescape(f[i]);

	if (n == 1 && !strcmp(f[0], "X")) {
		location_reset(p->loc);
	}
	else if (n == 3 && !strcmp(f[0], "D")) {
		struct binding_change ch = {NULL, f[2], 0};
		struct binding_update upd;
		const struct binding *b = location_find(p->loc, f[1], f[2]);

		if (!b)
			return;
		memset(&upd, 0, sizeof(upd));
		ch.uri = b->uri;
		upd.aor = f[1];
		upd.changev = &ch;
		upd.changec = 1;
		(void)location_commit(p->loc, &upd);
	}
	else if (n == FIELDS_MAX && !strcmp(f[0], "B")) {
		const struct domain_conf *d =
			reg_config_domain(p->cfg, f[2], strlen(f[2]));
		uint64_t wall = vclock_wall_ms(), now = vclock_now();
		uint64_t exp = strtoull(f[8], NULL, 10);
		uint64_t upd = strtoull(f[9], NULL, 10);
		struct binding b;

		if (!d)
			return;       /* a domain no longer configured */

		memset(&b, 0, sizeof(b));
		b.aor = f[1];
		b.key = f[3];
		b.uri = f[4];
		b.callid = f[5];
		b.cseq = (uint32_t)strtoul(f[6], NULL, 10);
		b.granted = (uint32_t)strtoul(f[7], NULL, 10);
		b.expires_at = exp > wall ? now + (exp - wall) : 0;
		b.updated_at = upd < wall ? now - (wall - upd < now ?
						 wall - upd : 0) : now;
		b.transport = transport_name(f[10]);
		b.source = f[11];
		b.user_agent = f[12][0] ? f[12] : NULL;

		(void)location_restore(p->loc, &b,
				       (uint32_t)(d - p->cfg->domainv));
	}
}


static int load_file(struct persist *p, const char *path)
{
	char *text = NULL, *line;
	size_t len;
	int err;

	err = textfile_read(&text, &len, path, MAX_STATE_SIZE);
	if (err == ENOENT)
		return 0;
	if (err)
		return err;

	/* a last line without its newline was cut by the kill: skip it */
	for (line = text; *line; ) {
		char *nl = strchr(line, '\n');

		if (!nl)
			break;
		*nl = '\0';
		apply_line(p, line);
		line = nl + 1;
	}

	mem_deref(text);

	return 0;
}


struct snap {
	struct mbuf *mb;
	const struct reg_config *cfg;
};


static bool snap_binding(const struct binding *b, uint32_t domain, void *arg)
{
	struct snap *sn = arg;

	(void)print_binding(sn->mb, b, sn->cfg->domainv[domain].name);

	return false;
}


/* the whole state into FILE.tmp, renamed over FILE; the journal restarts */
static int compact(struct persist *p)
{
	struct snap sn = {mbuf_alloc(65536), p->cfg};
	int fd, err = 0;

	if (!sn.mb)
		return ENOMEM;

	location_apply(p->loc, UINT32_MAX, NULL, snap_binding, &sn);

	fd = open(p->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		err = errno;
		goto out;
	}

	if (write(fd, sn.mb->buf, sn.mb->end) != (ssize_t)sn.mb->end)
		err = errno ? errno : EIO;
	(void)close(fd);

	if (!err && rename(p->tmp, p->path))
		err = errno;

	/* only now may the journal go: the snapshot holds it all */
	if (!err && p->fd >= 0 && ftruncate(p->fd, 0))
		err = errno;
	if (!err)
		p->lines = 0;

 out:
	if (err)
		(void)re_fprintf(stderr, "sim-registrar: state file %s: %m\n",
				 p->path, err);
	mem_deref(sn.mb);

	return err;
}


int persist_open(struct persist **pp, const char *path, struct location *loc,
		 const struct reg_config *cfg)
{
	struct persist *p;
	int err;

	if (!pp || !path || !loc || !cfg)
		return EINVAL;

	p = mem_zalloc(sizeof(*p), destructor);
	if (!p)
		return ENOMEM;

	p->fd = -1;
	p->loc = loc;
	p->cfg = cfg;

	err  = str_dup(&p->path, path);
	err |= re_sdprintf(&p->journal, "%s.journal", path);
	err |= re_sdprintf(&p->tmp, "%s.tmp", path);
	if (err) {
		err = ENOMEM;
		goto out;
	}

	err = load_file(p, p->path);
	if (!err)
		err = load_file(p, p->journal);
	if (err)
		goto out;

	p->loaded = location_count_account(loc);

	p->fd = open(p->journal, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
		     0600);
	if (p->fd < 0) {
		err = errno;
		goto out;
	}

	err = compact(p);
	if (err)
		goto out;

	location_set_change_handler(loc, change_handler, p);

 out:
	if (err)
		mem_deref(p);
	else
		*pp = p;

	return err;
}


unsigned persist_loaded(const struct persist *p)
{
	return p ? p->loaded : 0;
}


void persist_reset(struct persist *p)
{
	if (!p)
		return;

	(void)compact(p);
}


int persist_flush(struct persist *p)
{
	return p ? compact(p) : 0;
}
