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
#include "compression/scratch.h"

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

/* Each kernel's time goes to its kind (kernel_time_add). */
static int potrf_kernel(tile_t *a, int conj)
{
    int n = a->m;
    kernel_flops_add(FLOP_SCALE * n * (double)n * n / 3.0);
    if (SCALAR_IS_COMPLEX && !conj)
        return symmetric_potrf(n, a->u, n);
    int info = lapack_potrf_lower(n, a->u, n);
    return info > 0 ? info : 0;
}

static int trsm_kernel(tile_t *a, const tile_t *l, int conj)
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

static int syrk_kernel(tile_t *c, const tile_t *a, int conj)
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
    const scratch_mark_t mark = scratch_mark();
    scalar_t *core = scratch_push((size_t)k * k * sizeof *core);
    scalar_t *w = core ? scratch_push((size_t)m * k * sizeof *w) : NULL;
    if (!w) {
        scratch_pop(mark);
        return -1;
    }
    blas_gemm(blas_star(conj), CblasNoTrans, k, k, a->n, 1.0, a->v, a->n, a->v, a->n, 0.0, core, k);
    blas_gemm(CblasNoTrans, CblasNoTrans, m, k, k, 1.0, a->u, m, core, k, 0.0, w, m);
    blas_gemm(CblasNoTrans, blas_star(conj), m, m, k, -1.0, w, m, a->u, m, 1.0, c->u, m);
    kernel_flops_add(FLOP_SCALE * 2.0 * ((double)k * k * a->n + (double)m * k * k + (double)m * m * k));
    scratch_pop(mark);
    return 0;
}

/*
 * The product A B^* of two tiles, one of them at least low-rank, as
 * X Y^* with X m x k, Y n x k and k the smaller rank involved.  A factor
 * is either a tile's own U (borrowed) or computed into `own`, on the
 * thread's scratch stack (the caller pops it).  `flops` is what building
 * it cost.
 */
struct product {
    int k;
    const scalar_t *x, *y;
    scalar_t *own;
    double flops;
};

/* D V (D->m x L->rank), D a dense tile, L a low-rank one with L->n = D->n:
 * the half of A B^* that a dense operand contributes.  NULL: no memory. */
static scalar_t *dense_times_v(const tile_t *d, const tile_t *l)
{
    scalar_t *out = scratch_push((size_t)d->m * l->rank * sizeof *out);
    if (out)
        blas_gemm(CblasNoTrans, CblasNoTrans, d->m, l->rank, d->n, 1.0, d->u, d->m, l->v, l->n, 0.0, out, d->m);
    return out;
}

/* Ua Va^* B^* = Ua (B Va)^* for ^T and ^H alike: X = Ua, Y = B Va. */
static int product_lr_dense(const tile_t *a, const tile_t *b, struct product *p)
{
    p->own = dense_times_v(b, a);
    p->k = a->rank, p->x = a->u, p->y = p->own;
    p->flops = 2.0 * b->m * (double)a->rank * a->n;
    return p->own ? 0 : -1;
}

/* A (Ub Vb^*)^* = A Vb Ub^* for ^T and ^H alike: X = A Vb, Y = Ub. */
static int product_dense_lr(const tile_t *a, const tile_t *b, struct product *p)
{
    p->own = dense_times_v(a, b);
    p->k = b->rank, p->x = p->own, p->y = b->u;
    p->flops = 2.0 * a->m * (double)b->rank * a->n;
    return p->own ? 0 : -1;
}

/*
 * Ua Va^* (Ub Vb^*)^* = Ua G Ub^*, G = Va^* Vb (ka x kb): a product of rank
 * min(ka, kb), given with that many columns: X = Ua, Y = Ub G^* when
 * ka <= kb, else X = Ua G, Y = Ub.
 */
static int product_lr_lr(const tile_t *a, const tile_t *b, int conj, struct product *p)
{
    const int m = a->m, n = b->m, inner = a->n, ka = a->rank, kb = b->rank;
    CBLAS_TRANSPOSE star = blas_star(conj);
    /* own below core: core is popped before the product is used. */
    p->own = scratch_push((size_t)(ka <= kb ? n * ka : m * kb) * sizeof *p->own);
    const scratch_mark_t above_own = scratch_mark();
    scalar_t *core = p->own ? scratch_push((size_t)ka * kb * sizeof *core) : NULL;
    if (!core)
        return -1;
    blas_gemm(star, CblasNoTrans, ka, kb, inner, 1.0, a->v, inner, b->v, inner, 0.0, core, ka);
    if (ka <= kb) {
        /* (G Ub^*)^* = Ub G^* for ^T and ^H alike. */
        blas_gemm(CblasNoTrans, star, n, ka, kb, 1.0, b->u, n, core, ka, 0.0, p->own, n);
        p->flops = 2.0 * ((double)ka * kb * inner + (double)n * kb * ka);
        p->k = ka, p->x = a->u, p->y = p->own;
    } else {
        blas_gemm(CblasNoTrans, CblasNoTrans, m, kb, ka, 1.0, a->u, m, core, ka, 0.0, p->own, m);
        p->flops = 2.0 * ((double)ka * kb * inner + (double)m * kb * ka);
        p->k = kb, p->x = p->own, p->y = b->u;
    }
    scratch_pop(above_own);
    return 0;
}

