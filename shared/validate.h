/* validate.h: pure checks of untrusted text (ids, storage keys, timestamps, identifiers). */
#ifndef CAPTIONACC_VALIDATE_H
#define CAPTIONACC_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define VALIDATE_ID_MAX 128
#define VALIDATE_KEY_MAX 1024

/* An opaque id: 1-128 characters of [A-Za-z0-9_-]. */
bool validate_id(const char *s);
/* A storage key of tenant `tenant_id`: starts with "<tenant_id>/", names an object after it, at most
 * VALIDATE_KEY_MAX bytes of [A-Za-z0-9._=-/], no empty, "." or ".." segment, no trailing "/".
 * On failure why says what is wrong. Every S3 call passes its key through this (shared/storage.c). */
bool validate_storage_key(const char *key, const char *tenant_id, char *why, size_t whylen);
/* The same rules for a listing prefix, which may end with "/" or be "<tenant_id>/" itself. */
bool validate_storage_prefix(const char *prefix, const char *tenant_id, char *why, size_t whylen);
/* ISO 8601 date-time: YYYY-MM-DD[T ]hh:mm[:ss[.frac]][Z|+hh[:mm]|-hh[:mm]]; no zone means UTC.
 * Returns 0 and the UTC time, or -1. */
int validate_timestamp(const char *s, time_t *out);
/* A plain SQL identifier: [a-z_][a-z0-9_]{0,62}. */
bool validate_identifier(const char *s);
/* A UUID in its text form: 8-4-4-4-12 hex digits (either case). */
bool validate_uuid(const char *s);

#endif
