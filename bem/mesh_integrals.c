/*
 * mesh_integrals.c: the integral of 1 / |x - y| over a flat triangle T.
 *
 * x in the plane of T (the self term, and coplanar neighbours): closed
 * form.  Split T into the three triangles (x, a, b) over its oriented edges
 * (a, b); with h the signed distance from x to the line ab (positive when x
 * is on T's side) and t the abscissa along ab from the foot of the
 * perpendicular, polar coordinates around x give
 *     int_(x,a,b) 1/r dA = int R(phi) dphi = h int sec(phi) dphi
 *                        = h [asinh(t / |h|)] from t_a to t_b,
 * and the signed sum over the three edges is the integral over T, for x
 * inside or outside T.  An edge whose line passes through x contributes 0.
 *
 * x off the plane: the integrand is smooth but peaked near x; T is split
 * into 4 (midpoints) while x is closer than 4 times a sub-triangle's
 * diameter, up to MAX_LEVELS times, and every leaf takes the 7-point
 * degree-5 rule (Stroud T2:5-1, as in Dunavant's tables).
 *
 * Helmholtz: exp(ikr)/r = 1/r + (exp(ikr) - 1)/r.  The second term is
 * bounded (it tends to ik at r = 0) and is integrated by the same
 * subdivision and rule, for x anywhere.
 */
#include <complex.h>
#include <math.h>

#include "mesh.h"

#define MAX_LEVELS 12

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

/* Closed form, x in T's plane; n is T's unit normal. */
static double in_plane(const double *v[3], const double *n, const double *x)
{
    double total = 0;
    for (int e = 0; e < 3; e++) {
        const double *a = v[e], *b = v[(e + 1) % 3];
        double edge[3], along[3], inward[3], xa[3];
        sub(b, a, edge);
        double length = sqrt(dot(edge, edge));
        for (int c = 0; c < 3; c++)
            along[c] = edge[c] / length;
        cross(n, along, inward); /* points into T for a counter-clockwise edge */
        sub(a, x, xa);
        double h = -dot(xa, inward); /* > 0: x on T's side of the edge */
        if (fabs(h) <= 1e-14 * length)
            continue;
        double t_a = dot(xa, along), t_b = t_a + length;
        total += h * (asinh(t_b / fabs(h)) - asinh(t_a / fabs(h)));
    }
    return total;
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

static double seven_points(const double *a, const double *b, const double *c, const double *x, double area)
{
    double r[RULE_POINTS], sum = 0;
    rule_distances(a, b, c, x, r);
    for (int q = 0; q < RULE_POINTS; q++)
        sum += rule_weights[q] / r[q];
    return sum * area;
}

static double subdivided(const double *a, const double *b, const double *c, const double *x, int level)
{
    double ab[3], ac[3], normal[3];
    sub(b, a, ab);
    sub(c, a, ac);
    cross(ab, ac, normal);
    double area = 0.5 * sqrt(dot(normal, normal));
    double bc[3];
    sub(c, b, bc);
    double diameter = sqrt(fmax(dot(ab, ab), fmax(dot(ac, ac), dot(bc, bc))));
    double centroid[3], d[3];
    for (int k = 0; k < 3; k++)
        centroid[k] = (a[k] + b[k] + c[k]) / 3;
    sub(centroid, x, d);
    if (level >= MAX_LEVELS || sqrt(dot(d, d)) > 4 * diameter)
        return seven_points(a, b, c, x, area);
    double mab[3], mbc[3], mca[3];
    for (int k = 0; k < 3; k++) {
        mab[k] = (a[k] + b[k]) / 2;
        mbc[k] = (b[k] + c[k]) / 2;
        mca[k] = (c[k] + a[k]) / 2;
    }
    return subdivided(a, mab, mca, x, level + 1) + subdivided(mab, b, mbc, x, level + 1) +
           subdivided(mca, mbc, c, x, level + 1) + subdivided(mab, mbc, mca, x, level + 1);
}

double bem_triangle_inverse_distance(const double *v0, const double *v1, const double *v2, const double *x)
{
    double e1[3], e2[3], n[3], xv[3];
    sub(v1, v0, e1);
    sub(v2, v0, e2);
    cross(e1, e2, n);
    double twice_area = sqrt(dot(n, n));
    for (int c = 0; c < 3; c++)
        n[c] /= twice_area;
    sub(x, v0, xv);
    double scale = sqrt(fmax(dot(e1, e1), dot(e2, e2)));
    if (fabs(dot(xv, n)) <= 1e-12 * scale) {
        const double *v[3] = {v0, v1, v2};
        return in_plane(v, n, x);
    }
    return subdivided(v0, v1, v2, x, 0);
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
    if (level >= MAX_LEVELS - 4 || (sqrt(dot(d, d)) > 2 * diameter && k * diameter < 0.5))
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
