/*
 * t_assemble.c: block assembly of the reference kernels, for d and z.  The
 * kernel switch sits outside the loops: this is called for every entry.
 * Distinct points that coincide (r == 0) of a singular kernel get the
 * diagonal value, the same self-term integral.
 */
#include "bem/bem.h"

#include <string.h>

#include "common/precision.h"

static inline scalar_t entry_value(const bem_problem_t *p, double complex diagonal, const double *xi,
                                   const double *xj, int same)
{
    double dx = xi[0] - xj[0], dy = xi[1] - xj[1], dz = xi[2] - xj[2];
    double r2 = dx * dx + dy * dy + dz * dz;
    switch (p->kernel) {
    case BEM_SQEXP:
        return same ? (scalar_t)SCALAR_REAL(diagonal) : (scalar_t)exp(-r2 / (2 * p->beta * p->beta));
    case BEM_EXP:
        return same ? (scalar_t)SCALAR_REAL(diagonal) : (scalar_t)exp(-sqrt(r2) / p->beta);
    case BEM_LAPLACE:
        if (same || r2 == 0)
            return (scalar_t)SCALAR_REAL(diagonal);
        return (scalar_t)(p->weight / (4 * M_PI * sqrt(r2)));
#if defined(PRECISION_Z)
    case BEM_HELMHOLTZ: {
        if (same || r2 == 0)
            return diagonal;
        double r = sqrt(r2);
        return p->weight * cexp(I * p->wavenumber * r) / (4 * M_PI * r);
    }
    case BEM_HERMITIAN: {
        if (same || r2 == 0)
            return diagonal;
        double r = sqrt(r2);
        return p->weight / (4 * M_PI * r) * cexp(I * p->wavenumber * dz);
    }
#endif
    default:
        return 0;
    }
}

/* Near pairs get integrals, far ones the one-point product (bem.h).  The
 * test is symmetric in i and j, so the matrix is, and local: on a graded
 * mesh the small triangles are not held to the largest one's distance. */
static int mesh_pair_is_near(const bem_mesh_t *mesh, int i, int j, double r)
{
    return r < BEM_MESH_NEAR * fmax(mesh->diameters[i], mesh->diameters[j]);
}

/* The mesh form of bem_problem_init_mesh (bem.h), Laplace part. */
static double mesh_laplace(const bem_problem_t *p, int i, int j)
{
    const bem_mesh_t *mesh = p->mesh;
    const double *vi = mesh->vertices + 9 * (size_t)i, *vj = mesh->vertices + 9 * (size_t)j;
    if (i == j)
        return bem_triangle_self_galerkin(vi, vi + 3, vi + 6) / (4 * M_PI) + p->diagonal_shift;
    const double *ci = mesh->centroids + 3 * (size_t)i, *cj = mesh->centroids + 3 * (size_t)j;
    double dx = ci[0] - cj[0], dy = ci[1] - cj[1], dz = ci[2] - cj[2];
    double r = sqrt(dx * dx + dy * dy + dz * dz);
    if (!mesh_pair_is_near(mesh, i, j, r))
        return mesh->areas[i] * mesh->areas[j] / (4 * M_PI * r);
    if (r >= BEM_MESH_CLOSE * fmax(mesh->diameters[i], mesh->diameters[j]))
        return bem_triangle_pair_product_rule(vi, vj) / (4 * M_PI);
    /* Both orders of the outer rule, averaged: the same bits for (i, j)
     * and (j, i).  Neither order is the better one in general (on thin
     * triangles one can be 7e-3 off where the other is within 7e-4); the
     * average is within about half the worse one's error. */
    return (bem_triangle_pair_galerkin(vi, vj, 1) + bem_triangle_pair_galerkin(vj, vi, 1)) / (8 * M_PI);
}

#if defined(PRECISION_Z)
/* Helmholtz on a mesh: the Laplace entry plus the bounded part
 * (exp(ikr) - 1) / (4 pi r), collocated at the centroids (bem.h). */