/* C -= X Y^*, recompressing a low-rank C at tol.  The update's cost, to
 * leading order: a gemm into a dense C; into a low-rank C, QR-like work on
 * m x (k_c + k) and n x (k_c + k) blocks (about 4 (m + n) (k_c + k)^2
 * whichever path lr_add_product takes). */
static int apply_product(tile_t *c, const struct product *p, double tol, int conj, double *recompression)
{
    const int m = c->m, n = c->n, recompresses = !tile_is_dense(c);
    const double stacked = (double)c->rank + p->k;
    const double update = recompresses ? 4.0 * ((double)m + n) * stacked * stacked : 2.0 * m * (double)n * p->k;
    const double start = kernel_clock();
    int status = NAME(lr_add_product)(c, p->k, p->x, m, p->y, n, -1.0, tol, conj);
    if (recompresses) {
        *recompression = kernel_clock() - start;
        kernel_time_add(KERNEL_TIME_RECOMPRESSION, *recompression);
    }
    kernel_flops_add(FLOP_SCALE * (p->flops + update));
    return status;
}

/* Dense C -= A B^*, A and B dense: one gemm. */
static void dense_product_into_dense(tile_t *c, const tile_t *a, const tile_t *b, int conj)
{
    const int m = c->m, n = c->n, inner = a->n;
    blas_gemm(CblasNoTrans, blas_star(conj), m, n, inner, -1.0, a->u, m, b->u, n, 1.0, c->u, m);
    kernel_flops_add(FLOP_SCALE * 2.0 * m * (double)n * inner);
}

/* Low-rank C -= A B^*, A and B dense: the product has no low rank to keep,
 * so C is made dense first. */
static int dense_product_into_lowrank(tile_t *c, const tile_t *a, const tile_t *b, int conj)
{
    if (NAME(lr_to_dense)(c, conj) != 0)
        return -1;
    dense_product_into_dense(c, a, b, conj);
    return 0;
}

static int is_zero_lowrank(const tile_t *t) { return !tile_is_dense(t) && t->rank == 0; }

/*
 * C <- C - A B^*, each of A, B, C dense or low-rank (A m x p, B n x p).
 * Dense A and B: one gemm into C.  Otherwise the product is built as
 * X Y^* with few columns, then added to C by lr_add_product (one gemm into
 * a dense C, a recompression into a low-rank one, at tol, whose time goes
 * to *recompression).
 */
static int gemm_kernel(tile_t *c, const tile_t *a, const tile_t *b, double tol, int conj, double *recompression)
{
    if (tile_is_dense(a) && tile_is_dense(b)) {
        if (!tile_is_dense(c))
            return dense_product_into_lowrank(c, a, b, conj);
        dense_product_into_dense(c, a, b, conj);
        return 0;
    }
    if (is_zero_lowrank(a) || is_zero_lowrank(b))
        return 0;
    struct product p;
    const scratch_mark_t mark = scratch_mark();
    int status = tile_is_dense(b)   ? product_lr_dense(a, b, &p)
                 : tile_is_dense(a) ? product_dense_lr(a, b, &p)
                                    : product_lr_lr(a, b, conj, &p);
    if (status == 0)
        status = apply_product(c, &p, tol, conj, recompression);
    scratch_pop(mark);
    return status;
}

int NAME(tile_potrf)(tile_t *a, int conj)
{
    const double start = kernel_clock();
    int info = potrf_kernel(a, conj);
    kernel_time_add(KERNEL_TIME_POTRF, kernel_clock() - start);
    return info;
}

int NAME(tile_trsm)(tile_t *a, const tile_t *l, int conj)
{
    const double start = kernel_clock();
    int status = trsm_kernel(a, l, conj);
    kernel_time_add(KERNEL_TIME_TRSM, kernel_clock() - start);
    return status;
}

int NAME(tile_syrk)(tile_t *c, const tile_t *a, int conj)
{
    const double start = kernel_clock();
    int status = syrk_kernel(c, a, conj);
    kernel_time_add(KERNEL_TIME_SYRK, kernel_clock() - start);
    return status;
}

/* The recompression's time is the GEMM's too: it is counted once, apart. */
int NAME(tile_gemm)(tile_t *c, const tile_t *a, const tile_t *b, double tol, int conj)
{
    double recompression = 0;
    const double start = kernel_clock();
    int status = gemm_kernel(c, a, b, tol, conj, &recompression);
    kernel_time_add(KERNEL_TIME_GEMM, kernel_clock() - start - recompression);
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
