/**
 * @file listen.c  Hears the phone under test (session.h): every message
 * the registrar exchanged with it goes to the capture (capture.h) and to
 * the report's message list; the loop waits for what a step needs, for
 * the operator's Enter, or for a signal.
 */

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <re.h>
#include "decision.h"
#include "phone/capture.h"
#include "phone/session.h"
#include "phone/protocol.h"

/* ------------------------------------------------------------ the loop */

static void wake_h(void *arg)
{
	(void)arg;
	re_cancel();
}


bool pm_wait(struct pm *pm, pm_pred *pred, void *arg, uint64_t ms)
{
	uint64_t end = tmr_jiffies() + ms;

	for (;;) {
		uint64_t now;

		if (pred && pred(pm, arg))
			return true;
		if (pm->interrupted || pm->enter)
			return false;

		now = tmr_jiffies();
		if (now >= end)
			return false;

		tmr_start(&pm->wake, end - now, wake_h, pm);
		re_main(NULL);
		tmr_cancel(&pm->wake);
	}
}


void pm_pause(struct pm *pm, uint64_t ms)
{
	bool enter = pm->enter;

	pm->enter = false;
	(void)pm_wait(pm, NULL, NULL, ms);
	pm->enter = enter;
}


void pm_stdin_h(int flags, void *arg)
{
	struct pm *pm = arg;
	char buf[256];
	ssize_t n;
	(void)flags;

	n = read(STDIN_FILENO, buf, sizeof(buf));
	if (n <= 0) {
		fd_close(STDIN_FILENO);
		pm->stdin_watch = false;
		return;
	}

	if (memchr(buf, '\n', (size_t)n)) {
		pm->enter = true;
		re_cancel();
	}
}


/* the run a signal interrupts (one at a time) */
static struct pm *g_pm;

static void on_signal(int sig)
{
	(void)sig;

	if (g_pm)
		g_pm->interrupted = true;
	re_cancel();
}


/* ------------------------------------------------------------ events */

uint64_t pm_wall_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);

	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}


static void record(struct pm *pm, bool tx, int tp, const struct sa *src,
		   const struct sa *dst, const uint8_t *pkt, size_t len)
{
	struct run_msg *m;
	const uint8_t *eol;
	bool second;

	if (pm->msgc >= RUN_MSG_MAX)
		return;

	if (pm->msgc >= pm->msgcap) {
		size_t c = pm->msgcap ? pm->msgcap * 2 : 256;
		/* libre 1.1.0's mem_realloc(NULL, n) returns NULL */
		void *nv = pm->msgv ? mem_realloc(pm->msgv, c * sizeof(*m)) :
			mem_alloc(c * sizeof(*m), NULL);

		if (!nv)
			return;
		pm->msgv = nv;
		pm->msgcap = c;
	}

	second = sa_isset(&pm->second_addr, SA_ALL) &&
		sa_cmp(&pm->second_addr, tx ? dst : src, SA_ALL);

	m = &pm->msgv[pm->msgc];
	memset(m, 0, sizeof(*m));
	m->wall_us = pm_wall_us();
	m->phone = second ? "second-phone" : "phone";
	m->from_phone = !tx;
	m->src = *src;
	m->dst = *dst;
	m->tp = tp;
	m->line = 1;

	if (re_sdprintf(&m->text, "%b", pkt, len))
		return;

	eol = memchr(pkt, '\r', len);
	if (!eol)
		eol = pkt + len;

	if (len > 8 && !memcmp(pkt, "SIP/2.0 ", 8))
		(void)re_sdprintf(&m->summary, "%b", pkt + 8,
				  (size_t)(eol - pkt) - 8);
	else {
		const uint8_t *sp = memchr(pkt, ' ', (size_t)(eol - pkt));

		(void)re_sdprintf(&m->summary, "%b", pkt,
				  (size_t)((sp ? sp : eol) - pkt));
	}

	pm->msgc++;
}


void pm_trace_h(bool tx, int tp, const struct sa *src,
		    const struct sa *dst, const uint8_t *pkt, size_t len,
		    void *arg)
{
	struct pm *pm = arg;

	capture_trace(pm->capture, tx, tp, src, dst, pkt, len);
	record(pm, tx, tp, src, dst, pkt, len);
	pm_protocol_trace(pm, tp, src, dst, pkt, len);

	if (pm->o.verbose)
		(void)re_fprintf(stderr, "---- %s %J -> %J\n%b\n", tx ?
				 "sent" : "received", src, dst, pkt, len);

	re_cancel();
}


void pm_on_decision(const struct decision *d, void *arg)
{
	struct pm *pm = arg;

	if (pm->o.verbose)
		(void)re_fprintf(stderr, "    registrar: %H\n", decision_print,
				 d);
}


void pm_on_guard(uint16_t scode, const char *reason, const char *detail,
		    const struct sa *src, const char *transport,
		    const char *method, void *arg)
{
	struct pm *pm = arg;
	(void)reason;

	if (pm->o.verbose)
		(void)re_fprintf(stderr, "    registrar: %u %s from %J/%s: "
				 "%s\n", scode, method, src, transport,
				 detail);
}






/* ------------------------------------------------------------ helpers */

void pm_say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)re_vfprintf(stdout, fmt, ap);
	va_end(ap);
	fflush(stdout);
}


void pm_signals(struct pm *pm)
{
	g_pm = pm;
	if (!pm)
		return;

	(void)signal(SIGINT, on_signal);
	(void)signal(SIGTERM, on_signal);
}
