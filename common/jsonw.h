/**
 * @file jsonw.h  Writing JSON text with re_printf: string escaping.
 */

#ifndef SIPCONFORM_JSONW_H
#define SIPCONFORM_JSONW_H

#include <stddef.h>

struct re_printf;

/* prints s as a quoted JSON string; NULL prints null */
int jsonw_str(struct re_printf *pf, const char *s);
/* the same for len bytes of p */
int jsonw_strn(struct re_printf *pf, const char *p, size_t len);

#endif
