/*
 * mesh_integrals.c: integrals of 1 / |x - y| over flat triangles.
 *
 * int_T 1/|x - y| dy, closed form for any x.  Split T into the three
 * triangles (x', a, b) over its oriented edges (a, b), x' the projection of
 * x on T's plane and d = |x - x'| its height.  With p the signed distance
 * in the plane from x' to the line ab (positive when x' is on T's side)
 * and t the abscissa along ab from the foot of that perpendicular, polar
 * coordinates (rho, phi) around x' in the sub-triangle, whose far side is
 * at rho = R(phi) = p / cos(phi), give
 *     int 1/sqrt(rho^2 + d^2) rho drho dphi = int (sqrt(R^2 + d^2) - d) dphi.
 * In the plane (d = 0, the self term and coplanar neighbours) this is
 *     int R dphi = p int sec(phi) dphi = p [asinh(tan phi)] = p [asinh(t / |p|)]
 * from t_a to t_b.  Off the plane the same integral is (Wilton, Rao,
 * Glisson, Schaubert, Al-Bundak, Butler, IEEE Trans. Antennas Propag. 32(3),
 * 1984, with r_a, r_b the distances from x to a and b, r0^2 = p^2 + d^2)
 *     p ln((r_b + t_b) / (r_a + t_a))
 *       - d [atan(p t_b / (r0^2 + d r_b)) - atan(p t_a / (r0^2 + d r_a))],
 * whose log term is the asinh one when d = 0.  The signed sum over the three
 * edges is the integral over T, for x anywhere.  An edge whose line passes
 * through x' contributes 0.
 *
 * int_T int_T 1/|x - y| dx dy, the Galerkin self term, closed form.  For a
 * direction theta, the chords of T parallel to theta have lengths that rise
 * linearly from 0 to L(theta), the chord through the middle vertex, and fall
 * back to 0 across T's width W(theta); with R(x, theta) the distance from x
 * to T's boundary along theta (polar coordinates around x),
 *     int_T int_T 1/r = int_T int_0^2pi R dtheta dx = int_0^pi int L(u)^2 du dtheta
 *                     = int_0^pi W L^2 / 3 dtheta = (2A / 3) int_0^pi L dtheta
 * since W L / 2 = A, the area.  L(theta) runs from the vertex V whose angle
 * holds theta (or theta + pi) to the opposite edge, so the last integral is
 * the sum over the vertices of int_T 1/|V - y| dy, the in-plane formula
 * above: (2A / l) ln(P / (P - 2 l)) for V facing the edge of length l, P the
 * perimeter.  Hence
 *     int_T int_T 1/r = (4 A^2 / 3) sum over the edges of ln(P / (P - 2 l)) / l.
 *
 * int_S int_T 1/|x - y| dy dx for two triangles: the 7-point rule below over
 * S (split into 4 at the midpoints `levels` times) of the closed form over
 * T.  The inner integral is smooth in x except along what S and T share
 * (its gradient is log-singular at a common edge or vertex); with S split
 * once, the error is about 1e-3 for equilateral triangles sharing an edge,
 * 5e-5 sharing a vertex, but up to 7e-3 either way for the thin children
 * of the 3 x 0.02 test shape (against S split 7 times), and 4e-7 at a gap
 * of a third of their size (tests/unit/test_mesh.c).
 * Apart, the integrand is smooth in both x and y and the 7 x 7 product rule
 * does (5e-6 at a centroid distance of twice the longer edge, 3e-5 at 1.5
 * times; 2.3e-4 for two needles tip to tip at 1.5 times, a gap of a sixth
 * of the edge, the closest two triangles can be there), symmetric in S and
 * T and 49 square roots instead of 7 closed forms.
 *
 * Helmholtz: exp(ikr)/r = 1/r + (exp(ikr) - 1)/r.  The second term is
 * bounded (it tends to ik at r = 0): T is split into 4 (midpoints) while x
 * is close next to a sub-triangle's diameter or the wavelength, and every
 * leaf takes the 7-point degree-5 rule (Stroud T2:5-1, as in Dunavant's
 * tables).
 */
#include <complex.h>
#include <math.h>
#include <string.h>

#include "bem/mesh.h"

#define HELMHOLTZ_MAX_LEVELS 8

static void sub(const double *a, const double *b, double *out)
{
    out[0] = a[0] - b[0], out[1] = a[1] - b[1], out[2] = a[2] - b[2];
}
static double dot(const double *a, const double *b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }
static void cross(const double *a, const double *b, double *out)
{
    out[0] = a[1] * b[2] - a[2] * b[1];
    out[1] = a[2] * b[0] - a[0] * b[2];
    out[2] = a[0] * b[1] - a[1] * b[0];
}

/* ln(r + t) with r = sqrt(r0^2 + t^2), without the cancellation of r + t
 * when t < 0: r + t = r0^2 / (r - t). */
static double log_r_plus_t(double r, double t, double r0_squared)
{
    return t >= 0 ? log(r + t) : log(r0_squared / (r - t));
}

/* The 7-point degree-5 rule on a triangle: barycentric points, weights
 * summing to 1. */
