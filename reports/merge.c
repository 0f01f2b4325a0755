/**
 * @file merge.c  Joining the reports of sharded runs
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <re.h>
#include "textfile.h"
#include "ytree.h"
#include "scenario.h"
#include "runner.h"
#include "protocheck/protocheck.h"
#include "report.h"
#include "merge.h"

enum {
	RESULTS_MAX = 1u << 30,    /* results.json of one shard, bytes  */
	JSON_DEPTH  = 16,
	EXIT_USAGE  = 2,
	EXIT_INFRA  = 3,
};

struct merged {
	struct scenario *sc;
	struct run_result *res;    /* NULL: the runner could not run it */
	const char *dir;           /* the shard it came from            */
};

struct merge {
	struct odict **docv;       /* each shard's results.json; the
				      steps' kinds point into them      */
	size_t docc;
	struct merged *mv;
	size_t mc, mcap;
	char *version, *profile, *target, *filter;
	uint64_t started_us, finished_us;
	bool external;
};


static const struct odict *oarr(const struct odict *o, const char *key)
{
	const struct odict_entry *e = odict_get_type(o, ODICT_ARRAY, key);

	return e ? e->u.odict : NULL;
}


static uint64_t onum(const struct odict *o, const char *key)
{
	uint64_t v = 0;

	return odict_get_number(o, &v, key) ? v : 0;
}


static bool obool(const struct odict *o, const char *key)
{
	bool v = false;

	return odict_get_boolean(o, &v, key) && v;
}


static int odup(char **dp, const struct odict *o, const char *key)
{
	const char *s = odict_string(o, key);

	*dp = NULL;

	return s ? str_dup(dp, s) : 0;
}


static int tp_decode(const char *name)
{
	for (int tp = SIP_TRANSP_UDP; tp <= SIP_TRANSP_WSS; tp++) {
		if (name && !strcmp(report_tp_name(tp), name))
			return tp;
	}

	return SIP_TRANSP_UDP;
}


static enum verdict verdict_decode(const char *s)
{
	for (int v = VERDICT_PASS; v <= VERDICT_ERROR; v++) {
		if (s && !strcmp(verdict_name((enum verdict)v), s))
			return (enum verdict)v;
	}

	return VERDICT_ERROR;
}


/* the scenario's own copy of a phone's name, for the ladders' columns */
static const char *sc_phone_name(const struct scenario *sc, const char *name)
{
	for (size_t i = 0; name && i < sc->phonec; i++) {
		if (!strcmp(sc->phonev[i].name, name))
			return sc->phonev[i].name;
	}

	return name;
}


/* a zeroed mem array of one element per entry of arr (none: NULL) */
static int array_alloc(void **vp, const struct odict *arr, size_t elsz)
{
	size_t n = arr ? odict_count(arr, false) : 0;

	*vp = n ? mem_zalloc(n * elsz, NULL) : NULL;

	return n && !*vp ? ENOMEM : 0;
}


static int step_decode(struct run_step *st, const struct odict_entry *e)
{
	const struct odict *o = e->u.odict;

	if (e->type != ODICT_OBJECT)
		return EPROTO;

	st->line = (unsigned)onum(o, "line");
	st->kind = odict_string(o, "kind");
	st->verdict = verdict_decode(odict_string(o, "verdict"));
	st->start_ms = onum(o, "start_ms");
	st->real_ms = onum(o, "real_ms");
	st->virtual_ms = onum(o, "virtual_ms");

	return 0;
}


