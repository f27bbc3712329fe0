/* The reference matrices of docs/design/reference-matrices.md: points, weights and
 * entries against closed forms evaluated here, and the definiteness the
 * spec measured with LAPACK. */
#include <criterion/criterion.h>
#include <complex.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>

#include "bem/bem.h"

static double distance(const double *a, const double *b)
{
    return sqrt((a[0] - b[0]) * (a[0] - b[0]) + (a[1] - b[1]) * (a[1] - b[1]) + (a[2] - b[2]) * (a[2] - b[2]));
}

Test(bem, sphere_points_and_constants)
{
    bem_problem_t p;
    const int n = 1000;
    cr_assert_eq(bem_problem_init(&p, n, BEM_SPHERE, BEM_LAPLACE), 0);
    for (int i = 0; i < n; i++) {
        const double *x = p.points + 3 * i;
        cr_assert_float_eq(x[0] * x[0] + x[1] * x[1] + x[2] * x[2], 1.0, 1e-12);
        cr_assert_float_eq(x[2], 1 - (2.0 * i + 1) / n, 1e-14);
    }
    cr_assert_float_eq(p.weight, 4 * M_PI / n, 1e-15);
    cr_assert_float_eq(p.radius, sqrt(p.weight / M_PI), 1e-15);
    cr_assert_float_eq(p.wavenumber, 2 * M_PI * sqrt(n / (4 * M_PI)) / 10, 1e-12);
    bem_problem_free(&p);
}

Test(bem, cylinder_points_on_the_surface)
{
    bem_problem_t p;
    const int n = 2000, n_cap = 200, n_lat = 1600;
    cr_assert_eq(bem_problem_init(&p, n, BEM_CYLINDER, BEM_LAPLACE), 0);
    double r = sqrt(10 * M_PI / n / M_PI);
    cr_assert_float_eq(p.radius, r, 1e-15);
    for (int i = 0; i < n; i++) {
        const double *x = p.points + 3 * i;
        double rho = sqrt(x[0] * x[0] + x[1] * x[1]);
        if (i < n_lat) {
            cr_assert_float_eq(rho, 1.0, 1e-12);
            cr_assert(fabs(x[2]) <= 2 - r + 1e-12);
        } else {
            cr_assert_float_eq(fabs(x[2]), 2.0, 1e-15);
            cr_assert(rho <= 1 - r + 1e-12);
            cr_assert_eq(x[2] > 0, i >= n_lat + n_cap, "bottom cap first, then top");
        }
    }
    bem_problem_free(&p);
}

Test(bem, grid2d_points)
{
    bem_problem_t p;
    cr_assert_eq(bem_problem_init(&p, 10, BEM_GRID2D, BEM_SQEXP), 0); /* s = 4 */
    cr_assert_float_eq(p.points[3 * 5 + 0], 1.5 / 4, 1e-15);          /* point 5 = (a 1, b 1) */
    cr_assert_float_eq(p.points[3 * 5 + 1], 1.5 / 4, 1e-15);
    cr_assert_float_eq(p.points[3 * 9 + 0], 2.5 / 4, 1e-15);          /* point 9 = (a 2, b 1) */
    cr_assert_float_eq(p.points[3 * 9 + 1], 1.5 / 4, 1e-15);
    cr_assert_float_eq(p.weight, 0.1, 1e-15);
    bem_problem_free(&p);
}

/* Entries against the formulas of the spec, evaluated independently. */
Test(bem, entries_match_the_spec)
{
    const int n = 300;
    int rows[] = {0, 7, 150, 299}, cols[] = {7, 0, 150, 12, 299};
    for (int kernel = 0; kernel <= BEM_EXP; kernel++) {
        bem_problem_t p;
        cr_assert_eq(bem_problem_init(&p, n, BEM_SPHERE, (bem_kernel_t)kernel), 0);
        double complex block[4 * 5];
        if (bem_kernel_is_complex(p.kernel)) {
            bem_assemble_z(&p, rows, 4, cols, 5, block, 4);
        } else {
            double real[4 * 5];
            bem_assemble_d(&p, rows, 4, cols, 5, real, 4);
            for (int k = 0; k < 20; k++)
                block[k] = real[k];
        }
        double k = p.wavenumber, w = p.weight, R = p.radius;
        for (int c = 0; c < 5; c++)
            for (int r = 0; r < 4; r++) {
                const double *xi = p.points + 3 * rows[r], *xj = p.points + 3 * cols[c];
                double d = distance(xi, xj);
                int same = rows[r] == cols[c];
                double complex expected;
                switch (p.kernel) {
                case BEM_LAPLACE: expected = same ? R / 2 : w / (4 * M_PI * d); break;
                case BEM_HELMHOLTZ:
                    expected = same ? (cexp(I * k * R) - 1) / (2 * I * k) : w * cexp(I * k * d) / (4 * M_PI * d);
                    break;
                case BEM_HERMITIAN:
                    expected = same ? R / 2 : w / (4 * M_PI * d) * cexp(I * k * (xi[2] - xj[2]));
                    break;
                case BEM_EXP: expected = same ? 1.01 : exp(-d / 0.1); break;
                default: expected = same ? 1.01 : exp(-d * d / (2 * 0.01)); break;
                }
                /* 1e-12: exp(-d^2 / 2 beta^2) reaches exp(-200), where the
                 * rounding of d^2 is amplified 200 times. */
                cr_assert(cabs(block[r + 4 * c] - expected) <= 1e-12 * cabs(expected), "%s (%d, %d)",
                          bem_kernel_name(p.kernel), rows[r], cols[c]);
            }
        bem_problem_free(&p);
    }
}

