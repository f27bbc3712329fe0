/*
 * Tile kernels against naive reference arithmetic written here (plain
 * triple loops in double complex, independent of BLAS/LAPACK), for d,
 * z symmetric (L L^T) and z Hermitian (L L^H), dense and low-rank operands.
 */
#include <criterion/criterion.h>
#include <complex.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "compression/tile.h"
#include "compression/lowrank.h"
#include "kernels/tile_kernels.h"
#include "memctl/tile_mem.h"

struct precision {
    int is_complex, conj;
    const char *name;
};
static const struct precision PRECISIONS[] = {{0, 0, "d"}, {1, 0, "z symmetric"}, {1, 1, "z hermitian"}};

static unsigned long long rng_state = 12345;
static double uniform(void)
{
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return ((rng_state >> 11) * 0x1.0p-53) * 2 - 1;
}
static double complex random_scalar(const struct precision *p)
{
    return p->is_complex ? uniform() + I * uniform() : uniform();
}

/* The star of a scalar: conjugate only for Hermitian complex. */
static double complex star(const struct precision *p, double complex a) { return p->conj ? conj(a) : a; }

/* A tile filled from a double complex matrix (ld m): dense, or low-rank
 * from given factors. */
static void store(const struct precision *p, void *dst, const double complex *src, size_t count)
{
    for (size_t k = 0; k < count; k++)
        if (p->is_complex)
            ((double complex *)dst)[k] = src[k];
        else
            ((double *)dst)[k] = creal(src[k]);
}
static double complex *random_matrix(const struct precision *p, int m, int n)
{
    double complex *a = malloc(sizeof *a * (m > 0 && n > 0 ? m * n : 1));
    for (int k = 0; k < m * n; k++)
        a[k] = random_scalar(p);
    return a;
}
static tile_t dense_tile(const struct precision *p, int m, int n, const double complex *values)
{
    tile_t t;
    tile_init(&t, m, n, p->is_complex ? 16 : 8);
    cr_assert_eq(tile_make_dense(&t), 0);
    store(p, t.u, values, (size_t)m * n);
    return t;
}
static tile_t lowrank_tile(const struct precision *p, int m, int n, int k, double complex **u_out,
                           double complex **v_out)
{
    tile_t t;
    tile_init(&t, m, n, p->is_complex ? 16 : 8);
    cr_assert_eq(tile_resize_lowrank(&t, k, 0), 0);
    double complex *u = random_matrix(p, m, k), *v = random_matrix(p, n, k);
    store(p, t.u, u, (size_t)m * k);
    store(p, t.v, v, (size_t)n * k);
    *u_out = u;
    *v_out = v;
    return t;
}
/* The tile's value as a double complex m x n matrix. */
static double complex *expand(const struct precision *p, const tile_t *t)
{
    double complex *out = malloc(sizeof *out * (t->m > 0 && t->n > 0 ? t->m * t->n : 1));
    if (p->is_complex) {
        tile_expand_z(t, p->conj, out, t->m);
    } else {
        double *real = malloc(sizeof *real * (t->m > 0 && t->n > 0 ? t->m * t->n : 1));
        tile_expand_d(t, real, t->m);
        for (int k = 0; k < t->m * t->n; k++)
            out[k] = real[k];
        free(real);
    }
    return out;
}
/* C (m x n) = A (m x k) op(B), op(B) = B (n_b = k) or B^* (B is n x k). */
static double complex *multiply(const struct precision *p, const double complex *a, int m, int k,
                                const double complex *b, int n, int b_starred)
{
    double complex *c = calloc((size_t)(m > 0 && n > 0 ? m * n : 1), sizeof *c);
    for (int j = 0; j < n; j++)
        for (int l = 0; l < k; l++) {
            double complex blj = b_starred ? star(p, b[j + (size_t)l * n]) : b[l + (size_t)j * k];
            for (int i = 0; i < m; i++)
                c[i + (size_t)j * m] += a[i + (size_t)l * m] * blj;
        }
    return c;
}
static double norm(const double complex *a, size_t count)
{
    double s = 0;
    for (size_t k = 0; k < count; k++)
        s += creal(a[k] * conj(a[k]));
    return sqrt(s);
}
/* ||X - Y|| over the lower triangle (lower = 1) or everything. */
static double distance(const double complex *x, const double complex *y, int m, int n, int lower)
{
    double s = 0;
    for (int j = 0; j < n; j++)
        for (int i = lower ? j : 0; i < m; i++) {
            double complex d = x[i + (size_t)j * m] - y[i + (size_t)j * m];
            s += creal(d * conj(d));
        }
    return sqrt(s);
}
/* B B^* + n I: positive definite (Hermitian), or complex symmetric and
 * diagonally dominant. */
