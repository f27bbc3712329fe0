/*
 * test_aca_check.c: tiles built to defeat ACA with partial pivoting, and
 * the a posteriori check that catches them (compression/t_compress.c).
 * On each tile, ACA without the check must miss (its error, measured
 * against the exact dense tile, far above tol: the tile does defeat it),
 * and lr_compress_aca_route must reject that result and return a tile
 * within tol.  For d, and z (the same tiles times a phase) with ^T and ^H.
 */
#include <complex.h>
#include <math.h>
#include <stdlib.h>

#include <criterion/criterion.h>
#include <criterion/logging.h>

#include "compression/lowrank.h"
#include "compression/tile.h"
#include "memctl/tile_mem.h"

/* A tile given by a real entry function, optionally times the phase
 * exp(i (0.3 r - 0.7 c)), which leaves its singular values and the moduli
 * ACA pivots on unchanged. */
struct block {
    int m, n;
    double (*entry)(const struct block *b, int r, int c);
    const double *x, *y; /* 2D points of the rows and columns (gaussian) */
};

static double complex phase(int r, int c) { return cexp(I * (0.3 * r - 0.7 * c)); }
/* A function, not conj() itself: the `conj` flags below would hide it. */
static double complex conjugate(double complex a) { return conj(a); }

static void assemble_d(void *ctx, int row0, int nrows, int col0, int ncols, void *out, int ld)
{
    const struct block *b = ctx;
    for (int c = 0; c < ncols; c++)
        for (int r = 0; r < nrows; r++)
            ((double *)out)[r + (size_t)c * ld] = b->entry(b, row0 + r, col0 + c);
}

static void assemble_z(void *ctx, int row0, int nrows, int col0, int ncols, void *out, int ld)
{
    const struct block *b = ctx;
    for (int c = 0; c < ncols; c++)
        for (int r = 0; r < nrows; r++)
            ((double complex *)out)[r + (size_t)c * ld] =
                b->entry(b, row0 + r, col0 + c) * phase(row0 + r, col0 + c);
}

/* ---- the tiles ----------------------------------------------------------- */

/* A smooth kernel on the first CORNER_AT rows and columns, zero elsewhere,
 * plus a block of entries of order 1 in the last rows and columns: every
 * row and column ACA's first pivot leads to misses the corner. */
#define CORNER_AT 190
static double corner_entry(const struct block *b, int r, int c)
{
    if (r < CORNER_AT && c < CORNER_AT)
        return 1.0 / (1.0 + fabs(0.01 * r - (3.0 + 0.01 * c)));
    if (r >= CORNER_AT && c >= CORNER_AT)
        return cos(1.0 + r * 0.37 + c * 1.91);
    return 0.0;
}

/* exp(-|x - y|^2 / ell^2) between two 12 x 12 patches of one regular grid
 * of step 0.01, 0.3 apart (ell = 0.14): on a tensor grid the Gaussian is a
 * Kronecker product, and partial pivoting stops on crosses that vanish
 * while much of the tile is left. */
#define PATCH 12
static double gaussian_entry(const struct block *b, int r, int c)
{
    const double dx = b->x[2 * r] - b->y[2 * c], dy = b->x[2 * r + 1] - b->y[2 * c + 1];
    return exp(-(dx * dx + dy * dy) / (0.14 * 0.14));
}

static double *grid_patch(double x0, double y0)
{
    double *p = malloc(2 * PATCH * PATCH * sizeof *p);
    cr_assert_not_null(p);
    for (int i = 0; i < PATCH; i++)
        for (int j = 0; j < PATCH; j++) {
            p[2 * (i * PATCH + j)] = x0 + 0.01 * i;
            p[2 * (i * PATCH + j) + 1] = y0 + 0.01 * j;
        }
    return p;
}

/* ---- the reference: the exact tile, and the error of a result ---------- */

/* ||D - t||_F with t expanded here by plain loops: U V^* (^H when conj). */
static double error_d(const tile_t *t, const double *d)
{
    double sum = 0;
    for (int c = 0; c < t->n; c++)
        for (int r = 0; r < t->m; r++) {
            double approx = 0;
            if (tile_is_dense(t))
                approx = ((const double *)t->u)[r + (size_t)c * t->m];
            else
                for (int k = 0; k < t->rank; k++)
                    approx += ((const double *)t->u)[r + (size_t)k * t->m] *
                              ((const double *)t->v)[c + (size_t)k * t->n];
            const double e = d[r + (size_t)c * t->m] - approx;
            sum += e * e;
        }
    return sqrt(sum);
}

