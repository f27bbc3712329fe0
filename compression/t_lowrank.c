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
#include "common/minmax.h"
#include "compression/lowrank.h"
#include "compression/lowrank_impl.h"

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

/* Rows k..rows-1 of out (rows x cols, leading dimension rows) <- 0: the
 * padding [top; 0] that lets an m x m Q act on a k-row block. */
static void zero_below(int rows, int cols, int k, scalar_t *out)
{
    for (int l = 0; l < cols; l++)
        for (int i = k; i < rows; i++)
            out[i + (size_t)l * rows] = 0;
}

void NAME(lr_scaled_adjoint)(int rows, int r, const scalar_t *yh, int ldyh, const double *s, int conj,
                             scalar_t *out, int ldout)
{
    for (int l = 0; l < r; l++)
        for (int i = 0; i < rows; i++)
            out[i + (size_t)l * ldout] = SCALAR_STAR(yh[l + (size_t)i * ldyh], conj) * s[l];
}

/* out (m x k, leading dimension m) <- alpha x (leading dimension ldx). */
static void copy_scaled(int m, int k, scalar_t alpha, const scalar_t *x, int ldx, scalar_t *out)
{
    for (int l = 0; l < k; l++)
        for (int i = 0; i < m; i++)
            out[i + (size_t)l * m] = alpha * x[i + (size_t)l * ldx];
}

/*
 * One factor of A B^* (rows x k, destroyed) and its QR.  When k < rows the
 * QR is taken: the reflectors stay in a with their block factor in wy, R
 * (k x k) goes to r.  When k >= rows the factor is its own "R" (Q = I):
 * a QR would only cost, and would not give a square R.
 */
struct factor_qr {
    int rows, k, taken;
    int kr;              /* rows of R: k when taken, else rows */
    scalar_t *a, *wy, *r;
};

static struct factor_qr factor_qr_init(int rows, int k, scalar_t *a)
{
    const int taken = k < rows;
    return (struct factor_qr){.rows = rows, .k = k, .taken = taken, .kr = taken ? k : rows, .a = a};
}

static const scalar_t *factor_r(const struct factor_qr *f) { return f->taken ? f->r : f->a; }
static int factor_ld_r(const struct factor_qr *f) { return f->taken ? f->k : f->rows; }

static int factor_qr_run(struct factor_qr *f)
{
    if (!f->taken)
        return 0;
    if (lapack_qr_wy(f->rows, f->k, f->a, f->rows, f->wy) != 0)
        return LR_LAPACK_FAILED;
    copy_upper(f->k, f->a, f->rows, f->r);
    return 0;
}

/* out (rows x cols) <- Q [top; 0], top the kr x cols block already in
 * out's first rows.  Q stays blocked reflectors: gemqrt fails only on
 * invalid arguments, never on the data. */
static int factor_apply_q(const struct factor_qr *f, int cols, scalar_t *out)
{
    zero_below(f->rows, cols, f->kr, out);
    if (f->taken && lapack_apply_q(f->rows, cols, f->k, f->a, f->rows, f->wy, out, f->rows) != 0)
        return LR_LAPACK_FAILED;
    return 0;
}

/* The workspace of lr_recompress_factors: the two QRs, the core R_a R_b^*
 * (ka x kb) and its SVD X S YH (p = min(ka, kb) singular values). */
struct recompress_ws {
    struct factor_qr a, b;
    int p;
    scalar_t *core, *x, *yh;
    double *s;
};

static void factor_qr_layout(struct factor_qr *f, lr_arena_t *arena)
{
    const size_t kk = (size_t)f->k * f->k;
    f->wy = f->taken ? lr_carve(arena, kk, sizeof(scalar_t)) : NULL;
    f->r = f->taken ? lr_carve(arena, kk, sizeof(scalar_t)) : NULL;
}

