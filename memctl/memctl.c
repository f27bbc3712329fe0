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
 * So a remote tile carries a count of reserved receptions (at their bound)
 * plus the bytes of the copy it holds now.  A local tile is charged at its
 * actual size; the growth it may still undergo is paid from one pool per
 * rank (memctl.h).
 */
struct tile_charge {
    unsigned char local;
    unsigned char growing; /* local: later updates may still enlarge it */
    size_t charged;        /* what this tile contributes to `charged` */
    size_t margin;         /* local, growing: its share of the pool's bound */
    int reserved;          /* remote: receptions reserved, not yet arrived */
    size_t bound;          /* remote: bytes charged per reservation */
    size_t copy;           /* remote: bytes of the copy held now */
};

static struct {
    int ready;
    memctl_config_t cfg;
    pthread_mutex_t lock;
    pthread_cond_t released;
    struct tile_charge *tiles;
    size_t charged, peak_charged;
    size_t early;          /* early data, inside charged */
    size_t pool;           /* growth paid in advance, inside charged */
    size_t pool_bound;     /* sum of the margins of the tiles still growing */
    int blocked;
    long blocks, overflows, unreserved_receives, receptions, releases;
    long underreserved_receives, growth_overruns;
    size_t underreserved_bytes, growth_overrun_bytes;
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

/* Under the lock: the total moves by `delta` bytes (either sign). */
static void move_charge(long delta)
{
    mc.charged = (size_t)((long)mc.charged + delta);
    if (mc.charged > mc.peak_charged)
        mc.peak_charged = mc.charged;
    if (delta < 0 && mc.charged < mc.cfg.low)
        pthread_cond_broadcast(&mc.released);
}

/* A local tile seen for the first time (lock held): charged at its actual
 * size; unless it is at its dense size already, it is growing and adds
 * its margin, actual x growth_margin up to the dense size, to the pool. */
static void first_local_charge(struct tile_charge *t, size_t actual, size_t dense)
{
    t->local = 1;
    set_charge(t, actual);
    if (actual >= dense)
        return;
    size_t margin = (size_t)((double)actual * mc.cfg.growth_margin + 0.5);
    if (margin > dense - actual)
        margin = dense - actual;
    t->growing = 1;
    t->margin = margin;
    mc.pool_bound += margin;
    mc.pool += margin;
    move_charge((long)margin);
}

/* A known local tile now holds `actual` bytes (lock held).  Growth is paid
 * from the pool while it lasts and charged on top past it (an overrun,
 * counted); shrinking gives the bytes back. */
static void local_resized(struct tile_charge *t, size_t actual)
{
    if (actual <= t->charged) {
        set_charge(t, actual);
        if (mc.charged < mc.cfg.low)
            pthread_cond_broadcast(&mc.released);
        return;
    }
    size_t growth = actual - t->charged;
    size_t paid = growth < mc.pool ? growth : mc.pool;
    mc.pool -= paid;
    mc.charged -= paid;
    if (growth > paid) {
        mc.growth_overruns++;
        mc.growth_overrun_bytes += growth - paid;
    }
    set_charge(t, actual);
}

static void local_update(int tile, size_t actual, size_t dense)
{
    if (!mc.ready)
        return;
    pthread_mutex_lock(&mc.lock);
    struct tile_charge *t = tile_at(tile);
    if (t) {
        if (!t->local)
            first_local_charge(t, actual, dense);
        else
            local_resized(t, actual);
        trace_row(0);
    }
    pthread_mutex_unlock(&mc.lock);
}

void memctl_local_register(int tile, size_t actual, size_t dense) { local_update(tile, actual, dense); }

void memctl_local_set(int tile, size_t actual) { local_update(tile, actual, SIZE_MAX); }

void memctl_local_final(int tile)
{
    if (!mc.ready)
        return;
    pthread_mutex_lock(&mc.lock);
    struct tile_charge *t = tile_at(tile);
    if (t && t->local && t->growing) {
        t->growing = 0;
        mc.pool_bound -= t->margin;
        if (mc.pool > mc.pool_bound) {
            move_charge(-(long)(mc.pool - mc.pool_bound));
            mc.pool = mc.pool_bound;
        }
        trace_row(0);
    }
    pthread_mutex_unlock(&mc.lock);
}

static void add_seconds(struct timespec *ts, double seconds)
{
    ts->tv_nsec += (long)(seconds * 1e9);
    while (ts->tv_nsec >= 1000000000L) {
        ts->tv_nsec -= 1000000000L;
        ts->tv_sec++;
    }
}

int memctl_reserve_remote(int tile, size_t bound)
{
    if (!mc.ready)
        return 0;
    pthread_mutex_lock(&mc.lock);
    struct tile_charge *t = tile_at(tile);
    if (!t || t->local) {
        pthread_mutex_unlock(&mc.lock);
        return 0;
    }
    if (mc.cfg.enabled && bound > mc.cfg.high) {
        pthread_mutex_unlock(&mc.lock);
        return -1;
    }
    if (mc.cfg.enabled && mc.charged + bound > mc.cfg.high) {
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
    t->bound = bound;
    set_charge(t, t->charged + bound);
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
        mc.receptions++;
        if (t->reserved > 0) {
            t->reserved--;
            charge -= t->bound;
            if (actual > t->bound) {
                mc.underreserved_receives++;
                mc.underreserved_bytes += actual - t->bound;
            }
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
    move_charge(delta);
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
        mc.releases++;
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
    out->pool = mc.pool;
    out->receptions = mc.receptions;
    out->releases = mc.releases;
    out->underreserved_receives = mc.underreserved_receives;
    out->underreserved_bytes = mc.underreserved_bytes;
    out->growth_overruns = mc.growth_overruns;
    out->growth_overrun_bytes = mc.growth_overrun_bytes;
    pthread_mutex_unlock(&mc.lock);
}

void memctl_watermarks_for(size_t capacity, size_t message, size_t floor, size_t *high, size_t *low)
{
    *high = capacity > 2 * message ? capacity - 2 * message : 0;
    size_t headroom = *high > floor ? *high - floor : 0;
    size_t drop = headroom / 2 < 4 * message ? headroom / 2 : 4 * message;
    *low = *high - drop;
}

void memctl_set_watermarks(size_t high, size_t low)
{
    if (!mc.ready)
        return;
    pthread_mutex_lock(&mc.lock);
    mc.cfg.high = high;
    mc.cfg.low = low < high ? low : high;
    if (mc.charged < mc.cfg.low)
        pthread_cond_broadcast(&mc.released);
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
