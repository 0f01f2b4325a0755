/**
 * @file control.h  The control API: HTTP+JSON on loopback, for the harness
 * and for people.  See the README for the calls.
 */

#ifndef SIPCONFORM_CONTROL_H
#define SIPCONFORM_CONTROL_H

struct sa;
struct sim_registrar;
struct control;

/* token: NULL on loopback; required on any other address */
int control_alloc(struct control **ctlp, struct sim_registrar *sr,
		  const struct sa *laddr, const char *token);
int control_laddr(const struct control *ctl, struct sa *laddr);

#endif