static void recompress_layout(void *p, lr_arena_t *arena)
{
    struct recompress_ws *ws = p;
    const size_t ka = ws->a.kr, kb = ws->b.kr;
    factor_qr_layout(&ws->a, arena);
    factor_qr_layout(&ws->b, arena);
    ws->core = lr_carve(arena, ka * kb, sizeof(scalar_t));
    ws->x = lr_carve(arena, ka * ws->p, sizeof(scalar_t));
    ws->yh = lr_carve(arena, (size_t)ws->p * kb, sizeof(scalar_t));
    ws->s = lr_carve(arena, ws->p, sizeof(double));
}

/* QR of both factors, SVD of the core R_a R_b^* = X S YH, and the rank
 * that truncation at tol keeps. */
static int truncated_core_svd(struct recompress_ws *ws, double tol, int conj, int *r)
{
    const int ka = ws->a.kr, kb = ws->b.kr;
    if (factor_qr_run(&ws->a) != 0 || factor_qr_run(&ws->b) != 0)
        return LR_LAPACK_FAILED;
    blas_gemm(CblasNoTrans, blas_star(conj), ka, kb, ws->a.k, 1.0, factor_r(&ws->a), factor_ld_r(&ws->a),
              factor_r(&ws->b), factor_ld_r(&ws->b), 0.0, ws->core, ka);
    if (lapack_svd(ka, kb, ws->core, ka, ws->s, ws->x, ka, ws->yh, ws->p) != 0)
        return LR_LAPACK_FAILED;
    *r = lr_truncation_rank(ws->s, ws->p, tol);
    return 0;
}

/* t <- U' V'^*, U' = Q_a [X_r; 0], V' = Q_b [(YH_r)^* S_r; 0], written
 * straight into the tile's new storage. */
static int write_recompressed(tile_t *t, const struct recompress_ws *ws, int r, int conj)
{
    if (tile_resize_lowrank(t, r, 0) != 0)
        return -1;
    if (r > 0) {
        lapack_copy(ws->a.kr, r, ws->x, ws->a.kr, t->u, t->m);
        NAME(lr_scaled_adjoint)(ws->b.kr, r, ws->yh, ws->p, ws->s, conj, t->v, t->n);
        if (factor_apply_q(&ws->a, r, t->u) != 0 || factor_apply_q(&ws->b, r, t->v) != 0)
            return LR_LAPACK_FAILED;
    }
    t->svd_form = 1;
    return 0;
}

/*
 * A B^* = Q_a R_a R_b^* Q_b^*.  The core R_a R_b^* is at most k x k, so its
 * SVD X S Y^H is cheap, and
 *     A B^* ~ (Q_a X_r S_r) (Y_r^H Q_b^*)
 * With gesdd's YH = Y^H (p x kb):
 *     conj = 1: Y_r^H Q_b^H = (Q_b Y_r)^H,        so V' = Q_b YH_r^H;
 *     conj = 0: Y_r^H Q_b^T = (Q_b conj(Y_r))^T,  so V' = Q_b YH_r^T;
 * in both cases V' = Q_b (YH_r)^*.  The singular values go into V
 * (U' = Q_a X_r, V' = Q_b (YH_r)^* S_r): the result is in svd_form.
 * The tile is only touched once the rank is known to fit, so every
 * failure before that leaves it as it was.
 */
