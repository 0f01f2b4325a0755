/**
 * @file udp_batch.c  Several datagrams per wake-up (see udp_batch.h)
 */

#include <errno.h>
#include <re.h>
#include "reshim/real.h"
#include "reshim/udp_batch.h"

enum { CAPTURE_MAX = 4 };

/* one socket whose reads are batched */
struct batch {
	struct le le;
	int fd;
	int flags;
	fd_h *fh;                 /* libre's handler; NULL once removed  */
	void *arg;
};

typedef int (fd_listen_f)(int fd, int flags, fd_h *fh, void *arg);
typedef void (re_cancel_f)(void);

static struct list batches;
static bool capturing;
static struct {
	int fd;
	int flags;
	fd_h *fh;
	void *arg;
} captured[CAPTURE_MAX];
static unsigned capturedc;
static unsigned long extra_reads;
static bool running;
static bool cancelled;        /* re_cancel() during this batch          */
static udp_batch_end_h *end_h;
static void *end_arg;


static fd_listen_f *real_fd_listen(void)
{
	static void *cache;

	return (fd_listen_f *)reshim_real(&cache, "fd_listen");
}


static struct batch *batch_find(int fd)
{
	for (struct le *le = batches.head; le; le = le->next) {
		struct batch *b = le->data;

		if (b->fd == fd)
			return b;
	}

	return NULL;
}


static void batch_handler(int flags, void *arg)
{
	struct batch *b = mem_ref(arg);
	const bool outer = !running;

	running = true;
	cancelled = false;
	for (unsigned i = 0; i < UDP_BATCH_MAX && b->fh && !cancelled; i++) {
		/* libre's udp read returns quietly on an empty queue, with
		 * recvfrom()'s EAGAIN in errno: that ends the batch (any
		 * other errno left by the request's handling ends it early,
		 * which only costs the next epoll_wait) */
		errno = 0;
		b->fh(flags, b->arg);
		if (errno == EAGAIN || errno == EWOULDBLOCK || !(flags & FD_READ))
			break;
		if (i)
			extra_reads++;
	}

	if (outer) {
		running = false;
		if (end_h)
			end_h(end_arg);
	}

	mem_deref(b);
}


void udp_batch_end_handler(udp_batch_end_h *h, void *arg)
{
	end_h = h;
	end_arg = arg;
}


bool udp_batch_running(void)
{
	return running;
}


int fd_listen(int fd, int flags, fd_h *fh, void *arg)
{
	fd_listen_f *real = real_fd_listen();
	struct batch *b;

	if (!real)
		return ENOSYS;

	if (capturing && flags && fh != batch_handler &&
	    capturedc < CAPTURE_MAX) {
		captured[capturedc].fd = fd;
		captured[capturedc].flags = flags;
		captured[capturedc].fh = fh;
		captured[capturedc].arg = arg;
		capturedc++;
	}

	b = fh == batch_handler ? NULL : batch_find(fd);
	if (b) {
		if (!flags || !fh) {
			/* fd_close(): the socket goes, and the batch with it */
			b->fh = NULL;
			list_unlink(&b->le);
			mem_deref(b);
			return real(fd, flags, fh, arg);
		}

		b->flags = flags;
		b->fh = fh;
		b->arg = arg;
		return real(fd, flags, batch_handler, b);
	}

	return real(fd, flags, fh, arg);
}


/* libre's loop stops between two handlers when asked to (the harness
 * waits that way for a datagram's effect): so does a batch */
void re_cancel(void)
{
	static void *cache;
	re_cancel_f *real = (re_cancel_f *)reshim_real(&cache, "re_cancel");

	cancelled = true;

	if (real)
		real();
}


void udp_batch_capture(bool on)
{
	capturing = on;
	if (on)
		capturedc = 0;
}


int udp_batch_attach(void)
{
	fd_listen_f *real = real_fd_listen();
	int err = 0;

	if (!real)
		return ENOSYS;

	for (unsigned i = 0; i < capturedc; i++) {
		struct batch *b;

		if (batch_find(captured[i].fd))
			continue;

		b = mem_zalloc(sizeof(*b), NULL);
		if (!b)
			return ENOMEM;

		b->fd = captured[i].fd;
		b->flags = captured[i].flags;
		b->fh = captured[i].fh;
		b->arg = captured[i].arg;
		list_append(&batches, &b->le, b);

		err = real(b->fd, b->flags, batch_handler, b);
		if (err)
			break;
	}

	capturedc = 0;

	return err;
}


unsigned long udp_batch_extra_reads(void)
{
	return extra_reads;
}


unsigned udp_batch_sockets(void)
{
	return list_count(&batches);
}
