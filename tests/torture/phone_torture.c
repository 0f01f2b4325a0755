/**
 * @file phone_torture.c  The RFC 4475 torture responses against the
 * simulated phone's real response path (sim-phone/phone_reg.c).
 *
 *   phone_torture CORPUS EXPECTED [NAME...]
 *
 * A fake registrar on 127.0.0.1 (UDP and TCP) answers a phone's REGISTER
 * with each response of the corpus (every *.dat that starts "SIP/2.0 "),
 * then, 150 ms later, with a plain "403 Forbidden".  The identifiers the
 * phone chose (top Via, From, To, Call-ID, CSeq number and method, its
 * Contact) are put into the torture response so that it reaches the
 * phone's transaction and a 2xx lists its binding; what makes it a torture
 * case (status line, extra Via values, a CSeq number above 2**31-1,
 * Retry-After, Warning, body) stays as the corpus has it.
 *
 * What the phone made of it, from its events, is one of:
 *   accept       the operation ended on the torture response's status
 *   provisional  it was reported as a provisional response; the 403 ended
 *                the operation
 *   drop         it never reached the phone as a response; the 403 ended
 *                the operation
 *   reject       the operation ended in an error (EPROTO) on it, without
 *                taking its status: no registration, no retry timer
 * and must be what EXPECTED (phone-expected.txt) says, per transport.
 * Prints one line per case and transport, then "N passed, M failed"; exits
 * 1 when anything failed.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <dirent.h>
#include <re.h>
#include "vtimer.h"
#include "vclock.h"
#include "phone.h"

enum {
	FOLLOWUP_MS = 150,      /* the plain 403 after the torture response */
	CASE_MS     = 5000,     /* a case that takes longer failed         */
	SETTLE_MS   = 200,      /* after DONE: stray messages arrive       */
	MAX_CASES   = 64,
};

struct expect {
	char file[64];
	char outcome[16];
	char rfc[16];           /* "" or what RFC 4475 asks, if different */
	char section[16];
	char reason[256];
};

/* the fake registrar and the case under way */
static struct {
	struct udp_sock *us;
	struct tcp_sock *ts;
	struct tcp_conn *tc;
	struct mbuf *tcpbuf;
	struct sa udp, tcp;
	enum sip_transp tp;

	const uint8_t *resp;    /* torture bytes */
	size_t resplen;
	struct sip_msg *req;    /* the REGISTER answered */
	struct sa src;          /* UDP: its source */
	struct tmr tmr_follow;
	struct tmr tmr_case;
	struct tmr tmr_settle;

	/* what the phone reported */
	struct report {
		bool done;
		uint16_t done_scode;
		int done_err;
		bool torture_seen;  /* a RESPONSE other than the 403 */
		uint16_t seen_scode;
		bool error_ev;
		int error_err;
		enum phone_state state;
		bool timeout;
	} r;
} t;


/* ------------------------------------------------------------ rewriting */

static bool hdr_is(const struct pl *name, const char *lng, char cmp)
{
	return !pl_strcasecmp(name, lng) ||
		(cmp && name->l == 1 && (name->p[0] | 0x20) == cmp);
}


static bool cseq_num_fits(const struct pl *num)
{
	if (!num->l || num->l > 10)
		return false;

	for (size_t i = 0; i < num->l; i++) {
		if (num->p[i] < '0' || num->p[i] > '9')
			return false;
	}

	return pl_u64(num) <= 0x7fffffff;
}


/* the torture response with the request's identifiers */
static struct mbuf *response_build(const struct sip_msg *req)
{
	const char *p = (const char *)t.resp, *end = p + t.resplen;
	const char *eoh = NULL;
	const struct sip_hdr *via = sip_msg_hdr(req, SIP_HDR_VIA);
	struct mbuf *mb = mbuf_alloc(t.resplen + 512);
	bool via_done = false;
	const char *line;

	if (!mb || !via)
		return mem_deref(mb);

	for (const char *q = p; q + 3 < end; q++) {
		if (!memcmp(q, "\r\n\r\n", 4)) {
			eoh = q + 2;       /* at the empty line */
			break;
		}
	}
	if (!eoh)
		eoh = end;

	line = memchr(p, '\n', (size_t)(eoh - p));
	if (!line)
		return mem_deref(mb);
	line++;
	(void)mbuf_write_mem(mb, (const uint8_t *)p, (size_t)(line - p));

