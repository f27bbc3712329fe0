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

Test(aca_check, corner_d) { check_corner(0, 0); }
Test(aca_check, corner_z_sym) { check_corner(1, 0); }
Test(aca_check, corner_z_herm) { check_corner(1, 1); }
Test(aca_check, gaussian_grid_d) { check_gaussian(0, 0); }
Test(aca_check, gaussian_grid_z_sym) { check_gaussian(1, 0); }
Test(aca_check, gaussian_grid_z_herm) { check_gaussian(1, 1); }
