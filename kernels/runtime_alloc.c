#include "runtime_alloc.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>

#include <starpu.h>

#include "../memctl/tile_mem.h"

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

static void note(int kind, size_t bytes, int sign)
{
    if (sign > 0) {
        size_t now = atomic_fetch_add(&held[kind], bytes) + bytes, top = atomic_load(&peak[kind]);
        while (now > top && !atomic_compare_exchange_weak(&peak[kind], &top, now))
            ;
        tile_mem_count(bytes);
    } else {
        atomic_fetch_sub(&held[kind], bytes);
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

static int malloc_hook(unsigned node, void **out, size_t bytes, int flags)
{
    (void)node;
    *out = allocate(bytes, flags == 0 ? RUNTIME_RECV : RUNTIME_OTHER);
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

void runtime_alloc_install(void)
{
    starpu_malloc_set_hooks(malloc_hook, free_hook);
    installed = 1;
}

int runtime_alloc_installed(void) { return installed; }

void *runtime_alloc_send_buffer(size_t bytes)
{
    if (!installed)
        return (void *)starpu_malloc_on_node_flags(STARPU_MAIN_RAM, bytes, 0);
    return allocate(bytes, RUNTIME_SEND);
}

size_t runtime_alloc_bytes(runtime_kind_t kind) { return atomic_load(&held[kind]); }
size_t runtime_alloc_peak(runtime_kind_t kind) { return atomic_load(&peak[kind]); }

void runtime_alloc_reset_peaks(void)
{
    for (int k = 0; k < RUNTIME_KINDS; k++)
        atomic_store(&peak[k], atomic_load(&held[k]));
}