static int msg_decode(struct run_msg *m, const struct odict_entry *e,
		      const struct scenario *sc)
{
	const struct odict *o = e->u.odict;
	const char *b64, *rule, *s;
	int err = 0;

	if (e->type != ODICT_OBJECT)
		return EPROTO;

	b64 = odict_string(o, "text_base64");
	rule = odict_string(o, "rule");

	m->wall_us = onum(o, "wall_us");
	m->virtual_ms = onum(o, "virtual_ms");
	m->phone = sc_phone_name(sc, odict_string(o, "phone"));
	if (!m->phone)
		m->phone = "";
	s = odict_string(o, "direction");
	m->from_phone = s && !strcmp(s, "phone->registrar");
	m->retrans = obool(o, "retransmission");
	m->tp = tp_decode(odict_string(o, "transport"));
	m->line = (unsigned)onum(o, "line");
	if (rule)
		str_ncpy(m->rule, rule, sizeof(m->rule));

	s = odict_string(o, "src");
	if (s)
		(void)sa_decode(&m->src, s, strlen(s));
	s = odict_string(o, "dst");
	if (s)
		(void)sa_decode(&m->dst, s, strlen(s));

	err |= odup(&m->summary, o, "summary");

	/* bytes that are not UTF-8 are exact only in text_base64 */
	if (b64) {
		size_t n = strlen(b64), len = n;

		m->text = mem_zalloc(n + 1, NULL);
		if (!m->text)
			return ENOMEM;
		err |= base64_decode(b64, n, (uint8_t *)m->text, &len);
		m->text[len] = '\0';
	}
	else
		err |= odup(&m->text, o, "text");

	return err;
}


/* a protocol checker finding back from results.json */
static int finding_decode(struct run_finding *rf, const struct odict_entry *e)
{
	const struct odict *o = e->type == ODICT_OBJECT ? e->u.odict : NULL;
	const char *against;
	int err = 0;

	if (!o)
		return EBADMSG;

	rf->row = protocheck_row(odict_string(o, "row"));
	rf->line = (unsigned)onum(o, "line");
	rf->fails = obool(o, "fails");
	against = odict_string(o, "against");
	rf->role = PC_ROLE_PEER;
	for (int r = 0; against && r < PC_ROLE_COUNT; r++) {
		if (!strcmp(protocheck_role_name((enum pc_role)r), against))
			rf->role = r;
	}
	err |= odup(&rf->element, o, "element");
	err |= odup(&rf->where, o, "where");
	err |= odup(&rf->expected, o, "expected");
	err |= odup(&rf->actual, o, "actual");

	return err;
}


/* a signed or fractional figure */
static double odbl(const struct odict *o, const char *key)
{
	const struct odict_entry *e = odict_lookup(o, key);

	if (!e)
		return 0;

	return e->type == ODICT_DOUBLE ? e->u.dbl :
		e->type == ODICT_INT ? (double)e->u.integer : 0;
}


static void media_dir_decode(struct run_media_dir *d, const struct odict *o)
{
	if (!o)
		return;

	d->packets   = (uint32_t)onum(o, "packets");
	d->bytes     = onum(o, "bytes");
	d->first_ms  = (int64_t)odbl(o, "first_ms");
	d->lost      = (uint32_t)onum(o, "lost");
	/* printed with 2 decimals: read back, it prints the same */
	d->jitter_ms = odbl(o, "jitter_ms") + 1e-9;
	d->tone_hz   = (uint32_t)onum(o, "tone_hz");
	d->silent    = obool(o, "silent");
	d->one_way   = obool(o, "one_way");
	str_ncpy(d->digits, odict_string(o, "digits"), sizeof(d->digits));
}


/* a call's media figures back from results.json; its audio stays behind
 * (results.json does not carry it) */
static int media_decode(struct run_media *m, const struct odict_entry *e,
			const struct scenario *sc)
{
	const struct odict *o = e->type == ODICT_OBJECT ? e->u.odict : NULL;
	const struct odict_entry *rx, *tx;
	const char *codec;

	if (!o)
		return EBADMSG;

	m->phone = sc_phone_name(sc, odict_string(o, "phone"));
	if (!m->phone)
		m->phone = "";
	str_ncpy(m->callid, odict_string(o, "call_id"), sizeof(m->callid));
	codec = odict_string(o, "codec");
	m->pt = !codec ? -1 : !str_casecmp(codec, "PCMU") ? 0 :
		!str_casecmp(codec, "PCMA") ? 8 : -1;
	rx = odict_get_type(o, ODICT_OBJECT, "rx");
	tx = odict_get_type(o, ODICT_OBJECT, "tx");
	media_dir_decode(&m->rx, rx ? rx->u.odict : NULL);
	media_dir_decode(&m->tx, tx ? tx->u.odict : NULL);

	return 0;
}


