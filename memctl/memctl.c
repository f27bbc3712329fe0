/*
 * memctl.c: submission-time memory control (see memctl.h).  One instance
 * per process.  The lock is held only to update counters and write a trace
 * row; nothing is called out with it held, so the StarPU hooks (which can
 * run on the submitting thread itself) never deadlock against a blocked
 * submitter.
 */
#include "memctl/memctl.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <time.h>

#include "memctl/tile_mem.h"

/*
 * A remote tile can be received several times (its cached copy is flushed
 * between uses on this rank), and the next reception may be reserved
 * before the previous copy is freed: submission runs ahead of execution.
 * So a remote tile carries a count of reserved receptions (at dense size)
 * plus the bytes of the copy it holds now.
 */
struct tile_charge {
    unsigned char local;
    size_t charged;       /* what this tile contributes to `charged` */
    size_t local_initial; /* local: actual x (1 + margin) at first sight */
    int reserved;         /* remote: receptions reserved, not yet arrived */
    size_t dense;         /* remote: bytes charged per reservation */
    size_t copy;          /* remote: bytes of the copy held now */
};

static struct {
    int ready;
    memctl_config_t cfg;
    pthread_mutex_t lock;
    pthread_cond_t released;
    struct tile_charge *tiles;
    size_t charged, peak_charged;
    size_t early;         /* early data, inside charged */
    int blocked;
    long blocks, overflows, unreserved_receives;
    double blocked_seconds;
    struct timespec start;
    double last_row_time;
    size_t last_row_charged;
    int last_row_blocked;
} mc;

static double seconds_since(const struct timespec *from)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (now.tv_sec - from->tv_sec) + 1e-9 * (now.tv_nsec - from->tv_nsec);
}

/* Under the lock.  Rate-limited: a long run has millions of events. */
static void trace_row(int force)
{
    if (!mc.cfg.trace)
        return;
    double now = seconds_since(&mc.start);
    size_t step = mc.cfg.high / 100;
    size_t moved = mc.charged > mc.last_row_charged ? mc.charged - mc.last_row_charged : mc.last_row_charged - mc.charged;
    if (!force && mc.blocked == mc.last_row_blocked && now - mc.last_row_time < 1e-3 && moved <= step)
        return;
    fprintf(mc.cfg.trace, "%d,%.6f,%zu,%zu,%d,%zu,%zu\n", mc.cfg.rank, now, mc.charged, tile_mem_actual(),
            mc.blocked, tile_mem_runtime(), tile_mem_early());
    mc.last_row_time = now;
    mc.last_row_charged = mc.charged;
    mc.last_row_blocked = mc.blocked;
}

/* Under the lock: set one tile's contribution. */
static void set_charge(struct tile_charge *t, size_t bytes)
{
    mc.charged = mc.charged - t->charged + bytes;
    t->charged = bytes;
    if (mc.charged > mc.peak_charged)
        mc.peak_charged = mc.charged;
}

int memctl_init(const memctl_config_t *cfg)
{
    memset(&mc, 0, sizeof mc);
    mc.cfg = *cfg;
    if (mc.cfg.low > mc.cfg.high)
        mc.cfg.low = mc.cfg.high;
    mc.tiles = calloc(cfg->ntiles > 0 ? cfg->ntiles : 1, sizeof *mc.tiles);
    if (!mc.tiles)
        return -1;
    mc.charged = mc.peak_charged = cfg->fixed;
    pthread_mutex_init(&mc.lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&mc.released, &attr);
    pthread_condattr_destroy(&attr);
    clock_gettime(CLOCK_MONOTONIC, &mc.start);
    if (mc.cfg.trace) {
        fprintf(mc.cfg.trace, "rank,time,charged,actual,blocked,runtime,early\n");
        trace_row(1);
    }
    mc.ready = 1;
    return 0;
}

void memctl_shutdown(void)
{
    if (!mc.ready)
        return;
    pthread_mutex_lock(&mc.lock);
    trace_row(1);
    if (mc.cfg.trace)
        fflush(mc.cfg.trace);
    pthread_mutex_unlock(&mc.lock);
    pthread_mutex_destroy(&mc.lock);
    pthread_cond_destroy(&mc.released);
    free(mc.tiles);
    mc.tiles = NULL;
    mc.ready = 0;
}

static struct tile_charge *tile_at(int tile)
{
    return (tile >= 0 && tile < mc.cfg.ntiles) ? &mc.tiles[tile] : NULL;
}

/* Charge a local tile seen for the first time (lock held): its actual
 * size plus the growth margin, the margin stopping at `cap`. */
static void first_local_charge(struct tile_charge *t, size_t actual, size_t cap)
{
    size_t with_margin = (size_t)((double)actual * (1.0 + mc.cfg.growth_margin) + 0.5);
    if (with_margin > cap)
        with_margin = cap > actual ? cap : actual;
    t->local = 1;
    t->local_initial = with_margin;
    set_charge(t, t->local_initial);
}

/* A known local tile now holds `actual` bytes (lock held).  Growth inside
 * the margin is already paid for; past it, the tile is charged at its
 * actual size.  Shrinking gives back nothing below the initial charge: the
 * margin stays reserved. */
static void local_resized(struct tile_charge *t, size_t actual)
{
    set_charge(t, actual > t->local_initial ? actual : t->local_initial);
}

static void local_update(int tile, size_t actual, size_t cap)
{
    if (!mc.ready)
        return;
    pthread_mutex_lock(&mc.lock);
    struct tile_charge *t = tile_at(tile);
    if (t) {
        if (!t->local)
            first_local_charge(t, actual, cap);
        else
            local_resized(t, actual);
        trace_row(0);
    }
    pthread_mutex_unlock(&mc.lock);
}

