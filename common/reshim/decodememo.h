/**
 * @file decodememo.h  libre's uri_decode() and msg_param_decode(),
 * remembered by the bytes they are given.
 *
 * Both are pure functions of their input (and msg_param_decode of the
 * parameter's name): every field they return is a span of the input, plus
 * a port and an address family read from it.  libre 1.1.0 computes them
 * with re_regex() (2 to 4 patterns a URI, one a parameter), and a SIP
 * message carries the same URIs again and again: a phone's AOR in From and
 * To of every request and response, the registrar's domain in every
 * Request-URI.  decodememo.c defines both symbols for the process (libre
 * calls them through its PLT from sip_addr_decode(), sip_via_decode() and
 * its transactions), keeps each successful result in a direct-mapped
 * table keyed by the input bytes, and answers an identical input with the
 * same spans laid over the new bytes: exactly what libre would return,
 * without its regexes.  A failure is never kept.  Single thread (the
 * re_main thread), like libre's decoders' callers in sipconform.
 */

#ifndef SIPCONFORM_RESHIM_DECODEMEMO_H
#define SIPCONFORM_RESHIM_DECODEMEMO_H

#include <stdint.h>

struct decodememo_stats {
	uint64_t uri_hits, uri_misses;
	uint64_t param_hits, param_misses;
};

void decodememo_stats(struct decodememo_stats *st);
void decodememo_flush(void);   /* forget everything (tests, leak checks) */

#endif
