/**
 * @file textfile.c  Read a whole file (textfile.h)
 */

#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <re.h>
#include "textfile.h"

enum { CHUNK = 65536 };


int textfile_read(char **textp, size_t *lenp, const char *path, size_t max)
{
	char *text = NULL;
	size_t len = 0, cap = 0;
	struct stat st;
	int err = 0;
	FILE *f;

	if (!textp || !lenp || !path)
		return EINVAL;

	f = fopen(path, "rb");
	if (!f)
		return errno ? errno : EIO;

	if (fstat(fileno(f), &st)) {
		err = errno;
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		err = EISDIR;
		goto out;
	}

	for (;;) {
		size_t n;

		/* room for the NUL, always */
		if (cap - len < 2) {
			char *t;

			if (cap > max) {
				err = EFBIG;
				goto out;
			}

			/* libre 1.1.0's mem_realloc(NULL, n) returns NULL */
			t = text ? mem_realloc(text, cap + CHUNK) :
				mem_alloc(CHUNK, NULL);
			if (!t) {
				err = ENOMEM;
				goto out;
			}
			text = t;
			cap += CHUNK;
		}

		n = fread(text + len, 1, cap - len - 1, f);
		if (n == 0)
			break;
		len += n;
	}

	if (ferror(f))
		err = EIO;
	else if (len > max)
		err = EFBIG;

 out:
	fclose(f);

	if (err) {
		mem_deref(text);
		return err;
	}

	if (!text) {
		text = mem_alloc(1, NULL);
		if (!text)
			return ENOMEM;
	}

	text[len] = '\0';
	*textp = text;
	*lenp = len;

	return 0;
}
