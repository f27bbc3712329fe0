#include "compression/tile.h"

#include <string.h>

#include "memctl/tile_mem.h"

size_t tile_payload_bytes(const tile_t *t)
{
    if (tile_is_dense(t))
        return tile_dense_bytes(t);
    return ((size_t)t->m + (size_t)t->n) * (size_t)t->rank * (size_t)t->elem_size;
}

void tile_init(tile_t *t, int m, int n, int elem_size)
{
    memset(t, 0, sizeof *t);
    t->m = m;
    t->n = n;
    t->elem_size = elem_size;
}

/* Replace one buffer by a new one of `bytes`, copying `keep_bytes` of the
 * old contents. */
static int buffer_realloc(void **ptr, size_t *cap, size_t bytes, size_t keep_bytes)
{
    if (bytes == *cap)
        return 0;
    void *fresh = NULL;
    if (bytes) {
        fresh = tile_mem_alloc(bytes);
        if (!fresh)
            return -1;
        if (keep_bytes && *ptr)
            memcpy(fresh, *ptr, keep_bytes < bytes ? keep_bytes : bytes);
    }
    tile_mem_free(*ptr, *cap);
    *ptr = fresh;
    *cap = bytes;
    return 0;
}

int tile_make_dense(tile_t *t)
{
    size_t bytes = tile_dense_bytes(t);
    if (tile_is_dense(t) && t->u_cap == bytes)
        return 0;
    void *fresh = NULL;
    if (bytes && !(fresh = tile_mem_alloc(bytes)))
        return -1;
    tile_release(t);
    t->u = fresh;
    t->u_cap = bytes;
    t->rank = TILE_DENSE;
    t->svd_form = 0;
    return 0;
}

int tile_resize_lowrank(tile_t *t, int rank, int keep)
{
    size_t esz = (size_t)t->elem_size;
    size_t u_bytes = (size_t)t->m * rank * esz, v_bytes = (size_t)t->n * rank * esz;
    if (tile_is_dense(t)) {
        void *u = NULL, *v = NULL;
        if (u_bytes && !(u = tile_mem_alloc(u_bytes)))
            return -1;
        if (v_bytes && !(v = tile_mem_alloc(v_bytes))) {
            tile_mem_free(u, u_bytes);
            return -1;
        }
        tile_release(t);
        t->u = u, t->u_cap = u_bytes;
        t->v = v, t->v_cap = v_bytes;
        t->rank = rank;
        t->svd_form = 0;
        return 0;
    }
    int kept = keep ? (rank < t->rank ? rank : t->rank) : 0;
    /* Both buffers or neither: undo U if V cannot grow. */
    void *old_u = t->u;
    size_t old_u_cap = t->u_cap;
    if (u_bytes != t->u_cap) {
        void *u = NULL;
        if (u_bytes && !(u = tile_mem_alloc(u_bytes)))
            return -1;
        if (kept)
            memcpy(u, old_u, (size_t)t->m * kept * esz);
        t->u = u, t->u_cap = u_bytes;
    }
    if (buffer_realloc(&t->v, &t->v_cap, v_bytes, (size_t)t->n * kept * esz) != 0) {
        if (t->u != old_u) {
            tile_mem_free(t->u, t->u_cap);
            t->u = old_u, t->u_cap = old_u_cap;
        }
        return -1;
    }
    if (t->u != old_u)
        tile_mem_free(old_u, old_u_cap);
    t->rank = rank;
    t->svd_form = 0;
    return 0;
}

void tile_release(tile_t *t)
{
    tile_mem_free(t->u, t->u_cap);
    tile_mem_free(t->v, t->v_cap);
    t->u = t->v = NULL;
    t->u_cap = t->v_cap = 0;
    t->rank = 0;
    t->svd_form = 0;
}

int tile_copy(tile_t *dst, const tile_t *src)
{
    dst->m = src->m;
    dst->n = src->n;
    dst->elem_size = src->elem_size;
    int status = tile_is_dense(src) ? tile_make_dense(dst) : tile_resize_lowrank(dst, src->rank, 0);
    if (status)
        return status;
    if (tile_is_dense(src)) {
        if (src->u_cap)
            memcpy(dst->u, src->u, tile_dense_bytes(src));
    } else {
        size_t esz = (size_t)src->elem_size;
        if (src->rank) {
            memcpy(dst->u, src->u, (size_t)src->m * src->rank * esz);
            memcpy(dst->v, src->v, (size_t)src->n * src->rank * esz);
        }
        dst->svd_form = src->svd_form;
    }
    return 0;
}
