/* figures.h: the runner's own figures for GET /metrics (step durations, GPU calls), noted in memory while
 * a step runs and appended to metric_events (sql/010_figures.sql) by a CTE of the step's next write, so
 * they cost no statement and no transaction of their own. */
#ifndef CAPTIONACC_FIGURES_H
#define CAPTIONACC_FIGURES_H

#include <json-c/json.h>

/* The CTE "figures" a fenced statement adds after its CTE w (fence.h): the list passed as parameter p
 * (figures_param) goes into metric_events when w wrote a row, so a write that is tried again after a lost
 * connection and finds itself already done does not count them twice. */
#define FIGURES_CTE(p) \
	" figures AS (INSERT INTO metric_events (metric, l1, l2, l3, seconds)" \
	"  SELECT e->>0, e->>1, e->>2, e->>3, (e->>4)::double precision" \
	"  FROM (SELECT 1 FROM w LIMIT 1) written, jsonb_array_elements(" p "::jsonb) e)"

/* Appends [metric, l1, l2, l3, seconds] to *list (made when NULL); seconds < 0: counted without a
 * duration. Nothing on allocation failure (a figure lost, the job unharmed). */
void figures_note(json_object **list, const char *metric, const char *l1, const char *l2, const char *l3,
    double seconds);
/* The list as a statement parameter, or NULL when there is none (valid until the list changes). */
const char *figures_param(json_object *list);
/* Forgets the list (once it was written). */
void figures_clear(json_object **list);

#endif
