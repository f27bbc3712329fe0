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

#include "common/precision.h"
#include "common/blas.h"
#include "compression/lowrank.h"
#include "compression/lowrank_impl.h"

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

/* The exact sum C + alpha X Y^*, stored dense: for a result whose rank is too
 * big to stay low-rank.  C is unchanged on failure (-1). */
static int store_exact_sum(tile_t *c, int k, const scalar_t *x, int ldx, const scalar_t *y, int ldy,
                           scalar_t alpha, int conj)
{
    scalar_t *d = LR_WORKSPACE(scalar_t, (size_t)c->m * c->n);
    if (!d)
        return -1;
    expand_lowrank(c, conj, d);
    blas_gemm(CblasNoTrans, blas_star(conj), c->m, c->n, k, alpha, x, ldx, y, ldy, 1.0, d, c->m);
    int status = NAME(lr_store_dense)(c, d);
    free(d);
    return status;
}

/* C + alpha X Y^* = [U_c, alpha X] [V_c, Y]^*, recompressed from the stacked
 * factors (QR of each, SVD of the core): for a C of unknown form. */
static int add_product_stacked(tile_t *c, int k, const scalar_t *x, int ldx, const scalar_t *y, int ldy,
                               scalar_t alpha, double tol, int conj, int *too_big)
{
    const int m = c->m, n = c->n, kc = c->rank, kt = kc + k;
    scalar_t *a = LR_WORKSPACE(scalar_t, (size_t)m * kt), *b = LR_WORKSPACE(scalar_t, (size_t)n * kt);
    int status = -1;
    if (a && b) {
        if (kc > 0) {
            memcpy(a, c->u, (size_t)m * kc * sizeof(scalar_t));
            memcpy(b, c->v, (size_t)n * kc * sizeof(scalar_t));
        }
        for (int l = 0; l < k; l++)
            for (int i = 0; i < m; i++)
                a[i + (size_t)(kc + l) * m] = alpha * x[i + (size_t)l * ldx];
        lapack_copy(n, k, y, ldy, b + (size_t)kc * n, n);
        status = NAME(lr_recompress_factors)(c, kt, a, b, tol, conj, too_big);
    }
    free(a);
    free(b);
    return status;
}

/* Sum of |a_ij|^2 over an m x n array (leading dimension ld). */
static double sum_abs2(int m, int n, const scalar_t *a, int ld)
{
    double sum = 0;
    for (int j = 0; j < n; j++)
        for (int i = 0; i < m; i++)
            sum += SCALAR_ABS2(a[i + (size_t)j * ld]);
    return sum;
}

/*
 * Extend the orthonormal basis b (rows x kb; kb may be 0) by what the
 * columns of r (rows x k, overwritten) add to it:
 *     r = b P + Q T + E,
 * with Q (rows x kn, returned in r's first kn columns) orthonormal and
 * orthogonal to b.  r multiplies f^* in the caller's sum (f: cols x k,
 * leading dimension ldf), and E is what may be dropped of it:
 *     ||E f^*||_F^2 = *dropped2 <= drop^2.
 * P (kb x k) and T (kn x k) are the rows 0..kb-1 and kb..kb+kn-1 of m
 * (leading dimension ldm >= kb + min(rows, k)).
 *
 * Block Gram-Schmidt, then a QR with column pivoting of the remainder,
 * r - b P = Q_full R P~^T, whose trailing rows are dropped while what they
 * cost, ||R(j:, :) P~^T f^*||_F, stays under drop: the remainder is usually
 * small and of low numerical rank, the product of two low-rank tiles lying
 * mostly in the spans C already has.  Q is then orthogonalised against b
 * once more (the second pass of "twice is enough", on an orthonormal block,
 * so whatever the conditioning of r) and re-factorised.
 * Workspace: tau min(rows, k), jpvt k, tail min(rows, k) + 1,
 * h min(rows, k) x cols, p2 kb x min(rows, k).
 */
