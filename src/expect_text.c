/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Whether an expected value is one a pluto line gives (expect_text.h).
 *
 * The table below is the whole list of values pluto spells otherwise than
 * the event does; an expected value neither copied from the text nor
 * listed here is refused, so that an expectation cannot state what the
 * line does not say. fixtures/golden/README.md repeats the table: change
 * both together.
 */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "event.h"
#include "expect_text.h"

#define WORDS_MAX 13

struct spelling {
	enum field field;
	const char *value;
	const char *words[WORDS_MAX]; /* any one of them in the text gives the value */
};

static const struct spelling spellings[] = {
    /* auth_method is normalised (libreswan.yaml's header). */
    {F_AUTH_METHOD, "psk", {"authby=secret", "shared-key-mac", "PRESHARED_KEY", "PSK"}},
    {F_AUTH_METHOD, "rsasig", {"authby=rsasig", "RSASSA-PSS", "RSA", "digital-signature"}},
    {F_AUTH_METHOD, "ecdsa", {"ECDSA", "ecdsa"}},
    {F_AUTH_METHOD, "eddsa", {"EDDSA", "EdDSA", "eddsa"}},
    {F_AUTH_METHOD, "null", {"authby=null", "ID_NULL"}},
    {F_AUTH_METHOD, "eap", {"EAP"}},
    {F_AUTH_METHOD, "xauth", {"XAUTH"}},
    {F_AUTH_METHOD, "session-resume", {"resum"}},
    /* IKEv1 exchanges are written in words. */
    {F_EXCHANGE, "MAIN_MODE", {"Main Mode", "STATE_MAIN", "MAIN_"}},
    {F_EXCHANGE, "AGGRESSIVE_MODE", {"Aggressive Mode", "STATE_AGGR", "AGGR_"}},
    {F_EXCHANGE, "QUICK_MODE", {"Quick Mode", "STATE_QUICK", "QUICK_"}},
    /* The version follows from the protocol's words. */
    {F_IKE_VERSION,
     "1",
     {"IKEv1", "Main Mode", "Quick Mode", "Aggressive Mode", "ISAKMP", "XAUTH", "MAIN_", "QUICK_"}},
    {F_IKE_VERSION,
     "2",
     {"IKEv2", "IKE_SA_INIT", "IKE_AUTH", "CREATE_CHILD_SA", "Child SA", "STATE_V2",
      "INFORMATIONAL"}},
    /*
     * The end follows from who sends or receives which half of an exchange;
     * 3.x names it in the state: STATE_MAIN_I4, STATE_PARENT_R1, ...
     */
    {F_ROLE,
     "initiator",
     {"initiator", "initiating", "request to", "response from", "sent IKE_AUTH request",
      "Mode request", "Main Mode I", "MAIN_I", "AGGR_I", "QUICK_I", "PARENT_I", "IPSEC_I"}},
    {F_ROLE,
     "responder",
     {"responder", "responding", "reply", "response to", "request from", "retransmitting response",
      "Main Mode R", "peer proposed", "MAIN_R", "AGGR_R", "QUICK_R", "PARENT_R", "IPSEC_R"}},
    /* Notifications a rule names for pluto's own words. */
    {F_ERROR_CODE, "AUTHENTICATION_FAILED", {"authentication failed", "Signature check"}},
    {F_ERROR_CODE, "TS_UNACCEPTABLE", {"Traffic Selectors"}},
    {F_ERROR_CODE, "REDIRECT", {"redirect"}},
    /* ESPinUDP / ESPinTCP and a NAT-T port say how ESP is carried. */
    {F_ENCAPSULATION, "udp", {"inUDP", "UDP/4500", ":4500"}},
    {F_ENCAPSULATION, "tcp", {"inTCP", "TCP/"}},
    /* Whether a delete was announced to the peer, in pluto's words. */
    {F_DELETE_NOTIFY, "sent", {"and sending notification"}},
    {F_DELETE_NOTIFY, "none", {"NOT sending notification"}},
};

static const enum field exempt[] = {
    F_EVENT_TYPE, F_RESULT, F_SEVERITY, F_RULE, F_SCHEMA_VERSION, F_PHASE,
};

