/*
 * t_compress.c: compression of a tile to low rank at an absolute Frobenius
 * tolerance, exactly (a range finder on the assembled tile, then a small
 * SVD) or by adaptive cross approximation (ACA) from a few of its rows and
 * columns, checked against the assembled tile.  Precision-generic
 * (common/precision.h).  The tile's entries come from a callback
 * (lr_assemble_fn), so this file knows nothing of the BEM kernels.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "common/precision.h"
#include "common/blas.h"
#include "common/minmax.h"
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

/* The workspace of compress_array: a copy of the array (gesdd destroys
 * its input) and its thin SVD W S ZH, p = min(m, n). */
struct svd_ws {
    int m, n, p;
    scalar_t *a, *w, *zh;
    double *s;
};

static void svd_layout(void *p, lr_arena_t *arena)
{
    struct svd_ws *ws = p;
    const size_t m = ws->m, n = ws->n, q = ws->p;
    ws->a = lr_carve(arena, m * n, sizeof(scalar_t));
    ws->w = lr_carve(arena, m * q, sizeof(scalar_t));
    ws->zh = lr_carve(arena, q * n, sizeof(scalar_t));
    ws->s = lr_carve(arena, q, sizeof(double));
}

/* t <- W_r (ZH_r^* S_r)^*, in svd_form. */
static int write_truncated_svd(tile_t *t, const struct svd_ws *ws, int r, int conj)
{
    if (tile_resize_lowrank(t, r, 0) != 0)
        return -1;
    lapack_copy(ws->m, r, ws->w, ws->m, t->u, ws->m);
    NAME(lr_scaled_adjoint)(ws->n, r, ws->zh, ws->p, ws->s, conj, t->v, ws->n);
    t->svd_form = 1;
    return 0;
}

/*
 * Compress the m x n array d (leading dimension m, not modified) into t by a
 * thin SVD d = W S Z^H: T ~ W_r (S_r Z_r^H), and V'^* = S_r ZH_r gives
 * V' = ZH_r^H S_r (conj = 1) or ZH_r^T S_r (conj = 0), in svd_form.  When
 * the truncated rank is too big, t is not touched and *stays_dense is set.
 * d may be t's own dense storage: it is only read before t is resized.
 */
