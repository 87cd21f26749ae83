/* SwiftPM needs one source file in a C target; the format lives in include/. */
#include "ptreclaim_trace.h"
