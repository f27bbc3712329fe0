#include "tile_mem.h"

#include <stdatomic.h>
#include <stdlib.h>

static atomic_size_t actual_bytes;
static atomic_size_t peak_bytes;
static atomic_size_t capacity_bytes;
static atomic_size_t runtime_bytes, peak_total_bytes;
static atomic_int refused;
static size_t refused_request, refused_held;
static void (*observer_fn)(size_t actual);

void tile_mem_set_capacity(size_t bytes) { atomic_store(&capacity_bytes, bytes); }
size_t tile_mem_capacity(void) { return atomic_load(&capacity_bytes); }
size_t tile_mem_actual(void) { return atomic_load(&actual_bytes); }
size_t tile_mem_peak(void) { return atomic_load(&peak_bytes); }
void tile_mem_set_observer(void (*observer)(size_t actual)) { observer_fn = observer; }

/* Remember the first refusal: the request and the bytes held then. */
static void note_refusal(size_t request, size_t held)
{
    int expected = 0;
    if (atomic_compare_exchange_strong(&refused, &expected, 1)) {
        refused_request = request;
        refused_held = held;
    }
}

static void note_peak(size_t now)
{
    size_t peak = atomic_load(&peak_bytes);
    while (now > peak && !atomic_compare_exchange_weak(&peak_bytes, &peak, now))
        ;
}

/* Tiles plus runtime buffers: the peak of their sum. */
static void note_total(void)
{
    size_t now = atomic_load(&actual_bytes) + atomic_load(&runtime_bytes);
    size_t peak = atomic_load(&peak_total_bytes);
    while (now > peak && !atomic_compare_exchange_weak(&peak_total_bytes, &peak, now))
        ;
}

void *tile_mem_alloc(size_t bytes)
{
    if (bytes == 0)
        return NULL;
    size_t cap = atomic_load(&capacity_bytes);
    /* Claim the bytes first so that two threads cannot both squeeze under
     * the capacity. */
    size_t before = atomic_fetch_add(&actual_bytes, bytes);
    if (cap && before + bytes > cap) {
        atomic_fetch_sub(&actual_bytes, bytes);
        note_refusal(bytes, before);
        return NULL;
    }
    void *ptr = malloc(bytes);
    if (!ptr) {
        atomic_fetch_sub(&actual_bytes, bytes);
        note_refusal(bytes, before);
        return NULL;
    }
    note_peak(before + bytes);
    note_total();
    if (observer_fn)
        observer_fn(before + bytes);
    return ptr;
}

void tile_mem_count(size_t bytes)
{
    atomic_fetch_add(&runtime_bytes, bytes);
    note_total();
}

void tile_mem_uncount(size_t bytes) { atomic_fetch_sub(&runtime_bytes, bytes); }

size_t tile_mem_runtime(void) { return atomic_load(&runtime_bytes); }
size_t tile_mem_peak_total(void) { return atomic_load(&peak_total_bytes); }

void tile_mem_free(void *ptr, size_t bytes)
{
    if (!ptr)
        return;
    free(ptr);
    size_t after = atomic_fetch_sub(&actual_bytes, bytes) - bytes;
    if (observer_fn)
        observer_fn(after);
}

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

void tile_mem_reset(void)
{
    atomic_store(&actual_bytes, 0);
    atomic_store(&peak_bytes, 0);
    atomic_store(&peak_total_bytes, atomic_load(&runtime_bytes));
    atomic_store(&capacity_bytes, 0);
    atomic_store(&refused, 0);
    observer_fn = NULL;
}
