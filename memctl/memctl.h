/*
 * memctl.h: submission-time memory control (docs/design/memctl.md).  Knows
 * bytes, tiles (by integer id), events and watermarks; no linear algebra,
 * no StarPU, no MPI.  One instance per process (= per MPI rank): the hooks
 * are called from StarPU threads that have no context pointer.
 *
 * charged = what memctl has promised, the sum of:
 *   local tile:  its actual size now;
 *   growth pool: the growth the local tiles may still undergo, paid in
 *                advance: each local tile that later updates can enlarge
 *                adds actual x growth_margin (at most up to its dense size)
 *                when first seen; growth is paid from the pool while it
 *                lasts and charged on top past it (counted as an overrun);
 *                when a tile becomes final its share leaves the pool's
 *                bound, so the pool shrinks as the factorisation advances;
 *   remote tile: a bound of its size per reserved reception until it
 *                arrives, plus the received (actual) size of the copy held
 *                until it is released.  A tile may be received again after
 *                its copy was flushed: each reception is reserved on its
 *                own.  A copy larger than its bound is charged at its size
 *                on arrival and counted (underreserved);
 *   early data:  the bytes StarPU-MPI holds for tiles it received before
 *                this rank posted the receive (receptions nobody reserved;
 *                runtime/runtime_alloc.h), until they are unpacked;
 *   fixed:       the runtime's send buffers, for good.
 * So charged >= the tile bytes held at every moment; only a copy that
 * outgrew its bound or a tile that outgrew the pool is charged without
 * first blocking for it.
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
    double growth_margin;   /* growth pool: this fraction of each growing local tile */
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
    size_t pool;            /* growth pool left now */
    long receptions;        /* remote copies received */
    long releases;          /* remote copies released */
    long underreserved_receives; /* copies that arrived larger than their bound */
    size_t underreserved_bytes;  /* by how much, in total */
    long growth_overruns;        /* local growths the pool could not pay in full */
    size_t growth_overrun_bytes; /* the unpaid bytes, in total */
} memctl_stats_t;

int memctl_init(const memctl_config_t *cfg);
void memctl_shutdown(void);

/* First sight of a local tile whose dense form takes `dense` bytes: charged
 * at `actual`; below its dense size it is growing and adds its margin to
 * the pool (a tile never grows past its dense form: a low-rank tile whose
 * rank passes min(m,n)/2 becomes dense).  A second call is a resize. */
void memctl_local_register(int tile, size_t actual, size_t dense);
/* A local tile now holds `actual` bytes (first sight: as register with no
 * dense bound). */
void memctl_local_set(int tile, size_t actual);
/* A local tile will not grow any more (no update of it is left): its share
 * of the pool is given back. */
void memctl_local_final(int tile);

/* Before submitting a task that makes this rank receive remote tile `tile`
 * whose packed size is at most `bound` (the caller knows whether
 * StarPU-MPI will post a receive: the tile is not in its receive cache):
 * charge one reception, blocking first if charged + bound would pass
 * `high`.  A local tile is never charged here.  Returns 0, or -1 when
 * `bound` alone exceeds `high` (the budget is too small for one task: the
 * caller reports it, memctl does not block). */
int memctl_reserve_remote(int tile, size_t bound);

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

/* The watermarks for a rank that may hold `capacity` bytes, whose largest
 * message (reception or packed send) takes `message` bytes and whose charge
 * cannot fall under `floor` (its own tiles, the pool, the send window):
 * high leaves room for two messages in flight past it (one being unpacked,
 * one early), low sits 4 messages under high, or halfway down to the floor
 * when that is closer, so that a block can end by releases. */
void memctl_watermarks_for(size_t capacity, size_t message, size_t floor, size_t *high, size_t *low);
/* Change the watermarks (e.g. once the floor is known). */
void memctl_set_watermarks(size_t high, size_t low);

/* Record a trace row now (also done on every event). */
void memctl_trace_point(void);

void memctl_get_stats(memctl_stats_t *out);

/* Parse "512M", "18G", "1.5G", "4096" (bytes), "64K": 0 on success. */
int memctl_parse_size(const char *text, size_t *bytes);

#endif