#define RULE_POINTS 7
static const double rule_weights[RULE_POINTS] = {0.225,             0.125939180544827, 0.125939180544827,
                                                 0.125939180544827, 0.132394152788506, 0.132394152788506,
                                                 0.132394152788506};
static const double rule_points[RULE_POINTS][3] = {
    {1.0 / 3, 1.0 / 3, 1.0 / 3},
    {0.797426985353087, 0.101286507323456, 0.101286507323456},
    {0.101286507323456, 0.797426985353087, 0.101286507323456},
    {0.101286507323456, 0.101286507323456, 0.797426985353087},
    {0.059715871789770, 0.470142064105115, 0.470142064105115},
    {0.470142064105115, 0.059715871789770, 0.470142064105115},
    {0.470142064105115, 0.470142064105115, 0.059715871789770}};

/* |x - y_q| for the rule's points y_q on the triangle (a, b, c). */
static void rule_distances(const double *a, const double *b, const double *c, const double *x,
                           double r[RULE_POINTS])
{
    for (int q = 0; q < RULE_POINTS; q++) {
        double y[3], d[3];
        for (int k = 0; k < 3; k++)
            y[k] = rule_points[q][0] * a[k] + rule_points[q][1] * b[k] + rule_points[q][2] * c[k];
        sub(y, x, d);
        r[q] = sqrt(dot(d, d));
    }
}

/* What the closed form needs of T, computed once for all the points x of
 * an outer rule. */
struct flat_triangle {
    const double *v[3];
    double normal[3];                /* unit; the edges run counter-clockwise around it */
    double along[3][3], inward[3][3]; /* per edge (v[e], v[e+1]): unit direction, unit normal into T */
    double length[3];
};

static void flat_triangle_init(struct flat_triangle *T, const double *v0, const double *v1, const double *v2)
{
    T->v[0] = v0, T->v[1] = v1, T->v[2] = v2;
    double e1[3], e2[3];
    sub(v1, v0, e1);
    sub(v2, v0, e2);
    cross(e1, e2, T->normal);
    double twice_area = sqrt(dot(T->normal, T->normal));
    for (int c = 0; c < 3; c++)
        T->normal[c] /= twice_area;
    for (int e = 0; e < 3; e++) {
        double edge[3];
        sub(T->v[(e + 1) % 3], T->v[e], edge);
        T->length[e] = sqrt(dot(edge, edge));
        for (int c = 0; c < 3; c++)
            T->along[e][c] = edge[c] / T->length[e];
        cross(T->normal, T->along[e], T->inward[e]);
    }
}

/* The closed form of the header comment. */
static double inverse_distance(const struct flat_triangle *T, const double *x)
{
    double xv[3];
    sub(x, T->v[0], xv);
    const double d = fabs(dot(xv, T->normal));
    double to[3][3], r[3]; /* x to each vertex, and its length (shared by two edges) */
    for (int e = 0; e < 3; e++) {
        sub(T->v[e], x, to[e]);
        r[e] = sqrt(dot(to[e], to[e]));
    }
    double total = 0;
    for (int a = 0; a < 3; a++) {
        const int b = (a + 1) % 3;
        double p = -dot(to[a], T->inward[a]);
        if (fabs(p) <= 1e-14 * T->length[a])
            continue;
        double t_a = dot(to[a], T->along[a]), t_b = t_a + T->length[a], r0_squared = p * p + d * d;
        total += p * (log_r_plus_t(r[b], t_b, r0_squared) - log_r_plus_t(r[a], t_a, r0_squared));
        if (d > 0) {
            /* atan(u) - atan(w) = arg((1 + iu)(1 - iw)), both in (-pi/2, pi/2) */
            double u = p * t_b / (r0_squared + d * r[b]), w = p * t_a / (r0_squared + d * r[a]);
            total -= d * atan2(u - w, 1 + u * w);
        }
    }
    return total;
}

double bem_triangle_inverse_distance(const double *v0, const double *v1, const double *v2, const double *x)
{
    struct flat_triangle T;
    flat_triangle_init(&T, v0, v1, v2);
    return inverse_distance(&T, x);
}

static double triangle_area(const double *a, const double *b, const double *c)
{
    double ab[3], ac[3], normal[3];
    sub(b, a, ab);
    sub(c, a, ac);
    cross(ab, ac, normal);
    return 0.5 * sqrt(dot(normal, normal));
}

/* The outer rule over (a, b, c), split into 4 at the midpoints `levels`
 * times, of the closed form over `inner`. */
static double outer_rule(const double *a, const double *b, const double *c, const struct flat_triangle *inner,
                         int levels)
{
    if (levels == 0) {
        double sum = 0;
        for (int q = 0; q < RULE_POINTS; q++) {
            double x[3];
            for (int k = 0; k < 3; k++)
                x[k] = rule_points[q][0] * a[k] + rule_points[q][1] * b[k] + rule_points[q][2] * c[k];
            sum += rule_weights[q] * inverse_distance(inner, x);
        }
        return sum * triangle_area(a, b, c);
    }
    double ab[3], bc[3], ca[3];
    for (int k = 0; k < 3; k++) {
        ab[k] = (a[k] + b[k]) / 2;
        bc[k] = (b[k] + c[k]) / 2;
        ca[k] = (c[k] + a[k]) / 2;
    }
    return outer_rule(a, ab, ca, inner, levels - 1) + outer_rule(ab, b, bc, inner, levels - 1) +
           outer_rule(ca, bc, c, inner, levels - 1) + outer_rule(ab, bc, ca, inner, levels - 1);
}