int expect_text_exempt(const char *field)
{
	int f = field_lookup(field, strlen(field));

	if (f < 0)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(exempt) / sizeof(exempt[0]); i++)
		if ((int)exempt[i] == f)
			return 1;
	return field_table[f].type == FT_BOOL;
}

/*
 * A traffic selector "a/n" (or a list "a/n,b/m") that ikelogd writes for
 * a 4.x range "[lo-hi:0-65535 0]" is given when each network address
 * occurs in the text.
 */
static bool ts_given(const char *value, const char *text)
{
	const char *p = value;

	while (*p) {
		size_t n = strcspn(p, "/,");
		char addr[64];

		if (n == 0 || n >= sizeof(addr))
			return false;
		memcpy(addr, p, n);
		addr[n] = '\0';
		if (!strstr(text, addr))
			return false;
		p += n;
		p += strcspn(p, ",");
		if (*p == ',')
			p++;
	}
	return p != value;
}

/* A number occurs as its decimal text with no digit either side ("2" is not in "#12"). */
static bool number_in(const char *value, const char *text)
{
	size_t n = strlen(value);

	for (const char *p = strstr(text, value); p; p = strstr(p + 1, value)) {
		bool before = p > text && isdigit((unsigned char)p[-1]);

		if (!before && !isdigit((unsigned char)p[n]))
			return true;
	}
	return false;
}

/* A byte count pluto prints with a unit ("in=31KiB") is given by that spelling. */
static bool bytes_given(const char *value, const char *text)
{
	static const struct {
		const char *unit;
		long long mult;
	} units[] = {{"KiB", 1024},   {"KB", 1000},	     {"MiB", 1048576},
		     {"MB", 1000000}, {"GiB", 1073741824LL}, {"GB", 1000000000LL}};
	char *end;
	long long n = strtoll(value, &end, 10);
	char word[48];

	if (*end || end == value || n <= 0)
		return false;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (n % units[i].mult)
			continue;
		snprintf(word, sizeof(word), "=%lld%s", n / units[i].mult, units[i].unit);
		if (strstr(text, word))
			return true;
	}
	return false;
}

/*
 * An SPI "0xHEX" is given by HEX in the text with or without the 0x and in
 * either case: pluto prints some SPIs as %08x ("SPI=15c4f0d7", "received
 * soft EXPIRE for inbound SPI 7b6a5948"), which the event stores as 0x...
 */
static bool spi_given(const char *value, const char *text)
{
	size_t n;

	if (value[0] != '0' || (value[1] != 'x' && value[1] != 'X'))
		return false;
	value += 2;
	n = strlen(value);
	if (n == 0)
		return false;
	for (const char *p = text; *p; p++) {
		if (strncasecmp(p, value, n) != 0)
			continue;
		if ((p == text || !isxdigit((unsigned char)p[-1])) &&
		    !isxdigit((unsigned char)p[n]))
			return true;
	}
	return false;
}

int expect_text_gives(const char *field, const char *value, const char *text)
{
	int f = field_lookup(field, strlen(field));
	int ex = expect_text_exempt(field);

	if (f < 0 || ex < 0)
		return -EINVAL;
	if (ex)
		return 0;
	if (field_table[f].type == FT_INT || field_table[f].type == FT_PORT) {
		if (value[0] && number_in(value, text))
			return 0;
	} else if (value[0] && strstr(text, value)) {
		return 0;
	}
	if ((f == F_TS_LOCAL || f == F_TS_REMOTE) && ts_given(value, text))
		return 0;
	if ((f == F_BYTES_IN || f == F_BYTES_OUT) && bytes_given(value, text))
		return 0;
	if (field_table[f].type == FT_SPI && spi_given(value, text))
		return 0;
	for (size_t i = 0; i < sizeof(spellings) / sizeof(spellings[0]); i++) {
		const struct spelling *s = &spellings[i];

		if ((int)s->field != f || strcmp(s->value, value) != 0)
			continue;
		for (size_t k = 0; k < WORDS_MAX && s->words[k]; k++)
			if (strstr(text, s->words[k]))
				return 0;
	}
	return -ENOENT;
}