static double error_z(const tile_t *t, const double complex *d, int conj)
{
    double sum = 0;
    for (int c = 0; c < t->n; c++)
        for (int r = 0; r < t->m; r++) {
            double complex approx = 0;
            if (tile_is_dense(t))
                approx = ((const double complex *)t->u)[r + (size_t)c * t->m];
            else
                for (int k = 0; k < t->rank; k++) {
                    const double complex v = ((const double complex *)t->v)[c + (size_t)k * t->n];
                    approx += ((const double complex *)t->u)[r + (size_t)k * t->m] * (conj ? conjugate(v) : v);
                }
            const double e = cabs(d[r + (size_t)c * t->m] - approx);
            sum += e * e;
        }
    return sqrt(sum);
}

/* ---- the check ------------------------------------------------------------ */

/* Plain ACA misses on b (error over 10 tol, so that the tile really defeats
 * it), and the checked ACA rejects that result and meets tol.  `z`: complex
 * entries, with ^H when conj. */
static void check_block(const struct block *b, double rel, int z, int conj, const char *what)
{
    tile_mem_reset();
    const int m = b->m, n = b->n;
    const size_t esz = z ? sizeof(double complex) : sizeof(double);
    void *d = malloc((size_t)m * n * esz);
    cr_assert_not_null(d);
    lr_assemble_fn assemble = z ? assemble_z : assemble_d;
    assemble((void *)b, 0, m, 0, n, d, m);
    double norm2 = 0;
    for (size_t k = 0; k < (size_t)m * n; k++)
        norm2 += z ? pow(cabs(((double complex *)d)[k]), 2) : pow(((double *)d)[k], 2);
    const double tol = rel * sqrt(norm2);

    tile_t plain, checked;
    tile_init(&plain, m, n, (int)esz);
    tile_init(&checked, m, n, (int)esz);
    lr_route_t route;
    if (z) {
        cr_assert_eq(lr_compress_aca_unchecked_z(&plain, assemble, (void *)b, tol, conj), 0);
        cr_assert_eq(lr_compress_aca_route_z(&checked, assemble, (void *)b, tol, conj, &route), 0);
    } else {
        cr_assert_eq(lr_compress_aca_unchecked_d(&plain, assemble, (void *)b, tol, conj), 0);
        cr_assert_eq(lr_compress_aca_route_d(&checked, assemble, (void *)b, tol, conj, &route), 0);
    }
    const double err_plain = z ? error_z(&plain, d, conj) : error_d(&plain, d);
    const double err_checked = z ? error_z(&checked, d, conj) : error_d(&checked, d);
    cr_log_info("aca_check %s %s conj %d: plain ACA rank %d error/tol %.3g; checked route %d rank %d error/tol %.3g",
                what, z ? "z" : "d", conj, plain.rank, err_plain / tol, (int)route, checked.rank,
                err_checked / tol);
    cr_assert(err_plain > 10 * tol, "%s: plain ACA met tol (%g <= 10 tol): the tile no longer defeats it", what,
              err_plain / tol);
    cr_assert_eq(route, LR_ROUTE_REJECTED, "%s: the check let ACA's result through (route %d)", what, (int)route);
    cr_assert(err_checked <= tol, "%s: checked ACA error %g tol", what, err_checked / tol);
    tile_release(&plain), tile_release(&checked);
    cr_assert_eq(tile_mem_actual(), 0);
    free(d);
}

static void check_corner(int z, int conj)
{
    const struct block b = {.m = 200, .n = 200, .entry = corner_entry};
    check_block(&b, 1e-8, z, conj, "corner");
}

static void check_gaussian(int z, int conj)
{
    double *x = grid_patch(0, 0), *y = grid_patch(0, 0.3);
    const struct block b = {.m = PATCH * PATCH, .n = PATCH * PATCH, .entry = gaussian_entry, .x = x, .y = y};
    check_block(&b, 1e-8, z, conj, "gaussian");
    free(x), free(y);
}

/* ---- the estimate's calibration ------------------------------------------- */

/* A rank-2 random tile on the first CORNER_AT rows and columns (ACA
 * captures it exactly), plus a rank-one error of norm `planted` tol in the
 * corner its pivots never reach: ACA's result is then off by exactly that,
 * and whether the check passes it is the estimate's own draw. */
struct planted {
    struct block b;
    double a[2][CORNER_AT], c[2][CORNER_AT]; /* the rank-2 part's factors */
    double x[200 - CORNER_AT], y[200 - CORNER_AT]; /* unit vectors of the error */
    double error_norm;
};