static double complex *spd_matrix(const struct precision *p, int n)
{
    double complex *b = random_matrix(p, n, n);
    double complex *a = multiply(p, b, n, n, b, n, 1);
    for (int i = 0; i < n; i++)
        a[i + (size_t)i * n] += n;
    free(b);
    return a;
}
/* The factor of a fresh SPD tile: a dense lower-triangular L (upper zeroed). */
static tile_t factor_tile(const struct precision *p, int n)
{
    double complex *a = spd_matrix(p, n);
    tile_t l = dense_tile(p, n, n, a);
    cr_assert_eq(p->is_complex ? tile_potrf_z(&l, p->conj) : tile_potrf_d(&l, p->conj), 0);
    for (int j = 0; j < n; j++)
        for (int i = 0; i < j; i++) {
            if (p->is_complex)
                ((double complex *)l.u)[i + (size_t)j * n] = 0;
            else
                ((double *)l.u)[i + (size_t)j * n] = 0;
        }
    free(a);
    return l;
}

static void check_potrf(const struct precision *p, int n)
{
    double complex *a = spd_matrix(p, n);
    tile_t t = dense_tile(p, n, n, a);
    int info = p->is_complex ? tile_potrf_z(&t, p->conj) : tile_potrf_d(&t, p->conj);
    cr_assert_eq(info, 0, "%s n=%d: info %d", p->name, n, info);
    double complex *l = expand(p, &t);
    for (int j = 0; j < n; j++)
        for (int i = 0; i < j; i++)
            l[i + (size_t)j * n] = 0;
    double complex *llt = multiply(p, l, n, n, l, n, 1);
    double error = distance(llt, a, n, n, 1) / norm(a, (size_t)n * n);
    cr_assert(error < 1e-13, "%s potrf n=%d: ||L L^* - A|| / ||A|| = %g", p->name, n, error);
    free(a), free(l), free(llt);
    tile_release(&t);
}

Test(kernels, potrf_every_precision_and_panel_edge)
{
    tile_mem_reset();
    const int sizes[] = {1, 63, 64, 65, 150};
    for (int q = 0; q < 3; q++)
        for (int s = 0; s < 5; s++)
            check_potrf(&PRECISIONS[q], sizes[s]);
    cr_assert_eq(tile_mem_actual(), 0);
}

Test(kernels, potrf_reports_the_failing_column)
{
    tile_mem_reset();
    for (int q = 0; q < 3; q++) {
        const struct precision *p = &PRECISIONS[q];
        const int n = 90, bad = 71;
        double complex *a = spd_matrix(p, n);
        /* Row and column 72 (1-based) zero: its pivot is exactly 0 after
         * elimination, a failure for every symmetry (a complex symmetric
         * matrix has no positivity, only non-zero pivots). */
        for (int k = 0; k < n; k++)
            a[bad + (size_t)k * n] = a[k + (size_t)bad * n] = 0;
        tile_t t = dense_tile(p, n, n, a);
        int info = p->is_complex ? tile_potrf_z(&t, p->conj) : tile_potrf_d(&t, p->conj);
        cr_assert_eq(info, bad + 1, "%s: info %d", p->name, info);
        free(a);
        tile_release(&t);
    }
}