	while (line < eoh) {
		const char *eol = memchr(line, '\n', (size_t)(eoh - line));
		const char *colon;
		struct pl name, val;
		size_t len;

		eol = eol ? eol + 1 : eoh;
		len = (size_t)(eol - line);
		colon = memchr(line, ':', len);

		if (!colon) {
			(void)mbuf_write_mem(mb, (const uint8_t *)line, len);
			line = eol;
			continue;
		}

		name.p = line;
		name.l = (size_t)(colon - line);
		while (name.l && (name.p[name.l - 1] == ' ' ||
				  name.p[name.l - 1] == '\t'))
			name.l--;
		val.p = colon + 1;
		val.l = (size_t)(eol - val.p);
		while (val.l && (val.p[val.l - 1] == '\r' ||
				 val.p[val.l - 1] == '\n'))
			val.l--;

		if (hdr_is(&name, "Via", 'v') && !via_done) {
			(void)mbuf_printf(mb, "Via: %r\r\n", &via->val);
			via_done = true;
		}
		else if (hdr_is(&name, "From", 'f')) {
			(void)mbuf_printf(mb, "From: %r\r\n", &req->from.val);
		}
		else if (hdr_is(&name, "To", 't')) {
			(void)mbuf_printf(mb, "To: %r;tag=t4475\r\n",
					  &req->to.val);
		}
		else if (hdr_is(&name, "Call-ID", 'i')) {
			(void)mbuf_printf(mb, "Call-ID: %r\r\n", &req->callid);
		}
		else if (hdr_is(&name, "Contact", 'm')) {
			/* a 2xx to REGISTER lists the phone's own binding */
			const struct sip_hdr *c =
				sip_msg_hdr(req, SIP_HDR_CONTACT);
			if (c)
				(void)mbuf_printf(mb, "Contact: %r\r\n",
						  &c->val);
		}
		else if (hdr_is(&name, "CSeq", 0)) {
			struct pl num;

			if (re_regex(val.p, val.l, "[ \t]*[0-9]+", NULL,
				     &num) || cseq_num_fits(&num))
				(void)mbuf_printf(mb, "CSeq: %u REGISTER\r\n",
						  req->cseq.num);
			else    /* the overlarge number is the torture */
				(void)mbuf_printf(mb, "CSeq: %r REGISTER\r\n",
						  &num);
		}
		else {
			(void)mbuf_write_mem(mb, (const uint8_t *)line, len);
		}

		line = eol;
	}

	(void)mbuf_write_mem(mb, (const uint8_t *)eoh, (size_t)(end - eoh));
	mb->pos = 0;

	return mb;
}


static struct mbuf *followup_build(const struct sip_msg *req)
{
	struct mbuf *mb = mbuf_alloc(512);
	const struct sip_hdr *via = sip_msg_hdr(req, SIP_HDR_VIA);

	if (!mb || !via)
		return mem_deref(mb);

	(void)mbuf_printf(mb, "SIP/2.0 403 Forbidden\r\n"
			  "Via: %r\r\n"
			  "From: %r\r\n"
			  "To: %r;tag=t4475\r\n"
			  "Call-ID: %r\r\n"
			  "CSeq: %u REGISTER\r\n"
			  "Content-Length: 0\r\n\r\n",
			  &via->val, &req->from.val, &req->to.val,
			  &req->callid, req->cseq.num);
	mb->pos = 0;

	return mb;
}


static void uas_send(struct mbuf *mb)
{
	if (!mb)
		return;

	if (t.tp == SIP_TRANSP_UDP)
		(void)udp_send(t.us, &t.src, mb);
	else if (t.tc)
		(void)tcp_send(t.tc, mb);

	mem_deref(mb);
}


static void followup_handler(void *arg)
{
	(void)arg;

	if (t.req && !t.r.done)
		uas_send(followup_build(t.req));
}


/* one whole request from the phone */
static void uas_request(struct mbuf *mb)
{
	struct sip_msg *msg;

	if (sip_msg_decode(&msg, mb))
		return;

	/* the first REGISTER only: retransmissions are left unanswered */
	if (!msg->req || pl_strcmp(&msg->met, "REGISTER") || t.req) {
		mem_deref(msg);
		return;
	}

	t.req = msg;
	uas_send(response_build(msg));
	tmr_start(&t.tmr_follow, FOLLOWUP_MS, followup_handler, NULL);
}