static double complex mesh_helmholtz(const bem_problem_t *p, int i, int j)
{
    const bem_mesh_t *mesh = p->mesh;
    const double k = p->wavenumber;
    const double *ci = mesh->centroids + 3 * (size_t)i, *cj = mesh->centroids + 3 * (size_t)j;
    const double *vi = mesh->vertices + 9 * (size_t)i, *vj = mesh->vertices + 9 * (size_t)j;
    const double ai = mesh->areas[i], aj = mesh->areas[j];
    double dx = ci[0] - cj[0], dy = ci[1] - cj[1], dz = ci[2] - cj[2];
    double r = sqrt(dx * dx + dy * dy + dz * dz);
    if (i != j && !mesh_pair_is_near(mesh, i, j, r))
        return ai * aj * cexp(I * k * r) / (4 * M_PI * r);
    double complex smooth = i == j ? ai * bem_triangle_helmholtz_smooth(vi, vi + 3, vi + 6, ci, k)
                                   : (ai * bem_triangle_helmholtz_smooth(vj, vj + 3, vj + 6, ci, k) +
                                      aj * bem_triangle_helmholtz_smooth(vi, vi + 3, vi + 6, cj, k)) / 2;
    return mesh_laplace(p, i, j) + smooth / (4 * M_PI);
}
#endif

static scalar_t mesh_entry(const bem_problem_t *p, int i, int j)
{
#if defined(PRECISION_Z)
    if (p->kernel == BEM_HELMHOLTZ)
        return mesh_helmholtz(p, i, j);
    if (p->kernel == BEM_HERMITIAN) {
        const double *ci = p->mesh->centroids + 3 * (size_t)i, *cj = p->mesh->centroids + 3 * (size_t)j;
        return mesh_laplace(p, i, j) * cexp(I * p->wavenumber * (ci[2] - cj[2]));
    }
#endif
    return mesh_laplace(p, i, j);
}

void NAME(bem_assemble)(const bem_problem_t *p, const int *rows, int m, const int *cols, int ncols,
                        scalar_t *out, int ld)
{
    if (p->mesh) {
        /* A block on the diagonal (the same index lists: the solver's
         * diagonal tiles, assembled for the norm estimate and again for the
         * tile) is symmetric to the bit but for hermitian's phase (bem.h),
         * so its upper triangle is copied from the lower instead of
         * integrated a second time. */
        const int mirror = p->kernel != BEM_HERMITIAN && m == ncols &&
                           (rows == cols || memcmp(rows, cols, (size_t)m * sizeof *rows) == 0);
        for (int c = 0; c < ncols; c++)
            for (int r = mirror ? c : 0; r < m; r++)
                out[r + (size_t)c * ld] = mesh_entry(p, rows[r], cols[c]);
        if (mirror)
            for (int c = 1; c < ncols; c++)
                for (int r = 0; r < c; r++)
                    out[r + (size_t)c * ld] = out[c + (size_t)r * ld];
        return;
    }
    double complex diagonal;
    double k = p->wavenumber, radius = p->radius;
    switch (p->kernel) {
    case BEM_LAPLACE: case BEM_HERMITIAN: diagonal = radius / 2; break;
    case BEM_HELMHOLTZ: diagonal = (cexp(I * k * radius) - 1) / (2 * I * k); break;
    default: diagonal = 1 + 1e-2; break;   /* the covariances' nugget */
    }
    diagonal += p->diagonal_shift;
    for (int c = 0; c < ncols; c++) {
        const double *xj = p->points + 3 * (size_t)cols[c];
        scalar_t *column = out + (size_t)c * ld;
        for (int r = 0; r < m; r++)
            column[r] = entry_value(p, diagonal, p->points + 3 * (size_t)rows[r], xj, rows[r] == cols[c]);
    }
}
