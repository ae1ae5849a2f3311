/* Op family 'loss': table filled in by its owner (see ops/families.h). */
#include "ops/families.h"

const OpDef ops_loss[1] = {{0}};
const uint32_t ops_loss_count = 0;
