/*
 * lowrank.h: low-rank algebra on tiles (compression/t_lowrank.c,
 * compression/t_compress.c), one precision-generic source instantiated for
 * d (double) and z (double complex).
 *
 * Conventions for every function below:
 * - `conj` = 1: the tile is U V^H (Hermitian matrices); 0: U V^T.
 * - `tol` is an ABSOLUTE Frobenius-norm threshold: a tile is truncated so
 *   that ||T - U V^*||_F <= tol (the solver passes eps ||A||_F / nt).
 * - A result whose rank passes min(m, n) / 2 is stored dense instead
 *   (docs/design/algorithm.md: it is cheaper).
 * - Storage is reallocated through tile_mem; return 0, or -1 when tile_mem
 *   refuses (the tile is then left valid, though possibly unchanged).
 *   -1 also covers a failed malloc of a workspace; -2 means LAPACK failed
 *   (an SVD did not converge) and the tile is unchanged.
 * - x and y of lr_add_product must not alias the tile's own storage.
 * - Every low-rank tile these functions produce is in svd_form (tile.h):
 *   U with orthonormal columns, the singular values in V.  lr_add_product
 *   relies on it when the flag is set.
 */
#ifndef BLRCHOL_LOWRANK_H
#define BLRCHOL_LOWRANK_H

#include <complex.h>
#include "compression/tile.h"

/* Entries of one tile, in tile-local coordinates: out[r + c ld] =
 * T(row0 + r, col0 + c), r < nrows, c < ncols.  Scalars are double or
 * double complex according to the instantiation that calls it. */
typedef void (*lr_assemble_fn)(void *ctx, int row0, int nrows, int col0, int ncols, void *out, int ld);

/* How lr_compress_aca built a tile (the run counts each: docs/user-guide.md). */
typedef enum {
    LR_ROUTE_ACA,      /* ACA's result, which passed the a posteriori check */
    LR_ROUTE_REJECTED, /* ACA's result failed the check: the exact path instead */
    LR_ROUTE_STALLED,  /* ACA stalled, or the tile is too thin for it: the exact path */
    LR_ROUTES
} lr_route_t;

#define LOWRANK_DECLARE(SUFFIX, SCALAR)                                                              \
    /* Recompress a low-rank tile in place at tol (QR of U and V, SVD of the core). */              \
    int lr_truncate_##SUFFIX(tile_t *t, double tol, int conj);                                       \
    /* Dense tile -> low-rank at tol by SVD, when the rank is at most min(m,n)/2. */                 \
    int lr_compress_dense_##SUFFIX(tile_t *t, double tol, int conj);                                 \
    /* Low-rank tile -> dense. */                                                                    \
    int lr_to_dense_##SUFFIX(tile_t *t, int conj);                                                   \
    /* t (m, n, elem_size set, no storage) <- the tile given by `assemble`, compressed at tol.       \
     * _aca: adaptive cross approximation with partial pivoting, then recompression, then the        \
     * a posteriori check against the assembled tile (t_compress.c); a result that fails it, or an   \
     * ACA that stalls, gives way to the exact path of _svd.  _aca_route: the same, and *route     \
     * says which way the tile went.                                                                 \
     * _svd: dense assembly, then the exact truncation: a range finder whose stopping test is the    \
     * exact residual, then the truncated SVD of the small projected tile (dense when the rank is    \
     * too big).                                                                                     \
     * _aca_unchecked: ACA without the check (to show what the check catches); only a stall falls   \
     * back to _svd: its result may miss part of the tile. */                                        \
    int lr_compress_aca_##SUFFIX(tile_t *t, lr_assemble_fn assemble, void *ctx, double tol, int conj); \
    int lr_compress_aca_route_##SUFFIX(tile_t *t, lr_assemble_fn assemble, void *ctx, double tol, int conj, \
                                       lr_route_t *route);                                           \
    int lr_compress_svd_##SUFFIX(tile_t *t, lr_assemble_fn assemble, void *ctx, double tol, int conj); \
    int lr_compress_aca_unchecked_##SUFFIX(tile_t *t, lr_assemble_fn assemble, void *ctx, double tol,  \
                                           int conj);                                                \
    /* C <- C + alpha X Y^*, X m x k (ld ldx), Y n x k (ld ldy).  Dense C: one gemm.  Low-rank C:    \
     * recompressed at tol (dense when the rank passes min(m,n)/2): by extending C's orthonormal     \
     * bases when C is in svd_form, else from the stacked factors. */                                \
    int lr_add_product_##SUFFIX(tile_t *c, int k, const SCALAR *x, int ldx, const SCALAR *y, int ldy, \
                                SCALAR alpha, double tol, int conj);

LOWRANK_DECLARE(d, double)
LOWRANK_DECLARE(z, double complex)

#endif