/* A <- A L^{-*}: check (A_new) L^* == A_old. */
Test(kernels, trsm_dense_and_lowrank)
{
    tile_mem_reset();
    const int m = 90, n = 70;
    for (int q = 0; q < 3; q++) {
        const struct precision *p = &PRECISIONS[q];
        tile_t l = factor_tile(p, n);
        double complex *lc = expand(p, &l);
        const int ranks[] = {TILE_DENSE, 0, 3, 10};
        for (int r = 0; r < 4; r++) {
            double complex *u = NULL, *v = NULL, *values = NULL;
            tile_t a;
            if (ranks[r] == TILE_DENSE) {
                values = random_matrix(p, m, n);
                a = dense_tile(p, m, n, values);
            } else {
                a = lowrank_tile(p, m, n, ranks[r], &u, &v);
            }
            double complex *before = expand(p, &a);
            cr_assert_eq(p->is_complex ? tile_trsm_z(&a, &l, p->conj) : tile_trsm_d(&a, &l, p->conj), 0);
            double complex *after = expand(p, &a);
            double complex *back = multiply(p, after, m, n, lc, n, 1);
            double error = distance(back, before, m, n, 0) / (norm(before, (size_t)m * n) + 1e-300);
            cr_assert(error < 1e-13 || (ranks[r] == 0 && norm(after, (size_t)m * n) == 0), "%s trsm rank %d: %g",
                      p->name, ranks[r], error);
            free(u), free(v), free(values), free(before), free(after), free(back);
            tile_release(&a);
        }
        free(lc);
        tile_release(&l);
    }
    cr_assert_eq(tile_mem_actual(), 0);
}

Test(kernels, syrk_dense_and_lowrank)
{
    tile_mem_reset();
    const int m = 80, inner = 60;
    for (int q = 0; q < 3; q++) {
        const struct precision *p = &PRECISIONS[q];
        const int ranks[] = {TILE_DENSE, 0, 5};
        for (int r = 0; r < 3; r++) {
            double complex *c0 = spd_matrix(p, m);
            tile_t c = dense_tile(p, m, m, c0);
            double complex *u = NULL, *v = NULL, *values = NULL;
            tile_t a;
            if (ranks[r] == TILE_DENSE) {
                values = random_matrix(p, m, inner);
                a = dense_tile(p, m, inner, values);
            } else {
                a = lowrank_tile(p, m, inner, ranks[r], &u, &v);
            }
            double complex *ac = expand(p, &a);
            double complex *aa = multiply(p, ac, m, inner, ac, m, 1);
            for (int k = 0; k < m * m; k++)
                c0[k] -= aa[k];
            cr_assert_eq(p->is_complex ? tile_syrk_z(&c, &a, p->conj) : tile_syrk_d(&c, &a, p->conj), 0);
            double complex *got = expand(p, &c);
            double error = distance(got, c0, m, m, 1) / norm(c0, (size_t)m * m);
            cr_assert(error < 1e-13, "%s syrk rank %d: %g", p->name, ranks[r], error);
            free(c0), free(u), free(v), free(values), free(ac), free(aa), free(got);
            tile_release(&a);
            tile_release(&c);
        }
    }
    cr_assert_eq(tile_mem_actual(), 0);
}

/* C - A B^* for every representation of A, B and C; low-rank A and B of
 * ranks 4 < 6 and 9 > 6 (the product is given with min(ka, kb) columns). */
