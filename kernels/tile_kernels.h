/*
 * tile_kernels.h: the Cholesky and triangular-solve kernels on tiles, as
 * plain functions on plain data (PLASMA core_blas style): testable without
 * the runtime.  The StarPU codelets (runtime/codelets.c) only unpack their
 * buffers and call these.  One precision-generic source per kernel
 * (kernels/t_*.c), instantiated for d and z.
 *
 * `conj` = 1: Hermitian (A = L L^H, low-rank tiles are U V^H); 0: real or
 * complex symmetric (A = L L^T, tiles U V^T).  Diagonal tiles are always
 * dense; off-diagonal tiles dense or low-rank.  `tol` is the absolute
 * per-tile Frobenius threshold used for recompression.
 * Return values: 0 on success; -1 when tile_mem (or a workspace malloc)
 * refused memory; -2 when LAPACK failed in a recompression (lowrank.h).
 */
#ifndef BLRCHOL_TILE_KERNELS_H
#define BLRCHOL_TILE_KERNELS_H

#include <complex.h>
#include "compression/tile.h"

#define TILE_KERNELS_DECLARE(SUFFIX, SCALAR)                                                         \
    /* A <- L with A = L L^* (lower triangle; the strict upper triangle is left as it was).          \
     * > 0: the leading minor of that order (1-based) is not positive definite. */                   \
    int tile_potrf_##SUFFIX(tile_t *a, int conj);                                                    \
    /* A <- A L^{-*}, L the dense lower factor of a diagonal tile.  Low-rank A: only V changes. */   \
    int tile_trsm_##SUFFIX(tile_t *a, const tile_t *l, int conj);                                    \
    /* C <- C - A A^* on the lower triangle of the dense diagonal tile C. */                         \
    int tile_syrk_##SUFFIX(tile_t *c, const tile_t *a, int conj);                                    \
    /* C <- C - A B^* (C m x n, A m x p, B n x p), recompressing a low-rank C at tol; a product of   \
     * low-rank operands is formed as X Y^* with min(ranks) columns, never as an m x n array. */     \
    int tile_gemm_##SUFFIX(tile_t *c, const tile_t *a, const tile_t *b, double tol, int conj);       \
    /* x <- L^{-1} x (adjoint = 0) or L^{-*} x (adjoint = 1), L dense lower, x of length L->m. */    \
    void tile_trsv_##SUFFIX(const tile_t *l, SCALAR *x, int conj, int adjoint);                      \
    /* y <- y - A x (adjoint = 0; x of length n, y of length m) or y <- y - A^* x (adjoint = 1;      \
     * x of length m, y of length n). */                                                             \
    void tile_gemv_##SUFFIX(const tile_t *a, const SCALAR *x, SCALAR *y, int conj, int adjoint);

TILE_KERNELS_DECLARE(d, double)
TILE_KERNELS_DECLARE(z, double complex)

/* Flops really executed by the kernels since the last reset (all threads). */
void kernel_flops_add(double flops);
double kernel_flops_total(void);
void kernel_flops_reset(void);

/* Where the kernels' time goes, by kind: seconds spent inside each kernel and
 * the calls made, summed over all threads since the last reset.  A GEMM into
 * a low-rank C is split in two: forming the product (gemm) and adding it to C
 * with its recompression (recompression), so that the two add up to the
 * GEMM's time without counting any of it twice. */
typedef enum {
    KERNEL_TIME_POTRF, KERNEL_TIME_TRSM, KERNEL_TIME_SYRK, KERNEL_TIME_GEMM, KERNEL_TIME_RECOMPRESSION,
    KERNEL_TIME_KINDS
} kernel_time_kind_t;

const char *kernel_time_name(kernel_time_kind_t kind);
/* A monotonic clock, in seconds, for kernel_time_add. */
double kernel_clock(void);
/* One call of `kind` that took `seconds`. */
void kernel_time_add(kernel_time_kind_t kind, double seconds);
void kernel_time_totals(double seconds[KERNEL_TIME_KINDS], long calls[KERNEL_TIME_KINDS]);
void kernel_time_reset(void);

#endif
