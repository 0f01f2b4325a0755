/**
 * @file codecs.h  The codecs an SDP body offers, by name, for the report
 * and the configuration guide: "PCMU/8000 PCMA/8000 telephone-event/8000";
 * and its media security (P-SRTP): the transport and the a=crypto suites.
 */

#ifndef SIPCONFORM_PHONE_CODECS_H
#define SIPCONFORM_PHONE_CODECS_H

#include <stddef.h>

/*
 * The m=audio line's payload types in its order, each named by its
 * a=rtpmap or, for a static one without (RFC 3551 table 4: 0 PCMU, 8
 * PCMA, ...), by the table's name; "payload type N" for another; "" when
 * the body has no m=audio line.
 */
void codecs_of_sdp(char *buf, size_t sz, const char *sdp, size_t n);

/*
 * The m=audio line's transport ("RTP/AVP", "RTP/SAVP"; "" without one)
 * into proto, and the suites of its a=crypto lines (RFC 4568) in their
 * order into crypto: "AES_CM_128_HMAC_SHA1_80 AES_CM_128_HMAC_SHA1_32";
 * "" when it has none.
 */
void sdp_sec_of(char *proto, size_t psz, char *crypto, size_t csz,
		const char *sdp, size_t n);

#endif