Test(kernels, gemm_every_combination)
{
    tile_mem_reset();
    const int m = 70, n = 50, inner = 40;
    const int a_ranks[] = {TILE_DENSE, 0, 4, 9}, b_ranks[] = {TILE_DENSE, 0, 6}, c_ranks[] = {TILE_DENSE, 0, 3};
    for (int q = 0; q < 3; q++) {
        const struct precision *p = &PRECISIONS[q];
        for (int ia = 0; ia < 4; ia++)
            for (int ib = 0; ib < 3; ib++)
                for (int ic = 0; ic < 3; ic++) {
                    double complex *f[6] = {0}, *va = NULL, *vb = NULL, *vc = NULL;
                    tile_t a = a_ranks[ia] == TILE_DENSE ? dense_tile(p, m, inner, va = random_matrix(p, m, inner))
                                                         : lowrank_tile(p, m, inner, a_ranks[ia], &f[0], &f[1]);
                    tile_t b = b_ranks[ib] == TILE_DENSE ? dense_tile(p, n, inner, vb = random_matrix(p, n, inner))
                                                         : lowrank_tile(p, n, inner, b_ranks[ib], &f[2], &f[3]);
                    tile_t c = c_ranks[ic] == TILE_DENSE ? dense_tile(p, m, n, vc = random_matrix(p, m, n))
                                                         : lowrank_tile(p, m, n, c_ranks[ic], &f[4], &f[5]);
                    double complex *ac = expand(p, &a), *bc = expand(p, &b), *expected = expand(p, &c);
                    double complex *ab = multiply(p, ac, m, inner, bc, n, 1);
                    for (int k = 0; k < m * n; k++)
                        expected[k] -= ab[k];
                    double scale = norm(expected, (size_t)m * n) + 1;
                    double tol = 1e-10 * scale;
                    int status = p->is_complex ? tile_gemm_z(&c, &a, &b, tol, p->conj)
                                               : tile_gemm_d(&c, &a, &b, tol, p->conj);
                    cr_assert_eq(status, 0);
                    double complex *got = expand(p, &c);
                    double error = distance(got, expected, m, n, 0);
                    cr_assert(error <= tol * 1.001 + 1e-13 * scale, "%s gemm A%d B%d C%d: error %g, tol %g", p->name,
                              a_ranks[ia], b_ranks[ib], c_ranks[ic], error, tol);
                    /* The storage rule (docs/design/algorithm.md): a rank past min(m, n) / 2 is stored dense. */
                    cr_assert(tile_is_dense(&c) || c.rank <= 25, "%s: rank %d kept low-rank", p->name, c.rank);
                    for (int k = 0; k < 6; k++)
                        free(f[k]);
                    free(va), free(vb), free(vc), free(ac), free(bc), free(expected), free(ab), free(got);
                    tile_release(&a), tile_release(&b), tile_release(&c);
                }
    }
    cr_assert_eq(tile_mem_actual(), 0);
}

/*
 * Low-rank C in svd_form (as compression and every update leave it), as a
 * factorisation sees it: the update goes through the projected
 * recompression and keeps svd_form; the product is given with min(ka, kb)
 * columns, both ways round.  A TRSM clears svd_form (V changes).
 */
Test(kernels, gemm_svd_form_c_both_orders)
{
    tile_mem_reset();
    const int m = 70, n = 50, inner = 40, kc = 8;
    const int orders[2][2] = {{4, 9}, {9, 4}};
    for (int q = 0; q < 3; q++) {
        const struct precision *p = &PRECISIONS[q];
        for (int o = 0; o < 2; o++) {
            double complex *f[6];
            tile_t a = lowrank_tile(p, m, inner, orders[o][0], &f[0], &f[1]);
            tile_t b = lowrank_tile(p, n, inner, orders[o][1], &f[2], &f[3]);
            tile_t c = lowrank_tile(p, m, n, kc, &f[4], &f[5]);
            /* into svd_form, exactly (tol 0 keeps every non-zero singular value) */
            cr_assert_eq(p->is_complex ? lr_truncate_z(&c, 0, p->conj) : lr_truncate_d(&c, 0, p->conj), 0);
            cr_assert(c.svd_form && c.rank == kc, "%s: rank %d", p->name, c.rank);
            double complex *ac = expand(p, &a), *bc = expand(p, &b), *expected = expand(p, &c);
            double complex *ab = multiply(p, ac, m, inner, bc, n, 1);
            for (int k = 0; k < m * n; k++)
                expected[k] -= ab[k];
            const double scale = norm(expected, (size_t)m * n), tol = 1e-10 * scale;
            int status = p->is_complex ? tile_gemm_z(&c, &a, &b, tol, p->conj) : tile_gemm_d(&c, &a, &b, tol, p->conj);
            cr_assert_eq(status, 0);
            cr_assert(!tile_is_dense(&c) && c.svd_form, "%s: svd_form lost", p->name);
            const int product_rank = orders[o][0] < orders[o][1] ? orders[o][0] : orders[o][1];
            cr_assert_eq(c.rank, kc + product_rank, "%s ka %d kb %d: rank %d", p->name, orders[o][0], orders[o][1],
                         c.rank);
            double complex *got = expand(p, &c);
            double error = distance(got, expected, m, n, 0);
            cr_assert(error <= tol, "%s ka %d kb %d: error %g, tol %g", p->name, orders[o][0], orders[o][1], error,
                      tol);
            /* TRSM changes V: no longer in svd_form */
            tile_t l = factor_tile(p, n);
            cr_assert_eq(p->is_complex ? tile_trsm_z(&c, &l, p->conj) : tile_trsm_d(&c, &l, p->conj), 0);
            cr_assert(!c.svd_form, "%s: TRSM must clear svd_form", p->name);
            for (int k = 0; k < 6; k++)
                free(f[k]);
            free(ac), free(bc), free(expected), free(ab), free(got);
            tile_release(&a), tile_release(&b), tile_release(&c), tile_release(&l);
        }
    }
    cr_assert_eq(tile_mem_actual(), 0);
}

