/**
 * @file actions.c  Programmable registrar actions for the phone under
 * test (actions.h).
 */

#include <ctype.h>
#include <string.h>
#include <re.h>
#include "vclock.h"
#include "actions.h"

struct action_entry {
	struct le le;
	uint32_t id;
	struct reg_action a;
	uint32_t used;
};

struct held {
	struct le le;
	struct reg_actions *ra;
	struct sip_msg *msg;
	struct tmr tmr;
	reg_hold_h *resume;
	void *arg;
};

struct reg_actions {
	struct list actl;
	struct list heldl;
	uint32_t next_id;
	reg_action_h *h;
	void *arg;
};


static void entry_destructor(void *data)
{
	struct action_entry *e = data;

	list_unlink(&e->le);
}


static void held_destructor(void *data)
{
	struct held *hd = data;

	tmr_cancel(&hd->tmr);
	list_unlink(&hd->le);
	mem_deref(hd->msg);
}


static void destructor(void *data)
{
	struct reg_actions *ra = data;

	list_flush(&ra->actl);
	list_flush(&ra->heldl);
}


int reg_actions_alloc(struct reg_actions **rap)
{
	struct reg_actions *ra;

	if (!rap)
		return EINVAL;

	ra = mem_zalloc(sizeof(*ra), destructor);
	if (!ra)
		return ENOMEM;

	list_init(&ra->actl);
	list_init(&ra->heldl);
	ra->next_id = 1;
	*rap = ra;

	return 0;
}


const char *reg_action_type_name(enum reg_action_type t)
{
	switch (t) {

	case REG_ACTION_GRANT: return "grant";
	case REG_ACTION_REPLY: return "reply";
	case REG_ACTION_STALE: return "stale";
	case REG_ACTION_HOLD:  return "hold";
	default:               return "?";
	}
}


