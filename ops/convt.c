/* Op family 'convt': table filled in by its owner (see ops/families.h). */
#include "ops/families.h"

const OpDef ops_convt[1] = {{0}};
const uint32_t ops_convt_count = 0;
