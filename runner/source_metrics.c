/* source_metrics.c: the metrics' fold, as the job sources' housekeeping runs it (see source.h). */
#include "runner/source.h"

#include "shared/log.h"
#include "shared/metrics/metrics.h"

void
source_fold_metrics(struct source *s)
{
	char err[512];
	long long n = 0;

	if (metrics_fold(s->env.r->db, &n, err, sizeof(err)) != DB_OK)
		log_warn("folding the job events into the metrics failed: %s", err);
}
