/*
 * t_dense_kernels.c: POTRF, TRSM, SYRK, GEMM and the solve kernels on
 * tiles, dense and low-rank operands, for d and z.  Flops are counted in
 * real-equivalent operations: a complex multiply-add counts 4 times.
 */
#include "kernels/tile_kernels.h"

#include <stdlib.h>
#include <string.h>

#include "common/blas.h"
#include "compression/lowrank.h"

#define FLOP_SCALE (SCALAR_IS_COMPLEX ? 4.0 : 1.0)

/* Complex symmetric (no conjugate) Cholesky has no LAPACK routine: a
 * right-looking column algorithm, blocked so the trailing update is BLAS 3. */
static int symmetric_potrf_unblocked(int n, scalar_t *a, int lda)
{
    for (int j = 0; j < n; j++) {
        scalar_t pivot = a[j + (size_t)j * lda];
        if (SCALAR_ABS(pivot) == 0.0 || pivot != pivot)
            return j + 1;
#if defined(PRECISION_Z)
        scalar_t root = csqrt(pivot);
#else
        if (pivot <= 0)
            return j + 1;
        scalar_t root = sqrt(pivot);
#endif
        a[j + (size_t)j * lda] = root;
        for (int i = j + 1; i < n; i++)
            a[i + (size_t)j * lda] /= root;
        for (int k = j + 1; k < n; k++) {
            scalar_t l_kj = a[k + (size_t)j * lda];
            for (int i = k; i < n; i++)
                a[i + (size_t)k * lda] -= a[i + (size_t)j * lda] * l_kj;
        }
    }
    return 0;
}

static int symmetric_potrf(int n, scalar_t *a, int lda)
{
    const int block = 64;
    for (int j = 0; j < n; j += block) {
        int jb = n - j < block ? n - j : block;
        int info = symmetric_potrf_unblocked(jb, a + j + (size_t)j * lda, lda);
        if (info)
            return j + info;
        int rest = n - j - jb;
        if (rest > 0) {
            scalar_t *panel = a + (j + jb) + (size_t)j * lda;
            blas_trsm(CblasRight, CblasLower, CblasTrans, CblasNonUnit, rest, jb, 1.0, a + j + (size_t)j * lda, lda,
                      panel, lda);
            blas_rank_update(0, rest, jb, -1.0, panel, lda, 1.0, a + (j + jb) + (size_t)(j + jb) * lda, lda);
        }
    }
    return 0;
}

int NAME(tile_potrf)(tile_t *a, int conj)
{
    int n = a->m;
    kernel_flops_add(FLOP_SCALE * n * (double)n * n / 3.0);
    if (SCALAR_IS_COMPLEX && !conj)
        return symmetric_potrf(n, a->u, n);
    int info = lapack_potrf_lower(n, a->u, n);
    return info > 0 ? info : 0;
}

int NAME(tile_trsm)(tile_t *a, const tile_t *l, int conj)
{
    if (tile_is_dense(a)) {
        blas_trsm(CblasRight, CblasLower, blas_star(conj), CblasNonUnit, a->m, a->n, 1.0, l->u, l->m, a->u, a->m);
        kernel_flops_add(FLOP_SCALE * a->m * (double)a->n * a->n);
        return 0;
    }
    /* U V^* L^{-*} = U (L^{-1} V)^*, for ^T and ^H alike. */
    blas_trsm(CblasLeft, CblasLower, CblasNoTrans, CblasNonUnit, a->n, a->rank, 1.0, l->u, l->m, a->v, a->n);
    a->svd_form = 0;   /* U is still orthonormal, V's columns no longer orthogonal */
    kernel_flops_add(FLOP_SCALE * a->n * (double)a->n * a->rank);
    return 0;
}

