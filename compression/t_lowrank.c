/*
 * t_lowrank.c: low-rank algebra on tiles -- recompression, the update
 * C <- C + alpha X Y^* that the GEMM kernel lives on, and expansion to
 * dense.  Precision-generic (common/precision.h): compiled once for d and
 * once for z.
 *
 * Notation: a low-rank tile is U V^*, with * = ^H when conj = 1 (Hermitian
 * matrices) and ^T when conj = 0 (real, complex symmetric).  In real
 * precision both are the transpose.
 */
#include <string.h>

#include "../common/precision.h"
#include "../common/blas.h"
#include "lowrank.h"
#include "lowrank_impl.h"

static inline int min_int(int a, int b) { return a < b ? a : b; }

/* R (the k x k upper triangle left by the QR in a, leading dimension lda)
 * into r (leading dimension k) with explicit zeros below the diagonal, so
 * that a plain gemm can multiply it. */
static void copy_upper(int k, const scalar_t *a, int lda, scalar_t *r)
{
    for (int j = 0; j < k; j++) {
        for (int i = 0; i <= j; i++)
            r[i + (size_t)j * k] = a[i + (size_t)j * lda];
        for (int i = j + 1; i < k; i++)
            r[i + (size_t)j * k] = 0;
    }
}

/* out (rows x r, leading dimension rows) <- [top; 0]: the k x r block top
 * (leading dimension ldtop) over zeros, so that applying an m x m Q to it
 * gives Q's first k columns times top.  With `star`, top is given
 * transposed (r x k) and its (conjugate) transpose is taken. */
static void pad_below(int rows, int r, int k, const scalar_t *top, int ldtop, int star, int conj,
                      scalar_t *out)
{
    for (int l = 0; l < r; l++) {
        scalar_t *col = out + (size_t)l * rows;
        for (int i = 0; i < k; i++)
            col[i] = star ? SCALAR_STAR(top[l + (size_t)i * ldtop], conj) : top[i + (size_t)l * ldtop];
        for (int i = k; i < rows; i++)
            col[i] = 0;
    }
}

/*
 * A B^* = Q_a R_a R_b^* Q_b^*.  The core R_a R_b^* is at most k x k, so its
 * SVD X S Y^H is cheap, and
 *     A B^* ~ (Q_a X_r S_r) (Y_r^H Q_b^*)
 * With gesdd's YH = Y^H (p x kb):
 *     conj = 1: Y_r^H Q_b^H = (Q_b Y_r)^H,        so V' = Q_b YH_r^H;
 *     conj = 0: Y_r^H Q_b^T = (Q_b conj(Y_r))^T,  so V' = Q_b YH_r^T;
 * in both cases V' = Q_b (YH_r)^*.  The singular values go into V
 * (U' = Q_a X_r, V' = Q_b (YH_r)^* S_r): the result is in svd_form.  Q_a
 * and Q_b stay as blocked reflectors and are applied to [X_r; 0] and
 * [(YH_r)^* S_r; 0] straight into the tile.
 * When k >= m, A is its own "R" (Q_a = I, ka = m): a QR would only cost and
 * would not give a square R; likewise for B.
 */
int NAME(lr_recompress_factors)(tile_t *t, int k, scalar_t *a, scalar_t *b, double tol, int conj,
                                int *too_big)
{
    const int m = t->m, n = t->n;
    *too_big = 0;
    if (k == 0 || m == 0 || n == 0)
        return tile_resize_lowrank(t, 0, 0);

    const int qr_a = k < m, qr_b = k < n;
    const int ka = qr_a ? k : m, kb = qr_b ? k : n, p = min_int(ka, kb);
    const size_t kk = (size_t)k * k;
    scalar_t *wy_a = qr_a ? LR_WORKSPACE(scalar_t, kk) : NULL;
    scalar_t *wy_b = qr_b ? LR_WORKSPACE(scalar_t, kk) : NULL;
    scalar_t *ra = qr_a ? LR_WORKSPACE(scalar_t, kk) : NULL;
    scalar_t *rb = qr_b ? LR_WORKSPACE(scalar_t, kk) : NULL;
    scalar_t *core = LR_WORKSPACE(scalar_t, (size_t)ka * kb);
    scalar_t *x = LR_WORKSPACE(scalar_t, (size_t)ka * p);
    scalar_t *yh = LR_WORKSPACE(scalar_t, (size_t)p * kb);
    double *s = LR_WORKSPACE(double, p);
    int status = -1;
    if ((qr_a && (!wy_a || !ra)) || (qr_b && (!wy_b || !rb)) || !core || !x || !yh || !s)
        goto done;

    status = LR_LAPACK_FAILED;
    if (qr_a) {
        if (lapack_qr_wy(m, k, a, m, wy_a) != 0)
            goto done;
        copy_upper(k, a, m, ra);
    }
    if (qr_b) {
        if (lapack_qr_wy(n, k, b, n, wy_b) != 0)
            goto done;
        copy_upper(k, b, n, rb);
    }
    blas_gemm(CblasNoTrans, blas_star(conj), ka, kb, k, 1.0, qr_a ? ra : a, qr_a ? k : m,
              qr_b ? rb : b, qr_b ? k : n, 0.0, core, ka);
    if (lapack_svd(ka, kb, core, ka, s, x, ka, yh, p) != 0)
        goto done;

    const int r = lr_truncation_rank(s, p, tol);
    if (r > lr_max_lowrank(m, n)) {
        *too_big = 1;
        status = 0;
        goto done;
    }
    /* The singular values go into V: U stays orthonormal (svd_form). */
    for (int i = 0; i < kb; i++)
        for (int l = 0; l < r; l++)
            yh[l + (size_t)i * p] *= s[l];

    /* Only now touch the tile: every failure above left it as it was. */
    status = -1;
    if (tile_resize_lowrank(t, r, 0) != 0)
        goto done;
    /* gemqrt fails only on invalid arguments, never on the data. */
    status = LR_LAPACK_FAILED;
    if (r > 0) {
        pad_below(m, r, ka, x, ka, 0, conj, t->u);
        pad_below(n, r, kb, yh, p, 1, conj, t->v);
        if (qr_a && lapack_apply_q(m, r, k, a, m, wy_a, t->u, m) != 0)
            goto done;
        if (qr_b && lapack_apply_q(n, r, k, b, n, wy_b, t->v, n) != 0)
            goto done;
    }
    t->svd_form = 1;
    status = 0;

done:
    free(wy_a);
    free(wy_b);
    free(ra);
    free(rb);
    free(core);
    free(x);
    free(yh);
    free(s);
    return status;
}