static int result_decode(struct run_result **resp, const struct odict *o,
			 const struct scenario *sc)
{
	const struct odict_entry *pe = odict_get_type(o, ODICT_OBJECT,
						      "protocol");
	const struct odict *finds = pe ? oarr(pe->u.odict, "findings") : NULL;
	const struct odict *steps = oarr(o, "steps");
	const struct odict *msgs = oarr(o, "messages");
	const struct odict *media = oarr(o, "media");
	const struct odict_entry *fe = odict_get_type(o, ODICT_OBJECT,
						      "failure");
	struct run_result *res;
	struct le *le;
	int err = 0;

	*resp = NULL;

	/* no start: the runner could not run it */
	if (!odict_lookup(o, "started_us"))
		return 0;

	res = run_result_alloc();
	if (!res)
		return ENOMEM;

	res->verdict = verdict_decode(odict_string(o, "verdict"));
	res->wall_start_us = onum(o, "started_us");
	res->real_ms = onum(o, "real_ms");
	res->virtual_ms = onum(o, "virtual_ms");
	res->steps = (unsigned)onum(o, "steps_run");
	res->messages = (unsigned)onum(o, "requests");
	res->unchecked = (unsigned)onum(o, "unchecked");
	res->msgs_dropped = onum(o, "messages_dropped");

	if (fe) {
		res->line = (unsigned)onum(fe->u.odict, "line");
		err |= odup(&res->rule, fe->u.odict, "rule");
		err |= odup(&res->why, fe->u.odict, "why");
	}
	else
		err |= odup(&res->why, o, "reason");

	err |= array_alloc((void **)&res->stepv, steps, sizeof(*res->stepv));
	for (le = steps ? list_head(&steps->lst) : NULL; !err && le;
	     le = le->next)
		err = step_decode(&res->stepv[res->stepc++], le->data);

	if (!err)
		err = array_alloc((void **)&res->msgv, msgs,
				  sizeof(*res->msgv));
	for (le = msgs ? list_head(&msgs->lst) : NULL; !err && le;
	     le = le->next)
		err = msg_decode(&res->msgv[res->msgc++], le->data, sc);

	if (pe)
		res->wire_msgs = onum(pe->u.odict, "messages");
	if (!err)
		err = array_alloc((void **)&res->findingv, finds,
				  sizeof(*res->findingv));
	for (le = finds ? list_head(&finds->lst) : NULL; !err && le;
	     le = le->next)
		err = finding_decode(&res->findingv[res->findingc++],
				     le->data);

	if (!err)
		err = array_alloc((void **)&res->mediav, media,
				  sizeof(*res->mediav));
	for (le = media ? list_head(&media->lst) : NULL; !err && le &&
		     res->mediac < RUN_MEDIA_MAX; le = le->next)
		err = media_decode(&res->mediav[res->mediac++], le->data, sc);

	if (err)
		mem_deref(res);
	else
		*resp = res;

	return err;
}


