/*
 * Gmsh meshes (bem/mesh.c) and the triangle integrals of 1/r
 * (bem/mesh_integrals.c): the readers of MSH 2.2 and 4.1 give the same
 * triangles, with areas and centroids computed here by hand; the closed
 * forms over one triangle and over a triangle twice (the Galerkin self
 * term) and the rules for pairs of triangles agree with independent
 * numerical integrations; every malformed file is refused with its line
 * number.
 */
#include <complex.h>
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bem/bem.h"
#include "tests/support.h"
#include "tests/mesh_corpus.inc"

/* The surface of the tetrahedron (0,0,0) (1,0,0) (0,1,0) (0,0,1): four
 * triangles, three of area 1/2 and one of area sqrt(3)/2; elements of
 * other types (a point, a line and a 10-node triangle in 2.2, a line and a
 * 10-node triangle in 4.1) are skipped. */
static const char *tetra_v22 = "$MeshFormat\n2.2 0 8\n$EndMeshFormat\n"
                               "$PhysicalNames\n1\n2 1 \"surface\"\n$EndPhysicalNames\n"
                               "$Nodes\n4\n1 0 0 0\n2 1 0 0\n3 0 1 0\n7 0 0 1\n$EndNodes\n"
                               "$Elements\n7\n1 15 2 0 1 1\n2 1 2 0 1 1 2\n7 21 2 1 1 1 2 3 7 1 2 3 7 1 2\n"
                               "3 2 2 1 1 1 3 2\n4 2 2 1 1 1 2 7\n5 2 2 1 1 1 7 3\n6 2 2 1 1 2 3 7\n"
                               "$EndElements\n";
static const char *tetra_v41 = "$MeshFormat\n4.1 0 8\n$EndMeshFormat\n"
                               "$Entities\n0 0 1 0\n1 0 0 0 1 1 1 0 0\n$EndEntities\n"
                               "$Nodes\n2 4 1 7\n2 1 0 3\n1\n2\n3\n0 0 0\n1 0 0\n0 1 0\n2 1 1 1\n7\n0 0 1 0.5 0.5\n"
                               "$EndNodes\n"
                               "$Elements\n3 6 1 7\n1 2 1 1\n1 1 2\n2 1 21 1\n7 1 2 3 7 1 2 3 7 1 2\n2 1 2 4\n3 1 3 2\n4 1 2 7\n5 1 7 3\n6 2 3 7\n"
                               "$EndElements\n";

