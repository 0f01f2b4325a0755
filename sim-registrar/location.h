/**
 * @file location.h  The location service: bindings of addresses of record,
 * their expiry on the virtual clock, and the counts the limits need.
 *
 * Expired bindings are dropped lazily (location_purge) in expiry order, so
 * no timer is armed per binding.  Changes are planned first and applied
 * only when the whole request is acceptable (all-or-nothing, R-REG-14).
 */

#ifndef SIPCONFORM_LOCATION_H
#define SIPCONFORM_LOCATION_H

#include <stdbool.h>
#include <stdint.h>

struct sa;
struct pl;

struct binding {
	const char *aor;          /* "user@host" key                     */
	const char *uri;          /* contact URI as the phone wrote it   */
	const char *key;          /* canonical (aor.h contact_key)       */
	const char *callid;
	uint32_t cseq;
	uint32_t granted;         /* seconds granted at the last update  */
	uint64_t expires_at;      /* vclock ms                           */
	uint64_t updated_at;      /* vclock ms                           */
	const char *transport;    /* "UDP", "TCP", "TLS"                 */
	const char *source;       /* "IP:port" the REGISTER came from    */
	const char *user_agent;   /* may be NULL                         */
};

struct location;

typedef bool (location_binding_h)(const struct binding *b, uint32_t domain,
				  void *arg);

/* a binding set or removed by a commit (not by expiry) */
typedef void (location_change_h)(const struct binding *b, uint32_t domain,
				 bool removed, void *arg);

int  location_alloc(struct location **locp, uint32_t domainc);
void location_reset(struct location *loc);
void location_purge(struct location *loc);          /* drop expired ones */

uint32_t location_count_domain(struct location *loc, uint32_t domain);
uint32_t location_count_account(struct location *loc);
uint32_t location_count_aor(struct location *loc, const char *aor);
uint32_t location_aor_records(const struct location *loc);

/* visit bindings (all; of a domain if domain != UINT32_MAX; of an AOR) */
void location_apply(struct location *loc, uint32_t domain, const char *aor,
		    location_binding_h *h, void *arg);
const struct binding *location_find(struct location *loc, const char *aor,
				    const char *key);

/*
 * Rate window: records one REGISTER for the AOR at now and returns true
 * when `limit` or more were already recorded within the last window_ms.
 * Refused requests are not recorded.
 */
bool location_rate_exceeded(struct location *loc, const char *aor,
			    uint32_t domain, uint32_t limit,
			    uint64_t window_ms);

/*
 * true when the AOR's last limit counted requests all fall within the
 * window (the next one would be refused); counts nothing, makes no record.
 * Failed digest attempts of other methods are counted with
 * location_rate_exceeded() (REG-LIM-RATE: failed attempts count).
 */
bool location_rate_full(struct location *loc, const char *aor,
			uint32_t limit, uint64_t window_ms);

/* a planned change of one binding, validated before anything is applied */
struct binding_change {
	const char *uri;
	const char *key;
	uint32_t expires;         /* 0: remove                            */
};

struct binding_update {
	const char *aor;
	uint32_t domain;
	const char *callid;
	uint32_t cseq;
	const char *transport;
	const char *source;
	const char *user_agent;
	bool remove_all;          /* Contact: * with Expires: 0           */
	const struct binding_change *changev;
	uint32_t changec;
};

/* what applying the update would give, without changing anything */
struct update_effect {
	uint32_t aor_after;       /* bindings of the AOR afterwards       */
	uint32_t added;           /* new bindings                         */
	uint32_t removed;         /* bindings removed                     */
	bool out_of_order;        /* same Call-ID and CSeq not above      */
	const char *ooo_uri;      /* the contact that was out of order    */
};

int location_plan(struct location *loc, const struct binding_update *upd,
		  struct update_effect *eff);
int location_commit(struct location *loc, const struct binding_update *upd);

void location_set_change_handler(struct location *loc, location_change_h *h,
				 void *arg);
/* put back a binding saved earlier (its expires_at on this clock); one
 * that has lapsed is left out */
int  location_restore(struct location *loc, const struct binding *b,
		      uint32_t domain);

#endif
