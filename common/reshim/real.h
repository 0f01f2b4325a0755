/**
 * @file real.h  How an override in common/reshim/ reaches libre's own
 * definition of the symbol it replaces.
 */

#ifndef SIPCONFORM_RESHIM_REAL_H
#define SIPCONFORM_RESHIM_REAL_H

#include <dlfcn.h>

/* the next definition of name after the program's, i.e. libre.so's (looked
 * up once into *cache); NULL when there is none */
static inline void *reshim_real(void **cache, const char *name)
{
	if (!*cache)
		*cache = dlsym(RTLD_NEXT, name);

	return *cache;
}

#endif
