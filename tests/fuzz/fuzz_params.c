/* fuzz_params.c: a flow's JSON parameters into struct flow_params, for every flow: refused with a reason
 * or accepted, and what is accepted writes back as JSON that parses to the same struct. */
#include "tests/fuzz/fuzz.h"

#include "shared/intake/params.h"
#include "shared/json.h"

static void
one_flow(enum flow_id flow, json_object *doc)
{
	struct flow_params p, q;
	char why[512];
	json_object *back;

	if (params_parse(flow, doc, &p, why, sizeof(why)) != 0) {
		if (why[0] == '\0')
			abort();
		return;
	}
	if ((back = params_json(&p)) == NULL)
		abort();
	if (params_parse(flow, back, &q, why, sizeof(why)) != 0 || q.ncaption_ids != p.ncaption_ids ||
	    strcmp(q.video_id, p.video_id) != 0 || strcmp(q.tenant_id, p.tenant_id) != 0)
		abort(); /* what we write for the runner it must read back */
	params_free(&q);
	json_object_put(back);
	params_free(&p);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	json_object *doc = json_parse((const char *)data, size, err, sizeof(err));

	if (doc == NULL)
		return 0;
	for (int f = 0; f < FLOW__MAX; f++)
		one_flow((enum flow_id)f, doc);
	json_object_put(doc);
	return 0;
}
