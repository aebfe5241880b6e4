/* json.c: parsing untrusted JSON with json-c's strict tokener, held to RFC 8259 where that tokener is
 * lenient, and reading fields by type. */
#include "shared/json.h"

#include "shared/str.h"

#include <ctype.h>
#include <stdint.h>
#include <string.h>

/* --- RFC 8259 beyond json-c's strict mode ------------------------------------------------------------
 * json-c 0.16's JSON_TOKENER_STRICT still accepts single-quoted strings, raw control characters inside
 * strings, lone UTF-16 surrogate escapes, numbers such as 1. and -01, NaN and Infinity, and repeated
 * member names (the last wins). The checks below run over text json-c has already parsed, so they only
 * need to know where strings are, not the structure: they are a filter on json-c's answer, not a second
 * parser. */

static int
hex4(const char *p, size_t left, unsigned *v)
{
	*v = 0;
	if (left < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		if (!isxdigit((unsigned char)p[i]))
			return -1;
		*v = *v * 16 + (unsigned)(isdigit((unsigned char)p[i]) ? p[i] - '0' : (tolower((unsigned char)p[i]) - 'a' + 10));
	}
	return 0;
}

/* The string starting after the quote at i; returns the index after its closing quote, or 0 with why. */
static size_t
string_end(const char *b, size_t len, size_t i, const char **why)
{
	while (i < len) {
		unsigned char c = (unsigned char)b[i];
		unsigned v, lo;

		if (c == '"')
			return i + 1;
		if (c < 0x20) {
			*why = "a control character inside a string must be escaped";
			return 0;
		}
		if (c != '\\') {
			i++;
			continue;
		}
		if (i + 1 >= len)
			break;
		if (b[i + 1] != 'u') {
			i += 2;
			continue;
		}
		if (hex4(b + i + 2, len - i - 2, &v) != 0)
			break;
		i += 6;
		if (v >= 0xDC00 && v <= 0xDFFF) {
			*why = "a string holds a lone UTF-16 surrogate";
			return 0;
		}
		if (v >= 0xD800 && v <= 0xDBFF) {
			if (i + 1 >= len || b[i] != '\\' || b[i + 1] != 'u' || hex4(b + i + 2, len - i - 2, &lo) != 0 ||
			    lo < 0xDC00 || lo > 0xDFFF) {
				*why = "a string holds a lone UTF-16 surrogate";
				return 0;
			}
			i += 6;
		}
	}
	*why = "a string does not end";
	return 0;
}

/* Length of the number at b by RFC 8259's grammar, 0 when it does not match one. */
static size_t
number_len(const char *b, size_t len)
{
	size_t i = 0, d;

	if (i < len && b[i] == '-')
		i++;
	if (i < len && b[i] == '0')
		i++;
	else if (i < len && b[i] >= '1' && b[i] <= '9')
		while (i < len && isdigit((unsigned char)b[i]))
			i++;
	else
		return 0;
	if (i < len && b[i] == '.') {
		for (d = ++i; i < len && isdigit((unsigned char)b[i]); i++)
			;
		if (i == d)
			return 0;
	}
	if (i < len && (b[i] == 'e' || b[i] == 'E')) {
		i++;
		if (i < len && (b[i] == '+' || b[i] == '-'))
			i++;
		for (d = i; i < len && isdigit((unsigned char)b[i]); i++)
			;
		if (i == d)
			return 0;
	}
	return i < len && (isalnum((unsigned char)b[i]) || b[i] == '.') ? 0 : i;
}

static size_t
literal_len(const char *b, size_t len)
{
	static const char *const words[] = { "true", "false", "null" };

	for (size_t w = 0; w < 3; w++) {
		size_t n = strlen(words[w]);

		if (len >= n && memcmp(b, words[w], n) == 0 && (len == n || !isalnum((unsigned char)b[n])))
			return n;
	}
	return 0;
}

/* The lexical rules above; *members counts name separators (one per object member). */
static int
lexical_check(const char *b, size_t len, long *members, char *err, size_t errlen)
{
	const char *why = NULL;
	size_t i = 0, n;

	*members = 0;
	while (i < len) {
		char c = b[i];

		if (c == '"') {
			if ((i = string_end(b, len, i + 1, &why)) == 0)
				break;
			continue;
		}
		if (c == ':')
			++*members;
		if (c == '\'') {
			why = "strings must be in double quotes";
			break;
		}
		if (c == '-' || isalpha((unsigned char)c) || isdigit((unsigned char)c)) {
			n = c == '-' || isdigit((unsigned char)c) ? number_len(b + i, len - i) : literal_len(b + i, len - i);
			if (n == 0) {
				why = c == '-' || isdigit((unsigned char)c) ? "a number is not in JSON's form" :
				    "only true, false and null are bare words in JSON";
				break;
			}
			i += n;
			continue;
		}
		i++;
	}
	if (why == NULL)
		return 0;
	(void)str_fmt(err, errlen, "body is not valid JSON: %s", why);
	return -1;
}