static int compress_array(tile_t *t, const scalar_t *d, double tol, int conj, int *stays_dense)
{
    struct svd_ws ws = {.m = t->m, .n = t->n, .p = min_int(t->m, t->n)};
    *stays_dense = 0;
    if (ws.p == 0)
        return tile_resize_lowrank(t, 0, 0);
    void *block = lr_arena_alloc(svd_layout, &ws);
    if (!block)
        return -1;
    int status = LR_LAPACK_FAILED;
    memcpy(ws.a, d, (size_t)ws.m * ws.n * sizeof(scalar_t));
    if (lapack_svd(ws.m, ws.n, ws.a, ws.m, ws.s, ws.w, ws.m, ws.zh, ws.p) == 0) {
        const int r = lr_truncation_rank(ws.s, ws.p, tol);
        *stays_dense = r > lr_max_lowrank(ws.m, ws.n);
        status = *stays_dense ? 0 : write_truncated_svd(t, &ws, r, conj);
    }
    free(block);
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

/* LAPACK's seed (four integers below 4096, the last odd) from the tile's
 * first column: a run repeats exactly, and distinct tiles draw distinct
 * vectors. */
static void check_seed(int m, const scalar_t *d, int iseed[4])
{
    uint64_t h = 0xcbf29ce484222325ull;   /* FNV-1a over the column's bytes */
    const unsigned char *byte = (const unsigned char *)d;
    for (size_t b = 0; b < (size_t)m * sizeof(scalar_t); b++)
        h = (h ^ byte[b]) * 0x100000001b3ull;
    for (int k = 0; k < 4; k++, h >>= 12)
        iseed[k] = (int)(h & 4095);
    iseed[3] |= 1;
}

/* W <- count entries with N(0, 1) real (and imaginary) parts; returns
 * E|w|^2, the number of normal parts per entry. */
static double gaussian_vectors(int iseed[4], int count, scalar_t *w)
{
#if defined(PRECISION_D)
    LAPACKE_dlarnv(3, iseed, count, w);   /* 3: normal (0, 1) */
    return 1.0;
#else
    LAPACKE_zlarnv(3, iseed, count, w);   /* 3: both parts normal (0, 1) */
    return 2.0;
#endif
}

/*
 * The exact path, fast: a blocked adaptive range finder on the assembled
 * tile d, then a small SVD.  With Q orthonormal (m x k) and B = Q^* d, the
 * residual E = d - Q B is kept explicitly and updated block by block:
 *     Y = E Omega (Omega n x b Gaussian),  Q_i = orth(Y - Q Q^* Y),
 *     B_i = Q_i^* E,  E <- E - Q_i B_i,
 * until ||E||_F <= RANGE_FRACTION tol, measured on E itself: the stopping
 * test is exact, not an estimate (the randomness only decides how many
 * blocks it takes).  Then B = W S Z^* is truncated with what is left of the
 * budget: E is orthogonal to range(Q), so
 *     ||d - Q W_r S_r Z_r^*||_F^2 = ||E||_F^2 + ||B - W_r S_r Z_r^*||_F^2
 * and a tail of S under sqrt(tol^2 - ||E||_F^2) keeps the tile within tol.
 * Cost 3 m n per column of Q instead of a full SVD's O(m n min(m, n)).
 */
#define RANGE_BLOCK 16
#define RANGE_FRACTION 0.5

/* The workspace of compress_assembled: the residual E, Q (m x cap), B (cap x
 * n, leading dimension cap), Omega (n x RANGE_BLOCK), Q^* Y, the QR's tau,
 * and B's SVD W S ZH. */
struct range_ws {
    int m, n, cap, k;
    scalar_t *e, *q, *b, *omega, *qy, *tau, *w, *zh;
    double *s;
};

static void range_layout(void *p, lr_arena_t *arena)
{
    struct range_ws *ws = p;
    const size_t m = ws->m, n = ws->n, cap = ws->cap, blk = RANGE_BLOCK;
    ws->e = lr_carve(arena, m * n, sizeof(scalar_t));
    ws->q = lr_carve(arena, m * cap, sizeof(scalar_t));
    ws->b = lr_carve(arena, cap * n, sizeof(scalar_t));
    ws->omega = lr_carve(arena, n * blk, sizeof(scalar_t));
    ws->qy = lr_carve(arena, cap * blk, sizeof(scalar_t));
    ws->tau = lr_carve(arena, blk, sizeof(scalar_t));
    ws->w = lr_carve(arena, cap * cap, sizeof(scalar_t));
    ws->zh = lr_carve(arena, cap * n, sizeof(scalar_t));
    ws->s = lr_carve(arena, cap, sizeof(double));
}

/* One block of the range finder: b more columns of Q, b more rows of B,
 * and E deflated by them.  0, or LR_LAPACK_FAILED. */
static int range_add_block(struct range_ws *ws, int b, int iseed[4])
{
    const int m = ws->m, n = ws->n, k = ws->k;
    scalar_t *qi = ws->q + (size_t)k * m, *bi = ws->b + k;
    gaussian_vectors(iseed, n * b, ws->omega);
    blas_gemm(CblasNoTrans, CblasNoTrans, m, b, n, 1.0, ws->e, m, ws->omega, n, 0.0, qi, m);
    /* E is orthogonal to Q in exact arithmetic only: one more
     * Gram-Schmidt pass keeps the new block orthogonal to the old ones. */
    if (k > 0) {
        blas_gemm(CblasConjTrans, CblasNoTrans, k, b, m, 1.0, ws->q, m, qi, m, 0.0, ws->qy, k);
        blas_gemm(CblasNoTrans, CblasNoTrans, m, b, k, -1.0, ws->q, m, ws->qy, k, 1.0, qi, m);
    }
    if (lapack_qr(m, b, qi, m, ws->tau) != 0 || lapack_form_q(m, b, b, qi, m, ws->tau) != 0)
        return LR_LAPACK_FAILED;
    blas_gemm(CblasConjTrans, CblasNoTrans, b, n, m, 1.0, qi, m, ws->e, m, 0.0, bi, ws->cap);
    blas_gemm(CblasNoTrans, CblasNoTrans, m, n, b, -1.0, qi, m, bi, ws->cap, 1.0, ws->e, m);
    ws->k += b;
    return 0;
}

/* Range finding on E = d until ||E||_F <= RANGE_FRACTION tol or the rank
 * reaches ws->cap; *residual <- ||E||_F.  0, or LR_LAPACK_FAILED. */
static int range_find(struct range_ws *ws, const scalar_t *d, double tol, double *residual)
{
    int iseed[4];
    check_seed(ws->m, d, iseed);
    memcpy(ws->e, d, (size_t)ws->m * ws->n * sizeof(scalar_t));
    *residual = lapack_norm_fro(ws->m, ws->n, ws->e, ws->m);
    while (*residual > RANGE_FRACTION * tol && ws->k < ws->cap) {
        if (range_add_block(ws, min_int(RANGE_BLOCK, ws->cap - ws->k), iseed) != 0)
            return LR_LAPACK_FAILED;
        *residual = lapack_norm_fro(ws->m, ws->n, ws->e, ws->m);
    }
    return 0;
}

/* t <- (Q W_r) (ZH_r^* S_r)^*, the truncation of Q B at rank r, in
 * svd_form (Q W_r is orthonormal). */
static int write_range_truncation(tile_t *t, const struct range_ws *ws, int r, int conj)
{
    if (tile_resize_lowrank(t, r, 0) != 0)
        return -1;
    blas_gemm(CblasNoTrans, CblasNoTrans, ws->m, r, ws->k, 1.0, ws->q, ws->m, ws->w, ws->k, 0.0, t->u, ws->m);
    NAME(lr_scaled_adjoint)(ws->n, r, ws->zh, ws->k, ws->s, conj, t->v, ws->n);
    t->svd_form = 1;
    return 0;
}

/* *rank <- the rank at which Q B is truncated, given ||E||_F = residual
 * (above), or -1 when the range finder stopped at its cap unconverged.
 * 0, or LR_LAPACK_FAILED. */
static int range_truncation_rank(struct range_ws *ws, double tol, double residual, int *rank)
{
    *rank = -1;
    if (residual > RANGE_FRACTION * tol)
        return 0;
    *rank = 0;
    if (ws->k == 0)
        return 0;
    if (lapack_svd(ws->k, ws->n, ws->b, ws->cap, ws->s, ws->w, ws->k, ws->zh, ws->k) != 0)
        return LR_LAPACK_FAILED;
    *rank = lr_truncation_rank(ws->s, ws->k, sqrt(tol * tol - residual * residual));
    return 0;
}

/* The exact path: t <- the assembled tile d (m x n, leading dimension m)
 * truncated at tol through its range (above), or d itself when its rank
 * is too big for low rank to pay.  The range finder may overshoot the
 * rank by a block, so it runs up to lr_max_lowrank + RANGE_BLOCK. */
static int compress_assembled(tile_t *t, const scalar_t *d, double tol, int conj)
{
    const int m = t->m, n = t->n, kmax = lr_max_lowrank(m, n);
    struct range_ws ws = {.m = m, .n = n, .cap = min_int(kmax + RANGE_BLOCK, min_int(m, n))};
    if (ws.cap == 0)
        return tile_resize_lowrank(t, 0, 0);
    void *block = lr_arena_alloc(range_layout, &ws);
    if (!block)
        return -1;
    const double budget = tol > 0 ? tol : 0.0;
    double residual;
    int rank;
    int status = range_find(&ws, d, budget, &residual);
    if (status == 0)
        status = range_truncation_rank(&ws, budget, residual, &rank);
    if (status == 0)
        status = rank >= 0 && rank <= kmax ? write_range_truncation(t, &ws, rank, conj) : NAME(lr_store_dense)(t, d);
    free(block);
    return status;
}

/* The whole tile in a plain workspace, not in tile storage: only the
 * result (often far smaller) is charged to tile_mem.  NULL: no memory. */
static scalar_t *assemble_tile(int m, int n, lr_assemble_fn assemble, void *ctx)
{
    scalar_t *d = LR_WORKSPACE(scalar_t, (size_t)m * n);
    if (d && m > 0 && n > 0)
        assemble(ctx, 0, m, 0, n, d, m);
    return d;
}

int NAME(lr_compress_svd)(tile_t *t, lr_assemble_fn assemble, void *ctx, double tol, int conj)
{
    scalar_t *d = assemble_tile(t->m, t->n, assemble, ctx);
    if (!d)
        return -1;
    int status = compress_assembled(t, d, tol, conj);
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

/* The crosses of ACA so far: S_k = U V^T, U m x k and V n x k (room for
 * kmax), the residual row being computed, the rows already used. */
struct aca {
    int m, n, kmax, k;
    scalar_t *u, *v, *row;
    unsigned char *used;
};

static void aca_layout(void *p, lr_arena_t *arena)
{
    struct aca *aca = p;
    const size_t m = aca->m, n = aca->n, kmax = aca->kmax;
    aca->u = lr_carve(arena, m * kmax, sizeof(scalar_t));
    aca->v = lr_carve(arena, n * kmax, sizeof(scalar_t));
    aca->row = lr_carve(arena, n, sizeof(scalar_t));
    aca->used = lr_carve(arena, m, 1);
}

/* The next cross from row i: v_k = r / r_j from the residual row r, and
 * u_k = the residual column j.  0 when the residual row vanishes or the
 * rank reached kmax (ACA stalls), else 1. */
static int aca_add_cross(struct aca *aca, int i, lr_assemble_fn assemble, void *ctx)
{
    const int m = aca->m, n = aca->n, k = aca->k;
    scalar_t *uk = aca->u + (size_t)k * m, *vk = aca->v + (size_t)k * n, *row = aca->row;
    assemble(ctx, i, 1, 0, n, row, 1);
    aca->used[i] = 1;
    /* row -= V U(i, :)^T.  gemm with one column rather than gemv: the
     * complex gemv of OpenBLAS 0.3.21 (Debian 12) reads past its vectors
     * (OpenBLAS issues 4013, 5000) and strided vectors are its worst case. */
    blas_gemm(CblasNoTrans, CblasTrans, n, 1, k, -1.0, aca->v, n, aca->u + i, m, 1.0, row, n);
    const int j = argmax_abs(n, row, NULL);
    const scalar_t pivot = row[j];
    if (pivot == 0 || k == aca->kmax)
        return 0;
    const scalar_t inv = 1.0 / pivot;
    for (int c = 0; c < n; c++)
        vk[c] = row[c] * inv;
    assemble(ctx, 0, m, j, 1, uk, m);
    blas_gemm(CblasNoTrans, CblasTrans, m, 1, k, -1.0, aca->u, m, aca->v + j, n, 1.0, uk, m);
    aca->k++;
    return 1;
}

/*
 * ACA with partial pivoting builds T ~ S_k = sum_l u_l v_l^T from rows and
 * columns only:
 *   row i of the residual:  r = T(i, :) - sum_l U(i, l) V(:, l)^T
 *   pivot column j = argmax |r_j|, v_k = r / r_j,
 *   column j of the residual: u_k = T(:, j) - sum_l U(:, l) V(j, l),
 *   next row = argmax |u_k(i)| among the rows not used yet.
 * 1 when converged (ACA_SMALL_CROSSES successive crosses under cross_tol),
 * 0 when it stalls: a residual row exactly zero while other rows remain
 * (it cannot tell whether the rest of the tile is zero), or the rank at
 * kmax without converging (a tile that does not compress, or a tolerance
 * below what ACA can resolve).
 */
static int aca_run(struct aca *aca, lr_assemble_fn assemble, void *ctx, double cross_tol)
{
    int i = 0, small = 0;
    while (aca_add_cross(aca, i, assemble, ctx)) {
        const scalar_t *uk = aca->u + (size_t)(aca->k - 1) * aca->m, *vk = aca->v + (size_t)(aca->k - 1) * aca->n;
        const double cross = lapack_norm_fro(aca->m, 1, uk, aca->m) * lapack_norm_fro(aca->n, 1, vk, aca->n);
        small = cross <= cross_tol ? small + 1 : 0;
        if (small == ACA_SMALL_CROSSES)
            return 1;
        /* The largest entry of the new column points at the row the
         * approximation knows least; any unused row will do when that
         * column vanishes on all of them. */
        i = argmax_abs(aca->m, uk, aca->used);
        if (i < 0)
            return 0;   /* every row used: cannot happen below kmax < m */
    }
    return 0;
}

/* t <- the recompression of the crosses U V^T.  A Hermitian tile is
 * stored U V^H: V' = conj(V). */
static int recompress_crosses(tile_t *t, struct aca *aca, double tol, int conj, int *too_big)
{
    if (SCALAR_IS_COMPLEX && conj)
        for (size_t c = 0; c < (size_t)aca->n * aca->k; c++)
            aca->v[c] = SCALAR_CONJ(aca->v[c]);
    return NAME(lr_recompress_factors)(t, aca->k, aca->u, aca->v, ACA_TRUNCATE_FRACTION * tol, conj, too_big);
}

/* t <- ACA (aca_run), then the recompression of its crosses; *converged
 * is 0 when ACA stalled, the rank came out too big or the tile is too
 * thin for ACA: t is then untouched, for the exact path to decide. */
static int aca_compress(tile_t *t, lr_assemble_fn assemble, void *ctx, double tol, int conj, int *converged)
{
    struct aca aca = {.m = t->m, .n = t->n, .kmax = lr_max_lowrank(t->m, t->n)};
    *converged = 0;
    if (aca.kmax == 0)   /* a row or column vector, or empty: nothing to gain */
        return 0;
    void *block = lr_arena_alloc(aca_layout, &aca);
    if (!block)
        return -1;
    memset(aca.used, 0, (size_t)aca.m);
    int status = 0, too_big = 0;
    if (aca_run(&aca, assemble, ctx, ACA_CROSS_FRACTION * (tol > 0 ? tol : 0.0))) {
        status = recompress_crosses(t, &aca, tol, conj, &too_big);
        *converged = status == 0 && !too_big;
    }
    free(block);
    return status;
}

int NAME(lr_compress_aca_unchecked)(tile_t *t, lr_assemble_fn assemble, void *ctx, double tol, int conj)
{
    int converged;
    int status = aca_compress(t, assemble, ctx, tol, conj, &converged);
    if (status == 0 && !converged)
        status = NAME(lr_compress_svd)(t, assemble, ctx, tol, conj);
    return status;
}

/*
 * The a posteriori check.  ACA's stopping rule sees only the rows and
 * columns it pivoted on: a part of the tile that none of them crosses is
 * missed without a trace (a small kernel on a regular grid does that).  So
 * the result t is compared with the exact tile d on CHECK_VECTORS random
 * vectors: with W n x s of independent N(0, 1) entries,
 *     est^2 = ||(d - t) W||_F^2 / s,   E[est^2] = ||d - t||_F^2,
 * an estimate of the Frobenius error ACA's tolerance bounds, whatever the
 * shape of the error (no entry of d is left out).  It underestimates the
 * most when the error has rank one: est^2 / ||d - t||_F^2 is then chi^2_s / s,
 * so an error of c tol passes with probability P(chi^2_10 <= 10 / c^2):
 * 9e-3 for c = 2, 2.5e-9 for c = 10 (docs/design/algorithm.md).  In z, W
 * is complex with both parts N(0, 1), which only tightens the bound.
 */
#define CHECK_VECTORS 10

/* est of the low-rank t against the exact tile d (above); -1 when the
 * workspace cannot be had. */
static int residual_estimate(const tile_t *t, const scalar_t *d, int conj, double *est)
{
    const int m = t->m, n = t->n, r = t->rank, s = CHECK_VECTORS;
    /* W (n x s), (d - t) W (m x s) and V^* W (r x s) in one block. */
    scalar_t *w = LR_WORKSPACE(scalar_t, (size_t)(n + m + r) * s);
    if (!w)
        return -1;
    scalar_t *dw = w + (size_t)n * s, *vw = dw + (size_t)m * s;
    int iseed[4];
    check_seed(m, d, iseed);
    const double parts = gaussian_vectors(iseed, n * s, w);
    blas_gemm(CblasNoTrans, CblasNoTrans, m, s, n, 1.0, d, m, w, n, 0.0, dw, m);
    if (r > 0) {
        blas_gemm(blas_star(conj), CblasNoTrans, r, s, n, 1.0, t->v, n, w, n, 0.0, vw, r);
        blas_gemm(CblasNoTrans, CblasNoTrans, m, s, r, -1.0, t->u, m, vw, r, 1.0, dw, m);
    }
    *est = lapack_norm_fro(m, s, dw, m) / sqrt(parts * s);
    free(w);
    return 0;
}

/* ACA, checked: its result is kept when the estimate of its error is
 * within tol, else the tile is compressed by the exact path from the
 * entries the check assembled. */
int NAME(lr_compress_aca_route)(tile_t *t, lr_assemble_fn assemble, void *ctx, double tol, int conj,
                                lr_route_t *route)
{
    int converged;
    int status = aca_compress(t, assemble, ctx, tol, conj, &converged);
    if (status != 0)
        return status;
    scalar_t *d = assemble_tile(t->m, t->n, assemble, ctx);
    if (!d)
        return -1;
    double est = 0;
    *route = LR_ROUTE_STALLED;
    if (converged && (status = residual_estimate(t, d, conj, &est)) == 0)
        *route = est <= tol ? LR_ROUTE_ACA : LR_ROUTE_REJECTED;
    if (status == 0 && *route != LR_ROUTE_ACA)
        status = compress_assembled(t, d, tol, conj);
    free(d);
    return status;
}

int NAME(lr_compress_aca)(tile_t *t, lr_assemble_fn assemble, void *ctx, double tol, int conj)
{
    lr_route_t route;
    return NAME(lr_compress_aca_route)(t, assemble, ctx, tol, conj, &route);
}