int NAME(tile_syrk)(tile_t *c, const tile_t *a, int conj)
{
    int m = c->m;
    if (tile_is_dense(a)) {
        blas_rank_update(conj, m, a->n, -1.0, a->u, a->m, 1.0, c->u, m);
        kernel_flops_add(FLOP_SCALE * m * (double)m * a->n);
        return 0;
    }
    int k = a->rank;
    if (k == 0)
        return 0;
    /* (U V^*)(U V^*)^* = U (V^* V) U^*, as (V^*)^* = V for ^T and ^H alike:
     * core = V^* V (k x k), W = U core, C -= W U^*; no m x m temporary. */
    scalar_t *core = malloc((size_t)k * k * sizeof *core);
    scalar_t *w = malloc((size_t)m * k * sizeof *w);
    if (!core || !w) {
        free(core);
        free(w);
        return -1;
    }
    blas_gemm(blas_star(conj), CblasNoTrans, k, k, a->n, 1.0, a->v, a->n, a->v, a->n, 0.0, core, k);
    blas_gemm(CblasNoTrans, CblasNoTrans, m, k, k, 1.0, a->u, m, core, k, 0.0, w, m);
    blas_gemm(CblasNoTrans, blas_star(conj), m, m, k, -1.0, w, m, a->u, m, 1.0, c->u, m);
    kernel_flops_add(FLOP_SCALE * 2.0 * ((double)k * k * a->n + (double)m * k * k + (double)m * m * k));
    free(core);
    free(w);
    return 0;
}

/*
 * C -= A B^*.  Low-rank operands give the product as X Y^* with few
 * columns; a dense C takes it with one gemm, a low-rank C recompresses.
 */
int NAME(tile_gemm)(tile_t *c, const tile_t *a, const tile_t *b, double tol, int conj)
{
    const int m = c->m, n = c->n, inner = a->n;
    CBLAS_TRANSPOSE star = blas_star(conj);
    if (tile_is_dense(a) && tile_is_dense(b) && tile_is_dense(c)) {
        blas_gemm(CblasNoTrans, star, m, n, inner, -1.0, a->u, m, b->u, n, 1.0, c->u, m);
        kernel_flops_add(FLOP_SCALE * 2.0 * m * (double)n * inner);
        return 0;
    }
    if ((!tile_is_dense(a) && a->rank == 0) || (!tile_is_dense(b) && b->rank == 0))
        return 0;
    /* Build X (m x k) and Y (n x k) with A B^* = X Y^*. */
    int k;
    scalar_t *x = NULL, *y = NULL;
    const scalar_t *xs, *ys;
    double flops = 0;
    if (!tile_is_dense(a) && !tile_is_dense(b)) {
        /* Ua Va^* (Ub Vb^*)^* = Ua G Ub^*, G = Va^* Vb (ka x kb): a product of rank
         * min(ka, kb), given with that many columns: X = Ua, Y = Ub G^* when
         * ka <= kb, else X = Ua G, Y = Ub. */
        int ka = a->rank, kb = b->rank;
        scalar_t *core = malloc((size_t)ka * kb * sizeof *core);
        scalar_t *xy = malloc((size_t)(ka <= kb ? n * ka : m * kb) * sizeof *xy);
        if (!core || !xy) {
            free(core);
            free(xy);
            return -1;
        }
        blas_gemm(star, CblasNoTrans, ka, kb, inner, 1.0, a->v, inner, b->v, inner, 0.0, core, ka);
        if (ka <= kb) {
            /* (G Ub^*)^* = Ub G^* for ^T and ^H alike. */
            blas_gemm(CblasNoTrans, star, n, ka, kb, 1.0, b->u, n, core, ka, 0.0, xy, n);
            flops = 2.0 * ((double)ka * kb * inner + (double)n * kb * ka);
            k = ka, xs = a->u, ys = y = xy;
        } else {
            blas_gemm(CblasNoTrans, CblasNoTrans, m, kb, ka, 1.0, a->u, m, core, ka, 0.0, xy, m);
            flops = 2.0 * ((double)ka * kb * inner + (double)m * kb * ka);
            k = kb, xs = x = xy, ys = b->u;
        }
        free(core);
    } else if (!tile_is_dense(a)) {
        /* Ua Va^* B^* = Ua (B Va)^* for ^T and ^H alike: Y = B Va. */
        int ka = a->rank;
        y = malloc((size_t)n * ka * sizeof *y);
        if (!y)
            return -1;
        blas_gemm(CblasNoTrans, CblasNoTrans, n, ka, inner, 1.0, b->u, n, a->v, inner, 0.0, y, n);
        flops = 2.0 * n * (double)ka * inner;
        k = ka, xs = a->u, ys = y;
    } else if (!tile_is_dense(b)) {
        /* A (Ub Vb^*)^* = A Vb Ub^* for ^T and ^H alike: X = A Vb. */
        int kb = b->rank;
        x = malloc((size_t)m * kb * sizeof *x);
        if (!x)
            return -1;
        blas_gemm(CblasNoTrans, CblasNoTrans, m, kb, inner, 1.0, a->u, m, b->v, inner, 0.0, x, m);
        flops = 2.0 * m * (double)kb * inner;
        k = kb, xs = x, ys = b->u;
    } else {
        /* Both dense, C low-rank: the dense product, made dense C. */
        if (NAME(lr_to_dense)(c, conj) != 0)
            return -1;
        blas_gemm(CblasNoTrans, star, m, n, inner, -1.0, a->u, m, b->u, n, 1.0, c->u, m);
        kernel_flops_add(FLOP_SCALE * 2.0 * m * (double)n * inner);
        return 0;
    }
    /* The update's cost, to leading order: a gemm into a dense C; into a
     * low-rank C, QR-like work on m x (k_c + k) and n x (k_c + k) blocks
     * (about 4 (m + n) (k_c + k)^2 whichever path lr_add_product takes). */
    const double stacked = (double)c->rank + k;
    const double update = tile_is_dense(c) ? 2.0 * m * (double)n * k : 4.0 * ((double)m + n) * stacked * stacked;
    int status = NAME(lr_add_product)(c, k, xs, m, ys, n, -1.0, tol, conj);
    kernel_flops_add(FLOP_SCALE * (flops + update));
    free(x);
    free(y);
    return status;
}

