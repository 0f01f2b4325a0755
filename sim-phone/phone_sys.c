/**
 * @file phone_sys.c  Process-wide resources of the simulated phones: file
 * descriptor limits and the shared TLS client context
 */

#include <sys/resource.h>
#include <re.h>
#include "vtimer.h"
#include "phone.h"
#include "phone_digest.h"
#include "phone_priv.h"


enum {
	FDS_PER_PHONE = 2,     /* per socket of a phone or shared stack;
				  TCP/TLS: listening socket + connection */
	FDS_RESERVE   = 64,    /* stdio, epoll, a registrar, logs ...    */
	FDS_MAX       = 1 << 20,
};


/* not a reference: the stacks using it hold those (phone_stack.c) */
static struct tls *tls_client;


/**
 * Prepare the process for many phones: raise the RLIMIT_NOFILE soft limit
 * and size libre's descriptor table to it.  Call it before any socket is
 * opened (libre sizes its table once, at the first fd_listen()).
 *
 * @param max_sockets Sockets the process will open: phones with their own
 *                    stack plus shared stacks (struct phone_stack)
 *
 * @return 0 if success, EMFILE if the hard limit leaves room for fewer
 *         than max_sockets UDP sockets (limits are then raised as far as
 *         allowed), otherwise errorcode
 */
int phone_global_init(unsigned max_sockets)
{
	const rlim_t need = (rlim_t)max_sockets * FDS_PER_PHONE + FDS_RESERVE;
	struct rlimit rl;
	int err;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return errno;

	if (rl.rlim_cur < need && rl.rlim_cur != RLIM_INFINITY) {
		rl.rlim_cur = (rl.rlim_max == RLIM_INFINITY ||
			       rl.rlim_max > need) ? need : rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl))
			return errno;
	}

	/* the whole soft limit: other sockets of the process need room
	 * too (a table entry costs ~40 bytes) */
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > FDS_MAX)
		rl.rlim_cur = FDS_MAX;

	/* no effect when libre already sized its table: see above */
	err = fd_setsize((int)rl.rlim_cur);
	if (err)
		return err;

	if (rl.rlim_cur < (rlim_t)max_sockets + FDS_RESERVE / 4)
		return EMFILE;

	return 0;
}


/**
 * Get the TLS context all TLS phones share, as clients and as servers
 * (peers not verified: a conformance lab uses self-signed certificates)
 *
 * @param tlsp New reference to the context
 *
 * @return 0 if success, otherwise errorcode
 */
int phone_tls_get(struct tls **tlsp)
{
	int err;

	if (!tlsp)
		return EINVAL;

	if (!tls_client) {
		err = tls_alloc(&tls_client, TLS_METHOD_SSLV23, NULL, NULL);
		/* a certificate of its own: a phone's TLS listener accepts
		 * what the service sends to its Contact (the ACK and BYE of
		 * a call it answered) */
		if (!err)
			err = tls_set_selfsigned_rsa(tls_client,
						     "sim-phone.invalid", 2048);
		if (err) {
			tls_client = mem_deref(tls_client);
			return err;
		}

		*tlsp = tls_client;
		return 0;
	}

	*tlsp = mem_ref(tls_client);

	return 0;
}


/* a stack lets go of its reference (the last one clears the static) */
void phone_tls_put(struct tls *tls)
{
	if (!tls)
		return;

	if (tls == tls_client && mem_nrefs(tls) == 1)
		tls_client = NULL;

	mem_deref(tls);
}
