/* registry.h: which steps each flow runs. */
#ifndef CAPTIONACC_REGISTRY_H
#define CAPTIONACC_REGISTRY_H

#include "shared/flows/flows.h"

/* The flow's steps; NULL only for an id out of range. */
const struct flow *registry_flow(enum flow_id id);

#endif
