/**
 * @file tmrheap.h  libre's timers on a binary min-heap instead of a list.
 *
 * libre 1.1.0 keeps every running `struct tmr` of a thread in one sorted
 * linked list, so tmr_start() costs O(n): with tens of thousands of SIP
 * transactions alive, most of the CPU went into that list walk.
 *
 * tmrheap.c defines tmr_start, tmr_cancel, tmr_init, tmr_poll,
 * tmr_next_timeout, tmr_get_expire, tmr_status and tmr_debug in the
 * program.  An executable's definitions interpose a shared library's
 * exported symbols for the whole process, and libre.so calls all of these
 * through its PLT (checked with objdump: no direct internal call), so
 * libre's own SIP stack, re_main() included, uses the heap too.  There is
 * no API to call: linking this object is what switches the implementation.
 * It sits in libsipconform.a, so the linker takes it only for a program
 * whose own objects reference one of its symbols (tmr_start, tmr_cancel,
 * tmr_init, ..., or tmrheap_*); a program that references none keeps
 * libre's list for everything, which is slow but consistent.  Calling
 * tmrheap_check() at start-up both pulls it in and verifies it.
 * tmr_jiffies() stays libre's, or the program's if it defines one; a
 * heap's own clock is tmr_jiffies() plus what tmrheap_advance() added.
 *
 * Semantics are libre's: a timer fires once, at or after its due time;
 * timers due at the same millisecond fire in the order they were started;
 * tmr_poll() takes the current time once and fires the due timers one at a
 * time, earliest first, so a handler may start, restart or cancel any
 * timer, itself included, and a due timer cancelled by an earlier handler
 * of the same poll does not fire.  `tmr->th` is non-NULL exactly while the
 * timer runs (tmr_isrunning()); it is NULL inside its own handler.  Start
 * and cancel are O(log n).  A running timer's `le.data` holds its heap
 * position (le.list, le.prev and le.next stay NULL, so list_unlink() on it
 * is harmless); zeroed memory or tmr_init() gives a stopped timer.
 *
 * Threads: one heap per libre timer list, i.e. per thread that runs its own
 * re_main (re_thread_init), looked up by tmrl_get() exactly as libre does;
 * a thread between re_thread_enter() and re_thread_leave() uses the main
 * thread's heap.  As in libre a timer belongs to the thread that started
 * it and is touched only from there.  sipconform itself is single-threaded
 * (one re_main thread), which is the tested case.
 *
 * If libre ever put a timer into its own list (an internal call that
 * bypassed this file), the loop would hang silently; tmr_poll() checks the
 * list and aborts with a message instead.
 */

#ifndef SIPCONFORM_TMRHEAP_H
#define SIPCONFORM_TMRHEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* running timers in the calling thread's heap */
size_t   tmrheap_count(void);

/* timers inserted into the calling thread's heap since the start */
uint64_t tmrheap_inserts(void);

/*
 * The calling thread's timers as if ms more had passed: each fires ms
 * sooner, those due within ms at the next poll, in due order.  The
 * harness's `advance` step does this, so that libre's own timers
 * (transaction timeouts, Timer K lingering after a response) keep up with
 * the virtual clock.
 */
void     tmrheap_advance(uint64_t ms);

/* heap order and every position in le.data consistent (for tests) */
bool     tmrheap_verify(void);

/*
 * 0 when the process resolves tmr_start & co. to this file (what libre.so's
 * PLT calls) and libre's own timer list of this thread is empty; otherwise
 * an errno value (ENOENT: libre's symbols win, EPROTO: libre's list used).
 */
int      tmrheap_check(void);

#endif
