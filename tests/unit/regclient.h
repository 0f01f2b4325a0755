/**
 * @file regclient.h  Test client for the registrar's rule tests: an
 * in-process sim-registrar on 127.0.0.1 and a raw SIP client on a real
 * UDP (or TCP) socket that sends exactly the text a test writes.
 */

#ifndef SIPCONFORM_REGCLIENT_H
#define SIPCONFORM_REGCLIENT_H

#include <stdbool.h>
#include <stdint.h>
#include <re.h>

struct regclient;

/* yaml NULL: the embedded default configuration */
int  regclient_alloc(struct regclient **rcp, const char *yaml);

/* the registrar's address as "127.0.0.1:PORT" */
const char *regclient_raddr(const struct regclient *rc);
struct sim_registrar *regclient_registrar(const struct regclient *rc);

/*
 * Send one request (printf-style text; "$R" in it is replaced by the
 * registrar's IP:PORT, "$L" by the client's) over UDP, or TCP when tcp,
 * and wait up to 2 s for its final response (provisional ones skipped).
 * Returns the response (a mem object) or NULL on timeout.
 */
struct sip_msg *regclient_send(struct regclient *rc, bool tcp,
			       const char *fmt, ...);

/*
 * One HTTP request to the registrar's control API (started on 127.0.0.1,
 * a free port): returns the status code, the body in body; -1 on timeout.
 */
int regclient_http(struct regclient *rc, const char *met, const char *path,
		   char *body, size_t sz);

/* the rule ID of the registrar's last decision, "" if none */
const char *regclient_last_rule(const struct regclient *rc);

/* every decision since the start or the last clear, one line each as
 * decision_print() writes it (calls' own decisions included) */
const char *regclient_log(struct regclient *rc);
void regclient_log_clear(struct regclient *rc);
/* whether a decision line so far holds text */
bool regclient_logged(struct regclient *rc, const char *text);
/* in a Check test: fail unless a decision line holds s */
#define REGCLIENT_ASSERT_LOGGED(rc, s) \
	ck_assert_msg(regclient_logged(rc, s), "no decision '%s' in:\n%s", \
		      s, regclient_log(rc))

/* a call of the registrar's B2BUA (sim_registrar_call_info()) */
struct call_info;
int regclient_call_info(const struct regclient *rc, const char *sid,
			struct call_info *ci);

/* a REGISTER for user with one contact, answering the challenge */
struct reg_opts {
	const char *user;          /* AOR user                          */
	const char *domain;        /* NULL: example.sip.us1.twilio.com  */
	const char *auth_user;     /* NULL: user                        */
	const char *password;      /* NULL: do not answer the challenge */
	const char *contact;       /* full header value; NULL: default  */
	bool no_contact;           /* a fetch: no Contact header at all */
	const char *callid;        /* NULL: "cid-<user>"                */
	uint32_t cseq;             /* 0: 1                              */
	int expires;               /* < 0: no Expires header            */
	const char *extra;         /* extra header lines, or NULL       */
	bool tcp;
};

struct sip_msg *regclient_register(struct regclient *rc,
				   const struct reg_opts *o);

/* a header's value as a NUL-terminated string in buf ("" if absent) */
const char *regclient_hdr(const struct sip_msg *msg, const char *name,
			  char *buf, size_t sz);
unsigned regclient_contact_count(const struct sip_msg *msg);

#endif
