/*
 * Meshes made by gmsh itself (Debian package gmsh; .geo files written
 * here): the Laplace single-layer problem for the constant potential 1 on
 * the unit sphere has the density sigma = 1 / radius = 1 in closed form;
 * the computed density approaches it as the mesh is refined, and the MSH
 * 2.2 and 4.1 files of one mesh give the same solution.  On a cylinder, a
 * right-hand side read from a file gives the solution of LAPACK on the
 * matrix assembled here in the mesh's order.  Bad meshes end with exit
 * code 2 and a message naming the file and line.
 */
#include <criterion/criterion.h>
#include <lapacke.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/support.h"
#include "bem/bem.h"

static void make_mesh(const char *geo_body, double size, const char *format, char *msh, size_t msh_size)
{
    cr_assert_eq(system("command -v gmsh >/dev/null 2>&1"), 0,
                 "gmsh is not installed (Debian: apt-get install gmsh; make check installs it as root)");
    char geo[64], command[512];
    temp_path(geo, sizeof geo, ".geo");
    FILE *f = fopen(geo, "w");
    cr_assert_not_null(f);
    fprintf(f, "SetFactory(\"OpenCASCADE\");\n%s\nMesh.MeshSizeMax = %g;\n", geo_body, size);
    fclose(f);
    temp_path(msh, msh_size, ".msh");
    snprintf(command, sizeof command, "gmsh -2 -format %s %s -o %s >/dev/null 2>&1", format, geo, msh);
    cr_assert_eq(system(command), 0, "%s failed", command);
    unlink(geo);
}

/* Solve on `mesh` for the constant potential; return the solution (n values). */
static double *solve_constant(const char *mesh, int ranks, int *n, char **json_out)
{
    char solution[64], json[64], args[512];
    temp_path(solution, sizeof solution, ".txt");
    temp_path(json, sizeof json, ".json");
    snprintf(args, sizeof args, "--mesh %s --nb 256 --eps 1e-8 --rhs constant --check --quiet --solution %s --json %s",
             mesh, solution, json);
    char *output = NULL;
    int status = run_blrchol(ranks, args, &output);
    cr_assert_eq(status, 0, "blrchol %s exited %d:\n%s", args, status, output);
    free(output);
    char *text = slurp(json);
    cr_assert_not_null(text);
    *n = (int)json_number(text, "n");
    cr_assert(json_number(text, "backward_error") < 1e-7, "%s", text);
    double *x = read_vector(solution, *n, 0);
    cr_assert_not_null(x, "no solution in %s", solution);
    unlink(solution);
    unlink(json);
    if (json_out)
        *json_out = text;
    else
        free(text);
    return x;
}

static double mean_abs_error(const double *x, int n, double exact)
{
    double sum = 0;
    for (int i = 0; i < n; i++)
        sum += fabs(x[i] - exact);
    return sum / n;
}

static double max_abs_error(const double *x, int n, double exact)
{
    double worst = 0;
    for (int i = 0; i < n; i++)
        worst = fmax(worst, fabs(x[i] - exact));
    return worst;
}

Test(mesh_solve, sphere_density_converges_to_one_over_radius, .timeout = 600)
{
    const char *sphere = "Sphere(1) = {0, 0, 0, 1};";
    char coarse22[64], coarse41[64], fine[64];
    make_mesh(sphere, 0.3, "msh22", coarse22, sizeof coarse22);
    make_mesh(sphere, 0.3, "msh41", coarse41, sizeof coarse41);
    make_mesh(sphere, 0.15, "msh22", fine, sizeof fine);
    int n22, n41, nfine;
    double *x22 = solve_constant(coarse22, 2, &n22, NULL);
    double *x41 = solve_constant(coarse41, 2, &n41, NULL);
    double *xfine = solve_constant(fine, 2, &nfine, NULL);
    cr_assert_eq(n22, n41, "the two formats hold %d and %d triangles", n22, n41);
    for (int i = 0; i < n22; i++)
        cr_assert(fabs(x22[i] - x41[i]) <= 1e-12 * fabs(x22[i]), "triangle %d: %g (2.2) vs %g (4.1)", i, x22[i],
                  x41[i]);
    cr_assert_gt(nfine, 3 * n22);
    /* Measured 0.0157 (380 triangles) and 0.0060 (1384), worst triangle
     * 0.039; the symmetrised collocation form used before gave 0.026,
     * 0.014 and 0.11. */
    double error_coarse = mean_abs_error(x22, n22, 1.0), error_fine = mean_abs_error(xfine, nfine, 1.0);
    cr_assert_lt(error_fine, 0.5 * error_coarse, "no convergence: %g (n=%d) then %g (n=%d)", error_coarse, n22,
                 error_fine, nfine);
    cr_assert_lt(error_fine, 0.01, "density error %g at n=%d", error_fine, nfine);
    cr_assert_lt(max_abs_error(xfine, nfine, 1.0), 0.06, "worst density error %g at n=%d",
                 max_abs_error(xfine, nfine, 1.0), nfine);
    free(x22);
    free(x41);
    free(xfine);
    unlink(coarse22);
    unlink(coarse41);
    unlink(fine);
}

