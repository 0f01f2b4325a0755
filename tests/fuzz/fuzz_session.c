/**
 * @file fuzz_session.c  libFuzzer target: a session of several steps on
 * one registrar, with virtual time between them, so that what outlives a
 * request (bindings, nonces, calls, the Dial and PSTN timers, transaction
 * timers) is exercised too.
 *
 * The input is steps separated by "~~~~" and one character, the time that
 * passes after the step: '0'-'9' that many seconds, 'a' 30 s, 'b' 64 s,
 * 'c' 601 s (anything else: 0).  A step is
 *   CALL <from> <to>   an outside call to one of the account's numbers
 *                      (sim_registrar_call: +14155550199 rings alice's
 *                      bindings in the default configuration)
 *   HANGUP             the outside caller of the last such call hangs up
 *   PHONE <code> [<method> [<port>]]
 *                      a phone answers: the latest <method> (INVITE) that
 *                      the registrar sent to 127.0.0.1:<port> (any of the
 *                      phone ports) gets <code>, with its Via, From, To
 *                      (+ a tag), Call-ID and CSeq, a Contact, an SDP
 *                      body for a 2xx to INVITE, and the step's further
 *                      lines as more header lines; it goes to the
 *                      registrar's UDP socket and the event loop turns
 *                      once to take it (libre's transaction layer, the
 *                      guard, the calls)
 *   anything else      a request with alice's credentials added
 *                      (fuzz_register), as a UDP datagram
 * Time is virtual: this program defines tmr_jiffies() (libre's timers run
 * on common/tmrheap.c) and moves vclock; due timers fire between steps.
 * Before each input the registrar is reset and every pending timer is run
 * out, so inputs do not depend on each other.
 *
 * Unlike the other targets the registrar keeps its transports, so replies
 * and the B2BUA's INVITEs to bindings are really sent: the process refuses
 * to start outside a network namespace with loopback alone (run.sh makes
 * one), where anything not for 127.0.0.0/8 fails to send.  The phone
 * ports are sockets of this program: 127.0.0.1:5001-5003 and 5062, the
 * contacts of the seeds.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <re.h>
#include "vclock.h"
#include "vtimer.h"
#include "reshim/tmrheap.h"
#include "sim_registrar.h"
#include "fuzz.h"

enum { MAX_INPUT = 65536, MAX_STEPS = 16, MAX_DGRAM = 8192 };

/* the phones the registrar's calls ring: sockets of this program */
static const uint16_t phone_port[] = {5001, 5002, 5003, 5062};
#define PHONES (sizeof(phone_port) / sizeof(phone_port[0]))

static struct phone_sock {
	int fd;
	uint8_t last[4][MAX_DGRAM];     /* latest INVITE, CANCEL, BYE, ACK */
	size_t lastlen[4];
} phones[PHONES];

static const char *const kept_methods[4] = {"INVITE", "CANCEL", "BYE",
					       "ACK"};
static struct sockaddr_in reg_udp;

/* libre exports it; its headers do not declare it */
struct list *tmrl_get(void);

static uint64_t vjif;          /* virtual ms added to the monotonic base */
static char last_sid[40];


uint64_t tmr_jiffies(void)
{
	static uint64_t base;

	if (!base) {
		struct timespec ts;

		(void)clock_gettime(CLOCK_MONOTONIC, &ts);
		base = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec /
			1000000;
	}

	return base + vjif;
}


/* ms pass: every vtimer and libre timer then due fires */
static void time_passes(uint64_t ms)
{
	vjif += ms;
	vclock_advance(ms);
	vtimer_poll();

	for (int i = 0; i < 256; i++) {
		tmr_poll(tmrl_get());
		if (tmr_next_timeout(tmrl_get()) != 1)
			break;
	}
	if (getenv("FUZZ_VERBOSE"))
		(void)re_fprintf(stderr, "fuzz: +%llu ms, %zu timers, next %llu\n",
				 (unsigned long long)ms, tmrheap_count(),
				 (unsigned long long)tmr_next_timeout(tmrl_get()));
}


/* one turn of the event loop: the datagrams already queued are read */
static void cancel_handler(void *arg)
{
	(void)arg;
	re_cancel();
}


static void loop_once(void)
{
	struct tmr t;

	tmr_init(&t);
	tmr_start(&t, 0, cancel_handler, NULL);
	(void)re_main(NULL);
	tmr_cancel(&t);
}