void memctl_local_register(int tile, size_t actual, size_t dense) { local_update(tile, actual, dense); }

void memctl_local_set(int tile, size_t actual) { local_update(tile, actual, SIZE_MAX); }

static void add_seconds(struct timespec *ts, double seconds)
{
    ts->tv_nsec += (long)(seconds * 1e9);
    while (ts->tv_nsec >= 1000000000L) {
        ts->tv_nsec -= 1000000000L;
        ts->tv_sec++;
    }
}

int memctl_reserve_remote(int tile, size_t dense)
{
    if (!mc.ready)
        return 0;
    pthread_mutex_lock(&mc.lock);
    struct tile_charge *t = tile_at(tile);
    if (!t || t->local) {
        pthread_mutex_unlock(&mc.lock);
        return 0;
    }
    if (mc.cfg.enabled && dense > mc.cfg.high) {
        pthread_mutex_unlock(&mc.lock);
        return -1;
    }
    if (mc.cfg.enabled && mc.charged + dense > mc.cfg.high) {
        /* Hysteresis: once blocked, wait until charged falls under low. */
        mc.blocks++;
        mc.blocked = 1;
        trace_row(1);
        struct timespec began;
        clock_gettime(CLOCK_MONOTONIC, &began);
        while (mc.charged >= mc.cfg.low) {
            struct timespec deadline;
            clock_gettime(CLOCK_MONOTONIC, &deadline);
            add_seconds(&deadline, 0.01);
            pthread_cond_timedwait(&mc.released, &mc.lock, &deadline);
            if (mc.charged < mc.cfg.low)
                break;
            /* Nothing in flight can free memory: what is left is held by
             * tiles a future flush releases.  Go on, and say so. */
            int (*idle)(void) = mc.cfg.runtime_idle;
            pthread_mutex_unlock(&mc.lock);
            int stuck = idle && idle();
            pthread_mutex_lock(&mc.lock);
            if (stuck && mc.charged >= mc.cfg.low) {
                mc.overflows++;
                break;
            }
        }
        mc.blocked_seconds += seconds_since(&began);
        mc.blocked = 0;
        trace_row(1);
    }
    t->reserved++;
    t->dense = dense;
    set_charge(t, t->charged + dense);
    trace_row(0);
    pthread_mutex_unlock(&mc.lock);
    return 0;
}

void memctl_received(int tile, size_t actual)
{
    if (!mc.ready)
        return;
    pthread_mutex_lock(&mc.lock);
    struct tile_charge *t = tile_at(tile);
    if (t && !t->local) {
        size_t charge = t->charged - t->copy + actual;
        if (t->reserved > 0) {
            t->reserved--;
            charge -= t->dense;
        } else {
            mc.unreserved_receives++;
        }
        t->copy = actual;
        set_charge(t, charge);
        if (mc.charged < mc.cfg.low)
            pthread_cond_broadcast(&mc.released);
        trace_row(0);
    }
    pthread_mutex_unlock(&mc.lock);
}

void memctl_early(long delta)
{
    if (!mc.ready)
        return;
    pthread_mutex_lock(&mc.lock);
    /* An early buffer is unpacked (and freed) only after its receive
     * completed, so after its allocation was reported. */
    mc.early += (size_t)delta;
    mc.charged += (size_t)delta;
    if (mc.charged > mc.peak_charged)
        mc.peak_charged = mc.charged;
    if (mc.charged < mc.cfg.low)
        pthread_cond_broadcast(&mc.released);
    trace_row(delta > 0);
    pthread_mutex_unlock(&mc.lock);
}

void memctl_released(int tile)
{
    if (!mc.ready)
        return;
    pthread_mutex_lock(&mc.lock);
    struct tile_charge *t = tile_at(tile);
    if (t && !t->local && t->copy) {
        set_charge(t, t->charged - t->copy);
        t->copy = 0;
        if (mc.charged < mc.cfg.low)
            pthread_cond_broadcast(&mc.released);
        trace_row(0);
    }
    pthread_mutex_unlock(&mc.lock);
}

void memctl_trace_point(void)
{
    if (!mc.ready)
        return;
    pthread_mutex_lock(&mc.lock);
    trace_row(1);
    pthread_mutex_unlock(&mc.lock);
}

void memctl_get_stats(memctl_stats_t *out)
{
    memset(out, 0, sizeof *out);
    if (!mc.ready)
        return;
    pthread_mutex_lock(&mc.lock);
    out->charged = mc.charged;
    out->peak_charged = mc.peak_charged;
    out->blocks = mc.blocks;
    out->blocked_seconds = mc.blocked_seconds;
    out->overflows = mc.overflows;
    out->unreserved_receives = mc.unreserved_receives;
    out->early = mc.early;
    pthread_mutex_unlock(&mc.lock);
}

int memctl_parse_size(const char *text, size_t *bytes)
{
    if (!text || !*text)
        return -1;
    char *end;
    double value = strtod(text, &end);
    if (end == text || !(value >= 0))
        return -1;
    double scale = 1;
    switch (*end) {
    case 'k': case 'K': scale = 1024.0; end++; break;
    case 'm': case 'M': scale = 1024.0 * 1024; end++; break;
    case 'g': case 'G': scale = 1024.0 * 1024 * 1024; end++; break;
    case 't': case 'T': scale = 1024.0 * 1024 * 1024 * 1024; end++; break;
    default: break;
    }
    if (scale > 1 && *end == 'i')
        end++;
    if (*end == 'b' || *end == 'B')
        end++;
    if (*end)
        return -1;
    double result = value * scale;
    if (result >= 18446744073709551615.0)
        return -1;
    *bytes = (size_t)result;
    return 0;
}