double bem_triangle_pair_galerkin(const double *outer, const double *inner, int levels)
{
    struct flat_triangle T;
    flat_triangle_init(&T, inner, inner + 3, inner + 6);
    return outer_rule(outer, outer + 3, outer + 6, &T, levels);
}

/* The rule's points of a triangle (9 coordinates). */
static void rule_points_of(const double *t, double y[RULE_POINTS][3])
{
    for (int q = 0; q < RULE_POINTS; q++)
        for (int k = 0; k < 3; k++)
            y[q][k] = rule_points[q][0] * t[k] + rule_points[q][1] * t[3 + k] + rule_points[q][2] * t[6 + k];
}

double bem_triangle_pair_product_rule(const double *s, const double *t)
{
    /* The same order of summation whichever comes first, so that A_ij and
     * A_ji are the same number. */
    if (memcmp(s, t, 9 * sizeof *s) > 0) {
        const double *swap = s;
        s = t, t = swap;
    }
    double x[RULE_POINTS][3], y[RULE_POINTS][3], sum = 0;
    rule_points_of(s, x);
    rule_points_of(t, y);
    for (int p = 0; p < RULE_POINTS; p++) {
        double row = 0;
        for (int q = 0; q < RULE_POINTS; q++) {
            double d[3];
            sub(x[p], y[q], d);
            row += rule_weights[q] / sqrt(dot(d, d));
        }
        sum += rule_weights[p] * row;
    }
    return sum * triangle_area(s, s + 3, s + 6) * triangle_area(t, t + 3, t + 6);
}

double bem_triangle_self_galerkin(const double *v0, const double *v1, const double *v2)
{
    const double *v[3] = {v0, v1, v2};
    double length[3], perimeter = 0, sum = 0;
    for (int e = 0; e < 3; e++) {
        double edge[3];
        sub(v[(e + 1) % 3], v[e], edge);
        length[e] = sqrt(dot(edge, edge));
        perimeter += length[e];
    }
    for (int e = 0; e < 3; e++)
        sum += log(perimeter / (perimeter - 2 * length[e])) / length[e];
    double area = triangle_area(v0, v1, v2);
    return 4.0 / 3.0 * area * area * sum;
}

/* (exp(ikr) - 1) / r, and its limit ik at r = 0. */
static double complex helmholtz_smooth(double r, double k)
{
    if (k * r < 1e-6)
        return I * k - k * k * r / 2;
    return (cexp(I * k * r) - 1) / r;
}

static double complex seven_points_helmholtz(const double *a, const double *b, const double *c, const double *x,
                                             double area, double k)
{
    double r[RULE_POINTS];
    double complex sum = 0;
    rule_distances(a, b, c, x, r);
    for (int q = 0; q < RULE_POINTS; q++)
        sum += rule_weights[q] * helmholtz_smooth(r[q], k);
    return sum * area;
}

static double complex subdivided_helmholtz(const double *a, const double *b, const double *c, const double *x,
                                           double k, int level)
{
    double ab[3], ac[3], bc[3], normal[3];
    sub(b, a, ab);
    sub(c, a, ac);
    sub(c, b, bc);
    cross(ab, ac, normal);
    double area = 0.5 * sqrt(dot(normal, normal));
    double diameter = sqrt(fmax(dot(ab, ab), fmax(dot(ac, ac), dot(bc, bc))));
    double centroid[3], d[3];
    for (int m = 0; m < 3; m++)
        centroid[m] = (a[m] + b[m] + c[m]) / 3;
    sub(centroid, x, d);
    /* The integrand is bounded at x and oscillates with wavelength
     * 2 pi / k: leaves must be small next to both. */
    if (level >= HELMHOLTZ_MAX_LEVELS || (sqrt(dot(d, d)) > 2 * diameter && k * diameter < 0.5))
        return seven_points_helmholtz(a, b, c, x, area, k);
    double mab[3], mbc[3], mca[3];
    for (int m = 0; m < 3; m++) {
        mab[m] = (a[m] + b[m]) / 2;
        mbc[m] = (b[m] + c[m]) / 2;
        mca[m] = (c[m] + a[m]) / 2;
    }
    return subdivided_helmholtz(a, mab, mca, x, k, level + 1) + subdivided_helmholtz(mab, b, mbc, x, k, level + 1) +
           subdivided_helmholtz(mca, mbc, c, x, k, level + 1) + subdivided_helmholtz(mab, mbc, mca, x, k, level + 1);
}

double complex bem_triangle_helmholtz_smooth(const double *v0, const double *v1, const double *v2, const double *x,
                                             double k)
{
    return subdivided_helmholtz(v0, v1, v2, x, k, 0);
}
