/* diagnostic.h: the two flows that need no outside service: `noop` (one step that does nothing: the
 * queue's own cost, for benchmarks) and `diagnostic` (three steps that sleep and fail on request: an
 * operator's smoke test of runners, retries and resumption). */
#ifndef CAPTIONACC_DIAGNOSTIC_H
#define CAPTIONACC_DIAGNOSTIC_H

#include "shared/flows/flows.h"

extern const struct flow diagnostic_noop;
extern const struct flow diagnostic_flow;

#endif
