/*
 * t_compress.c: compression of a tile to low rank at an absolute Frobenius
 * tolerance, by the SVD of the dense tile or by adaptive cross
 * approximation (ACA) from a few of its rows and columns.  Precision-generic
 * (common/precision.h).  The tile's entries come from a callback
 * (lr_assemble_fn), so this file knows nothing of the BEM kernels.
 */
#include <string.h>

#include "common/precision.h"
#include "common/blas.h"
#include "compression/lowrank.h"
#include "compression/lowrank_impl.h"

/*
 * ACA tolerances.  ACA's own error estimate is heuristic: the norm of the
 * last cross ||u_k|| ||v_k|| stands for the residual ||T - S_k||_F.  The
 * final tile is the truncation of S_k, and
 *     ||T - trunc(S_k)|| <= ||T - S_k|| + ||S_k - trunc(S_k)||,
 * so ACA runs until its crosses fall to ACA_CROSS_FRACTION tol (absolute --
 * tol already is the absolute per-tile threshold, so the classical relative
 * test ||u_k|| ||v_k|| <= eps ||S_k||_F would only need ||S_k|| to undo the
 * scaling), on two successive crosses (one accidentally small cross must not
 * stop it), and the recompression truncates at ACA_TRUNCATE_FRACTION tol.
 * The margin, 0.2 tol, is twice the stopping threshold: room for the
 * estimate to be off by a factor 2.  Both fractions cost little: the
 * crosses under 0.1 tol are dropped again by the recompression, and
 * truncating at 0.8 instead of 1 tol costs at most a rank or so on the
 * geometric singular value decay of smooth kernels.
 */
#define ACA_CROSS_FRACTION 0.1
#define ACA_TRUNCATE_FRACTION 0.8
#define ACA_SMALL_CROSSES 2

static inline int min_int(int a, int b) { return a < b ? a : b; }

/*
 * Compress the m x n array d (leading dimension m, not modified) into t by a
 * thin SVD d = W S Z^H: T ~ W_r (S_r Z_r^H), and V'^* = S_r ZH_r gives
 * V' = ZH_r^H S_r (conj = 1) or ZH_r^T S_r (conj = 0), in svd_form.  When
 * the truncated rank is too big, t is not touched and *stays_dense is set.  d may be t's own dense
 * storage: it is only read before t is resized.
 */
static int compress_array(tile_t *t, const scalar_t *d, double tol, int conj, int *stays_dense)
{
    const int m = t->m, n = t->n, p = min_int(m, n);
    *stays_dense = 0;
    if (p == 0)
        return tile_resize_lowrank(t, 0, 0);
    scalar_t *a = LR_WORKSPACE(scalar_t, (size_t)m * n);
    scalar_t *w = LR_WORKSPACE(scalar_t, (size_t)m * p);
    scalar_t *zh = LR_WORKSPACE(scalar_t, (size_t)p * n);
    double *s = LR_WORKSPACE(double, p);
    int status = -1;
    if (!a || !w || !zh || !s)
        goto done;
    memcpy(a, d, (size_t)m * n * sizeof(scalar_t));   /* gesdd destroys its input */
    status = LR_LAPACK_FAILED;
    if (lapack_svd(m, n, a, m, s, w, m, zh, p) != 0)
        goto done;
    const int r = lr_truncation_rank(s, p, tol);
    if (r > lr_max_lowrank(m, n)) {
        *stays_dense = 1;
        status = 0;
        goto done;
    }
    status = -1;
    if (tile_resize_lowrank(t, r, 0) != 0)
        goto done;
    scalar_t *u = t->u, *v = t->v;
    for (int l = 0; l < r; l++) {
        for (int i = 0; i < m; i++)
            u[i + (size_t)l * m] = w[i + (size_t)l * m];
        for (int j = 0; j < n; j++)
            v[j + (size_t)l * n] = SCALAR_STAR(zh[l + (size_t)j * p], conj) * s[l];
    }
    t->svd_form = 1;
    status = 0;
done:
    free(a);
    free(w);
    free(zh);
    free(s);
    return status;
}

/* A low-rank tile is already compressed: recompress its factors instead. */
int NAME(lr_compress_dense)(tile_t *t, double tol, int conj)
{
    if (!tile_is_dense(t))
        return NAME(lr_truncate)(t, tol, conj);
    int stays_dense;
    return compress_array(t, t->u, tol, conj, &stays_dense);
}

/* The dense tile is assembled in a plain workspace, not in tile storage:
 * only the result (often far smaller) is charged to tile_mem. */
int NAME(lr_compress_svd)(tile_t *t, lr_assemble_fn assemble, void *ctx, double tol, int conj)
{
    const int m = t->m, n = t->n;
    scalar_t *d = LR_WORKSPACE(scalar_t, (size_t)m * n);
    if (!d)
        return -1;
    if (m > 0 && n > 0)
        assemble(ctx, 0, m, 0, n, d, m);
    int stays_dense;
    int status = compress_array(t, d, tol, conj, &stays_dense);
    if (status == 0 && stays_dense)
        status = NAME(lr_store_dense)(t, d);
    free(d);
    return status;
}