Test(mesh_solve, cylinder_mesh_solves, .timeout = 300)
{
    char mesh[64];
    make_mesh("Cylinder(1) = {0, 0, -2, 0, 0, 4, 1};", 0.35, "msh41", mesh, sizeof mesh);
    int n;
    char *json = NULL;
    double *x = solve_constant(mesh, 2, &n, &json);
    cr_assert(json_has_string(json, "geometry", "mesh"), "%s", json);
    cr_assert_gt(n, 300);
    /* The density of a charged conductor is positive everywhere. */
    for (int i = 0; i < n; i++)
        cr_assert_gt(x[i], 0, "density %g on triangle %d", x[i], i);
    free(x);
    free(json);
    unlink(mesh);
}

/* The solver's view of a mesh problem against LAPACK on the matrix
 * assembled here in the mesh's own triangle order: --rhs FILE is read and
 * --solution written in that order (b_i depends on i and on the triangle,
 * so a permuted vector would not match), the assembled matrix is exactly
 * symmetric, entry by entry as well as assembled in one block, and LAPACK's
 * Cholesky takes it (positive definite). */
Test(mesh_solve, rhs_file_and_solution_in_mesh_order_match_lapack, .timeout = 300)
{
    char mesh[64], rhs[64], solution[64], args[512], error[512];
    make_mesh("Cylinder(1) = {0, 0, -2, 0, 0, 4, 1};", 0.5, "msh22", mesh, sizeof mesh);
    bem_mesh_t m;
    cr_assert_eq(bem_mesh_read(mesh, &m, error, sizeof error), 0, "%s", error);
    const int n = m.ntriangles;
    double *b = malloc(n * sizeof *b);
    temp_path(rhs, sizeof rhs, ".txt");
    FILE *f = fopen(rhs, "w");
    cr_assert_not_null(f);
    for (int i = 0; i < n; i++) {
        b[i] = m.areas[i] * (1 + 0.5 * m.centroids[3 * i + 2] + 0.1 * (i % 7));
        fprintf(f, "%.17g\n", b[i]);
    }
    fclose(f);
    temp_path(solution, sizeof solution, ".txt");
    snprintf(args, sizeof args, "--mesh %s --nb 64 --dense --rhs %s --quiet --solution %s", mesh, rhs, solution);
    char *output = NULL;
    int status = run_blrchol(2, args, &output);
    cr_assert_eq(status, 0, "blrchol %s exited %d:\n%s", args, status, output);
    free(output);
    double *x = read_vector(solution, n, 0);
    cr_assert_not_null(x);

    bem_problem_t p;
    cr_assert_eq(bem_problem_init_mesh(&p, &m, BEM_LAPLACE), 0);
    int *all = malloc(n * sizeof *all);
    for (int k = 0; k < n; k++)
        all[k] = k;
    /* Column by column every entry is integrated (a diagonal block copies
     * its upper triangle from the lower): that matrix must be symmetric
     * and the same bits as the block. */
    double *a = malloc((size_t)n * n * sizeof *a), *columns = malloc((size_t)n * n * sizeof *columns);
    bem_assemble_d(&p, all, n, all, n, a, n);
    for (int j = 0; j < n; j++)
        bem_assemble_d(&p, all, n, all + j, 1, columns + (size_t)j * n, n);
    for (int j = 0; j < n; j++)
        for (int i = 0; i < n; i++) {
            cr_assert_eq(columns[i + (size_t)j * n], columns[j + (size_t)i * n], "A(%d, %d) != A(%d, %d)", i, j,
                         j, i);
            cr_assert_eq(a[i + (size_t)j * n], columns[i + (size_t)j * n], "A(%d, %d): block != column", i, j);
        }
    free(columns);
    cr_assert_eq(LAPACKE_dposv(LAPACK_COL_MAJOR, 'L', n, 1, a, n, b, n), 0, "LAPACK: not positive definite");
    double difference = 0, norm = 0;
    for (int i = 0; i < n; i++) {
        difference += (x[i] - b[i]) * (x[i] - b[i]);
        norm += b[i] * b[i];
    }
    cr_assert_lt(sqrt(difference / norm), 1e-11, "relative difference to LAPACK %g (n=%d)", sqrt(difference / norm), n);
    bem_problem_free(&p);
    bem_mesh_free(&m);
    free(a);
    free(all);
    free(b);
    free(x);
    unlink(rhs);
    unlink(solution);
    unlink(mesh);
}

