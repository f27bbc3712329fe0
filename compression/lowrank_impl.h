/*
 * lowrank_impl.h: helpers shared by the precision-generic sources
 * compression/t_lowrank.c and compression/t_compress.c.  Not part of the
 * public API (that is lowrank.h).  Include after common/precision.h, so
 * that NAME() and scalar_t name the instantiation being compiled.
 */
#ifndef BLRCHOL_LOWRANK_IMPL_H
#define BLRCHOL_LOWRANK_IMPL_H

#include <stdlib.h>
#include "compression/scratch.h"
#include "compression/tile.h"

/* Status returned when LAPACK fails (an SVD that does not converge): the
 * tile is left unchanged.  -1 stays "memory refused" as lowrank.h says. */
#define LR_LAPACK_FAILED (-2)

/* The largest rank worth storing low-rank: past it, (m + n) k > m n and
 * the dense tile is cheaper (docs/design/algorithm.md). */
static inline int lr_max_lowrank(int m, int n) { return (m < n ? m : n) / 2; }

/* The smallest k such that sqrt(sum_{i >= k} s_i^2) <= tol, s sorted
 * decreasing (0-based, so s[k..p-1] are dropped).  Summing from the smallest
 * value up keeps the tail sum accurate when it is far below s[0].  The
 * budget is shrunk by a relative 1e-8: computed singular values carry
 * rounding errors of order 1e-16 s[0], and a tail that meets tol only to
 * the last bit would then miss it in exact arithmetic. */
static inline int lr_truncation_rank(const double *s, int p, double tol)
{
    const double safe_tol = tol * (1.0 - 1e-8);
    double budget = tol > 0 ? safe_tol * safe_tol : 0.0, tail = 0.0;
    int k = p;
    while (k > 0 && tail + s[k - 1] * s[k - 1] <= budget) {
        tail += s[k - 1] * s[k - 1];
        k--;
    }
    return k;
}

/* Workspace of `count` scalars (plain malloc: workspaces are not tiles).
 * Never asks malloc for 0 bytes, so NULL always means out of memory. */
static inline void *lr_workspace(size_t count, size_t size) { return malloc((count ? count : 1) * size); }
#define LR_WORKSPACE(type, count) ((type *)lr_workspace((size_t)(count), sizeof(type)))

/*
 * One workspace block cut into named arrays.  A layout function fills a
 * struct of pointers by calling lr_carve for each array; lr_arena_alloc
 * runs it once on no block to measure, allocates, and runs it again to
 * carve: the sizes are written once, and one free releases everything.
 */
typedef struct lr_arena {
    char *base;   /* NULL while measuring */
    size_t used;
} lr_arena_t;
typedef void lr_layout_fn(void *ws, lr_arena_t *arena);

/* The next array of count elements of `size` bytes, 16-byte aligned like
 * malloc's blocks (NULL while measuring). */
static inline void *lr_carve(lr_arena_t *arena, size_t count, size_t size)
{
    void *array = arena->base ? arena->base + arena->used : NULL;
    arena->used += (count * size + 15) & ~(size_t)15;
    return array;
}

/* The block laid out by `layout` in ws (whose pointers it sets), taken
 * from `get` (bytes -> block), or NULL when it refuses. */
static inline void *lr_arena_from(lr_layout_fn *layout, void *ws, void *(*get)(size_t))
{
    lr_arena_t arena = {NULL, 0};
    layout(ws, &arena);
    arena.base = get(arena.used);
    if (arena.base) {
        arena.used = 0;
        layout(ws, &arena);
    }
    return arena.base;
}

static inline void *lr_workspace_bytes(size_t bytes) { return lr_workspace(bytes, 1); }

/* The block from malloc; the caller frees it. */
static inline void *lr_arena_alloc(lr_layout_fn *layout, void *ws)
{
    return lr_arena_from(layout, ws, lr_workspace_bytes);
}

/* The block on the calling thread's scratch stack (scratch.h); the caller
 * pops back to a mark taken before. */
static inline void *lr_arena_push(lr_layout_fn *layout, void *ws) { return lr_arena_from(layout, ws, scratch_push); }

/* count elements of `size` bytes on the scratch stack, never 0 bytes so
 * that NULL always means out of memory. */
static inline void *lr_scratch(size_t count, size_t size) { return scratch_push((count ? count : 1) * size); }
#define LR_SCRATCH(type, count) ((type *)lr_scratch((size_t)(count), sizeof(type)))

/* Truncate the product A B^* at tol into t (t->m x t->n), A m x k and B n x k
 * with leading dimensions m and n; A and B are destroyed.  When the
 * truncated rank passes lr_max_lowrank, t is left untouched and *too_big is
 * set: the caller stores its dense result its own (exact) way.  Otherwise t
 * becomes low-rank with the truncated rank (any previous storage replaced).
 * 0, -1 (no memory; t unchanged) or LR_LAPACK_FAILED. */
int NAME(lr_recompress_factors)(tile_t *t, int k, scalar_t *a, scalar_t *b, double tol, int conj,
                                int *too_big);

/* out (m x n, leading dimension ld) <- the tile t, dense or low-rank
 * (compression/t_tile_expand.c). */
void NAME(lr_expand)(const tile_t *t, int conj, scalar_t *out, int ld);

/* out(i, l) <- YH(l, i)^* s_l for i < rows, l < r (out: leading dimension
 * ldout; YH: ldyh): the V factor (YH_r)^* S_r of a truncated SVD
 * W S YH, so that W_r (YH_r^* S_r)^* = W_r S_r YH_r and U = W_r stays
 * orthonormal (svd_form). */
void NAME(lr_scaled_adjoint)(int rows, int r, const scalar_t *yh, int ldyh, const double *s, int conj,
                             scalar_t *out, int ldout);

/* Make t dense and copy the m x n array d (leading dimension m) into it.
 * d must not be t's own storage.  0 or -1 (t unchanged). */
int NAME(lr_store_dense)(tile_t *t, const scalar_t *d);

#endif