/* Index of the entry of largest modulus among x[0..len-1] (first one on
 * ties); entries with skip[i] set are ignored when skip is not NULL.
 * -1 when no entry qualifies. */
static int argmax_abs(int len, const scalar_t *x, const unsigned char *skip)
{
    int best = -1;
    double best_abs2 = -1.0;
    for (int i = 0; i < len; i++) {
        if (skip && skip[i])
            continue;
        double a2 = SCALAR_ABS2(x[i]);
        if (a2 > best_abs2)
            best = i, best_abs2 = a2;
    }
    return best;
}

/*
 * ACA with partial pivoting builds T ~ S_k = sum_l u_l v_l^T from rows and
 * columns only:
 *   row i of the residual:  r = T(i, :) - sum_l U(i, l) V(:, l)^T
 *   pivot column j = argmax |r_j|, v_k = r / r_j,
 *   column j of the residual: u_k = T(:, j) - sum_l U(:, l) V(j, l),
 *   next row = argmax |u_k(i)| among the rows not used yet.
 * It stalls when a residual row is exactly zero while other rows remain (it
 * cannot tell whether the rest of the tile is zero) or when its rank
 * reaches min(m, n) / 2 without converging (a tile that does not compress,
 * or a tolerance below what ACA can resolve); then the tile is assembled
 * and compressed by SVD, which decides correctly in both cases.
 */
int NAME(lr_compress_aca)(tile_t *t, lr_assemble_fn assemble, void *ctx, double tol, int conj)
{
    const int m = t->m, n = t->n, kmax = lr_max_lowrank(m, n);
    if (kmax == 0)   /* a row or column vector, or empty: nothing to gain */
        return NAME(lr_compress_svd)(t, assemble, ctx, tol, conj);

    scalar_t *u = LR_WORKSPACE(scalar_t, (size_t)m * kmax);
    scalar_t *v = LR_WORKSPACE(scalar_t, (size_t)n * kmax);
    scalar_t *row = LR_WORKSPACE(scalar_t, n);
    unsigned char *used = calloc((size_t)m, 1);
    int status = -1, converged = 0, k = 0;
    if (!u || !v || !row || !used)
        goto done;

    const double cross_tol = ACA_CROSS_FRACTION * (tol > 0 ? tol : 0.0);
    int i = 0, small = 0;
    for (;;) {
        scalar_t *uk = u + (size_t)k * m, *vk = v + (size_t)k * n;
        assemble(ctx, i, 1, 0, n, row, 1);
        used[i] = 1;
        /* row -= V U(i, :)^T.  gemm with one column rather than gemv: the
         * complex gemv of OpenBLAS 0.3.21 (Debian 12) reads past its vectors
         * (OpenBLAS issues 4013, 5000) and strided vectors are its worst case. */
        blas_gemm(CblasNoTrans, CblasTrans, n, 1, k, -1.0, v, n, u + i, m, 1.0, row, n);
        const int j = argmax_abs(n, row, NULL);
        const scalar_t pivot = row[j];
        if (pivot == 0 || k == kmax)
            break;   /* stalled: fall back below */
        const scalar_t inv = 1.0 / pivot;
        for (int c = 0; c < n; c++)
            vk[c] = row[c] * inv;
        assemble(ctx, 0, m, j, 1, uk, m);
        blas_gemm(CblasNoTrans, CblasTrans, m, 1, k, -1.0, u, m, v + j, n, 1.0, uk, m);
        k++;
        const double cross = lapack_norm_fro(m, 1, uk, m) * lapack_norm_fro(n, 1, vk, n);
        small = cross <= cross_tol ? small + 1 : 0;
        if (small == ACA_SMALL_CROSSES) {
            converged = 1;
            break;
        }
        /* The largest entry of the new column points at the row the
         * approximation knows least; any unused row will do when that
         * column vanishes on all of them. */
        i = argmax_abs(m, uk, used);
        if (i < 0)
            break;   /* every row used: cannot happen below kmax < m */
    }

    if (!converged) {
        status = NAME(lr_compress_svd)(t, assemble, ctx, tol, conj);
        goto done;
    }
    /* T ~ U V^T.  A Hermitian tile is stored U V^H: V' = conj(V). */
    if (SCALAR_IS_COMPLEX && conj)
        for (size_t c = 0; c < (size_t)n * k; c++)
            v[c] = SCALAR_CONJ(v[c]);
    int too_big = 0;
    status = NAME(lr_recompress_factors)(t, k, u, v, ACA_TRUNCATE_FRACTION * tol, conj, &too_big);
    /* k <= kmax, so the recompressed rank cannot pass it; stay safe anyway. */
    if (status == 0 && too_big)
        status = NAME(lr_compress_svd)(t, assemble, ctx, tol, conj);
done:
    free(u);
    free(v);
    free(row);
    free(used);
    return status;
}
