/* uthash_int.h: the only way tapegrad includes uthash. Out-of-memory inside uthash must not
 * exit the process (uthash's default): with HASH_NONFATAL_OOM the add is dropped instead, and
 * callers check with HASH_FIND that their entry went in. */
#ifndef TG_UTHASH_INT_H
#define TG_UTHASH_INT_H

#define HASH_NONFATAL_OOM 1
#define uthash_nonfatal_oom(obj) ((void)(obj))
#include <uthash.h>

#endif
