/*
 * tile_mem.h: the one allocator through which every byte of tile storage on
 * a rank goes (tiles, their low-rank factors, received copies).  It counts
 * the bytes it holds (memctl's `actual`), remembers the peak, and refuses to
 * pass a capacity (--node-mem), which stands for the node's physical memory.
 * Thread-safe: called from StarPU workers, the MPI thread and the
 * submitting thread.  Kernels' temporary workspaces are not tiles and use
 * plain malloc.
 */
#ifndef BLRCHOL_TILE_MEM_H
#define BLRCHOL_TILE_MEM_H

#include <stddef.h>

/* 0 means no capacity (unlimited). */
void tile_mem_set_capacity(size_t bytes);
size_t tile_mem_capacity(void);

/* NULL when the capacity would be passed (the refusal is remembered, see
 * tile_mem_refused) or when the system is out of memory.  A zero-byte
 * request returns NULL without being a refusal. */
void *tile_mem_alloc(size_t bytes);
/* `bytes` must be the size given to tile_mem_alloc. */
void tile_mem_free(void *ptr, size_t bytes);

/* Bytes the rank holds for tiles in buffers the runtime allocates
 * (StarPU-MPI's early-data and send buffers: kernels/runtime_alloc.h).
 * Counted apart from `actual` and never refused: StarPU cannot take a
 * refusal there, so the capacity bounds the tile buffers only; the peak
 * of tiles + runtime buffers is what the process really held. */
void tile_mem_count(size_t bytes);
void tile_mem_uncount(size_t bytes);
size_t tile_mem_runtime(void);
size_t tile_mem_peak_total(void);

size_t tile_mem_actual(void);
size_t tile_mem_peak(void);
/* Optional observer, called after every successful change of `actual`
 * (memctl's trace uses it); must not block or call StarPU. */
void tile_mem_set_observer(void (*observer)(size_t actual));

/* Non-zero once an allocation was refused; *requested and *held (if not
 * NULL) tell the first refused request and the bytes held at that moment. */
int tile_mem_refused(size_t *requested, size_t *held);
/* Forget counts and refusals (tests). */
void tile_mem_reset(void);

#endif