Test(mesh_solve, bad_meshes_are_usage_errors, .timeout = 120)
{
    char bad[64], args[256], expected[96];
    temp_path(bad, sizeof bad, ".msh");
    FILE *f = fopen(bad, "w");
    fputs("$MeshFormat\n2.2 0 8\n$EndMeshFormat\n$Nodes\n2\n1 0 0 0\n", f);
    fclose(f);
    snprintf(args, sizeof args, "--mesh %s", bad);
    snprintf(expected, sizeof expected, "%s:6: unexpected end of file", bad);
    expect_usage_error(1, args, expected);
    snprintf(args, sizeof args, "--mesh /nonexistent/mesh.msh");
    expect_usage_error(1, args, "/nonexistent/mesh.msh: cannot open");
    snprintf(args, sizeof args, "--mesh %s --kernel sqexp", bad);
    expect_usage_error(1, args, "--mesh takes a boundary-integral kernel, not 'sqexp'");
    expect_usage_error(1, "-n 500 --nb 100 --rhs plane-wave", "--rhs plane-wave needs a wavenumber");
    unlink(bad);

}

/* Every file of the malformed corpus, read under valgrind: refused (exit 2)
 * without a memory error or a leak. */
#include "tests/mesh_corpus.inc"

Test(mesh_solve, malformed_corpus_is_clean_under_valgrind, .timeout = 600)
{
    cr_assert_eq(system("command -v valgrind >/dev/null 2>&1"), 0,
                 "valgrind is not installed (Debian: apt-get install valgrind; make check installs it as root)");
    for (int k = 0; k < NBAD_MESHES; k++) {
        char path[64], command[256];
        temp_path(path, sizeof path, ".msh");
        FILE *f = fopen(path, "w");
        cr_assert_not_null(f);
        fputs(bad_meshes[k].text, f);
        fclose(f);
        snprintf(command, sizeof command,
                 "valgrind -q --error-exitcode=9 --leak-check=full --errors-for-leak-kinds=definite,indirect "
                 "build/mesh_info %s >/dev/null 2>&1",
                 path);
        int status = system(command);
        cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 2, "case %d: %s exited %d (9: valgrind error)", k,
                  command, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        unlink(path);
    }
}

/* A plane wave on a gmsh sphere with the complex kernels: BLR at eps 1e-8
 * gives the dense solution to the tolerance, with a small backward error
 * against the exact matrix. */
static double *solve_plane_wave(const char *mesh, const char *kernel, const char *mode, int n)
{
    char solution[64], json[64], args[512];
    temp_path(solution, sizeof solution, ".txt");
    temp_path(json, sizeof json, ".json");
    snprintf(args, sizeof args, "--mesh %s --nb 256 --kernel %s --rhs plane-wave %s --check --quiet --solution %s --json %s",
             mesh, kernel, mode, solution, json);
    char *output = NULL;
    int status = run_blrchol(2, args, &output);
    cr_assert_eq(status, 0, "blrchol %s exited %d:\n%s", args, status, output);
    free(output);
    char *text = slurp(json);
    cr_assert_lt(json_number(text, "backward_error"), 1e-9, "%s", text);
    free(text);
    double *x = read_vector(solution, n, 1);
    cr_assert_not_null(x);
    unlink(solution);
    unlink(json);
    return x;
}

Test(mesh_solve, plane_wave_with_complex_kernels, .timeout = 600)
{
    char mesh[64];
    make_mesh("Sphere(1) = {0, 0, 0, 1};", 0.2, "msh41", mesh, sizeof mesh);
    bem_mesh_t m;
    char error[512];
    cr_assert_eq(bem_mesh_read(mesh, &m, error, sizeof error), 0, "%s", error);
    int n = m.ntriangles;
    bem_mesh_free(&m);
    const char *kernels[2] = {"helmholtz", "hermitian"};
    for (int k = 0; k < 2; k++) {
        double *dense = solve_plane_wave(mesh, kernels[k], "--dense", n);
        double *blr = solve_plane_wave(mesh, kernels[k], "--eps 1e-8", n);
        double difference = 0, norm = 0;
        for (int i = 0; i < 2 * n; i++) {
            difference += (dense[i] - blr[i]) * (dense[i] - blr[i]);
            norm += dense[i] * dense[i];
        }
        cr_assert_lt(sqrt(difference / norm), 1e-5, "%s: BLR and dense differ by %g", kernels[k],
                     sqrt(difference / norm));
        free(dense);
        free(blr);
    }
    unlink(mesh);
}
