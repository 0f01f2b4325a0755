/**
 * @file sc_media.h  The scenario keys of media (issue 13): a phone's
 * `media:` (its tone and misbehaviours, struct phone_media_conf) and the
 * `media:` an expect checks (a phone's figures per direction).  The keys
 * are rows: the phone's here, the expect's in the step table
 * (steps/expect.c); the language is in scenarios/README.md (Media).
 */

#ifndef SIPCONFORM_SC_MEDIA_H
#define SIPCONFORM_SC_MEDIA_H

#include <stdbool.h>
#include <stdint.h>
#include "sc_faults.h"

struct loader;
struct ynode;
struct phone_media_conf;
struct phone_media_figs;

/* expect: {media: {phone: P, rx: {...}, tx: {...}, one_way: B, hold: B}} */
struct sc_media_dir {
	struct sc_count packets;
	struct sc_count lost;
	struct sc_count first_ms;      /* first packet after the start     */
	struct sc_count jitter_ms;
	struct sc_count pt_unexpected; /* rx: another payload type         */
	struct sc_count rtcp;          /* reports received / sent          */
	struct sc_count srtp_fail;     /* rx: dropped, SRTP auth failed    */
	int64_t tone;                  /* Hz heard (rx) / sent (tx); -1: not
					  checked; 0: none                 */
	char *digits;                  /* DTMF, any way; NULL: not checked */
	char *digits_4733;             /* rx: by RFC 4733 events           */
	char *digits_inband;           /* rx: in-band tones                */
	char *digits_info;             /* by SIP INFO                      */
	int src_mismatch;              /* rx: -1 not checked, 0/1 (NAT)    */
};

struct sc_media_check {
	char *phone;                   /* NULL: the expect's phones        */
	struct sc_media_dir rx, tx;
	int one_way;                   /* -1: not checked                  */
	int srtp;                      /* -1: not checked; 0/1: SRTP       */
	int hold;
};

/* a phone's `media:` mapping into conf (strings owned by the scenario) */
int  sc_media_conf(struct loader *ld, const struct ynode *map,
		   struct phone_media_conf *conf);
void sc_media_conf_free(struct phone_media_conf *conf);
void sc_media_conf_ref(struct phone_media_conf *conf);

/* an expect's `media:` mapping */
int  sc_media_check(struct loader *ld, const struct ynode *map,
		    struct sc_media_check *chk);
void sc_media_check_free(struct sc_media_check *chk);

/* the figures against the check: 0, or EPROTO with why in buf */
int  sc_media_judge(const struct sc_media_check *chk,
		    const struct phone_media_figs *f, char *buf, size_t sz);

#endif
