#include "cli/rhs.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Up to `max` numbers from text into values; their count, or -1 when
 * something that is not a number is met. */
static int parse_numbers(const char *text, double *values, int max)
{
    int count = 0;
    const char *cursor = text;
    for (;;) {
        while (*cursor == ' ' || *cursor == '\t' || *cursor == '\r' || *cursor == '\n')
            cursor++;
        if (!*cursor)
            return count;
        char *end;
        double value = strtod(cursor, &end);
        if (end == cursor || !isfinite(value) || count == max)
            return -1;
        values[count++] = value;
        cursor = end;
    }
}

int rhs_read(const char *path, void *b, int n, int nrhs, int is_complex, char *error, size_t error_size)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(error, error_size, "%s: cannot open the right-hand side file", path);
        return -1;
    }
    double *out = b, *numbers = malloc(2 * (size_t)nrhs * sizeof *numbers);
    size_t line_size = 64 * (size_t)nrhs + 64;
    char *line = malloc(line_size);
    long line_number = 0, rows = 0;
    int status = numbers && line ? 0 : -1;
    if (status)
        snprintf(error, error_size, "%s: no memory to read it", path);
    while (status == 0 && fgets(line, (int)line_size, f)) {
        line_number++;
        int count = parse_numbers(line, numbers, 2 * nrhs);
        if (count == 0)
            continue; /* blank line */
        int complex_pairs = is_complex && count == 2 * nrhs;
        if (count != nrhs && !complex_pairs) {
            snprintf(error, error_size, "%s:%ld: expected %d value(s) per line%s (--nrhs %d), got \"%.40s\"", path,
                     line_number, nrhs, is_complex ? ", or as many re im pairs" : "", nrhs, line);
            error[strcspn(error, "\n")] = 0;
            status = -1;
            break;
        }
        if (rows >= n) {
            snprintf(error, error_size, "%s:%ld: more than n = %d lines", path, line_number, n);
            status = -1;
            break;
        }
        for (int k = 0; k < nrhs; k++) {
            size_t at = (size_t)k * n + rows;
            if (is_complex) {
                out[2 * at] = complex_pairs ? numbers[2 * k] : numbers[k];
                out[2 * at + 1] = complex_pairs ? numbers[2 * k + 1] : 0;
            } else {
                out[at] = numbers[k];
            }
        }
        rows++;
    }
    if (status == 0 && rows != n) {
        snprintf(error, error_size, "%s:%ld: %ld lines of values for n = %d unknowns", path, line_number, rows, n);
        status = -1;
    }
    free(numbers);
    free(line);
    fclose(f);
    return status;
}

/* A fixed pseudo-random right-hand side in [-1, 1] (splitmix64), the same
 * on every rank and for every grid. */
static void make_rhs(void *b, int n, int is_complex, unsigned long seed)
{
    uint64_t state = seed * 0x9E3779B97F4A7C15ull + 1;
    double *reals = b;
    for (long k = 0; k < (long)n * (is_complex ? 2 : 1); k++) {
        uint64_t z = (state += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        z ^= z >> 31;
        reals[k] = 2.0 * ((z >> 11) * 0x1.0p-53) - 1.0;
    }
}

/* --rhs constant: the potential f = 1 everywhere; --rhs plane-wave: the
 * incident field f = exp(i k z) of a plane wave along z (complex kernels
 * only: options.c).  On a mesh the matrix is a Galerkin form (rows carry
 * the triangle's area a_i, see bem_problem_init_mesh): b_i = a_i f(c_i).
 * On a point set it is collocation (the weight is inside A_ij):
 * b_i = f(x_i).  Either way x is the charge density. */
static void weighted_rhs(void *b, const bem_problem_t *p, int is_complex, int plane_wave)
{
    double *values = b;
    for (int i = 0; i < p->n; i++) {
        double weight = p->mesh ? p->mesh->areas[i] : 1.0;
        double phase = plane_wave ? p->wavenumber * p->points[3 * (size_t)i + 2] : 0;
        if (is_complex)
            values[2 * i] = weight * cos(phase), values[2 * i + 1] = weight * sin(phase);
        else
            values[i] = weight;
    }
}

int rhs_build(const char *rhs, unsigned long seed, const bem_problem_t *p, int nrhs, int is_complex, void *b,
              char *error, size_t error_size)
{
    const int constant = rhs && strcmp(rhs, "constant") == 0, plane_wave = rhs && strcmp(rhs, "plane-wave") == 0;
    if (rhs && !constant && !plane_wave)
        return rhs_read(rhs, b, p->n, nrhs, is_complex, error, error_size);
    const size_t column_bytes = (size_t)p->n * (is_complex ? 16 : 8);
    for (int k = 0; k < nrhs; k++) {
        char *column = (char *)b + column_bytes * k;
        if (!rhs)
            make_rhs(column, p->n, is_complex, seed + k);
        else
            weighted_rhs(column, p, is_complex, plane_wave);
    }
    return 0;
}