/* A dense product of full rank added into a low-rank C makes C dense, exact. */
Test(kernels, gemm_rank_growth_turns_dense)
{
    tile_mem_reset();
    const struct precision *p = &PRECISIONS[0];
    const int m = 60, n = 60;
    double complex *u, *v, *va = random_matrix(p, m, m), *vb = random_matrix(p, n, m);
    tile_t c = lowrank_tile(p, m, n, 2, &u, &v);
    tile_t a = dense_tile(p, m, m, va), b = dense_tile(p, n, m, vb);
    double complex *expected = expand(p, &c), *ab = multiply(p, va, m, m, vb, n, 1);
    for (int k = 0; k < m * n; k++)
        expected[k] -= ab[k];
    cr_assert_eq(tile_gemm_d(&c, &a, &b, 1e-10, 0), 0);
    cr_assert(tile_is_dense(&c));
    double complex *got = expand(p, &c);
    cr_assert(distance(got, expected, m, n, 0) < 1e-12 * norm(expected, (size_t)m * n));
    free(u), free(v), free(va), free(vb), free(expected), free(ab), free(got);
    tile_release(&a), tile_release(&b), tile_release(&c);
    cr_assert_eq(tile_mem_actual(), 0);
}

Test(kernels, trsv_and_gemv)
{
    tile_mem_reset();
    const int n = 50, m = 40;
    for (int q = 0; q < 3; q++) {
        const struct precision *p = &PRECISIONS[q];
        size_t esz = p->is_complex ? 16 : 8;
        tile_t l = factor_tile(p, n);
        double complex *lc = expand(p, &l);
        for (int adjoint = 0; adjoint < 2; adjoint++) {
            /* trsv: x = op(L)^{-1} b, check op(L) x == b. */
            double complex *b = random_matrix(p, n, 1);
            void *x = malloc(n * esz);
            store(p, x, b, n);
            if (p->is_complex)
                tile_trsv_z(&l, x, p->conj, adjoint);
            else
                tile_trsv_d(&l, x, p->conj, adjoint);
            double complex *xc = malloc(n * sizeof *xc), *back = calloc(n, sizeof *back);
            for (int k = 0; k < n; k++)
                xc[k] = p->is_complex ? ((double complex *)x)[k] : ((double *)x)[k];
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++)
                    back[i] += (adjoint ? star(p, lc[j + (size_t)i * n]) : lc[i + (size_t)j * n]) * xc[j];
            cr_assert(distance(back, b, n, 1, 0) < 1e-12 * norm(b, n), "%s trsv adjoint %d", p->name, adjoint);
            free(b), free(x), free(xc), free(back);
            /* gemv: y - op(A) x with A dense and low-rank. */
            for (int lowrank = 0; lowrank < 2; lowrank++) {
                double complex *u = NULL, *v = NULL, *values = NULL;
                tile_t a = lowrank ? lowrank_tile(p, m, n, 4, &u, &v) : dense_tile(p, m, n, values = random_matrix(p, m, n));
                double complex *ac = expand(p, &a);
                int in = adjoint ? m : n, out = adjoint ? n : m;
                double complex *xv = random_matrix(p, in, 1), *y0 = random_matrix(p, out, 1);
                void *xs = malloc(in * esz), *ys = malloc(out * esz);
                store(p, xs, xv, in);
                store(p, ys, y0, out);
                for (int i = 0; i < out; i++)
                    for (int j = 0; j < in; j++)
                        y0[i] -= (adjoint ? star(p, ac[j + (size_t)i * m]) : ac[i + (size_t)j * m]) * xv[j];
                if (p->is_complex)
                    tile_gemv_z(&a, xs, ys, p->conj, adjoint);
                else
                    tile_gemv_d(&a, xs, ys, p->conj, adjoint);
                double complex *yc = malloc(out * sizeof *yc);
                for (int k = 0; k < out; k++)
                    yc[k] = p->is_complex ? ((double complex *)ys)[k] : ((double *)ys)[k];
                cr_assert(distance(yc, y0, out, 1, 0) < 1e-12 * (norm(y0, out) + 1), "%s gemv adjoint %d lowrank %d",
                          p->name, adjoint, lowrank);
                free(u), free(v), free(values), free(ac), free(xv), free(y0), free(xs), free(ys), free(yc);
                tile_release(&a);
            }
        }
        free(lc);
        tile_release(&l);
    }
    cr_assert_eq(tile_mem_actual(), 0);
}

