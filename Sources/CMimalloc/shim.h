// mimalloc (Debian: libmimalloc-dev): the program's allocator, and its options (PolicyWatchCLI/Allocator.swift).
#include <mimalloc.h>
