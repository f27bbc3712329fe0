#include "rhs.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int rhs_read(const char *path, void *b, int n, int is_complex, char *error, size_t error_size)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(error, error_size, "%s: cannot open the right-hand side file", path);
        return -1;
    }
    double *values = b;
    char line[512];
    long line_number = 0, count = 0;
    int status = 0;
    while (fgets(line, sizeof line, f)) {
        line_number++;
        char *cursor = line, *end;
        while (*cursor == ' ' || *cursor == '\t')
            cursor++;
        if (*cursor == '\n' || *cursor == '\r' || *cursor == 0)
            continue; /* blank line */
        double re = strtod(cursor, &end), im = 0;
        if (end == cursor || !isfinite(re)) {
            snprintf(error, error_size, "%s:%ld: not a number: \"%.40s\"", path, line_number, cursor);
            status = -1;
            break;
        }
        cursor = end;
        im = strtod(cursor, &end);
        int has_im = end != cursor;
        cursor = end;
        while (*cursor == ' ' || *cursor == '\t' || *cursor == '\r' || *cursor == '\n')
            cursor++;
        if (*cursor || (has_im && !is_complex) || !isfinite(im)) {
            snprintf(error, error_size, "%s:%ld: expected %s, got \"%.40s\"", path, line_number,
                     is_complex ? "one value or \"re im\"" : "one real value", line);
            status = -1;
            break;
        }
        if (count >= n) {
            snprintf(error, error_size, "%s:%ld: more than n = %d values", path, line_number, n);
            status = -1;
            break;
        }
        if (is_complex) {
            values[2 * count] = re;
            values[2 * count + 1] = has_im ? im : 0;
        } else {
            values[count] = re;
        }
        count++;
    }
    if (status == 0 && count != n) {
        snprintf(error, error_size, "%s:%ld: %ld values for n = %d unknowns", path, line_number, count, n);
        status = -1;
    }
    fclose(f);
    return status;
}
