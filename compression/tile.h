/*
 * tile.h: the one tile type of blrchol.  An m x n block of the matrix,
 * stored either dense (column-major, leading dimension m) or low-rank
 * A ~ U V^*, U m x rank, V n x rank, where `*` is ^T for real and complex
 * symmetric matrices and ^H for Hermitian ones.  Storage follows the actual
 * rank, never a preallocated maximum; rank 0 is a valid (all-zero) tile.
 * Buffers come from tile_mem (memctl/tile_mem.h), so every byte is counted.
 * This header knows nothing of StarPU: the StarPU data interface
 * (runtime/tile_interface.c) wraps the same struct.
 */
#ifndef BLRCHOL_TILE_H
#define BLRCHOL_TILE_H

#include <stddef.h>

#define TILE_DENSE (-1)

typedef struct tile {
    int m, n;
    int rank;       /* TILE_DENSE, or the number of columns of u and v */
    int elem_size;  /* bytes per entry: 8 (real double) or 16 (complex double) */
    void *u;        /* dense: m x n; low-rank: m x rank */
    void *v;        /* low-rank: n x rank; unused when dense */
    size_t u_cap;   /* bytes allocated for u (as given to tile_mem_alloc) */
    size_t v_cap;   /* bytes allocated for v */
    int svd_form;   /* low-rank only, 1 when U has orthonormal columns and V orthogonal ones:
                     * U V^* is then a thin SVD whose singular values are the norms of V's
                     * columns.  Set by the low-rank algebra (lowrank.h) on the tiles it
                     * produces; 0 means nothing is known.  Every tile function that changes
                     * the storage clears it (tile_copy copies it); code that writes U or V
                     * in place must clear it too (tile_trsm does). */
} tile_t;

static inline int tile_is_dense(const tile_t *t) { return t->rank == TILE_DENSE; }

/* Bytes the tile needs for its current shape and rank. */
size_t tile_payload_bytes(const tile_t *t);
/* Bytes of the same tile stored dense: the upper bound of any rank. */
static inline size_t tile_dense_bytes(const tile_t *t)
{
    return (size_t)t->m * (size_t)t->n * (size_t)t->elem_size;
}

/* Set shape and element size; no storage (rank 0). */
void tile_init(tile_t *t, int m, int n, int elem_size);

/* Make the tile dense m x n, contents undefined (kept if it already was
 * dense).  0, or -1 when tile_mem refuses. */
int tile_make_dense(tile_t *t);

/* Make the tile low-rank of rank `rank`.  When `keep` is non-zero and the
 * tile was low-rank, the first min(old, new) columns of U and V are kept;
 * new columns are undefined.  0, or -1 when tile_mem refuses (the tile is
 * then unchanged). */
int tile_resize_lowrank(tile_t *t, int rank, int keep);

/* Release the storage; the tile becomes rank 0. */
void tile_release(tile_t *t);

/* Copy src (any representation) into dst, same shape; dst storage is
 * reallocated as needed.  0 or -1. */
int tile_copy(tile_t *dst, const tile_t *src);

/* Write the tile as a dense m x n matrix into `out` (leading dimension ld),
 * conj: 1 when the tile is U V^H (Hermitian), 0 for U V^T
 * (compression/t_tile_expand.c). */
void tile_expand_d(const tile_t *t, double *out, int ld);
void tile_expand_z(const tile_t *t, int conj, void *out, int ld);

#endif