static void udp_recv(const struct sa *src, struct mbuf *mb, void *arg)
{
	(void)arg;

	if (t.tp != SIP_TRANSP_UDP)
		return;

	t.src = *src;
	uas_request(mb);
}


static void tcp_recv(struct mbuf *mb, void *arg)
{
	(void)arg;

	if (!t.tcpbuf)
		t.tcpbuf = mbuf_alloc(1024);
	if (!t.tcpbuf)
		return;

	t.tcpbuf->pos = t.tcpbuf->end;
	(void)mbuf_write_mem(t.tcpbuf, mbuf_buf(mb), mbuf_get_left(mb));
	t.tcpbuf->pos = 0;

	/* the phone's REGISTERs have no body: a request ends at CRLFCRLF */
	for (;;) {
		const uint8_t *b = mbuf_buf(t.tcpbuf);
		size_t left = mbuf_get_left(t.tcpbuf), i;
		struct mbuf *one;

		for (i = 0; i + 3 < left; i++) {
			if (!memcmp(b + i, "\r\n\r\n", 4))
				break;
		}
		if (i + 3 >= left)
			break;

		one = mbuf_alloc(i + 4);
		if (!one)
			break;
		(void)mbuf_write_mem(one, b, i + 4);
		one->pos = 0;
		t.tcpbuf->pos += i + 4;
		uas_request(one);
		mem_deref(one);
	}

	if (!mbuf_get_left(t.tcpbuf))
		t.tcpbuf = mem_deref(t.tcpbuf);
}


static void tcp_close(int err, void *arg)
{
	(void)err;
	(void)arg;

	t.tc = mem_deref(t.tc);
}


static void tcp_conn(const struct sa *peer, void *arg)
{
	(void)peer;
	(void)arg;

	t.tc = mem_deref(t.tc);
	t.tcpbuf = mem_deref(t.tcpbuf);
	if (tcp_accept(&t.tc, t.ts, NULL, tcp_recv, tcp_close, NULL))
		tcp_reject(t.ts);
}


/* ------------------------------------------------------------ the phone */

static void settle_handler(void *arg)
{
	(void)arg;
	re_cancel();
}


static void case_timeout(void *arg)
{
	(void)arg;
	t.r.timeout = true;
	re_cancel();
}


static void phone_event(struct phone *phone, const struct phone_event *ev,
			void *arg)
{
	(void)phone;
	(void)arg;

	switch (ev->type) {

	case PHONE_EV_RESPONSE:
		if (ev->scode != 403) {
			t.r.torture_seen = true;
			t.r.seen_scode = ev->scode;
		}
		break;

	case PHONE_EV_ERROR:
		t.r.error_ev = true;
		t.r.error_err = ev->err;
		break;

	case PHONE_EV_DONE:
		if (t.r.done)
			break;
		t.r.done = true;
		t.r.done_scode = ev->scode;
		t.r.done_err = ev->err;
		t.r.state = ev->state;
		tmr_start(&t.tmr_settle, SETTLE_MS, settle_handler, NULL);
		break;

	default:
		break;
	}
}


static const char *outcome(uint16_t torture_scode, char *why, size_t sz)
{
	if (t.r.timeout) {
		(void)re_snprintf(why, sz, "no DONE within %u ms", CASE_MS);
		return "timeout";
	}

	(void)re_snprintf(why, sz, "done %u err %d (%s), state %s%s",
			  t.r.done_scode, t.r.done_err,
			  t.r.done_err ? strerror(t.r.done_err) : "ok",
			  phone_state_name(t.r.state),
			  t.r.torture_seen ? ", torture response reported" : "");

	if (t.r.done_scode && t.r.done_scode != 403 &&
	    t.r.done_scode == torture_scode)
		return "accept";
	if (t.r.done_scode == 403)
		return t.r.torture_seen ? "provisional" : "drop";
	if (!t.r.done_scode && t.r.done_err == EPROTO && !t.r.torture_seen &&
	    t.r.state != PHONE_ST_REGISTERED)
		return "reject";

	return "other";
}


