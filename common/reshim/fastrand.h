/**
 * @file fastrand.h  libre's rand_u16/rand_u32/rand_u64 from a buffer.
 *
 * libre 1.1.0 on Debian asks OpenSSL's RAND_bytes for every rand_u64():
 * one per SIP message it decodes (the To-tag it may need), one per tag,
 * branch and Call-ID.  Under a registration load that was 11 % of the
 * registrar's CPU (bench/results.md, perf).  fastrand.c defines the three
 * in the program (interposing libre's, as tmrheap.c does for timers) and
 * serves them from a per-thread 4 KB buffer filled by getrandom(2): the
 * same kernel CSPRNG, one call per 512 numbers.  rand_bytes() and
 * rand_str() stay libre's.  The object is linked into a program that
 * references a symbol of it: call fastrand_check() at start-up.
 */

#ifndef SIPCONFORM_FASTRAND_H
#define SIPCONFORM_FASTRAND_H

/* 0 when libre's calls reach this file's rand_u64; else ENOSYS */
int fastrand_check(void);

/* numbers handed out since the start (the contract test) */
unsigned long fastrand_served(void);

#endif
