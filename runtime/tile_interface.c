#include "runtime/tile_interface.h"

#include <string.h>

#include "memctl/memctl.h"
#include "memctl/tile_mem.h"
#include "runtime/runtime_alloc.h"

void tile_interface_note_written(void *buffer)
{
    struct tile_interface *itf = buffer;
    if (!itf->remote)
        memctl_local_set(itf->tile_index, tile_payload_bytes(&itf->tile));
}

void tile_interface_note_final(void *buffer)
{
    struct tile_interface *itf = buffer;
    if (!itf->remote)
        memctl_local_final(itf->tile_index);
}

/* StarPU 1.4 passes the home node of register_data_handle as an int (1.3:
 * unsigned); every other method kept its type. */
#if STARPU_MAJOR_VERSION > 1 || STARPU_MINOR_VERSION >= 4
#define HOME_NODE_TYPE int
#else
#define HOME_NODE_TYPE unsigned
#endif

/* Every node gets the shape; storage exists nowhere yet. */
static void tile_register_data_handle(starpu_data_handle_t handle, HOME_NODE_TYPE home_node, void *data_interface)
{
    struct tile_interface *model = data_interface;
    for (unsigned node = 0; node < STARPU_MAXNODES; node++) {
        struct tile_interface *local = starpu_data_get_interface_on_node(handle, node);
        *local = *model;
        tile_init(&local->tile, model->tile.m, model->tile.n, model->tile.elem_size);
        local->tile.rank = model->tile.rank;
    }
}

/*
 * StarPU allocates a replica from the interface's current rank (a stale one
 * before a receive; unpack then resizes).  When tile_mem refuses, the
 * refusal is already recorded (the run will stop with status "oom"); we
 * hand StarPU an empty rank-0 tile instead of -ENOMEM, because StarPU would
 * otherwise retry forever with nothing it can evict.
 */
static starpu_ssize_t tile_allocate_data_on_node(void *data_interface, unsigned node)
{
    tile_t *t = &((struct tile_interface *)data_interface)->tile;
    int rank = t->rank;
    t->u = t->v = NULL;
    t->u_cap = t->v_cap = 0;
    t->rank = 0;
    int status = rank == TILE_DENSE ? tile_make_dense(t) : tile_resize_lowrank(t, rank, 0);
    if (status != 0)
        t->rank = 0;
    return (starpu_ssize_t)(t->u_cap + t->v_cap);
}

static void tile_free_data_on_node(void *data_interface, unsigned node)
{
    struct tile_interface *itf = data_interface;
    int rank = itf->tile.rank;
    tile_release(&itf->tile);
    itf->tile.rank = rank; /* keep the last known rank for the next allocation */
    if (itf->remote)
        memctl_released(itf->tile_index);
}

tile_t *tile_interface_get(starpu_data_handle_t handle)
{
    return &((struct tile_interface *)starpu_data_get_interface_on_node(handle, STARPU_MAIN_RAM))->tile;
}

static const tile_t *main_ram_tile(starpu_data_handle_t handle)
{
    return tile_interface_get(handle);
}

static size_t tile_get_size(starpu_data_handle_t handle)
{
    return tile_payload_bytes(main_ram_tile(handle));
}

static uint32_t tile_footprint(starpu_data_handle_t handle)
{
    const tile_t *t = main_ram_tile(handle);
    uint32_t hash = starpu_hash_crc32c_be(t->m, 0);
    hash = starpu_hash_crc32c_be(t->n, hash);
    return starpu_hash_crc32c_be((uint32_t)t->rank, hash);
}

static int tile_compare(void *a, void *b)
{
    const tile_t *ta = &((struct tile_interface *)a)->tile, *tb = &((struct tile_interface *)b)->tile;
    return ta->m == tb->m && ta->n == tb->n && ta->rank == tb->rank && ta->elem_size == tb->elem_size;
}

static void tile_display(starpu_data_handle_t handle, FILE *f)
{
    const tile_t *t = main_ram_tile(handle);
    fprintf(f, "%d\t%d\t%d\t", t->m, t->n, t->rank);
}

static starpu_ssize_t tile_describe(void *data_interface, char *buf, size_t size)
{
    const tile_t *t = &((struct tile_interface *)data_interface)->tile;
    if (tile_is_dense(t))
        return snprintf(buf, size, "D%dx%d", t->m, t->n);
    return snprintf(buf, size, "LR%dx%dk%d", t->m, t->n, t->rank);
}

/* Wire format: int32 {m, n, rank, elem_size}, then U, then V. */
#define TILE_HEADER_BYTES (4 * sizeof(int32_t))

static int tile_pack_data(starpu_data_handle_t handle, unsigned node, void **ptr, starpu_ssize_t *count)
{
    const tile_t *t = &((struct tile_interface *)starpu_data_get_interface_on_node(handle, node))->tile;
    size_t payload = tile_payload_bytes(t);
    *count = (starpu_ssize_t)(TILE_HEADER_BYTES + payload);
    runtime_alloc_packing();
    if (!ptr)
        return 0;
    /* StarPU-MPI frees this buffer with starpu_free_on_node_flags. */
    char *buffer = runtime_alloc_send_buffer(*count);
    STARPU_ASSERT_MSG(buffer, "blrchol: cannot allocate a %zu-byte send buffer", (size_t)*count);
    int32_t header[4] = {t->m, t->n, t->rank, t->elem_size};
    memcpy(buffer, header, TILE_HEADER_BYTES);
    if (tile_is_dense(t)) {
        memcpy(buffer + TILE_HEADER_BYTES, t->u, payload);
    } else {
        size_t u_bytes = (size_t)t->m * t->rank * t->elem_size;
        memcpy(buffer + TILE_HEADER_BYTES, t->u, u_bytes);
        memcpy(buffer + TILE_HEADER_BYTES + u_bytes, t->v, payload - u_bytes);
    }
    *ptr = buffer;
    return 0;
}

