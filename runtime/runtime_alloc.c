#include "runtime/runtime_alloc.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>

#include <starpu.h>
#include <starpu_mpi.h>

#include "common/atomic_peak.h"
#include "memctl/memctl.h"
#include "memctl/tile_mem.h"

/* Each buffer starts with a header saying its size and kind, so that the
 * free hook, which StarPU calls with the size only, credits the right
 * count; 64 bytes keep the payload cache-line aligned. */
enum { HEADER = 64 };
struct header {
    size_t bytes;
    int kind;
};

static int installed;
static atomic_size_t held[RUNTIME_KINDS], peak[RUNTIME_KINDS];
static atomic_long allocated[RUNTIME_KINDS], check_failures;

/* Set by the datatype function StarPU-MPI calls on a tile's handle just
 * before it allocates a posted receive's buffer (runtime_alloc.h). */
static _Thread_local int marked;

static void note(int kind, size_t bytes, int sign)
{
    if (sign > 0) {
        atomic_peak_raise(&peak[kind], atomic_fetch_add(&held[kind], bytes) + bytes);
        atomic_fetch_add(&allocated[kind], 1);
    } else {
        atomic_fetch_sub(&held[kind], bytes);
    }
    /* Tile bytes: early data is tile data nobody reserved, part of the
     * allocator's `actual`; posted receive and send buffers are the
     * runtime's, within memctl's reservations and send window. */
    if (kind == RUNTIME_EARLY) {
        if (sign > 0)
            tile_mem_early_add(bytes);
        else
            tile_mem_early_sub(bytes);
        memctl_early(sign > 0 ? (long)bytes : -(long)bytes);
    } else if (kind != RUNTIME_OTHER) {
        if (sign > 0)
            tile_mem_count(bytes);
        else
            tile_mem_uncount(bytes);
    }
}

static void *allocate(size_t bytes, int kind)
{
    void *base = NULL;
    if (posix_memalign(&base, HEADER, HEADER + bytes) != 0)
        return NULL;
    struct header *h = base;
    h->bytes = bytes;
    h->kind = kind;
    note(kind, bytes, +1);
    return (char *)base + HEADER;
}

/* StarPU-MPI's raw receive buffers are the only flags-0 allocations in
 * main memory here (runtime_alloc.h); the thread's mark tells a posted
 * receive's from early data's. */
static int malloc_hook(unsigned node, void **out, size_t bytes, int flags)
{
    (void)node;
    int kind = RUNTIME_OTHER;
    if (flags == 0) {
        kind = marked ? RUNTIME_RECV : RUNTIME_EARLY;
        marked = 0;
    }
    *out = allocate(bytes, kind);
    return *out ? 0 : -ENOMEM;
}

static int free_hook(unsigned node, void *ptr, size_t bytes, int flags)
{
    (void)node, (void)bytes, (void)flags;
    if (!ptr)
        return 0;
    struct header *h = (struct header *)((char *)ptr - HEADER);
    note(h->kind, h->bytes, -1);
    free(h);
    return 0;
}

/* "No datatype" (non-zero): StarPU-MPI packs the tile, as without this
 * function; the call only marks the thread. */
static int mark_thread(starpu_data_handle_t handle, MPI_Datatype *datatype)
{
    (void)handle;
    *datatype = MPI_DATATYPE_NULL;
    marked = 1;
    return -1;
}

static void no_datatype_to_free(MPI_Datatype *datatype) { (void)datatype; }

void runtime_alloc_install(void)
{
    starpu_malloc_set_hooks(malloc_hook, free_hook);
    installed = 1;
}


void runtime_alloc_watch_interface(int interface_id)
{
    if (installed)
        starpu_mpi_interface_datatype_register((enum starpu_data_interface_id)interface_id, mark_thread,
                                               no_datatype_to_free);
}

void *runtime_alloc_send_buffer(size_t bytes)
{
    if (!installed)
        return (void *)starpu_malloc_on_node_flags(STARPU_MAIN_RAM, bytes, 0);
    return allocate(bytes, RUNTIME_SEND);
}

void runtime_alloc_packing(void) { marked = 0; }

runtime_kind_t runtime_alloc_unpacking(const void *buffer)
{
    int from_early_callback = marked;
    marked = 0;
    if (!installed || !buffer)
        return RUNTIME_OTHER;
    const struct header *h = (const struct header *)((const char *)buffer - HEADER);
    if ((h->kind == RUNTIME_EARLY) != from_early_callback)
        atomic_fetch_add(&check_failures, 1);
    return (runtime_kind_t)h->kind;
}

size_t runtime_alloc_peak(runtime_kind_t kind) { return atomic_load(&peak[kind]); }
long runtime_alloc_count(runtime_kind_t kind) { return atomic_load(&allocated[kind]); }
long runtime_alloc_check_failures(void) { return atomic_load(&check_failures); }

void runtime_alloc_reset_peaks(void)
{
    for (int k = 0; k < RUNTIME_KINDS; k++) {
        atomic_store(&peak[k], atomic_load(&held[k]));
        atomic_store(&allocated[k], 0);
    }
    atomic_store(&check_failures, 0);
}