static char *write_temp(const char *text)
{
    static char path[64];
    temp_path(path, sizeof path, ".msh");
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

static void check_tetra(const bem_mesh_t *m, int ignored)
{
    cr_assert_eq(m->ntriangles, 4);
    cr_assert_eq(m->ignored_elements, ignored);
    const double areas[4] = {0.5, 0.5, 0.5, sqrt(3) / 2};
    const double centroids[4][3] = {{1.0 / 3, 1.0 / 3, 0}, {1.0 / 3, 0, 1.0 / 3}, {0, 1.0 / 3, 1.0 / 3},
                                    {1.0 / 3, 1.0 / 3, 1.0 / 3}};
    for (int t = 0; t < 4; t++) {
        cr_assert_float_eq(m->areas[t], areas[t], 1e-15, "area of triangle %d", t);
        for (int c = 0; c < 3; c++)
            cr_assert_float_eq(m->centroids[3 * t + c], centroids[t][c], 1e-15, "centroid %d", t);
    }
    cr_assert_float_eq(m->diameter_max, sqrt(2), 1e-15);
}

Test(mesh, msh22_and_msh41_give_the_same_triangles)
{
    bem_mesh_t m;
    char error[512], *path = write_temp(tetra_v22);
    cr_assert_eq(bem_mesh_read(path, &m, error, sizeof error), 0, "%s", error);
    check_tetra(&m, 3);
    bem_mesh_free(&m);
    unlink(path);
    path = write_temp(tetra_v41);
    cr_assert_eq(bem_mesh_read(path, &m, error, sizeof error), 0, "%s", error);
    check_tetra(&m, 2);
    bem_mesh_free(&m);
    unlink(path);
}

/* A corpus of broken files: each refused, with the line it names. */
Test(mesh, malformed_files_are_refused_with_their_line)
{
    for (int k = 0; k < NBAD_MESHES; k++) {
        bem_mesh_t m;
        char error[512], *path = write_temp(bad_meshes[k].text), expected[128];
        cr_assert_eq(bem_mesh_read(path, &m, error, sizeof error), -1, "case %d was accepted", k);
        snprintf(expected, sizeof expected, "%s:%d: ", path, bad_meshes[k].line);
        cr_assert(strncmp(error, expected, strlen(expected)) == 0, "case %d: \"%s\" does not start with \"%s\"", k,
                  error, expected);
        cr_assert_not_null(strstr(error, bad_meshes[k].message), "case %d: \"%s\" does not say \"%s\"", k, error,
                           bad_meshes[k].message);
        unlink(path);
    }
}

/* Independent reference for a point x in the triangle's plane: polar
 * coordinates around x, int_T 1/r dA = sum over the edges of the signed
 * integral over the angle of the distance to the edge along the ray,
 * computed by the composite Gauss-Legendre rule over many angular panels
 * (no closed form used). */
static double polar_reference(const double v[3][2], const double x[2])
{
    static const double nodes[5] = {-0.906179845938664, -0.538469310105683, 0, 0.538469310105683,
                                    0.906179845938664};
    static const double weights[5] = {0.236926885056189, 0.478628670499366, 0.568888888888889,
                                      0.478628670499366, 0.236926885056189};
    double total = 0;
    for (int e = 0; e < 3; e++) {
        const double *a = v[e], *b = v[(e + 1) % 3];
        double ta = atan2(a[1] - x[1], a[0] - x[0]), tb = atan2(b[1] - x[1], b[0] - x[0]);
        double sweep = tb - ta;
        if (sweep > M_PI)
            sweep -= 2 * M_PI;
        if (sweep < -M_PI)
            sweep += 2 * M_PI;
        const int panels = 2000;
        for (int p = 0; p < panels; p++)
            for (int q = 0; q < 5; q++) {
                double theta = ta + sweep * (p + 0.5 + 0.5 * nodes[q]) / panels;
                double d[2] = {cos(theta), sin(theta)}, ab[2] = {b[0] - a[0], b[1] - a[1]};
                /* x + R d on the line a + s ab: solve for R. */
                double det = d[0] * (-ab[1]) - d[1] * (-ab[0]);
                double rx = a[0] - x[0], ry = a[1] - x[1];
                double radius = (rx * (-ab[1]) - ry * (-ab[0])) / det;
                total += weights[q] * 0.5 * sweep / panels * radius;
            }
    }
    return total;
}

Test(mesh, in_plane_closed_form_matches_polar_integration)
{
    const double shapes[3][3][2] = {{{0, 0}, {1, 0}, {0.5, 0.8660254037844386}},
                                    {{0, 0}, {1, 0}, {0.9, 0.15}},
                                    {{0, 0}, {3, 0}, {1.4, 0.02}}};
    for (int s = 0; s < 3; s++) {
        double x[2] = {(shapes[s][0][0] + shapes[s][1][0] + shapes[s][2][0]) / 3,
                       (shapes[s][0][1] + shapes[s][1][1] + shapes[s][2][1]) / 3};
        /* The triangle in 3-D, tilted out of the xy plane. */
        double v3[3][3], x3[3];
        for (int k = 0; k < 3; k++) {
            v3[k][0] = shapes[s][k][0], v3[k][1] = 0.6 * shapes[s][k][1], v3[k][2] = 0.8 * shapes[s][k][1];
        }
        x3[0] = x[0], x3[1] = 0.6 * x[1], x3[2] = 0.8 * x[1];
        double value = bem_triangle_inverse_distance(v3[0], v3[1], v3[2], x3);
        double reference = polar_reference(shapes[s], x);
        cr_assert(fabs(value - reference) <= 1e-10 * reference, "shape %d: %.15g against %.15g", s, value,
                  reference);
        /* And from a point outside the triangle, in its plane. */
        double out[2] = {x[0] + 2.0, x[1] - 0.3}, out3[3] = {out[0], 0.6 * out[1], 0.8 * out[1]};
        value = bem_triangle_inverse_distance(v3[0], v3[1], v3[2], out3);
        reference = polar_reference(shapes[s], out);
        cr_assert(fabs(value - reference) <= 1e-10 * fabs(reference), "shape %d outside: %.15g against %.15g", s,
                  value, reference);
    }
    /* Equilateral triangle of side 1 from its centroid: sqrt(3) asinh(sqrt(3)). */
    double a[3] = {0, 0, 0}, b[3] = {1, 0, 0}, c[3] = {0.5, sqrt(3) / 2, 0}, g[3] = {0.5, sqrt(3) / 6, 0};
    cr_assert_float_eq(bem_triangle_inverse_distance(a, b, c, g), sqrt(3) * asinh(sqrt(3)), 1e-14);
}

/* The three test shapes (equilateral, obtuse, thin) of unit-ish size, in
 * the plane tilted by (0, 0.6, 0.8) out of xy: 9 coordinates each. */
static void tilted_shape(int s, double t[9])
{
    static const double shapes[3][3][2] = {{{0, 0}, {1, 0}, {0.5, 0.8660254037844386}},
                                           {{0, 0}, {1, 0}, {0.9, 0.15}},
                                           {{0, 0}, {3, 0}, {1.4, 0.02}}};
    for (int k = 0; k < 3; k++) {
        t[3 * k] = shapes[s][k][0];
        t[3 * k + 1] = 0.6 * shapes[s][k][1];
        t[3 * k + 2] = 0.8 * shapes[s][k][1];
    }
}

/* Independent reference for int_T int_T 1/r: with R(x, theta) the distance
 * from x to T's boundary along theta, the integral is int_T int_0^2pi R;
 * for each direction the chords of T have a tent profile of width W and
 * peak L, so it is int_0^pi W L^2 / 3 dtheta.  W and L are measured here
 * from the vertices (projections, and the chord through the middle vertex)
 * and the angle integral is done by Gauss-Legendre on panels between the
 * edge directions, where the middle vertex changes (many panels: on the
 * thin shape L grows like 1 / sin(theta) next to them). */
static double chord_reference(const double t[9])
{
    /* T in its own plane: the 2-D coordinates of the tilted shapes. */
    double v[3][2];
    for (int k = 0; k < 3; k++)
        v[k][0] = t[3 * k], v[k][1] = hypot(t[3 * k + 1], t[3 * k + 2]);
    static const double nodes[5] = {-0.906179845938664, -0.538469310105683, 0, 0.538469310105683,
                                    0.906179845938664};
    static const double weights[5] = {0.236926885056189, 0.478628670499366, 0.568888888888889,
                                      0.478628670499366, 0.236926885056189};
    double cuts[5] = {0, 0, 0, 0, M_PI};
    for (int e = 0; e < 3; e++) {
        double angle = atan2(v[(e + 1) % 3][1] - v[e][1], v[(e + 1) % 3][0] - v[e][0]);
        cuts[e + 1] = fmod(angle + 2 * M_PI, M_PI);
    }
    for (int a = 1; a < 4; a++) /* sort the three edge directions */
        for (int b = a + 1; b < 4; b++)
            if (cuts[b] < cuts[a]) {
                double swap = cuts[a];
                cuts[a] = cuts[b], cuts[b] = swap;
            }
    double total = 0;
    for (int c = 0; c < 4; c++) {
        const int panels = 4000;
        for (int p = 0; p < panels; p++)
            for (int q = 0; q < 5; q++) {
                double width = (cuts[c + 1] - cuts[c]) / panels;
                double theta = cuts[c] + width * (p + 0.5 + 0.5 * nodes[q]);
                double d[2] = {cos(theta), sin(theta)}, normal[2] = {-d[1], d[0]}, projection[3];
                for (int k = 0; k < 3; k++)
                    projection[k] = v[k][0] * normal[0] + v[k][1] * normal[1];
                int low = 0, high = 0;
                for (int k = 1; k < 3; k++) {
                    if (projection[k] < projection[low])
                        low = k;
                    if (projection[k] > projection[high])
                        high = k;
                }
                int middle = 3 - low - high;
                /* The chord through the middle vertex ends on the edge (low, high). */
                double e[2] = {v[high][0] - v[low][0], v[high][1] - v[low][1]};
                double m[2] = {v[middle][0] - v[low][0], v[middle][1] - v[low][1]};
                double chord = fabs((m[0] * e[1] - m[1] * e[0]) / (d[0] * e[1] - d[1] * e[0]));
                double span = projection[high] - projection[low];
                total += 0.5 * width * weights[q] * span * chord * chord / 3;
            }
    }
    return total;
}

Test(mesh, self_galerkin_matches_chord_integration)
{
    for (int s = 0; s < 3; s++) {
        double t[9];
        tilted_shape(s, t);
        double value = bem_triangle_self_galerkin(t, t + 3, t + 6), reference = chord_reference(t);
        cr_assert(fabs(value - reference) <= 1e-12 * reference, "shape %d: %.15g against %.15g", s, value, reference);
    }
    /* Equilateral triangle of side 1: (3/4) ln 3 (the formula by hand). */
    double a[3] = {0, 0, 0}, b[3] = {1, 0, 0}, c[3] = {0.5, sqrt(3) / 2, 0};
    cr_assert_float_eq(bem_triangle_self_galerkin(a, b, c), 0.75 * log(3), 1e-15);
}

/* Another route to the self term, without the chord argument: the
 * 7-point rule over T (split 5 and 6 times) of the closed form over T, the
 * single integral checked against polar integration above.  Its error
 * falls by 4 per split (the inner integral's gradient is log-singular at
 * T's edges), so the Richardson extrapolation (4 I_6 - I_5) / 3 is within
 * 1e-7 (measured 5e-9, 8e-9, 9e-8 for the three shapes). */
Test(mesh, self_galerkin_matches_outer_rule_of_the_closed_form)
{
    for (int s = 0; s < 3; s++) {
        double t[9];
        tilted_shape(s, t);
        double value = bem_triangle_self_galerkin(t, t + 3, t + 6);
        double coarse = bem_triangle_pair_galerkin(t, t, 5), fine = bem_triangle_pair_galerkin(t, t, 6);
        double reference = (4 * fine - coarse) / 3;
        cr_assert(fabs(value - reference) <= 1e-7 * reference, "shape %d: %.15g against %.15g", s, value, reference);
        cr_assert(fabs(value - fine) > 1e-7 * reference, "shape %d: no error left to extrapolate", s);
    }
}

static void midpoint(const double *a, const double *b, double *out)
{
    for (int k = 0; k < 3; k++)
        out[k] = (a[k] + b[k]) / 2;
}

/* The rules for pairs against an identity: T split at its edge midpoints
 * into four children gives int_T int_T = sum of the children's self terms
 * + 2 x the sum over the 6 pairs of children (3 sharing an edge, 3 sharing
 * a vertex), so the pairs must add up to what the closed-form self terms
 * leave.  The outer rule converges to it (measured 4e-7 to 1e-6 with T
 * split 6 times); as the assembly uses it (split once, both orders
 * averaged) it is within 7e-4, 9e-4 and 3e-3 on these touching pairs (the
 * product rule, meant for triangles apart, is off by 1e-2 to 1e-1). */
Test(mesh, pair_rules_add_up_to_the_self_terms)
{
    const double production_bound[3] = {1e-3, 1e-3, 4e-3};
    for (int s = 0; s < 3; s++) {
        double t[9], ab[3], bc[3], ca[3], child[4][9];
        tilted_shape(s, t);
        midpoint(t, t + 3, ab);
        midpoint(t + 3, t + 6, bc);
        midpoint(t + 6, t, ca);
        const double *corners[4][3] = {{t, ab, ca}, {ab, t + 3, bc}, {ca, bc, t + 6}, {ab, bc, ca}};
        double self_sum = 0;
        for (int a = 0; a < 4; a++) {
            for (int k = 0; k < 3; k++)
                memcpy(child[a] + 3 * k, corners[a][k], 3 * sizeof(double));
            self_sum += bem_triangle_self_galerkin(child[a], child[a] + 3, child[a] + 6);
        }
        double pairs = (bem_triangle_self_galerkin(t, t + 3, t + 6) - self_sum) / 2;
        double fine = 0, production = 0;
        for (int a = 0; a < 4; a++)
            for (int b = a + 1; b < 4; b++) {
                fine += bem_triangle_pair_galerkin(child[a], child[b], 6);
                production += (bem_triangle_pair_galerkin(child[a], child[b], 1) +
                               bem_triangle_pair_galerkin(child[b], child[a], 1)) / 2;
            }
        cr_assert(fabs(fine - pairs) <= 2e-6 * pairs, "shape %d: %.12g against %.12g", s, fine, pairs);
        cr_assert(fabs(production - pairs) <= production_bound[s] * pairs, "shape %d: %.12g against %.12g", s,
                  production, pairs);
    }
}

/* Triangles apart: the product rule against the outer rule split 5 times
 * (both orders averaged), within 5e-5 at a centroid distance of 1.5 times
 * the longer edge (where the assembly starts using it) and 1e-5 at twice;
 * within 5e-4 for the closest two triangles can be at 1.5 times, needles
 * tip to tip with a gap of a sixth of their length (measured 2.3e-4). */
static double product_rule_error(const double *s, const double *t)
{
    double reference = (bem_triangle_pair_galerkin(s, t, 5) + bem_triangle_pair_galerkin(t, s, 5)) / 2;
    double value = bem_triangle_pair_product_rule(s, t);
    cr_assert_eq(value, bem_triangle_pair_product_rule(t, s), "the product rule is not symmetric");
    return fabs(value - reference) / reference;
}

static double longest_edge(const double *t)
{
    double longest = 0;
    for (int v = 0; v < 3; v++) {
        const double *a = t + 3 * v, *b = t + 3 * ((v + 1) % 3);
        longest = fmax(longest, hypot(hypot(b[0] - a[0], b[1] - a[1]), b[2] - a[2]));
    }
    return longest;
}

Test(mesh, product_rule_is_accurate_for_triangles_apart)
{
    const double s[9] = {0, 0, 0, 1, 0, 0, 0.4, 0.8, 0.05};
    const double distances[2] = {1.5, 2.0}, bounds[2] = {5e-5, 1e-5};
    for (int k = 0; k < 2; k++) {
        /* A similar triangle moved along x until its centroid is
         * `distances[k]` longer edges from s's. */
        double t[9] = {0.1, 0.1, 0.1, 1.0, 0.2, 0, 0.4, 0.9, 0.2};
        double offset[3] = {0};
        for (int v = 0; v < 3; v++)
            for (int c = 0; c < 3; c++)
                offset[c] += (t[3 * v + c] - s[3 * v + c]) / 3;
        double distance = distances[k] * fmax(longest_edge(s), longest_edge(t));
        double shift = sqrt(distance * distance - offset[1] * offset[1] - offset[2] * offset[2]) - offset[0];
        for (int v = 0; v < 3; v++)
            t[3 * v] += shift;
        double error = product_rule_error(s, t);
        cr_assert(error <= bounds[k], "distance %g: relative error %g", distances[k], error);
    }
    /* Needles along x, centroids 1.5 lengths apart, the far vertex of
     * each (2/3 of the length from its centroid) facing the other. */
    for (double width = 0.1; width > 1e-3; width /= 10) {
        const double needle[9] = {1, 0, 0, 0, 0, 0, 0, width, 0};
        double mirrored[9];
        for (int v = 0; v < 3; v++) {
            mirrored[3 * v] = 2 * (1.0 / 3 + 0.75 * longest_edge(needle)) - needle[3 * v];
            mirrored[3 * v + 1] = needle[3 * v + 1], mirrored[3 * v + 2] = 0;
        }
        double error = product_rule_error(needle, mirrored);
        cr_assert(error <= 5e-4, "needles of width %g: relative error %g", width, error);
    }
}

/* A bumpy graded grid, z = 0.3 sin(2x) cos(3y) over [0, 2] x [0, 1] with
 * the x spacing growing 1.25x a column, 11 x 9 nodes, 160 triangles: its
 * pairs fall in all three forms of bem.h (close, product rule, far). */
static const char *bumpy_grid(void)
{
    enum { NX = 11, NY = 9 };
    static char path[64];
    temp_path(path, sizeof path, ".msh");
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fprintf(f, "$MeshFormat\n2.2 0 8\n$EndMeshFormat\n$Nodes\n%d\n", NX * NY);
    double x = 0, step = 2 * 0.25 / (pow(1.25, NX - 1) - 1);
    for (int i = 0; i < NX; i++, x += step, step *= 1.25)
        for (int j = 0; j < NY; j++) {
            double y = j / (NY - 1.0);
            fprintf(f, "%d %.17g %.17g %.17g\n", 1 + i * NY + j, x, y, 0.3 * sin(2 * x) * cos(3 * y));
        }
    fprintf(f, "$EndNodes\n$Elements\n%d\n", 2 * (NX - 1) * (NY - 1));
    int tag = 1;
    for (int i = 0; i + 1 < NX; i++)
        for (int j = 0; j + 1 < NY; j++) {
            int a = 1 + i * NY + j, b = a + NY, c = b + 1, d = a + 1;
            fprintf(f, "%d 2 0 %d %d %d\n%d 2 0 %d %d %d\n", tag, a, b, c, tag + 1, a, c, d);
            tag += 2;
        }
    fprintf(f, "$EndElements\n");
    fclose(f);
    return path;
}

/* bem_assemble copies the upper triangle of a diagonal block from the
 * lower: that must give the bits of every entry integrated on its own
 * (one column at a time), and those are symmetric (laplace, helmholtz);
 * hermitian is assembled in full. */
Test(mesh, diagonal_block_is_the_entries_assembled_one_by_one)
{
    const char *path = bumpy_grid();
    char error[256];
    bem_mesh_t m;
    cr_assert_eq(bem_mesh_read(path, &m, error, sizeof error), 0, "%s", error);
    const int n = m.ntriangles;
    int *all = malloc(n * sizeof *all), close = 0, product = 0, far = 0;
    for (int k = 0; k < n; k++)
        all[k] = k;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < i; j++) {
            const double *ci = m.centroids + 3 * i, *cj = m.centroids + 3 * j;
            double r = hypot(hypot(ci[0] - cj[0], ci[1] - cj[1]), ci[2] - cj[2]);
            double h = fmax(m.diameters[i], m.diameters[j]);
            close += r < BEM_MESH_CLOSE * h, product += r >= BEM_MESH_CLOSE * h && r < BEM_MESH_NEAR * h;
            far += r >= BEM_MESH_NEAR * h;
        }
    cr_assert(close > 0 && product > 0 && far > 0, "pairs: %d close, %d product rule, %d far", close, product, far);
    const bem_kernel_t kernels[3] = {BEM_LAPLACE, BEM_HELMHOLTZ, BEM_HERMITIAN};
    double complex *block = malloc((size_t)n * n * sizeof *block);
    double complex *columns = malloc((size_t)n * n * sizeof *columns);
    for (int k = 0; k < 3; k++) {
        bem_problem_t p;
        cr_assert_eq(bem_problem_init_mesh(&p, &m, kernels[k]), 0);
        if (kernels[k] == BEM_LAPLACE) {
            double *real_block = (double *)block, *real_columns = (double *)columns;
            bem_assemble_d(&p, all, n, all, n, real_block, n);
            for (int j = 0; j < n; j++)
                bem_assemble_d(&p, all, n, all + j, 1, real_columns + (size_t)j * n, n);
            for (int j = 0; j < n; j++)
                for (int i = 0; i < n; i++) {
                    cr_assert_eq(real_block[i + (size_t)j * n], real_columns[i + (size_t)j * n], "laplace (%d, %d)",
                                 i, j);
                    cr_assert_eq(real_columns[i + (size_t)j * n], real_columns[j + (size_t)i * n],
                                 "laplace: A(%d, %d) != A(%d, %d)", i, j, j, i);
                }
        } else {
            bem_assemble_z(&p, all, n, all, n, block, n);
            for (int j = 0; j < n; j++)
                bem_assemble_z(&p, all, n, all + j, 1, columns + (size_t)j * n, n);
            for (int j = 0; j < n; j++)
                for (int i = 0; i < n; i++) {
                    cr_assert(memcmp(&block[i + (size_t)j * n], &columns[i + (size_t)j * n], sizeof *block) == 0,
                              "kernel %d (%d, %d)", kernels[k], i, j);
                    cr_assert(kernels[k] == BEM_HERMITIAN ||
                                  memcmp(&columns[i + (size_t)j * n], &columns[j + (size_t)i * n], sizeof *block) == 0,
                              "helmholtz: A(%d, %d) != A(%d, %d)", i, j, j, i);
                }
        }
        bem_problem_free(&p);
    }
    free(block);
    free(columns);
    free(all);
    bem_mesh_free(&m);
    unlink(path);
}

