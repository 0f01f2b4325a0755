/**
 * @file udphook.c  udp_send() interposed (udphook.h)
 */

#include <re.h>
#include "reshim/real.h"
#include "reshim/udphook.h"

typedef int (udp_send_f)(struct udp_sock *us, const struct sa *dst,
			 struct mbuf *mb);

static udphook_h *hook;
static void *hook_arg;


static udp_send_f *real_send(void)
{
	static void *cache;

	return (udp_send_f *)reshim_real(&cache, "udp_send");
}


void udphook_set(udphook_h *h, void *arg)
{
	hook = h;
	hook_arg = arg;
}


int udphook_send(struct udp_sock *us, const struct sa *dst, struct mbuf *mb)
{
	udp_send_f *real = real_send();

	return real ? real(us, dst, mb) : ENOSYS;
}


int udp_send(struct udp_sock *us, const struct sa *dst, struct mbuf *mb)
{
	int err = 0;

	if (hook && us && dst && mb && hook(&err, us, dst, mb, hook_arg))
		return err;

	return udphook_send(us, dst, mb);
}
