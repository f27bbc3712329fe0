#include "memctl/tile_mem.h"

#include <stdatomic.h>
#include <stdlib.h>

#include "common/atomic_peak.h"

/* tile buffers, early data, runtime buffers */
static atomic_size_t tile_bytes, early_bytes, runtime_bytes;
static atomic_size_t peak_actual, peak_early, peak_total;
static atomic_size_t capacity_bytes;
static atomic_int refused;
static size_t refused_request, refused_held;
static tile_mem_refusal_t refused_kind;

void tile_mem_set_capacity(size_t bytes) { atomic_store(&capacity_bytes, bytes); }
size_t tile_mem_capacity(void) { return atomic_load(&capacity_bytes); }
size_t tile_mem_actual(void) { return atomic_load(&tile_bytes) + atomic_load(&early_bytes); }
size_t tile_mem_peak(void) { return atomic_load(&peak_actual); }
size_t tile_mem_early(void) { return atomic_load(&early_bytes); }
size_t tile_mem_peak_early(void) { return atomic_load(&peak_early); }
size_t tile_mem_runtime(void) { return atomic_load(&runtime_bytes); }
size_t tile_mem_peak_total(void) { return atomic_load(&peak_total); }

/* Remember the first refusal: the request and the bytes held then. */
static void note_refusal(size_t request, size_t held, tile_mem_refusal_t kind)
{
    int expected = 0;
    if (atomic_compare_exchange_strong(&refused, &expected, 1)) {
        refused_request = request;
        refused_held = held;
        refused_kind = kind;
    }
}

/* After any increase: the peaks, and the capacity for bytes that could
 * not be refused (`bytes` just added). */
static void note_increase(size_t bytes, int refusable, tile_mem_refusal_t kind)
{
    size_t actual = tile_mem_actual(), total = actual + atomic_load(&runtime_bytes);
    atomic_peak_raise(&peak_actual, actual);
    atomic_peak_raise(&peak_early, atomic_load(&early_bytes));
    atomic_peak_raise(&peak_total, total);
    size_t cap = atomic_load(&capacity_bytes);
    if (!refusable && cap && total > cap)
        note_refusal(bytes, total - bytes, kind);
}

void *tile_mem_alloc(size_t bytes)
{
    if (bytes == 0)
        return NULL;
    size_t cap = atomic_load(&capacity_bytes);
    /* Claim the bytes first so that two threads cannot both squeeze under
     * the capacity. */
    size_t before = atomic_fetch_add(&tile_bytes, bytes);
    size_t others = atomic_load(&early_bytes) + atomic_load(&runtime_bytes);
    if (cap && before + others + bytes > cap) {
        atomic_fetch_sub(&tile_bytes, bytes);
        note_refusal(bytes, before + others, TILE_MEM_REFUSED_TILE);
        return NULL;
    }
    void *ptr = malloc(bytes);
    if (!ptr) {
        atomic_fetch_sub(&tile_bytes, bytes);
        note_refusal(bytes, before + others, TILE_MEM_REFUSED_TILE);
        return NULL;
    }
    note_increase(bytes, 1, TILE_MEM_REFUSED_TILE);
    return ptr;
}

void tile_mem_free(void *ptr, size_t bytes)
{
    if (!ptr)
        return;
    free(ptr);
    atomic_fetch_sub(&tile_bytes, bytes);
}

void tile_mem_early_add(size_t bytes)
{
    atomic_fetch_add(&early_bytes, bytes);
    note_increase(bytes, 0, TILE_MEM_REFUSED_EARLY);
}

void tile_mem_early_sub(size_t bytes) { atomic_fetch_sub(&early_bytes, bytes); }

void tile_mem_count(size_t bytes)
{
    atomic_fetch_add(&runtime_bytes, bytes);
    note_increase(bytes, 0, TILE_MEM_REFUSED_RUNTIME);
}

void tile_mem_uncount(size_t bytes) { atomic_fetch_sub(&runtime_bytes, bytes); }

int tile_mem_refused(size_t *requested, size_t *held)
{
    if (!atomic_load(&refused))
        return 0;
    if (requested)
        *requested = refused_request;
    if (held)
        *held = refused_held;
    return 1;
}

tile_mem_refusal_t tile_mem_refusal_kind(void) { return refused_kind; }

void tile_mem_reset(void)
{
    atomic_store(&tile_bytes, 0);
    atomic_store(&peak_actual, atomic_load(&early_bytes));
    atomic_store(&peak_early, atomic_load(&early_bytes));
    atomic_store(&peak_total, atomic_load(&early_bytes) + atomic_load(&runtime_bytes));
    atomic_store(&capacity_bytes, 0);
    atomic_store(&refused, 0);
}