int NAME(lr_store_dense)(tile_t *t, const scalar_t *d)
{
    if (tile_make_dense(t) != 0)
        return -1;
    if (t->m > 0 && t->n > 0)
        memcpy(t->u, d, (size_t)t->m * t->n * sizeof(scalar_t));
    return 0;
}

/* out (m x n, leading dimension m) <- the low-rank tile t. */
static void expand_lowrank(const tile_t *t, int conj, scalar_t *out)
{
    if (t->rank == 0) {
        memset(out, 0, (size_t)t->m * t->n * sizeof(scalar_t));
        return;
    }
    blas_gemm(CblasNoTrans, blas_star(conj), t->m, t->n, t->rank, 1.0, t->u, t->m, t->v, t->n, 0.0,
              out, t->m);
}

int NAME(lr_to_dense)(tile_t *t, int conj)
{
    if (tile_is_dense(t))
        return 0;
    /* Expand aside first: tile_make_dense releases U and V. */
    scalar_t *d = LR_WORKSPACE(scalar_t, (size_t)t->m * t->n);
    if (!d)
        return -1;
    expand_lowrank(t, conj, d);
    int status = NAME(lr_store_dense)(t, d);
    free(d);
    return status;
}

/* A dense tile has nothing to recompress here (lr_compress_dense is the
 * explicit, costlier, SVD of a dense tile); rank 0 is already minimal. */
int NAME(lr_truncate)(tile_t *t, double tol, int conj)
{
    if (tile_is_dense(t) || t->rank == 0)
        return 0;
    const int m = t->m, n = t->n, k = t->rank;
    scalar_t *a = LR_WORKSPACE(scalar_t, (size_t)m * k), *b = LR_WORKSPACE(scalar_t, (size_t)n * k);
    int status = -1, too_big = 0;
    if (a && b) {
        memcpy(a, t->u, (size_t)m * k * sizeof(scalar_t));
        memcpy(b, t->v, (size_t)n * k * sizeof(scalar_t));
        status = NAME(lr_recompress_factors)(t, k, a, b, tol, conj, &too_big);
        /* The factors are untouched when too_big: their exact product is the
         * dense tile (no truncation error at all). */
        if (status == 0 && too_big)
            status = NAME(lr_to_dense)(t, conj);
    }
    free(a);
    free(b);
    return status;
}

/*
 * C <- C + alpha X Y^*.  Low-rank C: C + alpha X Y^* = [U_c, alpha X] [V_c, Y]^*,
 * recompressed from the stacked factors without forming the m x n product.
 * When the result is too big to stay low-rank, the dense tile is computed
 * exactly (expand C, one gemm) rather than from truncated factors.
 * x and y must not alias c's storage.
 */
int NAME(lr_add_product)(tile_t *c, int k, const scalar_t *x, int ldx, const scalar_t *y, int ldy,
                         scalar_t alpha, double tol, int conj)
{
    const int m = c->m, n = c->n;
    if (k == 0 || alpha == 0 || m == 0 || n == 0)
        return 0;
    if (tile_is_dense(c)) {
        blas_gemm(CblasNoTrans, blas_star(conj), m, n, k, alpha, x, ldx, y, ldy, 1.0, c->u, m);
        return 0;
    }

    const int kc = c->rank, kt = kc + k;
    scalar_t *a = LR_WORKSPACE(scalar_t, (size_t)m * kt), *b = LR_WORKSPACE(scalar_t, (size_t)n * kt);
    scalar_t *d = NULL;
    int status = -1, too_big = 0;
    if (!a || !b)
        goto done;
    if (kc > 0) {
        memcpy(a, c->u, (size_t)m * kc * sizeof(scalar_t));
        memcpy(b, c->v, (size_t)n * kc * sizeof(scalar_t));
    }
    for (int l = 0; l < k; l++)
        for (int i = 0; i < m; i++)
            a[i + (size_t)(kc + l) * m] = alpha * x[i + (size_t)l * ldx];
    lapack_copy(n, k, y, ldy, b + (size_t)kc * n, n);

    status = NAME(lr_recompress_factors)(c, kt, a, b, tol, conj, &too_big);
    if (status != 0 || !too_big)
        goto done;

    status = -1;
    if (!(d = LR_WORKSPACE(scalar_t, (size_t)m * n)))
        goto done;
    expand_lowrank(c, conj, d);
    blas_gemm(CblasNoTrans, blas_star(conj), m, n, k, alpha, x, ldx, y, ldy, 1.0, d, m);
    status = NAME(lr_store_dense)(c, d);

done:
    free(a);
    free(b);
    free(d);
    return status;
}
