/*
 * mesh.h: surface meshes for BEM problems.  A mesh is a set of flat
 * triangles read from a Gmsh MSH file (2.2 or 4.1, ASCII); each triangle is
 * one unknown, a constant density on it (Galerkin form, bem.h).
 * No StarPU, no MPI.
 */
#ifndef BLRCHOL_MESH_H
#define BLRCHOL_MESH_H

#include <stddef.h>

typedef struct bem_mesh {
    int ntriangles;
    double *vertices;  /* 9 per triangle: x0 y0 z0 x1 y1 z1 x2 y2 z2, in file order */
    double *centroids; /* 3 per triangle */
    double *areas;     /* 1 per triangle */
    double *diameters; /* 1 per triangle: its longest edge */
    double diameter_max; /* the longest edge of the mesh */
    int ignored_elements; /* elements of other types (points, lines, quads, ...) */
} bem_mesh_t;

/* Read a Gmsh MSH 2.2 or 4.1 ASCII file.  0, or -1 with a one-line message
 * "FILE:LINE: what is wrong" in `error` (malformed or truncated file,
 * unsupported version or binary file, duplicate node tag, a triangle on a
 * missing node, a degenerate triangle, no triangle at all). */
int bem_mesh_read(const char *path, bem_mesh_t *mesh, char *error, size_t error_size);
void bem_mesh_free(bem_mesh_t *mesh);

/* Integral over the triangle (v0, v1, v2) of 1 / |x - y| dy, in closed
 * form for any x: in the triangle's plane or off it, inside or outside
 * (see mesh_integrals.c). */
double bem_triangle_inverse_distance(const double *v0, const double *v1, const double *v2, const double *x);

/* Integral over T x T of 1 / |x - y| dx dy for the triangle T = (v0, v1,
 * v2), the Galerkin self term, in closed form. */
double bem_triangle_self_galerkin(const double *v0, const double *v1, const double *v2);

/* Integral over x in `outer` and y in `inner` (9 coordinates each: three
 * vertices) of 1 / |x - y| dy dx: a 7-point rule over `outer`, split into 4
 * at its midpoints `levels` times, of the closed form over `inner`. */
double bem_triangle_pair_galerkin(const double *outer, const double *inner, int levels);

/* The same integral for triangles apart from each other (the integrand
 * smooth in x and y): the 7 x 7 product of the 7-point rule, symmetric in
 * s and t. */
double bem_triangle_pair_product_rule(const double *s, const double *t);

/* Integral over the triangle of (exp(ik|x - y|) - 1) / |x - y| dy, the
 * bounded part of the Helmholtz kernel (quadrature, any x). */
double _Complex bem_triangle_helmholtz_smooth(const double *v0, const double *v1, const double *v2, const double *x,
                                              double k);

#endif
