/**
 * @file aor.h  Canonical keys for addresses of record and contact URIs
 * (RFC 3261 10.3 step 5 and 19.1.4), so equal URIs find one binding.
 */

#ifndef SIPCONFORM_AOR_H
#define SIPCONFORM_AOR_H

struct uri;
struct pl;

/* "user@host": user unescaped (case kept), host lower-case, no params */
int aor_key(char **keyp, const struct uri *uri);

/*
 * Contact URI key: scheme and host lower-case, user unescaped, the port
 * only when written, and the parameters that 19.1.4 says must match when
 * present (transport, user, ttl, method, maddr), lower-cased and sorted.
 */
int contact_key(char **keyp, const struct uri *uri);

#endif