Test(bem, symmetry_and_diagonal_shift)
{
    const int n = 40;
    int all[40];
    for (int i = 0; i < n; i++)
        all[i] = i;
    bem_problem_t p;
    cr_assert_eq(bem_problem_init(&p, n, BEM_CYLINDER, BEM_HERMITIAN), 0);
    double complex a[40 * 40], h[40 * 40];
    bem_assemble_z(&p, all, n, all, n, a, n);
    p.kernel = BEM_HELMHOLTZ;
    bem_assemble_z(&p, all, n, all, n, h, n);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            cr_assert(cabs(a[i + n * j] - conj(a[j + n * i])) < 1e-15, "hermitian is Hermitian");
            cr_assert(cabs(h[i + n * j] - h[j + n * i]) < 1e-15, "helmholtz is symmetric");
        }
    p.kernel = BEM_LAPLACE;
    double before[40 * 40], after[40 * 40];
    bem_assemble_d(&p, all, n, all, n, before, n);
    p.diagonal_shift = 0.5;
    bem_assemble_d(&p, all, n, all, n, after, n);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            cr_assert_float_eq(after[i + n * j] - before[i + n * j], i == j ? 0.5 : 0.0, 1e-15);
    bem_problem_free(&p);
}

static double *dense(bem_problem_t *p)
{
    int *all = malloc(p->n * sizeof *all);
    for (int i = 0; i < p->n; i++)
        all[i] = i;
    double *a = malloc((size_t)p->n * p->n * sizeof *a);
    bem_assemble_d(p, all, p->n, all, p->n, a, p->n);
    free(all);
    return a;
}

/* The spec's LAPACK measurement: smallest eigenvalue 0.0246 at N = 500. */
Test(bem, laplace_sphere_is_spd_as_measured)
{
    bem_problem_t p;
    cr_assert_eq(bem_problem_init(&p, 500, BEM_SPHERE, BEM_LAPLACE), 0);
    double *a = dense(&p), *eig = malloc(500 * sizeof *eig);
    cr_assert_eq(LAPACKE_dsyev(LAPACK_COL_MAJOR, 'N', 'L', 500, a, 500, eig), 0);
    cr_assert(fabs(eig[0] - 0.0246) < 0.03 * 0.0246, "smallest eigenvalue %g", eig[0]);
    cr_assert(fabs(eig[499] - 1.0) < 0.1, "largest eigenvalue %g", eig[499]);
    free(a), free(eig);
    bem_problem_free(&p);
}

Test(bem, cylinder_laplace_cholesky_succeeds)
{
    bem_problem_t p;
    cr_assert_eq(bem_problem_init(&p, 2000, BEM_CYLINDER, BEM_LAPLACE), 0);
    double *a = dense(&p);
    cr_assert_eq(LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'L', 2000, a, 2000), 0);
    free(a);
    bem_problem_free(&p);
}

/* The exponential covariance is positive definite on any point set (its
 * Fourier transform is positive), nugget or not: LAPACK's Cholesky takes
 * it on the grid and on the sphere. */
Test(bem, exp_cholesky_succeeds)
{
    const bem_geometry_t geometries[] = {BEM_GRID2D, BEM_SPHERE};
    for (int g = 0; g < 2; g++) {
        bem_problem_t p;
        cr_assert_eq(bem_problem_init(&p, 900, geometries[g], BEM_EXP), 0);
        double *a = dense(&p);
        cr_assert_eq(LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'L', 900, a, 900), 0, "%s", bem_geometry_name(p.geometry));
        free(a);
        bem_problem_free(&p);
    }
}

Test(bem, names_round_trip)
{
    bem_geometry_t g;
    bem_kernel_t k;
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(bem_geometry_parse(bem_geometry_name((bem_geometry_t)i), &g), 0);
        cr_assert_eq((int)g, i);
    }
    for (int i = 0; i <= BEM_EXP; i++) {
        cr_assert_eq(bem_kernel_parse(bem_kernel_name((bem_kernel_t)i), &k), 0);
        cr_assert_eq((int)k, i);
    }
    cr_assert_eq(bem_geometry_parse("torus", &g), -1);
    cr_assert_eq(bem_kernel_parse("yukawa", &k), -1);
    bem_problem_t p;
    cr_assert_eq(bem_problem_init(&p, 0, BEM_SPHERE, BEM_LAPLACE), -1);
}