int NAME(lr_recompress_factors)(tile_t *t, int k, scalar_t *a, scalar_t *b, double tol, int conj,
                                int *too_big)
{
    const int m = t->m, n = t->n;
    *too_big = 0;
    if (k == 0 || m == 0 || n == 0)
        return tile_resize_lowrank(t, 0, 0);

    struct recompress_ws ws = {.a = factor_qr_init(m, k, a), .b = factor_qr_init(n, k, b)};
    ws.p = min_int(ws.a.kr, ws.b.kr);
    const scratch_mark_t mark = scratch_mark();
    if (!lr_arena_push(recompress_layout, &ws))
        return -1;
    int r = 0, status = truncated_core_svd(&ws, tol, conj, &r);
    if (status == 0) {
        if (r > lr_max_lowrank(m, n))
            *too_big = 1;
        else
            status = write_recompressed(t, &ws, r, conj);
    }
    scratch_pop(mark);
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

int NAME(lr_to_dense)(tile_t *t, int conj)
{
    if (tile_is_dense(t))
        return 0;
    /* Expand aside first: tile_make_dense releases U and V. */
    const scratch_mark_t mark = scratch_mark();
    scalar_t *d = LR_SCRATCH(scalar_t, (size_t)t->m * t->n);
    int status = -1;
    if (d) {
        NAME(lr_expand)(t, conj, d, t->m);
        status = NAME(lr_store_dense)(t, d);
    }
    scratch_pop(mark);
    return status;
}

/* A dense tile has nothing to recompress here (lr_compress_dense is the
 * explicit, costlier, SVD of a dense tile); rank 0 is already minimal. */
int NAME(lr_truncate)(tile_t *t, double tol, int conj)
{
    if (tile_is_dense(t) || t->rank == 0)
        return 0;
    const int m = t->m, n = t->n, k = t->rank;
    const scratch_mark_t mark = scratch_mark();
    scalar_t *a = LR_SCRATCH(scalar_t, (size_t)m * k), *b = a ? LR_SCRATCH(scalar_t, (size_t)n * k) : NULL;
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
    scratch_pop(mark);
    return status;
}

/* The exact sum C + alpha X Y^*, stored dense: for a result whose rank is too
 * big to stay low-rank.  C is unchanged on failure (-1). */
static int store_exact_sum(tile_t *c, int k, const scalar_t *x, int ldx, const scalar_t *y, int ldy,
                           scalar_t alpha, int conj)
{
    const scratch_mark_t mark = scratch_mark();
    scalar_t *d = LR_SCRATCH(scalar_t, (size_t)c->m * c->n);
    int status = -1;
    if (d) {
        NAME(lr_expand)(c, conj, d, c->m);
        blas_gemm(CblasNoTrans, blas_star(conj), c->m, c->n, k, alpha, x, ldx, y, ldy, 1.0, d, c->m);
        status = NAME(lr_store_dense)(c, d);
    }
    scratch_pop(mark);
    return status;
}

/* C + alpha X Y^* = [U_c, alpha X] [V_c, Y]^*, recompressed from the stacked
 * factors (QR of each, SVD of the core): for a C of unknown form. */
static int add_product_stacked(tile_t *c, int k, const scalar_t *x, int ldx, const scalar_t *y, int ldy,
                               scalar_t alpha, double tol, int conj, int *too_big)
{
    const int m = c->m, n = c->n, kc = c->rank, kt = kc + k;
    const scratch_mark_t mark = scratch_mark();
    scalar_t *a = LR_SCRATCH(scalar_t, (size_t)m * kt), *b = a ? LR_SCRATCH(scalar_t, (size_t)n * kt) : NULL;
    int status = -1;
    if (a && b) {
        if (kc > 0) {
            memcpy(a, c->u, (size_t)m * kc * sizeof(scalar_t));
            memcpy(b, c->v, (size_t)n * kc * sizeof(scalar_t));
        }
        copy_scaled(m, k, alpha, x, ldx, a + (size_t)kc * m);
        lapack_copy(n, k, y, ldy, b + (size_t)kc * n, n);
        status = NAME(lr_recompress_factors)(c, kt, a, b, tol, conj, too_big);
    }
    scratch_pop(mark);
    return status;
}

/* The part of tol that each dropped remainder of add_product_projected may
 * cost (extend_basis): the truncation of the core gets the rest. */
#define LR_REMAINDER_FRACTION 0.02

/* The Euclidean norm of the vector v (length n). */
static double vector_norm(int n, const scalar_t *v)
{
    double sum = 0;
    for (int i = 0; i < n; i++)
        sum += SCALAR_ABS2(v[i]);
    return sqrt(sum);
}

/* extend_basis's scratch: tau min(rows, k), jpvt k, tail min(rows, k) + 1,
 * h min(rows, k) x cols, p2 kb x min(rows, k), and geqp3's workspace
 * (work, rwork: pivoted_qr_work). */
struct basis_scratch {
    scalar_t *tau, *h, *p2, *work;
    int *jpvt;
    double *tail, *rwork;
};

/* Column blocks geqp3 may use; with fewer, it takes smaller ones. */
#define LR_GEQP3_BLOCK 32

static size_t pivoted_qr_lwork(int k) { return 2 * (size_t)k + ((size_t)k + 1) * LR_GEQP3_BLOCK; }

/* lapack_qr_pivoted with its workspace given (LAPACKE's ?geqp3 would
 * malloc one on every call): a (rows x k) = Q R P^T as there. */
static int pivoted_qr_work(int rows, int k, scalar_t *a, const struct basis_scratch *ws)
{
    for (int j = 0; j < k; j++)
        ws->jpvt[j] = 0;
    if (rows == 0 || k == 0)
        return 0;
    const int lwork = (int)pivoted_qr_lwork(k);
#if defined(PRECISION_D)
    return (int)LAPACKE_dgeqp3_work(LAPACK_COL_MAJOR, rows, k, a, rows, ws->jpvt, ws->tau, ws->work, lwork);
#else
    return (int)LAPACKE_zgeqp3_work(LAPACK_COL_MAJOR, rows, k, a, rows, ws->jpvt, ws->tau, ws->work, lwork,
                                    ws->rwork);
#endif
}

/* One basis and what extends it: b orthonormal (rows x kb; kb may be 0),
 * the new columns r (rows x k, overwritten), their coordinates coef
 * (leading dimension ldc >= kb + min(rows, k)); kn and dropped2 are
 * extend_basis's results. */
struct basis_extension {
    int rows, kb, k;
    const scalar_t *b;
    scalar_t *r, *coef;
    int ldc;
    int kn;
    double dropped2;
};

/* c (kb x cols, leading dimension ldc) <- b^H r and r <- r - b c: the
 * component of r (rows x cols) in the span of the orthonormal b, taken out
 * (one pass of block Gram-Schmidt). */
static void project_out(int rows, int kb, const scalar_t *b, int cols, scalar_t *r, scalar_t *c, int ldc)
{
    if (kb == 0)
        return;
    blas_gemm(CblasConjTrans, CblasNoTrans, kb, cols, rows, 1.0, b, rows, r, rows, 0.0, c, ldc);
    blas_gemm(CblasNoTrans, CblasNoTrans, rows, cols, kb, -1.0, b, rows, c, ldc, 1.0, r, rows);
}

/* QR with column pivoting of the remainder r (rows x k) = Q_full R P~^T,
 * and T = R P~^T (all min(rows, k) rows) into t (leading dimension ldt):
 * column l of R is column jpvt[l] - 1 of T. */
static int pivoted_remainder(int rows, int k, scalar_t *r, scalar_t *t, int ldt, const struct basis_scratch *ws)
{
    const int kmax = min_int(rows, k);
    if (pivoted_qr_work(rows, k, r, ws) != 0)
        return LR_LAPACK_FAILED;
    for (int l = 0; l < k; l++) {
        scalar_t *col = t + (size_t)(ws->jpvt[l] - 1) * ldt;
        for (int i = 0; i < kmax; i++)
            col[i] = i <= l ? r[i + (size_t)l * rows] : 0;
    }
    return 0;
}

/* The rows of T (kmax x k) worth keeping: the smallest kn whose dropped
 * rows cost ||T(kn:, :) f^*||_F <= drop, f cols x k; that cost squared
 * goes to *dropped2. */
static int kept_rows(int kmax, int k, const scalar_t *t, int ldt, int cols, const scalar_t *f, int ldf, int conj,
                     double drop, const struct basis_scratch *ws, double *dropped2)
{
    scalar_t *h = ws->h;
    double *tail = ws->tail;
    /* tail[j] = ||T(j:, :) f^*||_F^2. */
    blas_gemm(CblasNoTrans, blas_star(conj), kmax, cols, k, 1.0, t, ldt, f, ldf, 0.0, h, kmax);
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
    *dropped2 = tail[kn];
    return kn;
}

/* Second pass of Gram-Schmidt on the explicit Q (r's first kn columns):
 * Q - b P2 = Q2 R2, so r = b (P + P2 T) + Q2 (R2 T) + E. */
static int reorthogonalise(const struct basis_extension *e, scalar_t *t, const struct basis_scratch *ws)
{
    const int rows = e->rows, kb = e->kb, kn = e->kn;
    project_out(rows, kb, e->b, kn, e->r, ws->p2, kb);
    blas_gemm(CblasNoTrans, CblasNoTrans, kb, e->k, kn, 1.0, ws->p2, kb, t, e->ldc, 1.0, e->coef, e->ldc);
    if (lapack_qr(rows, kn, e->r, rows, ws->tau) != 0)
        return LR_LAPACK_FAILED;
    blas_trmm(CblasLeft, CblasUpper, CblasNoTrans, CblasNonUnit, kn, e->k, 1.0, e->r, rows, t, e->ldc);
    if (lapack_form_q(rows, kn, kn, e->r, rows, ws->tau) != 0)
        return LR_LAPACK_FAILED;
    return 0;
}

/*
 * Extend the orthonormal basis b by what the columns of r add to it:
 *     r = b P + Q T + E,
 * with Q (rows x kn, returned in r's first kn columns) orthonormal and
 * orthogonal to b.  r multiplies f^* in the caller's sum (f: cols x k,
 * leading dimension ldf), and E is what may be dropped of it:
 *     ||E f^*||_F^2 = dropped2 <= drop^2.
 * P (kb x k) and T (kn x k) are the rows 0..kb-1 and kb..kb+kn-1 of coef.
 *
 * Block Gram-Schmidt, then a QR with column pivoting of the remainder,
 * whose trailing rows are dropped while what they cost stays under drop:
 * the remainder is usually small and of low numerical rank, the product
 * of two low-rank tiles lying mostly in the spans C already has.  Q is then
 * orthogonalised against b once more ("twice is enough", on an orthonormal
 * block, so whatever the conditioning of r) and re-factorised.
 */
static int extend_basis(struct basis_extension *e, int cols, const scalar_t *f, int ldf, int conj, double drop,
                        const struct basis_scratch *ws)
{
    scalar_t *t = e->coef + e->kb;
    project_out(e->rows, e->kb, e->b, e->k, e->r, e->coef, e->ldc);
    if (pivoted_remainder(e->rows, e->k, e->r, t, e->ldc, ws) != 0)
        return LR_LAPACK_FAILED;
    e->kn = kept_rows(min_int(e->rows, e->k), e->k, t, e->ldc, cols, f, ldf, conj, drop, ws, &e->dropped2);
    if (e->kn == 0)
        return 0;
    if (lapack_form_q(e->rows, e->kn, e->kn, e->r, e->rows, ws->tau) != 0)
        return LR_LAPACK_FAILED;
    return e->kb == 0 ? 0 : reorthogonalise(e, t, ws);
}

/* The workspace of add_product_projected, sized for the widest bases the
 * extensions can give (ku <= kc + min(k, m), kv <= kc + min(k, n)). */
struct projected_ws {
    int m, n, kc, k;
    const scalar_t *uc;         /* U_c, read in place */
    scalar_t *ru;               /* alpha X, then Q_u: B_u = [U_c Q_u] (m x ku) */
    scalar_t *w, *rv;           /* [W, Y], then B_v = [W Q_v] (n x kv) */
    scalar_t *mu, *mv;          /* M_u, M_v ((kc + k) x k) */
    double *sigma;              /* S: the norms of V_c's columns */
    int ku, kv, p;              /* the extended widths, p = min(ku, kv) */
    scalar_t *core, *xk, *yh;   /* K (ku x kv), then its SVD X_k S_k YH_k */
    double *s;
    struct basis_scratch scratch;
};

static void projected_layout(void *p, lr_arena_t *arena)
{
    struct projected_ws *ws = p;
    const size_t m = ws->m, n = ws->n, kc = ws->kc, k = ws->k, ldm = kc + k;
    const size_t k_m = min_int(ws->k, ws->m), k_n = min_int(ws->k, ws->n), k_mn = max_int(k_m, k_n);
    const size_t ku_max = kc + k_m, kv_max = kc + k_n, p_max = min_int(ku_max, kv_max);
    const size_t h_cols = max_int(n, ku_max);
    ws->ru = lr_carve(arena, m * k, sizeof(scalar_t));
    ws->w = lr_carve(arena, n * (kc + k), sizeof(scalar_t));
    ws->mu = lr_carve(arena, ldm * k, sizeof(scalar_t));
    ws->mv = lr_carve(arena, ldm * k, sizeof(scalar_t));
    ws->sigma = lr_carve(arena, kc, sizeof(double));
    ws->core = lr_carve(arena, ku_max * kv_max, sizeof(scalar_t));
    ws->xk = lr_carve(arena, ku_max * p_max, sizeof(scalar_t));
    ws->yh = lr_carve(arena, p_max * kv_max, sizeof(scalar_t));
    ws->s = lr_carve(arena, p_max, sizeof(double));
    ws->scratch.tau = lr_carve(arena, k_mn, sizeof(scalar_t));
    ws->scratch.h = lr_carve(arena, k_mn * h_cols, sizeof(scalar_t));
    ws->scratch.p2 = lr_carve(arena, kc * k_mn, sizeof(scalar_t));
    ws->scratch.jpvt = lr_carve(arena, k, sizeof(int));
    ws->scratch.tail = lr_carve(arena, k_mn + 1, sizeof(double));
    ws->scratch.work = lr_carve(arena, pivoted_qr_lwork(ws->k), sizeof(scalar_t));
    ws->scratch.rwork = lr_carve(arena, 2 * k, sizeof(double));
}

/* The block of ws on the scratch stack, or NULL.  B_v is contiguous:
 * extend_basis leaves Q_v in rv's first columns, right after W.  B_u is
 * U_c, read in place, and Q_u apart (no copy of U_c). */
static void *projected_ws_push(struct projected_ws *ws)
{
    void *block = lr_arena_push(projected_layout, ws);
    if (block)
        ws->rv = ws->w + (size_t)ws->n * ws->kc;
    return block;
}

/* W = V_c S^-1, S the norms of V_c's columns.  1 when a norm is not
 * usable (zero, too small to invert, or not finite): C is then not
 * really in svd_form. */
static int split_singular_values(const tile_t *c, struct projected_ws *ws)
{
    const int n = c->n;
    for (int j = 0; j < c->rank; j++) {
        const scalar_t *vj = (const scalar_t *)c->v + (size_t)j * n;
        const double sigma = vector_norm(n, vj), inv = 1.0 / sigma;
        if (!(sigma > 0) || !isfinite(sigma) || !isfinite(inv))
            return 1;
        ws->sigma[j] = sigma;
        for (int i = 0; i < n; i++)
            ws->w[i + (size_t)j * n] = vj[i] * inv;
    }
    return 0;
}

/* The new columns beside their bases: alpha X (U_c stays in C) and [W, Y]. */
static void stack_operands(struct projected_ws *ws, const scalar_t *x, int ldx, const scalar_t *y, int ldy,
                           scalar_t alpha)
{
    copy_scaled(ws->m, ws->k, alpha, x, ldx, ws->ru);
    lapack_copy(ws->n, ws->k, y, ldy, ws->rv, ws->n);
}

/* B_u and B_v, of widths ws->ku and ws->kv; *tol_left is what the dropped
 * remainders leave of tol to the truncation of K. */
static int extend_both_bases(struct projected_ws *ws, double tol, int conj, double *tol_left)
{
    const int ldm = ws->kc + ws->k;
    const double drop = LR_REMAINDER_FRACTION * tol;
    /* U side first: its error term E_u Y^* involves the whole Y (rv is still Y). */
    struct basis_extension eu = {.rows = ws->m, .kb = ws->kc, .k = ws->k, .b = ws->uc, .r = ws->ru, .coef = ws->mu,
                                 .ldc = ldm};
    if (extend_basis(&eu, ws->n, ws->rv, ws->n, conj, drop, &ws->scratch) != 0)
        return LR_LAPACK_FAILED;
    ws->ku = ws->kc + eu.kn;
    /* V side: its error term is X~ E_v^* = B_u M_u E_v^*, as large as M_u E_v^*. */
    struct basis_extension ev = {.rows = ws->n, .kb = ws->kc, .k = ws->k, .b = ws->w, .r = ws->rv, .coef = ws->mv,
                                 .ldc = ldm};
    if (extend_basis(&ev, ws->ku, ws->mu, ldm, conj, drop, &ws->scratch) != 0)
        return LR_LAPACK_FAILED;
    ws->kv = ws->kc + ev.kn;
    *tol_left = tol - sqrt(eu.dropped2) - sqrt(ev.dropped2);
    return 0;
}

/* K = M_u M_v^* + [S 0; 0 0], its SVD, and the rank r that truncation
 * at tol keeps. */
static int truncated_projected_core(struct projected_ws *ws, double tol, int conj, int *r)
{
    const int ku = ws->ku, kv = ws->kv, ldm = ws->kc + ws->k;
    ws->p = min_int(ku, kv);
    *r = 0;
    if (ws->p == 0)
        return 0;
    blas_gemm(CblasNoTrans, blas_star(conj), ku, kv, ws->k, 1.0, ws->mu, ldm, ws->mv, ldm, 0.0, ws->core, ku);
    for (int j = 0; j < ws->kc; j++)
        ws->core[j + (size_t)j * ku] += ws->sigma[j];
    if (lapack_svd(ku, kv, ws->core, ku, ws->s, ws->xk, ku, ws->yh, ws->p) != 0)
        return LR_LAPACK_FAILED;
    *r = lr_truncation_rank(ws->s, ws->p, tol);
    return 0;
}

/* C <- U' V'^*, U' = B_u X_k,r, V' = B_v (YH_k,r)^* S_k,r, built in a tile
 * of its own that replaces C only once complete: C stays as it was when
 * tile_mem refuses. */
static int replace_factors(tile_t *c, const struct projected_ws *ws, int r, int conj)
{
    const int m = c->m, n = c->n, ku = ws->ku, kv = ws->kv;
    tile_t fresh;
    tile_init(&fresh, m, n, c->elem_size);
    if (tile_resize_lowrank(&fresh, r, 0) != 0)
        return -1;
    if (r > 0) {
        scalar_t *z = ws->core;   /* (YH_r)^* S_r (kv x r), where K was */
        NAME(lr_scaled_adjoint)(kv, r, ws->yh, ws->p, ws->s, conj, z, kv);
        /* B_u X_k,r = U_c X_k(0:kc, 0:r) + Q_u X_k(kc:ku, 0:r). */
        blas_gemm(CblasNoTrans, CblasNoTrans, m, r, ws->kc, 1.0, ws->uc, m, ws->xk, ku, 0.0, fresh.u, m);
        blas_gemm(CblasNoTrans, CblasNoTrans, m, r, ku - ws->kc, 1.0, ws->ru, m, ws->xk + ws->kc, ku, 1.0, fresh.u,
                  m);
        blas_gemm(CblasNoTrans, CblasNoTrans, n, r, kv, 1.0, ws->w, n, z, kv, 0.0, fresh.v, n);
    }
    fresh.svd_form = 1;
    tile_release(c);
    *c = fresh;
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
static int add_product_projected(tile_t *c, int k, const scalar_t *x, int ldx, const scalar_t *y, int ldy,
                                 scalar_t alpha, double tol, int conj, int *too_big)
{
    *too_big = 0;
    struct projected_ws ws = {.m = c->m, .n = c->n, .kc = c->rank, .k = k, .uc = c->u};
    const scratch_mark_t mark = scratch_mark();
    if (!projected_ws_push(&ws))
        return -1;
    double tol_left = 0;
    int r = 0, status = split_singular_values(c, &ws);
    if (status == 0) {
        stack_operands(&ws, x, ldx, y, ldy, alpha);
        status = extend_both_bases(&ws, tol, conj, &tol_left);
    }
    if (status == 0)
        status = truncated_projected_core(&ws, tol_left, conj, &r);
    if (status == 0) {
        if (r > lr_max_lowrank(c->m, c->n))
            *too_big = 1;
        else
            status = replace_factors(c, &ws, r, conj);
    }
    scratch_pop(mark);
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
