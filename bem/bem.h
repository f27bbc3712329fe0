/*
 * bem.h: the reference matrices of docs/design/reference-matrices.md.  A problem is a
 * point set with weights plus a kernel; entries are produced on demand, a
 * block at a time, in the ORIGINAL numbering of the points.  No StarPU, no
 * MPI: a user who brings their own BEM kernel touches this module only.
 */
#ifndef BLRCHOL_BEM_H
#define BLRCHOL_BEM_H

#include <complex.h>
#include "bem/mesh.h"

/* BEM_MESH: the triangles of a user mesh (bem/mesh.h), not a --geometry name. */
typedef enum { BEM_SPHERE, BEM_CYLINDER, BEM_GRID2D, BEM_MESH } bem_geometry_t;
typedef enum { BEM_LAPLACE, BEM_HELMHOLTZ, BEM_HERMITIAN, BEM_SQEXP, BEM_EXP } bem_kernel_t;

typedef struct bem_problem {
    int n;                   /* number of unknowns (points) */
    bem_geometry_t geometry;
    bem_kernel_t kernel;
    double *points;          /* 3 n coordinates, point i at points[3i..3i+2] */
    double weight;           /* w: surface element per point */
    double radius;           /* R = sqrt(w / pi): equivalent disc radius */
    double area;             /* total area of the surface (1 for grid2d) */
    double wavenumber;       /* k, helmholtz and hermitian */
    double beta;             /* sqexp and exp correlation length */
    double diagonal_shift;   /* added to every A_ii (0 by default) */
    const bem_mesh_t *mesh;  /* BEM_MESH: the triangles (not owned); points are their centroids */
} bem_problem_t;

/* Parse a name ("sphere", "cylinder", "grid2d"; "laplace", "helmholtz",
 * "hermitian", "sqexp", "exp"): 0 on success, -1 for an unknown name. */
int bem_geometry_parse(const char *name, bem_geometry_t *out);
int bem_kernel_parse(const char *name, bem_kernel_t *out);
const char *bem_geometry_name(bem_geometry_t g);
const char *bem_kernel_name(bem_kernel_t k);

/* 1 when the kernel's entries are complex (helmholtz, hermitian). */
int bem_kernel_is_complex(bem_kernel_t k);
/* 1 when the matrix is Hermitian (factorised L L^H), 0 when it is
 * (real or complex) symmetric (factorised L L^T). */
int bem_kernel_is_hermitian(bem_kernel_t k);
/* 1 for the covariance kernels (sqexp, exp): functions of the distance
 * between points, not boundary integrals, so they take no mesh. */
int bem_kernel_is_covariance(bem_kernel_t k);

/* Build the points, weight, radius, area and default parameters
 * (wavenumber 2 pi sqrt(n / area) / 10, beta 0.1).  0, or -1 when n < 1 or
 * memory runs out. */
int bem_problem_init(bem_problem_t *p, int n, bem_geometry_t geometry, bem_kernel_t kernel);
/* The Laplace single layer on the triangles of `mesh` (kept by the
 * caller, which must outlive p), in Galerkin form with piecewise constant
 * densities.  Unknown i is the charge density on triangle T_i (area a_i,
 * centroid c_i, longest edge h_i); with G = 1 / (4 pi r) and
 * h_ij = max(h_i, h_j),
 *     A_ii = int_Ti int_Ti G                              closed form,
 *     A_ij = int_Ti int_Tj G                              |c_i - c_j| < BEM_MESH_NEAR h_ij,
 *            by the 7 x 7 product rule, or when |c_i - c_j| < BEM_MESH_CLOSE
 *            h_ij (neighbours) by the 7-point rule over the four midpoint
 *            sub-triangles of one triangle of the closed-form integral
 *            over the other, in both orders, averaged,
 *     A_ij = a_i a_j G(c_i, c_j)                          otherwise.
 * Symmetric (the same bits for (i, j) and (j, i)); positive definite as
 * the exact Galerkin matrix of the single layer is, which the quadratures
 * and the one-point far field do not prove (LAPACK's Cholesky takes it in
 * the tests).  A right-hand side b_i = int_Ti f ~ a_i f(c_i) then gives the
 * density solving int G sigma = f.  helmholtz adds the bounded part
 * S = (exp(ikr) - 1) / (4 pi r) of its kernel, smooth over a triangle (k h
 * about 0.6 at 10 triangles per wavelength): collocated at the centroids
 * and symmetrised, (a_i int_Tj S(c_i, y) dy + a_j int_Ti S(c_j, y) dy) / 2,
 * A_ii = a_i int_Ti S(c_i, y) dy (far: a_i a_j exp(ikr) / (4 pi r));
 * hermitian multiplies the Laplace entry by exp(ik (z_i - z_j)) at the
 * centroids.  k: 10 triangles per wavelength, 2 pi sqrt(n / area) / 10.
 * 0, or -1 for sqexp and exp (not boundary integrals) or when memory runs out. */
int bem_problem_init_mesh(bem_problem_t *p, const bem_mesh_t *mesh, bem_kernel_t kernel);
#define BEM_MESH_NEAR 4.0
#define BEM_MESH_CLOSE 1.5
void bem_problem_free(bem_problem_t *p);

/* Fill out[r + c*ld] = A(rows[r], cols[c]) for r < m, c < ncols.
 * _d for real kernels, _z for complex ones (the caller picks by
 * bem_kernel_is_complex). */
void bem_assemble_d(const bem_problem_t *p, const int *rows, int m, const int *cols, int ncols,
                    double *out, int ld);
void bem_assemble_z(const bem_problem_t *p, const int *rows, int m, const int *cols, int ncols,
                    double complex *out, int ld);

#endif