/* what the registrar sent to the phones: keep the latest of each kind */
static void phones_read(void)
{
	for (size_t i = 0; i < PHONES; i++) {
		uint8_t buf[MAX_DGRAM];
		ssize_t n;

		if (phones[i].fd < 0)
			continue;

		while ((n = recv(phones[i].fd, buf, sizeof(buf), 0)) > 0) {
			for (size_t k = 0; k < 4; k++) {
				size_t ml = strlen(kept_methods[k]);

				if ((size_t)n > ml &&
				    !memcmp(buf, kept_methods[k], ml) &&
				    buf[ml] == ' ') {
					memcpy(phones[i].last[k], buf,
					       (size_t)n);
					phones[i].lastlen[k] = (size_t)n;
				}
			}
		}
	}
}


static void phones_forget(void)
{
	phones_read();
	for (size_t i = 0; i < PHONES; i++)
		memset(phones[i].lastlen, 0, sizeof(phones[i].lastlen));
}


/* header lines of req named name (or its compact form), as they are */
static void copy_lines(struct mbuf *mb, const struct sip_msg *req,
		       enum sip_hdrid id)
{
	for (struct le *le = req->hdrl.head; le; le = le->next) {
		const struct sip_hdr *hdr = le->data;

		if (hdr->id == id)
			(void)mbuf_printf(mb, "%r: %r\r\n", &hdr->name,
					  &hdr->val);
	}
}


static void phone_answer(struct fuzz_reg *fr, const uint8_t *p, size_t len)
{
	char line[128], method[16] = "INVITE";
	unsigned code = 0, port = 0;
	const uint8_t *rest;
	struct sip_msg *req = NULL;
	struct mbuf *in = NULL, *out = NULL;
	const uint8_t *nl = memchr(p, '\n', len);
	size_t k, i, first = nl ? (size_t)(nl - p) : len;
	(void)fr;

	if (first >= sizeof(line))
		return;
	memcpy(line, p, first);
	line[first] = '\0';
	if (sscanf(line, "PHONE %u %15s %u", &code, method, &port) < 1 ||
	    code < 100 || code > 699)
		return;
	rest = p + (first < len ? first + 1 : len);

	for (k = 0; k < 4 && strcmp(method, kept_methods[k]); k++)
		;
	if (k == 4)
		return;

	phones_read();
	for (i = 0; i < PHONES; i++) {
		if (phones[i].lastlen[k] && (!port || phone_port[i] == port))
			break;
	}
	if (i == PHONES)
		return;

	in = mbuf_alloc(phones[i].lastlen[k]);
	out = mbuf_alloc(1024 + len);
	if (!in || !out)
		goto out;
	(void)mbuf_write_mem(in, phones[i].last[k], phones[i].lastlen[k]);
	in->pos = 0;
	if (sip_msg_decode(&req, in))
		goto out;

	(void)mbuf_printf(out, "SIP/2.0 %u Fuzz\r\n", code);
	copy_lines(out, req, SIP_HDR_VIA);
	(void)mbuf_printf(out, "From: %r\r\n", &req->from.val);
	(void)mbuf_printf(out, "To: %r%s\r\n", &req->to.val,
			  pl_isset(&req->to.tag) || code == 100 ? "" :
			  ";tag=phone");
	(void)mbuf_printf(out, "Call-ID: %r\r\nCSeq: %u %r\r\n",
			  &req->callid, req->cseq.num, &req->cseq.met);
	(void)mbuf_printf(out, "Contact: <sip:alice@127.0.0.1:%u>\r\n",
			  phone_port[i]);
	(void)mbuf_write_mem(out, rest, (size_t)(p + len - rest));
	if (code < 300 && code >= 200 && k == 0) {
		static const char sdp[] =
			"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\n"
			"c=IN IP4 127.0.0.1\r\nt=0 0\r\n"
			"m=audio 4000 RTP/AVP 0\r\n";
		(void)mbuf_printf(out, "Content-Type: application/sdp\r\n"
				  "Content-Length: %zu\r\n\r\n%s",
				  sizeof(sdp) - 1, sdp);
	}
	else {
		(void)mbuf_printf(out, "Content-Length: 0\r\n\r\n");
	}

	(void)sendto(phones[i].fd, out->buf, out->end, 0,
		     (struct sockaddr *)&reg_udp, sizeof(reg_udp));
	loop_once();

 out:
	mem_deref(req);
	mem_deref(in);
	mem_deref(out);
}


