/**
 * @file datadir.h  Where the harness finds its packs (scenarios, the phone
 * pack): an installed copy (PREFIX/bin/harness) reads
 * PREFIX/share/sipconform; a build in a clone reads the clone's root.
 */

#ifndef SIPCONFORM_DATADIR_H
#define SIPCONFORM_DATADIR_H

#include <stddef.h>

/*
 * The data folder, first that exists of: $SIPCONFORM_DATADIR;
 * <the executable's folder>/../share/sipconform; the clone the executable
 * was built in (<its folder>/..); "." .  Never NULL (static storage).
 */
const char *datadir(void);

/* rel under the data folder ("scenarios/phone") into buf: 0 or ENAMETOOLONG */
int datadir_path(char *buf, size_t sz, const char *rel);

#endif