/* Just above a point x' inside T, at height d: the integral is the in-plane
 * one minus 2 pi d, up to O(d^2) (the disc of radius R around x' gives
 * 2 pi (sqrt(R^2 + d^2) - d) instead of 2 pi R).  A quadrature refined
 * around x' loses accuracy there: the former one was 3e-5 off at d = 1e-9. */
Test(mesh, just_off_the_plane_continues_the_in_plane_value)
{
    const double a[3] = {0, 0, 0}, b[3] = {1, 0, 0}, c[3] = {0.3, 0.8, 0};
    const double inside[2][2] = {{0.4, 0.3}, {0.5, 0.01}};
    const double heights[3] = {1e-9, 1e-7, -1e-7};
    for (int p = 0; p < 2; p++) {
        double x[3] = {inside[p][0], inside[p][1], 0};
        double in_plane = bem_triangle_inverse_distance(a, b, c, x);
        for (int h = 0; h < 3; h++) {
            x[2] = heights[h];
            double value = bem_triangle_inverse_distance(a, b, c, x), expected = in_plane - 2 * M_PI * fabs(heights[h]);
            cr_assert(fabs(value - expected) <= 1e-12 * expected, "point %d, height %g: %.15g against %.15g", p,
                      heights[h], value, expected);
        }
    }
}

