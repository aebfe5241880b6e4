/* webhook.h: a Supabase database webhook for the videos table, validated into a typed struct.
 * Nothing past this point sees the raw JSON. */
#ifndef CAPTIONACC_WEBHOOK_H
#define CAPTIONACC_WEBHOOK_H

#include "shared/validate.h"

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

enum webhook_type {
	WEBHOOK_INSERT,
	WEBHOOK_UPDATE,
	WEBHOOK_DELETE,
	WEBHOOK_OTHER
};

struct webhook_video {
	enum webhook_type type;
	/* The fields below are set and valid only for WEBHOOK_INSERT. */
	char video_id[VALIDATE_ID_MAX + 1];
	char tenant_id[VALIDATE_ID_MAX + 1];
	char storage_key[VALIDATE_KEY_MAX + 1];
	bool has_created_at;
	time_t created_at;
};

/* Parses and validates body. Returns 0, or -1 with a sentence for the caller's 400 answer in err. */
int webhook_parse(const char *body, size_t len, struct webhook_video *out, char *err, size_t errlen)
    __attribute__((warn_unused_result));

#endif