static uint64_t step_ms(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return (uint64_t)(c - '0') * 1000;

	switch (c) {

	case 'a': return 30000;
	case 'b': return 64000;
	case 'c': return 601000;
	default:  return 0;
	}
}


static void outside_call(struct fuzz_reg *fr, const uint8_t *p, size_t len)
{
	char line[128], *from, *to, *sp;
	int err;

	if (len >= sizeof(line))
		len = sizeof(line) - 1;
	memcpy(line, p, len);
	line[len] = '\0';
	line[strcspn(line, "\r\n")] = '\0';

	from = line + 5;                 /* after "CALL " */
	sp = strchr(from, ' ');
	if (!sp)
		return;
	*sp = '\0';
	to = sp + 1;

	err = sim_registrar_call(fr->sr, from, to, NULL, NULL, last_sid,
				 sizeof(last_sid));
	if (err)
		last_sid[0] = '\0';
	if (getenv("FUZZ_VERBOSE"))
		(void)re_fprintf(stderr, "fuzz: CALL %s %s: %m\n", from, to,
				 err);
}


static void step(struct fuzz_reg *fr, const uint8_t *p, size_t len)
{
	struct mbuf *req = NULL;

	if (len >= 5 && !memcmp(p, "CALL ", 5)) {
		outside_call(fr, p, len);
		return;
	}

	if (len >= 6 && !memcmp(p, "PHONE ", 6)) {
		phone_answer(fr, p, len);
		return;
	}

	if (len >= 6 && !memcmp(p, "HANGUP", 6)) {
		if (last_sid[0])
			(void)sim_registrar_hangup(fr->sr, last_sid);
		return;
	}

	if (!fuzz_with_credentials(fr, p, len, &req))
		fuzz_udp_datagram(fr, req->buf, req->end);
	mem_deref(req);
}


int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct fuzz_reg *fr;
	struct sa a;
	(void)argc;
	(void)argv;

	/* the calls' INVITEs and the replies go out (on loopback): without a
	 * transport an INVITE ends at its 100 Trying */
	fuzz_keep_transports = true;
	fr = fuzz_reg_get();

	if (sim_registrar_laddr(fr->sr, SIP_TRANSP_UDP, &a))
		abort();
	memset(&reg_udp, 0, sizeof(reg_udp));
	reg_udp.sin_family = AF_INET;
	reg_udp.sin_port = htons(sa_port(&a));
	reg_udp.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

	for (size_t i = 0; i < PHONES; i++) {
		struct sockaddr_in sin;

		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_port = htons(phone_port[i]);
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		phones[i].fd = socket(AF_INET, SOCK_DGRAM, 0);
		if (phones[i].fd < 0 ||
		    bind(phones[i].fd, (struct sockaddr *)&sin, sizeof(sin)) ||
		    fcntl(phones[i].fd, F_SETFL, O_NONBLOCK)) {
			(void)re_fprintf(stderr, "fuzz_session: cannot bind "
					 "127.0.0.1:%u\n", phone_port[i]);
			abort();
		}
	}

	/* libre's timers must be on the heap this program polls */
	if (tmrheap_check()) {
		(void)re_fprintf(stderr, "fuzz_session: tmrheap not in use\n");
		abort();
	}

	return 0;
}


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_reg *fr = fuzz_reg_get();
	size_t off = 0;

	if (size > MAX_INPUT)
		return 0;

	/* what the last input left runs out: calls, then every transaction
	 * and connection timer (Timer B/F/H/J/K: at most 64*T1) */
	sim_registrar_reset(fr->sr);
	for (int i = 0; i < 16 && tmrheap_count(); i++)
		time_passes(64000);
	phones_forget();
	last_sid[0] = '\0';

	for (int n = 0; n < MAX_STEPS && off < size; n++) {
		const uint8_t *sep = NULL;
		size_t end = size;
		uint64_t ms = 0;

		for (size_t i = off; i + 4 <= size; i++) {
			if (!memcmp(data + i, "~~~~", 4)) {
				sep = data + i;
				break;
			}
		}
		if (sep) {
			end = (size_t)(sep - data);
			ms = end + 4 < size ? step_ms(data[end + 4]) : 0;
		}

		step(fr, data + off, end - off);
		time_passes(ms ? ms : 1);

		off = sep ? end + 5 : size;
	}

	return 0;
}
