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
 * Helmholtz: exp(ikr)/r = 1/r + (exp(ikr) - 1)/r.  The second term is
 * bounded (it tends to ik at r = 0): T is split into 4 (midpoints) while x
 * is close next to a sub-triangle's diameter or the wavelength, and every
 * leaf takes the 7-point degree-5 rule (Stroud T2:5-1, as in Dunavant's
 * tables).
 */
#include <complex.h>
#include <math.h>

#include "mesh.h"

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

double bem_triangle_inverse_distance(const double *v0, const double *v1, const double *v2, const double *x)
{
    const double *v[3] = {v0, v1, v2};
    double e1[3], e2[3], n[3], xv[3];
    sub(v1, v0, e1);
    sub(v2, v0, e2);
    cross(e1, e2, n);
    double twice_area = sqrt(dot(n, n));
    for (int c = 0; c < 3; c++)
        n[c] /= twice_area;
    sub(x, v0, xv);
    const double d = fabs(dot(xv, n));
    double to[3][3], r[3]; /* x to each vertex, and its length (shared by two edges) */
    for (int e = 0; e < 3; e++) {
        sub(v[e], x, to[e]);
        r[e] = sqrt(dot(to[e], to[e]));
    }
    double total = 0;
    for (int e = 0; e < 3; e++) {
        const int a = e, b = (e + 1) % 3;
        double edge[3], along[3], inward[3];
        sub(v[b], v[a], edge);
        double length = sqrt(dot(edge, edge));
        for (int c = 0; c < 3; c++)
            along[c] = edge[c] / length;
        cross(n, along, inward); /* points into T: the edges run counter-clockwise around n */
        double p = -dot(to[a], inward);
        if (fabs(p) <= 1e-14 * length)
            continue;
        double t_a = dot(to[a], along), t_b = t_a + length, r0_squared = p * p + d * d;
        total += p * (log_r_plus_t(r[b], t_b, r0_squared) - log_r_plus_t(r[a], t_a, r0_squared));
        if (d > 0) {
            /* atan(u) - atan(w) = arg((1 + iu)(1 - iw)), both in (-pi/2, pi/2) */
            double u = p * t_b / (r0_squared + d * r[b]), w = p * t_a / (r0_squared + d * r[a]);
            total -= d * atan2(u - w, 1 + u * w);
        }
    }
    return total;
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
