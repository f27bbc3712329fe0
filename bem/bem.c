#include "bem/bem.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *geometry_names[] = {"sphere", "cylinder", "grid2d", "mesh"};
static const char *kernel_names[] = {"laplace", "helmholtz", "hermitian", "sqexp", "exp"};

int bem_geometry_parse(const char *name, bem_geometry_t *out)
{
    for (int g = 0; g < 3; g++)
        if (!strcmp(name, geometry_names[g])) {
            *out = (bem_geometry_t)g;
            return 0;
        }
    return -1;
}

int bem_kernel_parse(const char *name, bem_kernel_t *out)
{
    for (int k = 0; k < (int)(sizeof kernel_names / sizeof *kernel_names); k++)
        if (!strcmp(name, kernel_names[k])) {
            *out = (bem_kernel_t)k;
            return 0;
        }
    return -1;
}

const char *bem_geometry_name(bem_geometry_t g) { return geometry_names[g]; }
const char *bem_kernel_name(bem_kernel_t k) { return kernel_names[k]; }
int bem_kernel_is_complex(bem_kernel_t k) { return k == BEM_HELMHOLTZ || k == BEM_HERMITIAN; }
int bem_kernel_is_hermitian(bem_kernel_t k) { return k == BEM_HERMITIAN; }
int bem_kernel_is_covariance(bem_kernel_t k) { return k == BEM_SQEXP || k == BEM_EXP; }

static void fibonacci_sphere(double *x, int n)
{
    const double golden = M_PI * (3.0 - sqrt(5.0));
    for (int i = 0; i < n; i++) {
        double z = 1.0 - (2.0 * i + 1.0) / n;
        double r = sqrt(1.0 - z * z);
        double phi = i * golden;
        x[3 * i] = r * cos(phi);
        x[3 * i + 1] = r * sin(phi);
        x[3 * i + 2] = z;
    }
}

/* Lateral surface first, then the bottom cap, then the top cap. */
static void closed_cylinder(double *x, int n, double radius)
{
    const double golden = M_PI * (3.0 - sqrt(5.0));
    int n_cap = (int)lround(n / 10.0);
    int n_lat = n - 2 * n_cap;
    for (int i = 0; i < n_lat; i++) {
        x[3 * i] = cos(i * golden);
        x[3 * i + 1] = sin(i * golden);
        x[3 * i + 2] = -2.0 + radius + (4.0 - 2.0 * radius) * (i + 0.5) / n_lat;
    }
    for (int i = 0; i < n_cap; i++) {
        double rho = (1.0 - radius) * sqrt((i + 0.5) / n_cap);
        for (int cap = 0; cap < 2; cap++) {
            double *p = x + 3 * (n_lat + cap * n_cap + i);
            p[0] = rho * cos(i * golden);
            p[1] = rho * sin(i * golden);
            p[2] = cap ? 2.0 : -2.0;
        }
    }
}

static void unit_grid(double *x, int n)
{
    int s = (int)ceil(sqrt((double)n));
    while ((long)s * s < n)
        s++;
    for (int i = 0; i < n; i++) {
        int a = i / s, b = i % s;
        x[3 * i] = (a + 0.5) / s;
        x[3 * i + 1] = (b + 0.5) / s;
        x[3 * i + 2] = 0.0;
    }
}

int bem_problem_init(bem_problem_t *p, int n, bem_geometry_t geometry, bem_kernel_t kernel)
{
    memset(p, 0, sizeof *p);
    if (n < 1)
        return -1;
    p->points = malloc(3 * (size_t)n * sizeof *p->points);
    if (!p->points)
        return -1;
    p->n = n;
    p->geometry = geometry;
    p->kernel = kernel;
    p->area = geometry == BEM_SPHERE ? 4 * M_PI : geometry == BEM_CYLINDER ? 10 * M_PI : 1.0;
    p->weight = p->area / n;
    p->radius = sqrt(p->weight / M_PI);
    p->wavenumber = 2 * M_PI * sqrt(n / p->area) / 10;
    p->beta = 0.1;
    if (geometry == BEM_SPHERE)
        fibonacci_sphere(p->points, n);
    else if (geometry == BEM_CYLINDER)
        closed_cylinder(p->points, n, p->radius);
    else
        unit_grid(p->points, n);
    return 0;
}

int bem_problem_init_mesh(bem_problem_t *p, const bem_mesh_t *mesh, bem_kernel_t kernel)
{
    memset(p, 0, sizeof *p);
    if (bem_kernel_is_covariance(kernel) || mesh->ntriangles < 1)
        return -1;
    int n = mesh->ntriangles;
    p->points = malloc(3 * (size_t)n * sizeof *p->points);
    if (!p->points)
        return -1;
    memcpy(p->points, mesh->centroids, 3 * (size_t)n * sizeof *p->points);
    p->n = n;
    p->geometry = BEM_MESH;
    p->kernel = kernel;
    p->mesh = mesh;
    for (int i = 0; i < n; i++)
        p->area += mesh->areas[i];
    p->weight = p->area / n;
    p->radius = sqrt(p->weight / M_PI);
    p->wavenumber = 2 * M_PI * sqrt(n / p->area) / 10; /* 10 triangles per wavelength */
    return 0;
}

void bem_problem_free(bem_problem_t *p)
{
    free(p->points);
    p->points = NULL;
}