Test(kernels, flops_of_a_dense_gemm)
{
    tile_mem_reset();
    for (int q = 0; q < 2; q++) {
        const struct precision *p = &PRECISIONS[q];
        const int m = 30, n = 20, k = 10;
        double complex *va = random_matrix(p, m, k), *vb = random_matrix(p, n, k), *vc = random_matrix(p, m, n);
        tile_t a = dense_tile(p, m, k, va), b = dense_tile(p, n, k, vb), c = dense_tile(p, m, n, vc);
        kernel_flops_reset();
        if (p->is_complex)
            tile_gemm_z(&c, &a, &b, 0, 0);
        else
            tile_gemm_d(&c, &a, &b, 0, 0);
        cr_assert_eq(kernel_flops_total(), (p->is_complex ? 8.0 : 2.0) * m * n * k);
        free(va), free(vb), free(vc);
        tile_release(&a), tile_release(&b), tile_release(&c);
    }
}

/* The flops of a product with low-rank operands, into a dense C: building
 * X Y^* (Va^* Vb, then the cheaper side; or the one gemm D V) plus the
 * gemm 2 m n k that applies it; complex multiply-adds count 4. */
Test(kernels, flops_of_lowrank_products)
{
    tile_mem_reset();
    const int m = 30, n = 20, inner = 16, ka = 4, kb = 6;
    for (int q = 0; q < 2; q++) {
        const struct precision *p = &PRECISIONS[q];
        const double scale = p->is_complex ? 4.0 : 1.0;
        /* {rank of A, rank of B, expected flops}; TILE_DENSE for a dense operand. */
        const struct { int ra, rb; double flops; } cases[] = {
            {ka, kb, 2.0 * ((double)ka * kb * inner + (double)n * kb * ka) + 2.0 * m * n * ka},
            {kb, ka, 2.0 * ((double)kb * ka * inner + (double)m * ka * kb) + 2.0 * m * n * ka},
            {ka, TILE_DENSE, 2.0 * n * ka * inner + 2.0 * m * n * ka},
            {TILE_DENSE, kb, 2.0 * m * kb * inner + 2.0 * m * n * kb},
        };
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            double complex *f[4] = {0}, *va = NULL, *vb = NULL, *vc = random_matrix(p, m, n);
            tile_t a = cases[i].ra == TILE_DENSE ? dense_tile(p, m, inner, va = random_matrix(p, m, inner))
                                                 : lowrank_tile(p, m, inner, cases[i].ra, &f[0], &f[1]);
            tile_t b = cases[i].rb == TILE_DENSE ? dense_tile(p, n, inner, vb = random_matrix(p, n, inner))
                                                 : lowrank_tile(p, n, inner, cases[i].rb, &f[2], &f[3]);
            tile_t c = dense_tile(p, m, n, vc);
            kernel_flops_reset();
            int status = p->is_complex ? tile_gemm_z(&c, &a, &b, 0, 0) : tile_gemm_d(&c, &a, &b, 0, 0);
            cr_assert_eq(status, 0);
            cr_assert_eq(kernel_flops_total(), scale * cases[i].flops, "%s case %zu: %g flops, expected %g", p->name,
                         i, kernel_flops_total(), scale * cases[i].flops);
            for (int k = 0; k < 4; k++)
                free(f[k]);
            free(va), free(vb), free(vc);
            tile_release(&a), tile_release(&b), tile_release(&c);
        }
    }
    cr_assert_eq(tile_mem_actual(), 0);
}
