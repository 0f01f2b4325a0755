/**
 * @file persist.h  Bindings that survive a restart, kill -9 included.
 *
 * Every committed change is appended to a journal (FILE.journal) with
 * write(2) before the reply leaves, so a killed process loses nothing the
 * phones were told; at start, and when the journal grows, the state is
 * compacted into FILE through FILE.tmp and rename(2), which is atomic.
 * Expiry is kept as wall-clock time, so bindings lapse across a restart as
 * they would have.  No fsync: a process kill is survived, a power cut may
 * not be.
 */

#ifndef SIPCONFORM_PERSIST_H
#define SIPCONFORM_PERSIST_H

struct location;
struct reg_config;
struct persist;

/* load FILE (+ journal) into loc, then keep it up to date */
int persist_open(struct persist **pp, const char *path, struct location *loc,
		 const struct reg_config *cfg);
unsigned persist_loaded(const struct persist *p);  /* bindings restored */
void persist_reset(struct persist *p);              /* state forgotten   */
int  persist_flush(struct persist *p);   /* a graceful stop: the state
					    compacted, the journal empty */

#endif