static double complex inverse_distance(double r, double k) { return 1 / r; }
static double complex helmholtz_smooth_part(double r, double k) { return (cexp(I * k * r) - 1) / r; }

/* The midpoint rule for int f(|x - y|) dy on the triangle (a, b, c) of
 * area 0.4 cut into n x n similar triangles. */
static double complex midpoint_rule(double complex (*f)(double r, double k), double k, const double *a,
                                    const double *b, const double *c, const double *x, int n)
{
    const double area = 0.5 * 0.8;
    double complex sum = 0;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n - i; j++)
            for (int up = 0; up < 2; up++) {
                if (up && j == n - i - 1)
                    continue;
                double s = (i + (up ? 2.0 : 1.0) / 3) / n, t = (j + (up ? 2.0 : 1.0) / 3) / n, r2 = 0;
                for (int d = 0; d < 3; d++) {
                    double y = a[d] + s * (b[d] - a[d]) + t * (c[d] - a[d]);
                    r2 += (y - x[d]) * (y - x[d]);
                }
                sum += area / ((double)n * n) * f(sqrt(r2), k);
            }
    return sum;
}

/* Off the plane: against the midpoint rule at n = 600 and 1200, with one
 * Richardson step (its error is O(1/n^2)): ~1e-9 relative here. */
