/*
 * atomic_peak.h: a running maximum that threads update without a lock
 * (the allocators' peaks: memctl/tile_mem.c, runtime/runtime_alloc.c).
 */
#ifndef BLRCHOL_ATOMIC_PEAK_H
#define BLRCHOL_ATOMIC_PEAK_H

#include <stdatomic.h>
#include <stddef.h>

/* *peak = max(*peak, now), against concurrent raises. */
static inline void atomic_peak_raise(atomic_size_t *peak, size_t now)
{
    size_t top = atomic_load(peak);
    while (now > top && !atomic_compare_exchange_weak(peak, &top, now))
        ;
}

#endif
