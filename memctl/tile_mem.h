/*
 * tile_mem.h: the one allocator through which every byte of tile storage on
 * a rank goes (tiles, their low-rank factors, received copies).  It counts
 * the bytes it holds (memctl's `actual`), remembers the peak, and refuses to
 * pass a capacity (--node-mem), which stands for the node's physical memory.
 * Thread-safe: called from StarPU workers, the MPI thread and the
 * submitting thread.  Kernels' temporary workspaces are not tiles and use
 * plain malloc.
 *
 * Tile bytes the runtime allocates itself are counted here too
 * (runtime/runtime_alloc.h), though they cannot be refused:
 * - early data: a tile StarPU-MPI received before this rank posted the
 *   receive, held in StarPU-MPI's buffer until the receiving task is
 *   submitted.  Part of `actual` (tile data no reservation covers).
 * - runtime: the raw buffers of posted receives (each inside its
 *   reception's reservation until unpacked) and the packed copies of tiles
 *   being sent (inside memctl's send window).
 * The capacity bounds actual + runtime: an allocation that would pass it
 * is refused; early data or a runtime buffer that passes it (StarPU takes
 * no refusal there) is recorded as a refusal all the same, so the run
 * ends "oom" rather than complete above its capacity.
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

/* Early data arrived (add) or was unpacked and freed (sub). */
void tile_mem_early_add(size_t bytes);
void tile_mem_early_sub(size_t bytes);
size_t tile_mem_early(void);
size_t tile_mem_peak_early(void);

/* Posted receive and send buffers held by the runtime. */
void tile_mem_count(size_t bytes);
void tile_mem_uncount(size_t bytes);
size_t tile_mem_runtime(void);
/* The peak of actual + runtime: what the process held for tiles. */
size_t tile_mem_peak_total(void);

/* Tile buffers plus early data. */
size_t tile_mem_actual(void);
size_t tile_mem_peak(void);

/* Non-zero once an allocation was refused (or early data or a runtime
 * buffer passed the capacity); *requested and *held (if not NULL) tell the
 * first such request and the bytes (actual + runtime) held before it. */
int tile_mem_refused(size_t *requested, size_t *held);
/* What the first refusal was about. */
typedef enum { TILE_MEM_REFUSED_TILE, TILE_MEM_REFUSED_EARLY, TILE_MEM_REFUSED_RUNTIME } tile_mem_refusal_t;
tile_mem_refusal_t tile_mem_refusal_kind(void);
/* Forget counts and refusals (tests; one factor at a time).  The runtime
 * and early bytes still held stay counted. */
void tile_mem_reset(void);

#endif