static int add_scenario(struct merge *mg, const struct odict *o,
			const char *dir)
{
	const char *file = odict_string(o, "file");
	struct merged *m;
	struct ydoc *doc = NULL;
	int err;

	if (!file) {
		fprintf(stderr, "%s/results.json: a scenario without "
			"\"file\"\n", dir);
		return EPROTO;
	}

	for (size_t i = 0; i < mg->mc; i++) {
		if (!strcmp(mg->mv[i].sc->file, file)) {
			fprintf(stderr, "%s/results.json: %s was run by %s "
				"too: the shards overlap\n", dir, file,
				mg->mv[i].dir);
			return EEXIST;
		}
	}

	if (mg->mc == mg->mcap) {
		size_t cap = mg->mcap ? mg->mcap * 2 : 64;
		struct merged *v = realloc(mg->mv, cap * sizeof(*v));

		if (!v)
			return ENOMEM;
		mg->mv = v;
		mg->mcap = cap;
	}

	m = &mg->mv[mg->mc];
	memset(m, 0, sizeof(*m));
	m->dir = dir;

	err = scenario_load(&m->sc, &doc, file);
	if (err) {
		unsigned n = ydoc_errorc(doc);

		for (unsigned j = 0; j < n; j++)
			fprintf(stderr, "%s\n", ydoc_error(doc, j));
		fprintf(stderr, "%s/results.json: cannot load %s, which "
			"it names (run merge where the shards ran)\n", dir,
			file);
		mem_deref(doc);
		return err;
	}
	mem_deref(doc);

	mg->mc++;

	err = result_decode(&m->res, o, m->sc);
	if (err)
		fprintf(stderr, "%s/results.json: %s: bad results: %s\n", dir,
			file, strerror(err));

	return err;
}


static int read_shard(struct merge *mg, const char *dir)
{
	char path[1024];
	const struct odict *scv;
	struct odict *od = NULL;
	char *text = NULL;
	size_t len = 0;
	uint64_t t;
	int err;

	(void)snprintf(path, sizeof(path), "%s/results.json", dir);
	err = textfile_read(&text, &len, path, RESULTS_MAX);
	if (err) {
		fprintf(stderr, "%s: %s\n", path, strerror(err));
		return err;
	}

	err = json_decode_odict(&od, 64, text, len, JSON_DEPTH);
	mem_deref(text);
	if (err || !odict_string(od, "schema") ||
	    !(scv = oarr(od, "scenarios"))) {
		fprintf(stderr, "%s: not a sipconform results.json\n", path);
		mem_deref(od);
		return err ? err : EPROTO;
	}

	mg->docv[mg->docc++] = od;

	/* the run's facts: the first shard's; the span of them all */
	if (!mg->version) {
		const struct odict_entry *tool =
			odict_get_type(od, ODICT_OBJECT, "tool");

		err |= tool ? odup(&mg->version, tool->u.odict, "version") :
			0;
		err |= odup(&mg->profile, od, "profile");
		err |= odup(&mg->target, od, "target");
		err |= odup(&mg->filter, od, "filter");
		mg->external = mg->target &&
			strcmp(mg->target, "in-process sim-registrar");
		if (err)
			return err;
	}
	t = onum(od, "started_us");
	if (t && (!mg->started_us || t < mg->started_us))
		mg->started_us = t;
	t = onum(od, "finished_us");
	if (t > mg->finished_us)
		mg->finished_us = t;

	for (struct le *le = list_head(&scv->lst); le; le = le->next) {
		const struct odict_entry *e = le->data;

		if (e->type != ODICT_OBJECT)
			return EPROTO;
		err = add_scenario(mg, e->u.odict, dir);
		if (err)
			return err;
	}

	return 0;
}


/* one run over the same folder sorts its files so (scenario_collect) */
static int merged_cmp(const void *a, const void *b)
{
	const struct merged *x = a, *y = b;

	return strcmp(x->sc->file, y->sc->file);
}


/*
 * trace.pcap: the shards' own traces joined, record for record, in the
 * order the shards are named.  results.json holds the SIP messages only;
 * rebuilt from it the trace would lose the RTP and RTCP the shards'
 * traces carry.  A shard without a trace leaves the rebuilt one.
 */
