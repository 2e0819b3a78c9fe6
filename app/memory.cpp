#include "app/memory.hpp"

#ifdef BOUNCEBACK_WITH_TCMALLOC
#include <gperftools/malloc_extension_c.h>
#else
#include <malloc.h>
#endif

namespace bb::app {

void release_free_memory() {
#ifdef BOUNCEBACK_WITH_TCMALLOC
    MallocExtension_ReleaseFreeMemory();
#else
    malloc_trim(0);
#endif
}

}  // namespace bb::app
