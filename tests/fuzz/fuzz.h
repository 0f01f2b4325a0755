/**
 * @file fuzz.h  What the libFuzzer targets share (tests/fuzz/README.md).
 *
 * The seams (seam_*.c) include a source file of the registrar whole, to
 * reach a static function of its own request path without changing it:
 * seam_guard.c the guard's UDP and TCP receive handlers, seam_server.c the
 * server's request handler, seam_registrar.c and seam_calls.c the digest
 * state of REGISTER and of INVITE.  The build
 * (build.sh) links every other source of the project as it is.
 */

#ifndef SIPCONFORM_FUZZ_H
#define SIPCONFORM_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sa;
struct mbuf;
struct sip;
struct sip_msg;
struct sim_registrar;
struct registrar;
struct digest_auth;
struct guard;
struct guard_conn;

typedef void (fuzz_stream_h)(struct mbuf *mb, void *arg);
typedef void (fuzz_close_h)(int err, void *arg);

/* seam_server.c: server.c's request handler, and what it holds */
bool fuzz_server_request(struct sim_registrar *sr, const struct sip_msg *msg);
struct sip *fuzz_server_sip(const struct sim_registrar *sr);
struct registrar *fuzz_server_registrar(const struct sim_registrar *sr);

/* seam_registrar.c, seam_calls.c: whose nonces a request needs */
struct calls;
struct digest_auth *fuzz_registrar_auth(const struct registrar *r);
struct digest_auth *fuzz_calls_auth(const struct calls *cs);

/* seam_guard.c: the guard's UDP receive handler (true: it answered) and
 * a guarded TCP connection without a socket (conn_recv per chunk; on a
 * framing error the guard closes it: closeh is called and the connection
 * is gone) */
bool fuzz_guard_udp(struct guard *g, const struct sa *src, struct mbuf *mb);
int  fuzz_guard_conn_alloc(struct guard_conn **gcp, struct guard *g,
			   const struct sa *peer, fuzz_stream_h *rh,
			   fuzz_close_h *ch, void *arg);
void fuzz_guard_conn_recv(struct guard_conn *gc, struct mbuf *mb);

/* common.c */
struct fuzz_reg {
	struct sim_registrar *sr;
	struct guard *guard;        /* a guard of our own, without sockets */
	struct sip *sip;
};

/* once per process: libre, the embedded default configuration, a
 * registrar on 127.0.0.1 whose SIP stack has no transport left (nothing is
 * ever sent: every reply fails in sip_send, so no server transaction
 * stays).  With fuzz_keep_transports set before the first call it keeps
 * them (replies and the calls' INVITEs go out on loopback, transactions
 * live on their timers), and aborts unless the process is in a network
 * namespace with loopback alone. */
extern bool fuzz_keep_transports;
struct fuzz_reg *fuzz_reg_get(void);

/* one datagram from 127.0.0.1:5060 through the path a UDP datagram takes:
 * the guard (sipcheck_raw, its own 400/505), libre's decode, server.c's
 * request handler (sipcheck_msg, the registrar) */
void fuzz_udp_datagram(struct fuzz_reg *fr, const uint8_t *p, size_t len);

/* a TCP connection's bytes in chunks, through the guard's framing, then
 * libre's stream framing (replicated), then server.c's handler */
void fuzz_tcp_stream(struct fuzz_reg *fr, const uint8_t *p, size_t len,
		     const size_t *chunkv, size_t chunkc);

/* the request p with a valid Proxy-Authorization for alice (the default
 * configuration's user) right after its request line: a fresh nonce from
 * the registrar's own digest state, the digest for the request's method
 * and uri sip:example.sip.us1.twilio.com.  ENOENT: no request line */
int fuzz_with_credentials(struct fuzz_reg *fr, const uint8_t *p, size_t len,
			  struct mbuf **mbp);

#endif