static int run_case(const char *path, enum sip_transp tp, char *got,
		    size_t gotsz, char *why, size_t whysz)
{
	struct phone_conf conf;
	struct phone *phone = NULL;
	uint8_t *data = NULL;
	uint16_t torture_scode;
	struct pl code;
	size_t len = 0;
	FILE *f;
	int err;

	f = fopen(path, "rb");
	if (!f)
		return errno;
	data = malloc(65536);
	if (data)
		len = fread(data, 1, 65536, f);
	fclose(f);
	if (!data)
		return ENOMEM;

	/* the status as libre reads it (pl_u32: 4294967301 is 5) */
	if (re_regex((const char *)data, len, "SIP/2.0 [0-9]+", &code)) {
		free(data);
		return EINVAL;
	}
	torture_scode = (uint16_t)pl_u32(&code);

	memset(&t.r, 0, sizeof(t.r));
	t.tp = tp;
	t.resp = data;
	t.resplen = len;
	t.req = mem_deref(t.req);

	memset(&conf, 0, sizeof(conf));
	conf.name = "torture";
	conf.user = "alice";
	conf.domain = "example.sip.us1.twilio.com";
	conf.registrar = tp == SIP_TRANSP_UDP ? t.udp : t.tcp;
	conf.tp = tp;
	conf.expires = 600;
	conf.refresh = PHONE_REFRESH_NONE;

	err = phone_alloc(&phone, &conf, phone_event, NULL);
	if (!err)
		err = phone_register(phone);
	if (!err) {
		tmr_start(&t.tmr_case, CASE_MS, case_timeout, NULL);
		err = re_main(NULL);
	}

	tmr_cancel(&t.tmr_case);
	tmr_cancel(&t.tmr_follow);
	tmr_cancel(&t.tmr_settle);

	if (!err)
		(void)re_snprintf(got, gotsz, "%s",
				  outcome(torture_scode, why, whysz));

	mem_deref(phone);
	t.req = mem_deref(t.req);
	t.tc = mem_deref(t.tc);
	t.tcpbuf = mem_deref(t.tcpbuf);
	free(data);

	return err;
}


/* ------------------------------------------------------------ table */

static size_t load_expected(const char *path, struct expect *ev, size_t max)
{
	char line[1024];
	size_t n = 0;
	FILE *f = fopen(path, "r");

	if (!f) {
		fprintf(stderr, "phone_torture: %s: %s\n", path,
			strerror(errno));
		return 0;
	}

	while (n < max && fgets(line, sizeof(line), f)) {
		struct expect *e = &ev[n];
		char cell[40];
		int used = 0;
		char *tilde;

		if (line[0] == '#' || line[0] == '\n')
			continue;

		memset(e, 0, sizeof(*e));
		if (sscanf(line, "%63s %39s %15s %n", e->file, cell,
			   e->section, &used) < 3)
			continue;

		tilde = strchr(cell, '~');
		if (tilde) {
			*tilde = '\0';
			str_ncpy(e->rfc, tilde + 1, sizeof(e->rfc));
		}
		str_ncpy(e->outcome, cell, sizeof(e->outcome));
		str_ncpy(e->reason, line + used, sizeof(e->reason));
		e->reason[strcspn(e->reason, "\n")] = '\0';
		++n;
	}

	fclose(f);

	return n;
}


static bool is_response(const char *path)
{
	char head[8] = "";
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f)
		return false;
	n = fread(head, 1, sizeof(head), f);
	fclose(f);

	return n >= 8 && !memcmp(head, "SIP/2.0 ", 8);
}


static bool wanted(const char *file, int argc, char *argv[])
{
	if (argc <= 3)
		return true;

	for (int i = 3; i < argc; i++) {
		size_t l = strlen(argv[i]);
		if (!strcmp(file, argv[i]) ||
		    (!strncmp(file, argv[i], l) && !strcmp(file + l, ".dat")))
			return true;
	}

	return false;
}


static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}


static const struct expect *in_table(const struct expect *ev, size_t evc,
				     const char *name)
{
	for (size_t j = 0; j < evc; j++) {
		if (!strcmp(name, ev[j].file))
			return &ev[j];
	}

	return NULL;
}


/* 1 (a failure, said) when name was not found in the other list */
static int missing(const char *name, const void *found, const char *why)
{
	if (found)
		return 0;

	printf("FAIL %s: %s\n", name, why);
	return 1;
}


