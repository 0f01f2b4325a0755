/**
 * @file udp_batch.h  Several datagrams per wake-up on the registrar's UDP
 * sockets.
 *
 * libre 1.1.0 reads one datagram per readiness event, so under load every
 * request costs an epoll_wait() besides its recvfrom() and sendto().  For
 * a socket attached here, the event handler libre registered is called
 * again while datagrams keep coming, up to UDP_BATCH_MAX per event: the
 * queue is drained with one recvfrom() more (the one that finds it empty)
 * instead of one epoll_wait() per datagram.  libre's fd_listen() is
 * interposed (as tmrheap.c does for timers) to learn that handler, and
 * re_cancel() to end a batch where libre's loop would stop: a program
 * waiting for one datagram's effect sees it before the next is read.
 *
 * Use: udp_batch_capture(true) before udp_listen(), then
 * udp_batch_capture(false) and udp_batch_attach() after it.
 */

#ifndef SIPCONFORM_UDP_BATCH_H
#define SIPCONFORM_UDP_BATCH_H

#include <stdbool.h>

enum { UDP_BATCH_MAX = 16 };

void udp_batch_capture(bool on);
int  udp_batch_attach(void);

/*
 * Called once after each batch (one per process: the last set wins; NULL
 * clears): what the batch's requests logged can be written out at once.
 */
typedef void (udp_batch_end_h)(void *arg);
void udp_batch_end_handler(udp_batch_end_h *h, void *arg);
bool udp_batch_running(void);

/* datagram reads that found more waiting, since the start (tests) */
unsigned long udp_batch_extra_reads(void);

/* sockets whose reads are batched now (the contract test) */
unsigned udp_batch_sockets(void);

#endif