static int tile_unpack_data(starpu_data_handle_t handle, unsigned node, void *ptr, size_t count)
{
    struct tile_interface *itf = starpu_data_get_interface_on_node(handle, node);
    tile_t *t = &itf->tile;
    int32_t header[4];
    STARPU_ASSERT(count >= TILE_HEADER_BYTES);
    memcpy(header, ptr, TILE_HEADER_BYTES);
    t->m = header[0];
    t->n = header[1];
    t->elem_size = header[3];
    int status = header[2] == TILE_DENSE ? tile_make_dense(t) : tile_resize_lowrank(t, header[2], 0);
    if (status == 0) {
        const char *payload = (const char *)ptr + TILE_HEADER_BYTES;
        STARPU_ASSERT(count == TILE_HEADER_BYTES + tile_payload_bytes(t));
        if (tile_is_dense(t)) {
            memcpy(t->u, payload, tile_payload_bytes(t));
        } else {
            size_t u_bytes = (size_t)t->m * t->rank * t->elem_size;
            memcpy(t->u, payload, u_bytes);
            memcpy(t->v, payload + u_bytes, tile_payload_bytes(t) - u_bytes);
        }
    } else {
        /* Refused by tile_mem: the run is already marked out of memory;
         * leave a valid all-zero tile. */
        tile_release(t);
    }
    /* Early data or a posted receive's buffer (runtime_alloc.h): checked
     * against the path that brought it here, then freed, which also ends
     * its count. */
    runtime_alloc_unpacking(ptr);
    starpu_free_on_node_flags(node, (uintptr_t)ptr, count, 0);
    if (itf->remote)
        memctl_received(itf->tile_index, tile_payload_bytes(t));
    return 0;
}

/* Copies between memory nodes happen only with several RAM/NUMA nodes or
 * accelerators; the destination was allocated from a stale rank, so resize
 * it first. */
static int tile_any_to_any(void *src_interface, unsigned src_node, void *dst_interface, unsigned dst_node,
                           void *async_data)
{
    const tile_t *src = &((struct tile_interface *)src_interface)->tile;
    tile_t *dst = &((struct tile_interface *)dst_interface)->tile;
    if (tile_copy(dst, src) != 0)
        return -ENOMEM;
    return 0;
}

/*
 * A method of another type than StarPU's member is only a warning for some
 * compilers, and StarPU would call it with the wrong arguments: fail the
 * build on every compiler instead (C11 _Generic, and __typeof__, which gcc,
 * clang and the compilers derived from them accept).
 */
#define ASSERT_METHOD_TYPE(ops, member, method)                                                                      \
    _Static_assert(_Generic(&method, __typeof__(((ops *)0)->member): 1, default: 0),                                  \
                   #method " does not have the type of " #ops "::" #member)

ASSERT_METHOD_TYPE(struct starpu_data_copy_methods, any_to_any, tile_any_to_any);
ASSERT_METHOD_TYPE(struct starpu_data_interface_ops, register_data_handle, tile_register_data_handle);
ASSERT_METHOD_TYPE(struct starpu_data_interface_ops, allocate_data_on_node, tile_allocate_data_on_node);
ASSERT_METHOD_TYPE(struct starpu_data_interface_ops, free_data_on_node, tile_free_data_on_node);
ASSERT_METHOD_TYPE(struct starpu_data_interface_ops, get_size, tile_get_size);
ASSERT_METHOD_TYPE(struct starpu_data_interface_ops, footprint, tile_footprint);
ASSERT_METHOD_TYPE(struct starpu_data_interface_ops, compare, tile_compare);
ASSERT_METHOD_TYPE(struct starpu_data_interface_ops, display, tile_display);
ASSERT_METHOD_TYPE(struct starpu_data_interface_ops, describe, tile_describe);
ASSERT_METHOD_TYPE(struct starpu_data_interface_ops, pack_data, tile_pack_data);
ASSERT_METHOD_TYPE(struct starpu_data_interface_ops, unpack_data, tile_unpack_data);

static const struct starpu_data_copy_methods tile_copy_methods = {
    .any_to_any = tile_any_to_any,
};

static struct starpu_data_interface_ops tile_ops = {
    .register_data_handle = tile_register_data_handle,
    .allocate_data_on_node = tile_allocate_data_on_node,
    .free_data_on_node = tile_free_data_on_node,
    .copy_methods = &tile_copy_methods,
    /* No to_pointer: StarPU would key a pointer registry on a buffer that
     * codelets reallocate (docs/design/starpu-mpi.md). */
    .get_size = tile_get_size,
    .footprint = tile_footprint,
    .compare = tile_compare,
    .display = tile_display,
    .describe = tile_describe,
    .interface_size = sizeof(struct tile_interface),
    .dontcache = 1, /* sizes vary: never reuse another tile's buffer */
    .pack_data = tile_pack_data,
    .unpack_data = tile_unpack_data,
    .name = "BLRCHOL_TILE_INTERFACE",
};

void tile_interface_register(starpu_data_handle_t *handle, int m, int n, int elem_size, int tile_index,
                             int remote)
{
    if (tile_ops.interfaceid == 0) {
        tile_ops.interfaceid = starpu_data_interface_get_next_id();
        runtime_alloc_watch_interface(tile_ops.interfaceid);
    }
    struct tile_interface model;
    memset(&model, 0, sizeof model);
    model.id = tile_ops.interfaceid;
    tile_init(&model.tile, m, n, elem_size);
    model.tile_index = tile_index;
    model.remote = remote;
    starpu_data_register(handle, -1, &model, &tile_ops);
}