Test(mesh, off_plane_closed_form_matches_a_fine_midpoint_rule)
{
    const double a[3] = {0, 0, 0}, b[3] = {1, 0, 0}, c[3] = {0.3, 0.8, 0};
    const double points[3][3] = {{0.4, 0.3, 0.3}, {0.9, 0.9, 0.2}, {-0.2, 0.1, 0.5}};
    for (int k = 0; k < 3; k++) {
        double coarse = creal(midpoint_rule(inverse_distance, 0, a, b, c, points[k], 600));
        double fine = creal(midpoint_rule(inverse_distance, 0, a, b, c, points[k], 1200));
        double reference = fine + (fine - coarse) / 3;
        double value = bem_triangle_inverse_distance(a, b, c, points[k]);
        cr_assert(fabs(value - reference) <= 3e-9 * reference, "point %d: %.12g against %.12g", k, value,
                  reference);
    }
}

/* The bounded part of the Helmholtz kernel, (exp(ikr) - 1) / r, against
 * the midpoint rule at n = 600 and 1200 with one Richardson step: x at
 * the centroid (in plane), above the triangle, and far from it. */
Test(mesh, helmholtz_smooth_part_matches_a_fine_midpoint_rule)
{
    const double a[3] = {0, 0, 0}, b[3] = {1, 0, 0}, c[3] = {0.3, 0.8, 0}, k = 5;
    const double points[3][3] = {{1.3 / 3, 0.8 / 3, 0}, {0.4, 0.3, 0.3}, {2, 1, 0}};
    for (int q = 0; q < 3; q++) {
        double complex coarse = midpoint_rule(helmholtz_smooth_part, k, a, b, c, points[q], 600);
        double complex fine = midpoint_rule(helmholtz_smooth_part, k, a, b, c, points[q], 1200);
        double complex reference = fine + (fine - coarse) / 3;
        double complex value = bem_triangle_helmholtz_smooth(a, b, c, points[q], k);
        cr_assert(cabs(value - reference) <= 1e-8 * cabs(reference), "point %d: %.12g%+.12gi against %.12g%+.12gi", q,
                  creal(value), cimag(value), creal(reference), cimag(reference));
    }
}
