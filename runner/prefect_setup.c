/* prefect_setup.c: `captionacc-runner prefect-setup`: creates the work pool's band queues
 * (PREFECT_QUEUE_BANDS) with priorities 1..n and checks that every flow's deployment exists. Prints what
 * it did; exit 1 when something is missing. */
#include "runner/runner.h"

#include "shared/clients/prefect.h"
#include "shared/intake/params.h"

#include <stdio.h>

static int
create_queues(struct prefect *api)
{
	char err[512];
	int rc = 0;

	for (int i = 0; i < prefect_band_count(api); i++) {
		const struct prefect_band *b = prefect_band_at(api, i);
		bool existed = false;

		if (prefect_create_queue(api, b->queue, i + 1, &existed, err, sizeof(err)) != PREFECT_OK) {
			fprintf(stderr, "captionacc-runner: prefect-setup: queue %s: %s\n", b->queue, err);
			rc = 1;
			continue;
		}
		printf("work queue %-24s priority %d, for jobs of priority >= %d: %s\n", b->queue, i + 1, b->min_priority,
		    existed ? "already there (its priority is left as it is)" : "created");
	}
	return rc;
}

/* The product's flows (not noop and diagnostic, which are optional). */
static int
check_deployments(struct prefect *api)
{
	static const enum flow_id product[] = { FLOW_VIDEO_INITIAL_PROCESSING, FLOW_CROP_AND_INFER, FLOW_CAPTION_OCR };
	char err[512], id[PREFECT_ID_MAX];
	int rc = 0;

	for (size_t i = 0; i < sizeof(product) / sizeof(product[0]); i++) {
		const char *flow = params_flow_name(product[i]), *name = prefect_deployment_name(api, flow);

		if (name == NULL)
			printf("deployment for %-24s not configured (PREFECT_DEPLOYMENTS)\n", flow);
		else {
			enum prefect_result r = prefect_deployment_id(api, flow, id, sizeof(id), err, sizeof(err));

			if (r == PREFECT_OK)
				printf("deployment for %-24s %s: found (%s)\n", flow, name, id);
			else {
				printf("deployment for %-24s %s: %s: %s\n", flow, name, r == PREFECT_WRONG_POOL ? "WRONG WORK POOL" :
				    "MISSING", err);
				rc = 1;
			}
		}
	}
	return rc;
}

int
prefect_setup_command(struct runner *r, int argc, char **argv)
{
	struct prefect *api;
	char err[512];
	int rc;

	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: captionacc-runner prefect-setup\n");
		return 2;
	}
	if ((api = prefect_new(&r->cfg, err, sizeof(err))) == NULL) {
		fprintf(stderr, "captionacc-runner: prefect-setup: %s\n", err);
		return 1;
	}
	rc = create_queues(api);
	rc |= check_deployments(api);
	prefect_free(api);
	return rc;
}
