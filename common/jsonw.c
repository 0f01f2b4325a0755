/**
 * @file jsonw.c  JSON string escaping
 */

#include <string.h>
#include <re.h>
#include "jsonw.h"


int jsonw_strn(struct re_printf *pf, const char *p, size_t len)
{
	int err;

	if (!p)
		return re_hprintf(pf, "null");

	err = re_hprintf(pf, "\"");

	for (size_t i = 0; i < len && !err; i++) {
		unsigned char c = (unsigned char)p[i];

		switch (c) {

		case '"':  err = re_hprintf(pf, "\\\""); break;
		case '\\': err = re_hprintf(pf, "\\\\"); break;
		case '\n': err = re_hprintf(pf, "\\n");  break;
		case '\r': err = re_hprintf(pf, "\\r");  break;
		case '\t': err = re_hprintf(pf, "\\t");  break;

		default:
			if (c < 0x20 || c == 0x7f)
				err = re_hprintf(pf, "\\u%04x", c);
			else
				err = re_hprintf(pf, "%c", c);
			break;
		}
	}

	return err ? err : re_hprintf(pf, "\"");
}


int jsonw_str(struct re_printf *pf, const char *s)
{
	return jsonw_strn(pf, s, s ? strlen(s) : 0);
}
