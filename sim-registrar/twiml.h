/**
 * @file twiml.h  The TwiML subset a voice application is written in, the
 * TwiML Bin templates that fill it in, and E.164 normalisation
 * (CALL-OUT-3, CALL-OUT-4).
 *
 * A document is expanded first (templates work on the text, as in a TwiML
 * Bin), then parsed:
 *
 *   <Response>                      the root, required
 *     <Say>text</Say>               answers, speaks for say_seconds
 *     <Play>url</Play>              answers, plays the WAV file config's
 *                                   play maps the URL to
 *     <Gather input="dtmf" numDigits="N" finishOnKey="#" timeout="5"
 *             action="app">         answers, plays what it holds (Say,
 *       <Say>..</Say>               Play, Pause), collects digits; then
 *     </Gather>                     runs application `app` with {{Digits}}
 *                                   (no digits: the next verb)
 *     <Pause length="N"/>           N seconds [1]; before the answer it
 *                                   delays it (the caller hears ringing)
 *     <Dial callerId="+1..." timeout="N">+14155551234</Dial>
 *     <Dial><Number>+1...</Number><Sip>alice@dom</Sip></Dial>
 *                                   every noun rings at once
 *     <Hangup/>                     ends the call (answers it first)
 *     <Reject reason="busy"/>       486, or 603 for reason="rejected" [603]
 *   </Response>
 *
 * Other verbs and nouns are errors; other attributes are ignored.
 *
 * Templates: {{To}} and {{From}} (the user parts of the INVITE's To and
 * From URIs, or the numbers of an outside call), {{Digits}} (in a
 * Gather's action: the digits collected), XML-escaped; any other
 * {{Name}} is empty; {{#e164}}...{{/e164}} normalises what it encloses
 * (twiml_e164).
 */

#ifndef SIPCONFORM_TWIML_H
#define SIPCONFORM_TWIML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { TWIML_MAX_SECONDS = 600, TWIML_MAX_DIGITS = 32 };

enum twiml_verb_kind {
	TWIML_SAY,
	TWIML_PAUSE,
	TWIML_DIAL,
	TWIML_HANGUP,
	TWIML_REJECT,
	TWIML_PLAY,
	TWIML_GATHER,
};

enum twiml_noun_kind {
	TWIML_NUMBER,             /* the outside network (pstn.c)           */
	TWIML_SIP,                /* every binding of an AOR (RING-*)       */
};

struct twiml_noun {
	enum twiml_noun_kind kind;
	char *target;             /* "+14155551234", "alice@example..."     */
};

struct twiml_verb {
	enum twiml_verb_kind kind;
	unsigned line;            /* where it starts in the expanded text   */
	unsigned col;
	char *text;               /* Say; Play's URL                        */
	uint32_t seconds;         /* Pause length; Dial timeout, 0: profile;
				     Gather timeout [5]                     */
	bool busy;                /* Reject reason="busy"                   */
	char *caller_id;          /* Dial callerId, NULL: none given        */
	struct twiml_noun *nounv; /* Dial                                   */
	size_t nounc;
	uint32_t num_digits;      /* Gather: digits that end it; 0: any     */
	char finish_key;          /* Gather: the key that ends it ['#'];
				     '\0': none                             */
	char *action;             /* Gather: the application to run, NULL  */
	struct twiml *nested;     /* Gather: its Say, Play, Pause; or NULL  */
};

struct twiml {
	struct twiml_verb *verbv;
	size_t verbc;
};

/* parse an expanded document; errors say `line:col: what is wrong` */
int  twiml_parse(struct twiml **docp, const char *text, size_t len,
		 char *errbuf, size_t errsz);
const char *twiml_verb_name(enum twiml_verb_kind kind);

struct twiml_vars {
	const char *to;
	const char *from;
	const char *digits;       /* what a <Gather> collected, or NULL     */
};

/*
 * Expand the templates of tmpl into a new string (*outp, a mem object).
 * EINVAL: the template itself is broken (an unclosed {{#e164}}, ...);
 * EDOM: an {{#e164}} section does not hold a phone number.  Either way
 * errbuf says what.
 */
int  twiml_expand(char **outp, const char *tmpl,
		  const struct twiml_vars *vars, char *errbuf, size_t errsz);

/*
 * E.164: `+` and 8 to 15 digits.  Spaces and - . ( ) are dropped first;
 * then `+` and 8-15 digits stay as they are, `00` and 8-15 digits gets
 * `+` instead of `00`, 10 digits are a North American number (country code
 * 1 is put in front: 4155551234 -> +14155551234), 11 digits starting with
 * 1 get a `+`.  Anything else (letters, too few or too many digits) is
 * not convertible: EDOM.  out needs 17 bytes.
 */
int  twiml_e164(char *out, size_t sz, const char *in, size_t len);
bool twiml_is_e164(const char *s);

#endif
