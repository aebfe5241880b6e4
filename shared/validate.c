/* validate.c: table-tested validators; each is a pure function of its input. */
#include "shared/validate.h"

#include "shared/str.h"

#include <ctype.h>
#include <string.h>

bool
validate_id(const char *s)
{
	size_t n = 0;

	for (; s[n] != '\0'; n++) {
		char c = s[n];

		if (n >= VALIDATE_ID_MAX)
			return false;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
		    c == '-'))
			return false;
	}
	return n > 0;
}

/* The one check every storage key and prefix passes (webhook input, flow parameters, GPU results and each
 * S3 call): under "<tenant_id>/", bounded, made of [A-Za-z0-9._=-] segments separated by single slashes,
 * no "." or ".." segment. A prefix may end with "/" and may be "<tenant_id>/" itself. */
static bool
check_key(const char *key, const char *tenant_id, bool prefix, char *why, size_t whylen)
{
	size_t tlen = strlen(tenant_id), klen = strlen(key);
	const char *seg;

	if (!validate_id(tenant_id)) {
		(void)str_fmt(why, whylen, "has no valid tenant to belong to");
		return false;
	}
	if (klen > VALIDATE_KEY_MAX) {
		(void)str_fmt(why, whylen, "is longer than %d bytes", VALIDATE_KEY_MAX);
		return false;
	}
	if (klen < tlen + 1 || strncmp(key, tenant_id, tlen) != 0 || key[tlen] != '/' ||
	    (!prefix && klen == tlen + 1)) {
		(void)str_fmt(why, whylen, "must start with the tenant's prefix \"%s/\"%s", tenant_id,
		    prefix ? "" : " and name an object");
		return false;
	}
	for (const unsigned char *p = (const unsigned char *)key; *p != '\0'; p++) {
		unsigned char c = *p;

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
		    c == '_' || c == '-' || c == '=' || c == '/')) {
			if (c < 0x20 || c >= 0x7f)
				(void)str_fmt(why, whylen, "contains a control or non-ASCII character");
			else
				(void)str_fmt(why, whylen, "contains '%c' (allowed: letters, digits and . _ - = /)", c);
			return false;
		}
	}
	if (strstr(key, "//") != NULL) {
		(void)str_fmt(why, whylen, "contains an empty path segment (\"//\")");
		return false;
	}
	if (!prefix && key[klen - 1] == '/') {
		(void)str_fmt(why, whylen, "ends with \"/\" (an object key names a file)");
		return false;
	}
	for (seg = key; seg != NULL; seg = strchr(seg, '/') ? strchr(seg, '/') + 1 : NULL) {
		size_t n = strcspn(seg, "/");

		if ((n == 1 && seg[0] == '.') || (n == 2 && seg[0] == '.' && seg[1] == '.')) {
			(void)str_fmt(why, whylen, "contains a \"%.*s\" path segment", (int)n, seg);
			return false;
		}
	}
	return true;
}

bool
validate_storage_key(const char *key, const char *tenant_id, char *why, size_t whylen)
{
	return check_key(key, tenant_id, false, why, whylen);
}

bool
validate_storage_prefix(const char *prefix, const char *tenant_id, char *why, size_t whylen)
{
	return check_key(prefix, tenant_id, true, why, whylen);
}

/* Reads exactly n digits at *p into *out and advances *p. */
static int
digits(const char **p, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		char c = (*p)[i];

		if (c < '0' || c > '9')
			return -1;
		v = v * 10 + (c - '0');
	}
	*p += n;
	*out = v;
	return 0;
}

static bool
leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar (no libc time zone involved). */
static long long
days_from_civil(int y, int m, int d)
{
	static const int cum[12] = { 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334 };
	long long days = 0;

	for (int yy = 1970; yy < y; yy++)
		days += leap(yy) ? 366 : 365;
	for (int yy = y; yy < 1970; yy++)
		days -= leap(yy) ? 366 : 365;
	days += cum[m - 1] + (m > 2 && leap(y) ? 1 : 0) + (d - 1);
	return days;
}

int
validate_timestamp(const char *s, time_t *out)
{
	static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	const char *p = s;
	int y, mo, d, h, mi, sec = 0, oh = 0, om = 0, sign = 0;
	long long t;

	if (strlen(s) > 64)
		return -1;
	if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' || digits(&p, 2, &d))
		return -1;
	if (*p != 'T' && *p != 't' && *p != ' ')
		return -1;
	p++;
	if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi))
		return -1;
	if (*p == ':') {
		p++;
		if (digits(&p, 2, &sec))
			return -1;
		if (*p == '.' || *p == ',') {
			p++;
			if (*p < '0' || *p > '9')
				return -1;
			while (*p >= '0' && *p <= '9')
				p++;
		}
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p++ == '+' ? 1 : -1;
		if (digits(&p, 2, &oh))
			return -1;
		if (*p == ':')
			p++;
		if (*p != '\0' && digits(&p, 2, &om))
			return -1;
		if (oh > 23 || om > 59)
			return -1;
	}
	if (*p != '\0')
		return -1;
	if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || sec > 60)
		return -1;
	if (d > mdays[mo - 1] + (mo == 2 && leap(y) ? 1 : 0))
		return -1;
	t = days_from_civil(y, mo, d) * 86400LL + h * 3600LL + mi * 60LL + sec - sign * (oh * 3600LL + om * 60LL);
	*out = (time_t)t;
	return 0;
}

bool
validate_identifier(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 63 || !((s[0] >= 'a' && s[0] <= 'z') || s[0] == '_'))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	return true;
}

bool
validate_uuid(const char *s)
{
	static const char shape[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";

	if (s == NULL || strlen(s) != sizeof(shape) - 1)
		return false;
	for (size_t i = 0; shape[i] != '\0'; i++)
		if (shape[i] == '-' ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
			return false;
	return true;
}