int main(int argc, char *argv[])
{
	static struct expect ev[MAX_CASES];
	char *files[MAX_CASES];
	size_t filec = 0, evc;
	unsigned passed = 0, failed = 0;
	struct sa any;
	struct dirent *de;
	DIR *d;
	int err;

	if (argc < 3) {
		fprintf(stderr, "usage: phone_torture CORPUS EXPECTED "
			"[NAME...]\n");
		return 2;
	}

	evc = load_expected(argv[2], ev, MAX_CASES);
	if (!evc)
		return 2;

	d = opendir(argv[1]);
	if (!d) {
		fprintf(stderr, "phone_torture: %s: %s\n", argv[1],
			strerror(errno));
		return 2;
	}
	while ((de = readdir(d)) && filec < MAX_CASES) {
		char path[1024];
		size_t l = strlen(de->d_name);

		if (l < 5 || strcmp(de->d_name + l - 4, ".dat"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", argv[1], de->d_name);
		if (is_response(path))
			files[filec++] = strdup(de->d_name);
	}
	closedir(d);
	qsort(files, filec, sizeof(files[0]), name_cmp);

	err = libre_init();
	if (err) {
		fprintf(stderr, "phone_torture: libre_init: %s\n",
			strerror(err));
		return 3;
	}
	vclock_reset();

	(void)sa_set_str(&any, "127.0.0.1", 0);
	err  = udp_listen(&t.us, &any, udp_recv, NULL);
	err |= tcp_listen(&t.ts, &any, tcp_conn, NULL);
	if (!err)
		err = udp_local_get(t.us, &t.udp);
	if (!err)
		err = tcp_sock_local_get(t.ts, &t.tcp);
	if (err) {
		fprintf(stderr, "phone_torture: cannot listen on 127.0.0.1\n");
		return 3;
	}

	/* every response of the corpus must be in the table, and back */
	for (size_t i = 0; i < filec; i++)
		failed += missing(files[i], in_table(ev, evc, files[i]),
				  "a response in the corpus but not in "
				  "phone-expected.txt");
	for (size_t j = 0; j < evc; j++)
		failed += missing(ev[j].file,
				  bsearch(&(const char *){ev[j].file}, files,
					  filec, sizeof(files[0]), name_cmp),
				  "in phone-expected.txt but not a response "
				  "of the corpus");

	for (size_t j = 0; j < evc; j++) {
		static const enum sip_transp tps[] = {SIP_TRANSP_UDP,
						      SIP_TRANSP_TCP};
		char path[1024];

		if (!wanted(ev[j].file, argc, argv))
			continue;

		snprintf(path, sizeof(path), "%s/%s", argv[1], ev[j].file);

		for (size_t k = 0; k < ARRAY_SIZE(tps); k++) {
			const char *tpn = tps[k] == SIP_TRANSP_UDP ? "UDP" :
				"TCP";
			char got[32] = "", why[256] = "";

			err = run_case(path, tps[k], got, sizeof(got), why,
				       sizeof(why));
			if (err) {
				printf("FAIL %s/%s: %s\n", ev[j].file, tpn,
				       strerror(err));
				++failed;
				continue;
			}

			if (!strcmp(got, ev[j].outcome)) {
				++passed;
				printf("PASS %s/%s %s: %s (RFC 4475 %s)%s%s\n",
				       ev[j].file, tpn, got, why,
				       ev[j].section,
				       ev[j].rfc[0] ? "; known difference: "
				       "RFC 4475 asks " : "", ev[j].rfc);
			}
			else {
				++failed;
				printf("FAIL %s/%s expected %s, got %s: %s "
				       "(RFC 4475 %s: %s)\n", ev[j].file, tpn,
				       ev[j].outcome, got, why,
				       ev[j].section, ev[j].reason);
			}
			fflush(stdout);
		}
	}

	for (size_t i = 0; i < filec; i++)
		free(files[i]);

	tmr_cancel(&t.tmr_follow);
	t.tc = mem_deref(t.tc);
	t.ts = mem_deref(t.ts);
	t.us = mem_deref(t.us);
	t.tcpbuf = mem_deref(t.tcpbuf);
	libre_close();

	printf("%u passed, %u failed\n", passed, failed);

	return failed ? 1 : 0;
}