static int pcap_join(const char *out, char *const dirv[], int dirc)
{
	char path[4096];
	FILE *o = NULL;
	int err = 0;

	for (int i = 0; i < dirc; i++) {
		(void)snprintf(path, sizeof(path), "%s/trace.pcap", dirv[i]);
		if (access(path, R_OK))
			return 0;
	}

	(void)snprintf(path, sizeof(path), "%s/trace.pcap", out);
	o = fopen(path, "wb");
	if (!o)
		return errno;

	for (int i = 0; i < dirc && !err; i++) {
		uint8_t hdr[PCAP_HDR_LEN], buf[65536];
		size_t n;
		FILE *f;

		(void)snprintf(path, sizeof(path), "%s/trace.pcap", dirv[i]);
		f = fopen(path, "rb");
		if (!f) {
			err = errno;
			break;
		}

		/* each trace's own header; the first one is the join's */
		if (fread(hdr, 1, sizeof(hdr), f) != sizeof(hdr) ||
		    hdr[0] != 0xd4 || hdr[1] != 0xc3 || hdr[2] != 0xb2 ||
		    hdr[3] != 0xa1)
			err = EBADMSG;
		else if (i == 0 && fwrite(hdr, 1, sizeof(hdr), o) !=
			 sizeof(hdr))
			err = EIO;

		while (!err && (n = fread(buf, 1, sizeof(buf), f)) > 0) {
			if (fwrite(buf, 1, n, o) != n)
				err = EIO;
		}

		fclose(f);
	}

	if (fclose(o) && !err)
		err = EIO;

	return err;
}


static int write_merged(struct merge *mg, const char *out)
{
	struct report_entry *entv = calloc(mg->mc + 1, sizeof(*entv));
	struct report_totals t;
	struct report_run rr;
	int err;

	if (!entv)
		return ENOMEM;

	qsort(mg->mv, mg->mc, sizeof(*mg->mv), merged_cmp);
	for (size_t i = 0; i < mg->mc; i++) {
		entv[i].sc = mg->mv[i].sc;
		entv[i].res = mg->mv[i].res;
	}

	memset(&rr, 0, sizeof(rr));
	rr.version = mg->version ? mg->version : SIPCONFORM_VERSION;
	rr.profile = mg->profile ? mg->profile : "default";
	rr.target = mg->target ? mg->target : "in-process sim-registrar";
	rr.filter = mg->filter;
	rr.external = mg->external;
	rr.started_us = mg->started_us;
	rr.finished_us = mg->finished_us;
	rr.entryv = entv;
	rr.entryc = mg->mc;

	err = report_write(out, &rr);
	if (!err) {
		report_totals(&t, &rr);
		printf("%u passed, %u failed, %u skipped\n", t.passed,
		       t.failed + t.errors, t.skipped);
		printf("report: %s/report.html (junit.xml, results.json, "
		       "report.md, trace.pcap), from %zu shard(s)\n", out,
		       mg->docc);
	}

	free(entv);

	return err;
}


int report_merge_main(int argc, char *argv[])
{
	struct merge mg;
	int err = 0, status = 0;

	if (argc < 3) {
		fputs("usage: harness merge OUT DIR...\n", stderr);
		return EXIT_USAGE;
	}

	memset(&mg, 0, sizeof(mg));
	mg.docv = calloc((size_t)argc, sizeof(*mg.docv));
	if (!mg.docv)
		return EXIT_INFRA;

	for (int i = 2; i < argc && !err; i++)
		err = read_shard(&mg, argv[i]);

	if (err)
		status = EXIT_USAGE;
	else if ((err = write_merged(&mg, argv[1])) ||
		 (err = pcap_join(argv[1], argv + 2, argc - 2))) {
		fprintf(stderr, "harness: cannot write the report into %s: "
			"%s\n", argv[1], strerror(err));
		status = EXIT_INFRA;
	}

	for (size_t i = 0; i < mg.mc; i++) {
		mem_deref(mg.mv[i].res);
		mem_deref(mg.mv[i].sc);
	}
	free(mg.mv);
	for (size_t i = 0; i < mg.docc; i++)
		mem_deref(mg.docv[i]);
	free(mg.docv);
	mem_deref(mg.version);
	mem_deref(mg.profile);
	mem_deref(mg.target);
	mem_deref(mg.filter);

	return status;
}
