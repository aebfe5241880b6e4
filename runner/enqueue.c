/* enqueue.c: `captionacc-runner enqueue [--idempotency-key KEY] [--priority N] FLOW JSON`: an operator
 * queues any flow through the intake path. JSON is the flow's parameters with tenant_id (and video_id);
 * they pass the same checks as the API's, and the job gets its tenant's priority and tags. */
#include "runner/runner.h"

#include "shared/intake/intake.h"
#include "shared/json.h"
#include "shared/str.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#define USAGE "usage: captionacc-runner enqueue [--idempotency-key KEY] [--priority N] FLOW JSON\n"

struct enqueue_opts {
	const char *key;   /* NULL: the flow's own */
	long priority;     /* -1: from tier */
};

static int
parse_opts(int argc, char **argv, struct enqueue_opts *o)
{
	static const struct option opts[] = {
		{ "idempotency-key", required_argument, NULL, 'k' },
		{ "priority", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*o = (struct enqueue_opts){ NULL, -1 };
	optind = 1;
	while ((c = getopt_long(argc, argv, "+k:p:", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			o->key = optarg;
			if (strlen(o->key) == 0 || strlen(o->key) > INTAKE_KEY_MAX) {
				fprintf(stderr, "captionacc-runner: enqueue: --idempotency-key must be 1-%d characters\n",
				    INTAKE_KEY_MAX);
				return -1;
			}
			break;
		case 'p':
			if (str_to_long(optarg, 0, 1000, &o->priority) != 0) {
				fprintf(stderr, "captionacc-runner: enqueue: --priority must be a whole number 0-1000\n");
				return -1;
			}
			break;
		default:
			fputs(USAGE, stderr);
			return -1;
		}
	}
	if (argc - optind != 2) {
		fputs(USAGE, stderr);
		return -1;
	}
	return 0;
}

/* FLOW and JSON into typed parameters; 2 (usage) with a message on bad input. */
static int
parse_job(const char *name, const char *text, struct flow_params *p)
{
	enum flow_id flow;
	json_object *obj;
	char err[512];
	int rc = 0;

	if (params_flow_parse(name, &flow) != 0) {
		fprintf(stderr, "captionacc-runner: enqueue: unknown flow \"%s\" (%s)\n", name, params_flow_list());
		return 2;
	}
	if ((obj = json_parse(text, strlen(text), err, sizeof(err))) == NULL || !json_object_is_type(obj,
	    json_type_object)) {
		fprintf(stderr, "captionacc-runner: enqueue: JSON must be an object: %s\n", obj ? "it is not" : err);
		rc = 2;
	} else if (params_parse(flow, obj, p, err, sizeof(err)) != 0) {
		fprintf(stderr, "captionacc-runner: enqueue: %s: %s\n", name, err);
		rc = 2;
	}
	json_object_put(obj);
	return rc;
}

int
enqueue_command(struct runner *r, int argc, char **argv)
{
	struct enqueue_opts o;
	struct flow_params p = { 0 };
	struct intake in;
	struct intake_request req;
	struct intake_answer ans = { 0 };
	char err[512];
	int rc;

	if (parse_opts(argc, argv, &o) != 0)
		return 2;
	if ((rc = parse_job(argv[optind], argv[optind + 1], &p)) != 0)
		return rc;
	if (intake_open(&in, r->db, &r->cfg, 0, err, sizeof(err)) != 0) {
		fprintf(stderr, "captionacc-runner: enqueue: %s\n", err);
		params_free(&p);
		return 1;
	}
	req = (struct intake_request){ .params = &p, .triggered_by = "operator", .priority = (int)o.priority,
		.idempotency_key = o.key };
	if (intake_submit(&in, &req, &ans) != INTAKE_OK) {
		fprintf(stderr, "captionacc-runner: enqueue: %s\n", ans.error);
		rc = 1;
	} else if (ans.queue != NULL)
		printf("%s %s Prefect flow run %s (priority %d, work queue %s)\n", ans.created ? "queued" :
		    "already queued:", params_flow_name(p.flow), ans.id, ans.priority, ans.queue);
	else
		printf("%s %s job %s (priority %d)\n", ans.created ? "queued" : "already queued:", params_flow_name(p.flow),
		    ans.id, ans.priority);
	intake_answer_free(&ans);
	intake_close(&in);
	params_free(&p);
	return rc;
}
