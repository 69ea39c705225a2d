// CPolicySIMD is header-only (static inline functions, see include/CPolicySIMD.h); SwiftPM
// needs one source file to build a C target.
#include "CPolicySIMD.h"