void NAME(tile_trsv)(const tile_t *l, scalar_t *x, int conj, int adjoint)
{
    int n = l->m;
    if (n == 0)
        return;
    BLAS_FN(trsv)(CblasColMajor, CblasLower, adjoint ? blas_star(conj) : CblasNoTrans, CblasNonUnit, n, l->u, n, x, 1);
}

void NAME(tile_gemv)(const tile_t *a, const scalar_t *x, scalar_t *y, int conj, int adjoint)
{
    CBLAS_TRANSPOSE op = adjoint ? blas_star(conj) : CblasNoTrans;
    if (tile_is_dense(a)) {
        blas_gemv(op, a->m, a->n, -1.0, a->u, a->m, x, 1, 1.0, y, 1);
        return;
    }
    int k = a->rank;
    if (k == 0)
        return;
    scalar_t *t = malloc((size_t)k * sizeof *t);
    if (!adjoint) {
        /* y -= U (V^* x) */
        blas_gemv(blas_star(conj), a->n, k, 1.0, a->v, a->n, x, 1, 0.0, t, 1);
        blas_gemv(CblasNoTrans, a->m, k, -1.0, a->u, a->m, t, 1, 1.0, y, 1);
    } else {
        /* (U V^*)^* = V U^* for both ^T and ^H: y -= V (U^* x) */
        blas_gemv(blas_star(conj), a->m, k, 1.0, a->u, a->m, x, 1, 0.0, t, 1);
        blas_gemv(CblasNoTrans, a->n, k, -1.0, a->v, a->n, t, 1, 1.0, y, 1);
    }
    free(t);
}