/* Object members in the parsed tree (repeated names collapse into one). */
static long
tree_members(json_object *o)
{
	long n = 0;

	if (json_object_is_type(o, json_type_object)) {
		json_object_object_foreach(o, k, v) {
			(void)k;
			n += 1 + tree_members(v);
		}
	} else if (json_object_is_type(o, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(o); i++)
			n += tree_members(json_object_array_get_idx(o, i));
	}
	return n;
}

/* What json-c accepted (obj, parsed from buf up to end) is RFC 8259 JSON: only white space after the
 * value, the lexical rules above, no repeated member names. */
static int
rest_of_rfc8259(const char *buf, size_t len, size_t end, json_object *obj, char *err, size_t errlen)
{
	long members = 0;

	for (size_t i = end; i < len; i++) {
		if (buf[i] != ' ' && buf[i] != '\t' && buf[i] != '\r' && buf[i] != '\n') {
			(void)str_fmt(err, errlen, "body is not valid JSON: unexpected text after the value");
			return -1;
		}
	}
	if (lexical_check(buf, len, &members, err, errlen) != 0)
		return -1;
	if (tree_members(obj) != members) {
		(void)str_fmt(err, errlen, "body is not valid JSON: an object repeats a member name");
		return -1;
	}
	return 0;
}

json_object *
json_parse(const char *buf, size_t len, char *err, size_t errlen)
{
	json_tokener *tok = NULL;
	json_object *obj = NULL;
	enum json_tokener_error jerr;
	size_t end;

	if (len > (size_t)0x7fffffff) {
		(void)str_fmt(err, errlen, "body is too large to parse");
		return NULL;
	}
	if (memchr(buf, '\0', len) != NULL) {
		(void)str_fmt(err, errlen, "body is not valid JSON: it contains a NUL byte");
		return NULL;
	}
	if ((tok = json_tokener_new_ex(JSON_MAX_DEPTH)) == NULL) {
		(void)str_fmt(err, errlen, "out of memory");
		return NULL;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	obj = json_tokener_parse_ex(tok, buf, (int)len);
	end = json_tokener_get_parse_end(tok);
	if ((jerr = json_tokener_get_error(tok)) == json_tokener_continue) {
		/* A number at the very end may have more digits to come: the end of input ends it (a document
		 * that is only a number, RFC 8259 §2). Everything was read. */
		obj = json_tokener_parse_ex(tok, "", 1);
		jerr = json_tokener_get_error(tok);
		end = len;
	}
	if (jerr == json_tokener_continue || jerr == json_tokener_error_parse_eof) {
		(void)str_fmt(err, errlen, "body is not valid JSON: it ends early");
		goto fail;
	}
	if (jerr != json_tokener_success) {
		(void)str_fmt(err, errlen, "body is not valid JSON: %s", json_tokener_error_desc(jerr));
		goto fail;
	}
	if (obj == NULL) {
		(void)str_fmt(err, errlen, "body is the JSON value null");
		goto fail;
	}
	if (rest_of_rfc8259(buf, len, end, obj, err, errlen) != 0)
		goto fail;
	json_tokener_free(tok);
	return obj;
fail:
	json_object_put(obj);
	json_tokener_free(tok);
	return NULL;
}

enum json_field
json_get_string(json_object *obj, const char *key, const char **out)
{
	json_object *v = NULL;

	if (!json_object_object_get_ex(obj, key, &v) || v == NULL)
		return JSON_FIELD_MISSING;
	if (!json_object_is_type(v, json_type_string))
		return JSON_FIELD_WRONG_TYPE;
	*out = json_object_get_string(v);
	if (strlen(*out) != (size_t)json_object_get_string_len(v))
		return JSON_FIELD_NUL;
	return JSON_FIELD_OK;
}

enum json_field
json_get_object(json_object *obj, const char *key, json_object **out)
{
	json_object *v = NULL;

	if (!json_object_object_get_ex(obj, key, &v) || v == NULL)
		return JSON_FIELD_MISSING;
	if (!json_object_is_type(v, json_type_object))
		return JSON_FIELD_WRONG_TYPE;
	*out = v;
	return JSON_FIELD_OK;
}

const char *
json_text(json_object *obj, size_t *len)
{
	return json_object_to_json_string_length(obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE,
	    len);
}