static int extend_basis(int rows, int kb, const scalar_t *b, int k, scalar_t *r, int cols, const scalar_t *f,
                        int ldf, int conj, double drop, scalar_t *m, int ldm, int *kn_out, double *dropped2,
                        scalar_t *tau, int *jpvt, double *tail, scalar_t *h, scalar_t *p2)
{
    if (kb > 0) {
        blas_gemm(CblasConjTrans, CblasNoTrans, kb, k, rows, 1.0, b, rows, r, rows, 0.0, m, ldm);
        blas_gemm(CblasNoTrans, CblasNoTrans, rows, k, kb, -1.0, b, rows, m, ldm, 1.0, r, rows);
    }
    const int kmax = min_int(rows, k);
    if (lapack_qr_pivoted(rows, k, r, rows, jpvt, tau) != 0)
        return LR_LAPACK_FAILED;
    /* T = R P~^T, all kmax rows: column l of R is column jpvt[l] - 1 of T. */
    scalar_t *t = m + kb;
    for (int l = 0; l < k; l++) {
        scalar_t *col = t + (size_t)(jpvt[l] - 1) * ldm;
        for (int i = 0; i < kmax; i++)
            col[i] = i <= l ? r[i + (size_t)l * rows] : 0;
    }
    /* tail[j] = ||T(j:, :) f^*||_F^2. */
    blas_gemm(CblasNoTrans, blas_star(conj), kmax, cols, k, 1.0, t, ldm, f, ldf, 0.0, h, kmax);
    tail[kmax] = 0;
    for (int j = kmax - 1; j >= 0; j--) {
        double row = 0;
        for (int c = 0; c < cols; c++)
            row += SCALAR_ABS2(h[j + (size_t)c * kmax]);
        tail[j] = tail[j + 1] + row;
    }
    int kn = kmax;
    while (kn > 0 && tail[kn - 1] <= drop * drop)
        kn--;
    *kn_out = kn;
    *dropped2 = tail[kn];
    if (kn == 0)
        return 0;
    if (lapack_form_q(rows, kn, kn, r, rows, tau) != 0)
        return LR_LAPACK_FAILED;
    if (kb == 0)
        return 0;
    /* Second pass: Q - b P2 = Q2 R2, so r = b (P + P2 T) + Q2 (R2 T) + E. */
    blas_gemm(CblasConjTrans, CblasNoTrans, kb, kn, rows, 1.0, b, rows, r, rows, 0.0, p2, kb);
    blas_gemm(CblasNoTrans, CblasNoTrans, rows, kn, kb, -1.0, b, rows, p2, kb, 1.0, r, rows);
    blas_gemm(CblasNoTrans, CblasNoTrans, kb, k, kn, 1.0, p2, kb, t, ldm, 1.0, m, ldm);
    if (lapack_qr(rows, kn, r, rows, tau) != 0)
        return LR_LAPACK_FAILED;
    blas_trmm(CblasLeft, CblasUpper, CblasNoTrans, CblasNonUnit, kn, k, 1.0, r, rows, t, ldm);
    if (lapack_form_q(rows, kn, kn, r, rows, tau) != 0)
        return LR_LAPACK_FAILED;
    return 0;
}

/*
 * C + alpha X Y^* for C = U_c V_c^* in svd_form: U_c orthonormal, and
 * V_c = W S with W orthonormal (S = the norms of V_c's columns).  Rather
 * than QR-factorising the stacked factors, extend the two orthonormal bases
 * by what X and Y add to them (extend_basis):
 *     alpha X = U_c P_u + Q_u T_u + E_u,      Y = W P_v + Q_v T_v + E_v,
 * so that, with B_u = [U_c Q_u], B_v = [W Q_v] (orthonormal),
 *     C + alpha X Y^* = B_u K B_v^* + E_u Y^* + X~ E_v^*,
 *     K = [S 0; 0 0] + M_u M_v^*,  M_u = [P_u; T_u],  M_v = [P_v; T_v],
 * X~ = alpha X - E_u = B_u M_u.  The work is a few gemms on the tall
 * factors, QRs of the narrow remainders and the SVD of the small K.
 * K = X_k S_k YH_k, truncated to r:
 *     U' = B_u X_k,r,     V' = B_v (YH_k,r)^* S_k,r
 * ((YH)^* as in lr_recompress_factors): svd_form again.  Error: each
 * dropped remainder may cost up to LR_REMAINDER_FRACTION tol, measured
 * exactly (||E_u Y^*||_F, ||M_u E_v^*||_F: B_u orthonormal), and the
 * truncation of K gets what they leave of tol.
 * Returns 1 (nothing done) when a column of V_c has no usable norm (zero,
 * too small to invert, or not finite: not a real svd_form).
 */
#define LR_REMAINDER_FRACTION 0.02

