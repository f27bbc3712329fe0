#include "cli/rhs.h"

#include <math.h>
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
