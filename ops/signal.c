/* Op family 'signal': table filled in by its owner (see ops/families.h). */
#include "ops/families.h"

const OpDef ops_signal[1] = {{0}};
const uint32_t ops_signal_count = 0;
