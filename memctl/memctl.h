/*
 * memctl.h: submission-time memory control (docs/design/memctl.md).  Knows
 * bytes, tiles (by integer id), events and watermarks; no linear algebra,
 * no StarPU, no MPI.  One instance per process (= per MPI rank): the hooks
 * are called from StarPU threads that have no context pointer.
 *
 * charged = sum over tiles of what memctl has promised for them:
 *   local tile:  max(actual at registration x (1 + growth margin), current actual)
 *   remote tile: dense size per reserved reception until it arrives, plus
 *                the received (actual) size of the copy held until it is
 *                released.  A tile may be received again after its copy
 *                was flushed: each reception is reserved on its own.
 *   early data:  the bytes StarPU-MPI holds for tiles it received before
 *                this rank posted the receive (receptions nobody reserved;
 *                runtime/runtime_alloc.h), until they are unpacked.
 * When a reservation would take charged past `high`, the caller blocks until
 * charged falls under `low` (hysteresis), then goes on.
 *
 * Thread rules: every function takes memctl's lock only briefly and never
 * calls out while holding it; only memctl_reserve_remote may block, and only
 * on the thread that calls it (the submitting thread).
 */
#ifndef BLRCHOL_MEMCTL_H
#define BLRCHOL_MEMCTL_H

#include <stddef.h>
#include <stdio.h>

typedef struct memctl_config {
    int enabled;            /* 0: account and trace, never block */
    size_t high, low;       /* watermarks in bytes, low <= high */
    double growth_margin;   /* local tiles charged at actual x (1 + margin) */
    int ntiles;             /* tile ids are 0 .. ntiles-1 */
    int rank;               /* for the trace and messages */
    /* Called while blocked (every ~10 ms, without memctl's lock): returns
     * non-zero when the runtime has nothing in flight that could free
     * memory, so waiting would never end; memctl then proceeds and counts
     * an overflow.  NULL: never. */
    int (*runtime_idle)(void);
    size_t fixed;           /* charged from the start and never released: the runtime's
                             * send buffers (at most its send window of packed tiles) */
    FILE *trace;            /* CSV rows "rank,time,charged,actual,blocked,runtime,early", or
                             * NULL (actual: tile_mem_actual, early data included; runtime:
                             * StarPU-MPI's posted receive and send buffers; early: the early
                             * data alone) */
} memctl_config_t;

typedef struct memctl_stats {
    size_t charged;         /* now */
    size_t peak_charged;
    long blocks;            /* number of times submission blocked */
    double blocked_seconds; /* total time blocked */
    long overflows;         /* blocks ended by runtime_idle, not by memory */
    long unreserved_receives; /* receptions of tiles that had no reservation */
    size_t early;           /* early data charged now */
} memctl_stats_t;

int memctl_init(const memctl_config_t *cfg);
void memctl_shutdown(void);

/* A local tile now holds `actual` bytes: the first call charges
 * actual x (1 + margin); later calls charge only growth past that. */
void memctl_local_set(int tile, size_t actual);
/* First sight of a local tile whose dense form takes `dense` bytes: as
 * memctl_local_set, but the margin stops at `dense` (a tile never grows
 * past its dense form: a low-rank tile whose rank passes min(m,n)/2
 * becomes dense), so a dense tile is charged exactly. */
void memctl_local_register(int tile, size_t actual, size_t dense);

/* Before submitting a task that makes this rank receive remote tile `tile`
 * of dense size `dense` (the caller knows whether StarPU-MPI will post a
 * receive: the tile is not in its receive cache): charge one reception,
 * blocking first if charged + dense would pass `high`.  A local tile is
 * never charged here.  Returns 0, or -1 when `dense` alone exceeds `high`
 * (the budget is too small for one task: the caller reports it, memctl
 * does not block). */
int memctl_reserve_remote(int tile, size_t dense);

/* Reception hook (tile interface unpack): the remote copy holds `actual`
 * bytes; one reserved reception (dense) becomes the copy (actual).  A
 * reception nobody reserved is charged too, and counted. */
void memctl_received(int tile, size_t actual);

/* Early-data hook: StarPU-MPI now holds `delta` more (or, negative, fewer)
 * bytes of early data.  Charged as they come (nobody reserved them), until
 * they are unpacked; never blocks. */
void memctl_early(long delta);

/* Release hook (tile interface free): the remote copy is freed; its charge
 * goes.  Wakes a blocked submitter when charged falls under `low`. */
void memctl_released(int tile);

/* Record a trace row now (also done on every event). */
void memctl_trace_point(void);

void memctl_get_stats(memctl_stats_t *out);

/* Parse "512M", "18G", "1.5G", "4096" (bytes), "64K": 0 on success. */
int memctl_parse_size(const char *text, size_t *bytes);

#endif
