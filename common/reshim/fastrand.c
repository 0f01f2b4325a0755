/**
 * @file fastrand.c  rand_u16/rand_u32/rand_u64 from a getrandom() buffer
 *                   (see fastrand.h)
 */

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/random.h>
#include <re.h>
#include "reshim/fastrand.h"

enum { POOL = 4096 };

/* per thread: no lock, and no two threads share a number */
static _Thread_local struct {
	uint8_t b[POOL];
	size_t pos;
	bool filled;
} pool;

static unsigned long served;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;


/* a forked child must not hand out its parent's next numbers again */
static void child_after_fork(void)
{
	pool.filled = false;
}


static void register_atfork(void)
{
	(void)pthread_atfork(NULL, NULL, child_after_fork);
}


static void take(void *out, size_t n)
{
	if (!pool.filled || pool.pos + n > POOL) {
		size_t got = 0;

		(void)pthread_once(&atfork_once, register_atfork);
		while (got < POOL) {
			ssize_t r = getrandom(pool.b + got, POOL - got, 0);

			if (r > 0)
				got += (size_t)r;
			else if (r < 0 && errno != EINTR)
				break;
		}

		/* no kernel randomness at all: libre's own, one at a time */
		if (got < POOL)
			rand_bytes(pool.b + got, POOL - got);

		pool.pos = 0;
		pool.filled = true;
	}

	memcpy(out, pool.b + pool.pos, n);
	/* a number is handed out once */
	memset(pool.b + pool.pos, 0, n);
	pool.pos += n;
	served++;
}


uint16_t rand_u16(void)
{
	uint16_t v;

	take(&v, sizeof(v));
	return v;
}


uint32_t rand_u32(void)
{
	uint32_t v;

	take(&v, sizeof(v));
	return v;
}


uint64_t rand_u64(void)
{
	uint64_t v;

	take(&v, sizeof(v));
	return v;
}


unsigned long fastrand_served(void)
{
	return served;
}


int fastrand_check(void)
{
	struct sip_msg *msg = NULL;
	struct mbuf *mb;
	unsigned long before = served;
	int err;

	/* libre's decoder takes a rand_u64() for every message */
	mb = mbuf_alloc(128);
	if (!mb)
		return ENOMEM;

	(void)mbuf_write_str(mb, "OPTIONS sip:x SIP/2.0\r\n"
			     "Via: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bKc\r\n"
			     "Content-Length: 0\r\n\r\n");
	mb->pos = 0;
	err = sip_msg_decode(&msg, mb);
	mem_deref(msg);
	mem_deref(mb);
	if (err)
		return err;

	return served > before ? 0 : ENOSYS;
}
