/* fuzz_webhook.c: a Supabase webhook body into struct webhook_video: accepted only with every field
 * valid, refused with a reason otherwise. */
#include "tests/fuzz/fuzz.h"

#include "shared/intake/webhook.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct webhook_video v;
	char err[512];

	if (webhook_parse((const char *)data, size, &v, err, sizeof(err)) != 0) {
		if (err[0] == '\0')
			abort(); /* a refusal always says why */
		return 0;
	}
	if (v.type == WEBHOOK_INSERT && (!validate_id(v.video_id) || !validate_id(v.tenant_id) ||
	    !validate_storage_key(v.storage_key, v.tenant_id, err, sizeof(err))))
		abort(); /* an accepted insert carries valid ids and a key under its tenant */
	return 0;
}
