/**
 * @file linkfault.h  Faults on a phone's link: UDP datagrams dropped,
 * duplicated, delayed or reordered, reproducibly.
 *
 * A link is a phone's own UDP socket, by its bound address.  Its send
 * direction is every datagram that socket sends; its receive direction
 * every datagram a socket of this process sends to that address (the
 * in-process registrar's responses and requests).  The datagrams are
 * taken in udp_send() (udphook.h), below libre's transactions: a dropped
 * REGISTER is retransmitted by the phone's stack, a duplicate reaches the
 * registrar's server transaction as a retransmission would.
 *
 * Each datagram of a direction draws its fate from that direction's own
 * PRNG stream, seeded from the scenario's seed and the link's id: three
 * draws each (drop, duplicate, reorder) whatever the rates, so the n-th
 * datagram of a link always meets the same dice.  Delays and the reorder
 * hold run on virtual time (vtimer): vclock_advance() + vtimer_poll()
 * releases what came due.
 *
 * Fates, in order: dropped (nothing else); duplicated (a second copy
 * right behind it); delayed (both copies held delay_ms); reordered (after
 * its delay, held back until the next datagram of the same direction
 * leaves, which thereby overtakes it, or LINKFAULT_HOLD_MS at most).
 *
 * Queued datagrams hold a reference to their socket: forget a socket's
 * (linkfaults_forget_socket) before its owner goes, and mem_deref the set
 * before the phones.  One set at a time per process (the hook is one).
 */

#ifndef SIPCONFORM_LINKFAULT_H
#define SIPCONFORM_LINKFAULT_H

#include <stdbool.h>
#include <stdint.h>

struct sa;

enum {
	LINKFAULT_MILLION = 1000000,  /* rates are per million datagrams */
	LINKFAULT_HOLD_MS = 1000,     /* a reordered datagram waits at most */
};

enum linkfault_dir {
	LINKFAULT_BOTH = 0,
	LINKFAULT_SEND,               /* what the phone sends              */
	LINKFAULT_RECEIVE,            /* what is sent to the phone         */
};

struct linkfault_conf {
	uint32_t drop;                /* per million                       */
	uint32_t duplicate;
	uint32_t reorder;
	uint64_t delay_ms;            /* virtual                           */
	enum linkfault_dir dir;
};

/* what the faults did to a link's datagrams, both directions */
struct linkfault_stats {
	unsigned packets;             /* datagrams under a fault setting   */
	unsigned dropped;
	unsigned duplicated;          /* extra copies sent                 */
	unsigned delayed;
	unsigned reordered;
};

struct linkfault_fate {
	bool drop;
	bool duplicate;
	bool reorder;
};

/* the PRNG state of one direction of link `id` */
uint64_t linkfault_stream(uint64_t seed, uint32_t id, bool receive);
/* the next datagram's fate (pure: the tests use it) */
void     linkfault_decide(uint64_t *state, const struct linkfault_conf *conf,
			  struct linkfault_fate *fate);

struct linkfaults;

/* installs the udp_send hook; EBUSY while another set lives */
int  linkfaults_alloc(struct linkfaults **lfp, uint64_t seed);
/* set (or replace) the faults of the link at addr; its PRNG streams start
 * at the first set and go on across later ones */
int  linkfaults_set(struct linkfaults *lf, const struct sa *addr, uint32_t id,
		    const struct linkfault_conf *conf);
/* no more faults on addr (datagrams already queued go as decided) */
void linkfaults_clear(struct linkfaults *lf, const struct sa *addr);
int  linkfaults_stats(const struct linkfaults *lf, const struct sa *addr,
		      struct linkfault_stats *st);
/* queued datagrams from a socket bound to laddr are lost with it */
void linkfaults_forget_socket(struct linkfaults *lf, const struct sa *laddr);
unsigned linkfaults_queued(const struct linkfaults *lf);

#endif
