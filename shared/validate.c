/* validate.c: table-tested validators; each is a pure function of its input. */
#include "shared/validate.h"

#include "shared/str.h"

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

bool
validate_storage_key(const char *key, const char *tenant_id, char *why, size_t whylen)
{
	size_t tlen = strlen(tenant_id), klen = strlen(key);

	if (klen > VALIDATE_KEY_MAX) {
		(void)str_fmt(why, whylen, "is longer than %d bytes", VALIDATE_KEY_MAX);
		return false;
	}
	if (klen <= tlen + 1 || strncmp(key, tenant_id, tlen) != 0 || key[tlen] != '/') {
		(void)str_fmt(why, whylen, "must start with the tenant's prefix \"%s/\" and name an object",
		    tenant_id);
		return false;
	}
	for (const unsigned char *p = (const unsigned char *)key; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f) {
			(void)str_fmt(why, whylen, "contains a control character");
			return false;
		}
	}
	if (strstr(key, "..") != NULL) {
		(void)str_fmt(why, whylen, "contains \"..\"");
		return false;
	}
	if (strstr(key, "//") != NULL) {
		(void)str_fmt(why, whylen, "contains an empty path segment (\"//\")");
		return false;
	}
	return true;
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
