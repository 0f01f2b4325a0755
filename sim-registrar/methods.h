/**
 * @file methods.h  Requests other than REGISTER: OPTIONS, methods the
 * service refuses (METH-*), REFER outside a dialog (REFER-2).
 */

#ifndef SIPCONFORM_METHODS_H
#define SIPCONFORM_METHODS_H

#include <stdbool.h>

struct registrar;
struct reg_config;
struct sip_msg;

bool methods_handle(struct registrar *r, const struct reg_config *cfg,
		    const struct sip_msg *msg);

#endif