static double planted_entry(const struct block *b, int r, int c)
{
    const struct planted *p = (const struct planted *)b;
    if (r < CORNER_AT && c < CORNER_AT)
        return p->a[0][r] * p->c[0][c] + p->a[1][r] * p->c[1][c];
    if (r >= CORNER_AT && c >= CORNER_AT)
        return p->error_norm * p->x[r - CORNER_AT] * p->y[c - CORNER_AT];
    return 0.0;
}

static double uniform(unsigned *state)
{
    *state = *state * 1664525u + 1013904223u;
    return (*state >> 8) * 0x1.0p-24 * 2.0 - 1.0;
}

static void unit_vector(double *v, int len, unsigned *state)
{
    double norm = 0;
    for (int k = 0; k < len; k++)
        v[k] = uniform(state), norm += v[k] * v[k];
    for (int k = 0; k < len; k++)
        v[k] /= sqrt(norm);
}

/* Of `trials` tiles whose ACA result is off by c tol (c = planted), how
 * many the check accepts; each trial's planted error asserted first. */
static int accepted_of(int trials, double planted, unsigned seed)
{
    const double tol = 1e-6;
    int accepted = 0;
    for (int trial = 0; trial < trials; trial++) {
        struct planted p = {.b = {.m = 200, .n = 200, .entry = planted_entry}, .error_norm = planted * tol};
        for (int f = 0; f < 2; f++)
            for (int k = 0; k < CORNER_AT; k++)
                p.a[f][k] = uniform(&seed), p.c[f][k] = uniform(&seed);
        unit_vector(p.x, 200 - CORNER_AT, &seed);
        unit_vector(p.y, 200 - CORNER_AT, &seed);
        double *d = malloc(200 * 200 * sizeof *d);
        cr_assert_not_null(d);
        assemble_d(&p, 0, 200, 0, 200, d, 200);
        tile_t plain, checked;
        tile_init(&plain, 200, 200, sizeof(double));
        tile_init(&checked, 200, 200, sizeof(double));
        lr_route_t route;
        cr_assert_eq(lr_compress_aca_unchecked_d(&plain, assemble_d, &p, tol, 0), 0);
        cr_assert_eq(lr_compress_aca_route_d(&checked, assemble_d, &p, tol, 0, &route), 0);
        const double err = error_d(&plain, d) / tol;
        cr_assert(fabs(err - planted) < 1e-3 * planted, "trial %d: ACA's error %g tol, planted %g", trial, err,
                  planted);
        cr_assert(route != LR_ROUTE_STALLED, "trial %d: ACA stalled", trial);
        accepted += route == LR_ROUTE_ACA;
        tile_release(&plain), tile_release(&checked);
        free(d);
    }
    return accepted;
}

/* A rank-one error is the estimate's worst case: est^2 / err^2 is
 * chi^2_10 / 10, so an error of c tol passes with probability
 * P(chi^2_10 <= 10 / c^2): 1.6e-5 for c = 0.5 failing, 7.5% for c = 1.5
 * passing, 1e-6 for c = 5 passing.  An estimate off by sqrt(2) either way
 * would pass 46% or 0.6% at c = 1.5, outside the bounds below. */
Test(aca_check, estimate_calibration_d)
{
    const int well_within = accepted_of(100, 0.5, 11u), near = accepted_of(400, 1.5, 12u),
              far = accepted_of(100, 5.0, 13u);
    cr_log_info("aca_check calibration: accepted %d/100 at 0.5 tol, %d/400 at 1.5 tol (expected 30), %d/100 at 5 tol",
                well_within, near, far);
    cr_assert_eq(well_within, 100, "%d of 100 tiles within tol rejected", 100 - well_within);
    cr_assert(near >= 12 && near <= 55, "%d of 400 tiles at 1.5 tol accepted, expected 30", near);
    cr_assert_eq(far, 0, "%d of 100 tiles at 5 tol accepted", far);
}

Test(aca_check, corner_d) { check_corner(0, 0); }
Test(aca_check, corner_z_sym) { check_corner(1, 0); }
Test(aca_check, corner_z_herm) { check_corner(1, 1); }
Test(aca_check, gaussian_grid_d) { check_gaussian(0, 0); }
Test(aca_check, gaussian_grid_z_sym) { check_gaussian(1, 0); }
Test(aca_check, gaussian_grid_z_herm) { check_gaussian(1, 1); }