int reg_actions_add(struct reg_actions *ra, const struct reg_action *a,
		    uint32_t *idp)
{
	struct action_entry *e;

	if (!ra || !a)
		return EINVAL;

	e = mem_zalloc(sizeof(*e), entry_destructor);
	if (!e)
		return ENOMEM;

	e->a = *a;
	e->a.aor[sizeof(e->a.aor) - 1] = '\0';
	for (char *p = e->a.aor; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	e->id = ra->next_id++;
	list_append(&ra->actl, &e->le, e);

	if (idp)
		*idp = e->id;

	return 0;
}


int reg_actions_remove(struct reg_actions *ra, uint32_t id)
{
	if (!ra)
		return EINVAL;

	for (struct le *le = ra->actl.head; le; le = le->next) {
		struct action_entry *e = le->data;

		if (e->id == id) {
			mem_deref(e);
			return 0;
		}
	}

	return ENOENT;
}


void reg_actions_clear(struct reg_actions *ra)
{
	if (!ra)
		return;

	list_flush(&ra->actl);
	list_flush(&ra->heldl);
}


unsigned reg_actions_count(const struct reg_actions *ra)
{
	return ra ? list_count(&ra->actl) : 0;
}


void reg_actions_set_handler(struct reg_actions *ra, reg_action_h *h,
			     void *arg)
{
	if (!ra)
		return;

	ra->h = h;
	ra->arg = arg;
}


static bool live_for(const struct action_entry *e, const char *aor,
		     uint64_t now)
{
	if (e->a.until_ms && now >= e->a.until_ms)
		return false;
	if (e->a.count && e->used >= e->a.count)
		return false;
	if (e->a.aor[0] && (!aor || strcasecmp(e->a.aor, aor)))
		return false;

	return true;
}


/* drop the actions whose deadline passed */
static void expire(struct reg_actions *ra, uint64_t now)
{
	struct le *le = ra->actl.head;

	while (le) {
		struct action_entry *e = le->data;

		le = le->next;
		if (e->a.until_ms && now >= e->a.until_ms)
			mem_deref(e);
	}
}


static struct action_entry *entry_of(struct reg_actions *ra,
				     const struct reg_action *a)
{
	for (struct le *le = ra->actl.head; le; le = le->next) {
		struct action_entry *e = le->data;

		if (&e->a == a)
			return e;
	}

	return NULL;
}


const struct reg_action *reg_actions_find(struct reg_actions *ra,
					  enum reg_action_type type,
					  const char *aor)
{
	uint64_t now = vclock_now();

	if (!ra)
		return NULL;

	expire(ra, now);

	for (struct le *le = ra->actl.head; le; le = le->next) {
		struct action_entry *e = le->data;

		if (e->a.type == type && live_for(e, aor, now))
			return &e->a;
	}

	return NULL;
}


static void use(struct reg_actions *ra, struct action_entry *e,
		const struct sip_msg *msg, uint32_t value)
{
	struct reg_action_use u;
	bool done;

	e->used++;
	done = e->a.count && e->used >= e->a.count;

	memset(&u, 0, sizeof(u));
	u.id = e->id;
	u.act = &e->a;
	u.msg = msg;
	u.value = value;
	u.done = done;

	/* the handler sees the action before a used-up one goes */
	mem_ref(e);
	if (ra->h)
		ra->h(&u, ra->arg);
	if (done)
		list_unlink(&e->le);
	mem_deref(e);
	if (done)
		mem_deref(e);
}


void reg_actions_used(struct reg_actions *ra, const struct reg_action *a,
		      const struct sip_msg *msg, uint32_t value)
{
	struct action_entry *e;

	if (!ra || !a)
		return;

	e = entry_of(ra, a);
	if (e)
		use(ra, e, msg, value);
}


uint32_t reg_actions_grant(struct reg_actions *ra, const char *aor)
{
	uint64_t now = vclock_now();
	uint32_t cap = UINT32_MAX;

	if (!ra)
		return cap;

	expire(ra, now);

	for (struct le *le = ra->actl.head; le; le = le->next) {
		struct action_entry *e = le->data;

		if (e->a.type == REG_ACTION_GRANT && live_for(e, aor, now) &&
		    e->a.value < cap)
			cap = e->a.value;
	}

	return cap;
}


void reg_actions_grant_used(struct reg_actions *ra, const char *aor,
			    const struct sip_msg *msg, uint32_t got)
{
	uint64_t now = vclock_now();
	struct le *le;

	if (!ra)
		return;

	le = ra->actl.head;
	while (le) {
		struct action_entry *e = le->data;

		le = le->next;
		if (e->a.type == REG_ACTION_GRANT && live_for(e, aor, now))
			use(ra, e, msg, got);
	}
}


/* ------------------------------------------------------------- hold */

static bool same_request(const struct sip_msg *a, const struct sip_msg *b)
{
	return a->cseq.num == b->cseq.num && !pl_cmp(&a->callid, &b->callid)
		&& !pl_cmp(&a->via.branch, &b->via.branch);
}


static void hold_timeout(void *arg)
{
	struct held *hd = arg;

	list_unlink(&hd->le);
	if (hd->resume)
		hd->resume(hd->msg, hd->arg);
	mem_deref(hd);
}


bool reg_actions_hold(struct reg_actions *ra, const struct sip_msg *msg,
		      const char *aor, reg_hold_h *resume, void *arg)
{
	const struct reg_action *a;
	struct held *hd;

	if (!ra || !msg)
		return false;

	for (struct le *le = ra->heldl.head; le; le = le->next) {
		hd = le->data;
		if (same_request(hd->msg, msg))
			return true;      /* a retransmission: swallowed */
	}

	if (!sip_msg_hdr(msg, SIP_HDR_PROXY_AUTHORIZATION) &&
	    !sip_msg_hdr(msg, SIP_HDR_AUTHORIZATION))
		return false;

	a = reg_actions_find(ra, REG_ACTION_HOLD, aor);
	if (!a)
		return false;

	hd = mem_zalloc(sizeof(*hd), held_destructor);
	if (!hd)
		return false;

	hd->ra = ra;
	hd->msg = mem_ref((void *)msg);
	hd->resume = resume;
	hd->arg = arg;
	tmr_init(&hd->tmr);
	list_append(&ra->heldl, &hd->le, hd);
	tmr_start(&hd->tmr, a->value, hold_timeout, hd);

	reg_actions_used(ra, a, msg, a->value);

	return true;
}
