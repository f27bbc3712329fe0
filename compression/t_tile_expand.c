/*
 * t_tile_expand.c: a tile, dense or low-rank, written out as a dense
 * matrix.  Precision-generic (common/precision.h): one source for
 * tile_expand_d, tile_expand_z (tile.h) and lr_expand (lowrank_impl.h).
 */
#include "common/precision.h"
#include "common/blas.h"
#include "compression/lowrank_impl.h"
#include "compression/tile.h"

/* Zeros into the m x n array out (leading dimension ld). */
static void fill_zero(int m, int n, scalar_t *out, int ld)
{
    for (int j = 0; j < n; j++)
        for (int i = 0; i < m; i++)
            out[i + (size_t)j * ld] = 0;
}

/*
 * out (m x n, leading dimension ld) <- T: a copy of a dense T, or
 * U V^* (* = ^H when conj = 1, ^T when 0) for a low-rank one.
 */
void NAME(lr_expand)(const tile_t *t, int conj, scalar_t *out, int ld)
{
    if (tile_is_dense(t))
        lapack_copy(t->m, t->n, t->u, t->m, out, ld);
    else if (t->rank == 0)
        fill_zero(t->m, t->n, out, ld);
    else
        blas_gemm(CblasNoTrans, blas_star(conj), t->m, t->n, t->rank, 1.0, t->u, t->m, t->v, t->n, 0.0, out,
                  ld);
}

/* The public names keep the signatures their callers use: a real tile has
 * no conjugation to choose. */
#if defined(PRECISION_D)
void tile_expand_d(const tile_t *t, double *out, int ld) { lr_expand_d(t, 0, out, ld); }
#else
void tile_expand_z(const tile_t *t, int conj, void *out, int ld) { lr_expand_z(t, conj, out, ld); }
#endif