static int add_product_projected(tile_t *c, int k, const scalar_t *x, int ldx, const scalar_t *y, int ldy,
                                 scalar_t alpha, double tol, int conj, int *too_big)
{
    const int m = c->m, n = c->n, kc = c->rank;
    const scalar_t *uc = c->u, *vc = c->v;
    /* Bounds: the remainders have at most k_m and k_n columns. */
    const int k_m = min_int(k, m), k_n = min_int(k, n), k_mn = k_m > k_n ? k_m : k_n;
    const int ldm = kc + k, ku_max = kc + k_m, kv_max = kc + k_n, p_max = min_int(ku_max, kv_max);
    *too_big = 0;

    /* One workspace.  B_u = [U_c Q_u] and B_v = [W Q_v] are contiguous:
     * extend_basis leaves Q_u in the first columns of ru, Q_v in rv's. */
    const size_t n_bu = (size_t)m * kc, n_ru = (size_t)m * k, n_w = (size_t)n * kc, n_rv = (size_t)n * k,
                 n_m = (size_t)ldm * k, n_h = (size_t)k_mn * (n > ku_max ? n : ku_max),
                 n_core = (size_t)ku_max * kv_max, n_p2 = (size_t)kc * k_mn, n_xk = (size_t)ku_max * p_max,
                 n_yh = (size_t)p_max * kv_max;
    const size_t scalars = n_bu + n_ru + n_w + n_rv + 2 * n_m + n_h + n_core + n_p2 + k_mn + n_xk + n_yh;
    const size_t doubles = (size_t)kc + k_mn + 1 + p_max;
    char *ws = lr_workspace(scalars * sizeof(scalar_t) + doubles * sizeof(double) + (size_t)k * sizeof(int), 1);
    if (!ws)
        return -1;
    scalar_t *bu = (scalar_t *)ws, *ru = bu + n_bu, *w = ru + n_ru, *rv = w + n_w, *mu = rv + n_rv, *mv = mu + n_m;
    scalar_t *h = mv + n_m, *core = h + n_h, *p2 = core + n_core, *tau = p2 + n_p2, *xk = tau + k_mn,
             *yh = xk + n_xk;
    double *sigma = (double *)(yh + n_yh), *tail = sigma + kc, *s = tail + k_mn + 1;
    int *jpvt = (int *)(s + p_max);
    int status = 1;

    /* W = V_c S^-1. */
    for (int j = 0; j < kc; j++) {
        const scalar_t *vj = vc + (size_t)j * n;
        sigma[j] = sqrt(sum_abs2(n, 1, vj, n));
        const double inv = 1.0 / sigma[j];
        if (!(sigma[j] > 0) || !isfinite(sigma[j]) || !isfinite(inv))
            goto done;
        for (int i = 0; i < n; i++)
            w[i + (size_t)j * n] = vj[i] * inv;
    }
    if (kc > 0)
        memcpy(bu, uc, n_bu * sizeof(scalar_t));
    for (int l = 0; l < k; l++)
        for (int i = 0; i < m; i++)
            ru[i + (size_t)l * m] = alpha * x[i + (size_t)l * ldx];
    lapack_copy(n, k, y, ldy, rv, n);

    status = LR_LAPACK_FAILED;
    int ku, kv;
    double dropped_u2, dropped_v2;
    const double drop = LR_REMAINDER_FRACTION * tol;
    /* U side first: its error term E_u Y^* involves the whole Y (rv is still Y). */
    if (extend_basis(m, kc, bu, k, ru, n, rv, n, conj, drop, mu, ldm, &ku, &dropped_u2, tau, jpvt, tail, h, p2)
        != 0)
        goto done;
    ku += kc;
    /* V side: its error term is X~ E_v^* = B_u M_u E_v^*, as large as M_u E_v^*. */
    if (extend_basis(n, kc, w, k, rv, ku, mu, ldm, conj, drop, mv, ldm, &kv, &dropped_v2, tau, jpvt, tail, h, p2)
        != 0)
        goto done;
    kv += kc;

    /* K = M_u M_v^* + [S 0; 0 0], and its SVD. */
    const int p = min_int(ku, kv);
    int r = 0;
    if (p > 0) {
        blas_gemm(CblasNoTrans, blas_star(conj), ku, kv, k, 1.0, mu, ldm, mv, ldm, 0.0, core, ku);
        for (int j = 0; j < kc; j++)
            core[j + (size_t)j * ku] += sigma[j];
        if (lapack_svd(ku, kv, core, ku, s, xk, ku, yh, p) != 0)
            goto done;
        r = lr_truncation_rank(s, p, tol - sqrt(dropped_u2) - sqrt(dropped_v2));
    }
    if (r > lr_max_lowrank(m, n)) {
        *too_big = 1;
        status = 0;
        goto done;
    }

    /* The new factors, in a tile of their own: U_c and V_c are read to the end. */
    tile_t fresh;
    tile_init(&fresh, m, n, c->elem_size);
    status = -1;
    if (tile_resize_lowrank(&fresh, r, 0) != 0)
        goto done;
    if (r > 0) {
        /* Z = (YH_r)^* S_r (kv x r), in core (free now). */
        scalar_t *z = core;
        for (int l = 0; l < r; l++)
            for (int i = 0; i < kv; i++)
                z[i + (size_t)l * kv] = SCALAR_STAR(yh[l + (size_t)i * p], conj) * s[l];
        blas_gemm(CblasNoTrans, CblasNoTrans, m, r, ku, 1.0, bu, m, xk, ku, 0.0, fresh.u, m);
        blas_gemm(CblasNoTrans, CblasNoTrans, n, r, kv, 1.0, w, n, z, kv, 0.0, fresh.v, n);
    }
    fresh.svd_form = 1;
    tile_release(c);
    *c = fresh;
    status = 0;

done:
    free(ws);
    return status;
}

/*
 * C <- C + alpha X Y^*.  Low-rank C: recompressed without forming the m x n
 * product, by add_product_projected when C is in svd_form (or rank 0),
 * else from the stacked factors.  When the result is too big to stay
 * low-rank, the dense tile is computed exactly (expand C, one gemm) rather
 * than from truncated factors.  x and y must not alias c's storage.
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
    int too_big = 0, status = 1;
    if (c->svd_form || c->rank == 0)
        status = add_product_projected(c, k, x, ldx, y, ldy, alpha, tol, conj, &too_big);
    if (status == 1)
        status = add_product_stacked(c, k, x, ldx, y, ldy, alpha, tol, conj, &too_big);
    if (status == 0 && too_big)
        status = store_exact_sum(c, k, x, ldx, y, ldy, alpha, conj);
    return status;
}
