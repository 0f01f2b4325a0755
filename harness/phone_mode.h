/**
 * @file phone_mode.h  `harness phone`: the reference registrar plays the
 * hosted service for a real phone and judges it by the P-* rules of
 * docs/rules/phone.md, one step of the phone pack
 * (../scenarios/phone/, *.phone files: phone/pack.h) per rule, in real time; the report
 * adds a configuration guide (../reports/guide.h).
 *
 *   harness phone --aor USER@DOMAIN --password PW [--listen IP:PORT]
 *                 [--report DIR] [--auto-answer] [--register-timeout S]
 *                 [--operator-timeout S] [--grant-cap S] [--config FILE]
 *                 [--transport udp|tcp|tls] [--tls-cert F --tls-key F]
 *                 [--tls-pem FILE] [--secure-media] [-v] [PACK...]
 *
 * Exit status: 0 no rule FAILed (WARN, INFO and SKIP allowed), 1 some rule
 * FAILed, 2 bad usage or a bad pack file, 3 the infrastructure failed
 * (address in use, the phone never registered).
 */

#ifndef SIPCONFORM_PHONE_MODE_H
#define SIPCONFORM_PHONE_MODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* `harness phone ...` (argv[0] is "phone") */
int  phone_main(int argc, char *argv[]);

#endif
