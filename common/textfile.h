/**
 * @file textfile.h  A whole file read into memory, NUL-terminated, for the
 * loaders (YAML configs and scenarios), with a size cap.
 */

#ifndef SIPCONFORM_TEXTFILE_H
#define SIPCONFORM_TEXTFILE_H

#include <stddef.h>

/*
 * *textp: a mem string of *lenp bytes plus a NUL.  Returns 0, or errno:
 * ENOENT/EACCES... (open), EISDIR, EFBIG (over max bytes), ENOMEM, EIO.
 */
int textfile_read(char **textp, size_t *lenp, const char *path, size_t max);

#endif
