/*
 * entry_points.c: one input of bytes through each parser of the command,
 * and a verdict on what came back (fuzz/entry_points.h).  Besides "no
 * crash", each entry checks the parser's promise: a refusal carries a
 * message, an accepted input yields finite, complete values.
 */
#define _GNU_SOURCE /* memfd_create */
#include "fuzz/entry_points.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bem/mesh.h"
#include "cli/options.h"
#include "cli/rhs.h"

enum { MAX_ARGUMENTS = 128, RHS_MAX_N = 4096, RHS_MAX_NRHS = 16 };

const char *fuzz_verdict_name(fuzz_verdict_t verdict)
{
    static const char *names[] = {"accepted", "rejected", "broken", "unusable"};
    return verdict >= FUZZ_ACCEPTED && verdict <= FUZZ_UNUSABLE ? names[verdict] : "?";
}

/* The bytes as a file the readers open by name: an anonymous memory file
 * seen as /proc/self/fd/N, so that no disk is touched per input.  Its
 * descriptor (closed by the caller), or -1. */
static int open_as_file(const uint8_t *data, size_t size, char *path, size_t path_size)
{
    int fd = memfd_create("blrchol-fuzz-input", 0);
    if (fd < 0)
        return -1;
    for (size_t done = 0; done < size;) {
        ssize_t written = write(fd, data + done, size - done);
        if (written <= 0) {
            close(fd);
            return -1;
        }
        done += (size_t)written;
    }
    snprintf(path, path_size, "/proc/self/fd/%d", fd);
    return fd;
}

/* Cut text (size bytes, room for one more) into arguments at every NUL or
 * newline; their count, at most max. */
static int split_arguments(char *text, size_t size, char **argv, int max)
{
    int argc = 0;
    size_t start = 0;
    for (size_t k = 0; k <= size && argc < max; k++) {
        if (k < size && text[k] != 0 && text[k] != '\n')
            continue;
        if (k == size && start == size)
            break; /* nothing after the last separator */
        text[k] = 0;
        argv[argc++] = text + start;
        start = k + 1;
    }
    return argc;
}

fuzz_verdict_t fuzz_options(const uint8_t *data, size_t size)
{
    /* A copy of its own: options_parse keeps pointers into argv, and
     * getopt may permute it. */
    char *text = malloc(size + 1), program[] = "blrchol";
    if (!text)
        return FUZZ_UNUSABLE;
    memcpy(text, data, size);
    char *argv[MAX_ARGUMENTS + 2] = {program};
    int argc = 1 + split_arguments(text, size, argv + 1, MAX_ARGUMENTS);
    options_t opt;
    int code = options_parse(&opt, argc, argv, 0);
    fuzz_verdict_t verdict = FUZZ_BROKEN;
    if (code == 2)
        verdict = FUZZ_REJECTED;
    /* nb 0: the tile size is left to blrchol_default_nb. */
    else if (code == 1 || (code == 0 && opt.n >= 1 && opt.nb >= 0 && opt.nrhs >= 1))
        verdict = FUZZ_ACCEPTED;
    free(text);
    return verdict;
}

static int mesh_is_sound(const bem_mesh_t *mesh)
{
    if (mesh->ntriangles < 1 || !isfinite(mesh->diameter_max))
        return 0;
    for (int t = 0; t < mesh->ntriangles; t++) {
        if (!(mesh->areas[t] > 0) || !isfinite(mesh->areas[t]) || !(mesh->diameters[t] > 0) ||
            mesh->diameters[t] > mesh->diameter_max)
            return 0;
        for (int k = 0; k < 9; k++)
            if (!isfinite(mesh->vertices[9 * t + k]))
                return 0;
    }
    return 1;
}

fuzz_verdict_t fuzz_mesh(const uint8_t *data, size_t size)
{
    char path[64], error[600] = "";
    int fd = open_as_file(data, size, path, sizeof path);
    if (fd < 0)
        return FUZZ_UNUSABLE;
    bem_mesh_t mesh;
    int status = bem_mesh_read(path, &mesh, error, sizeof error);
    close(fd);
    if (status != 0)
        return error[0] ? FUZZ_REJECTED : FUZZ_BROKEN;
    fuzz_verdict_t verdict = mesh_is_sound(&mesh) ? FUZZ_ACCEPTED : FUZZ_BROKEN;
    bem_mesh_free(&mesh);
    return verdict;
}

struct rhs_shape {
    int n, nrhs, is_complex;
};

/* The header line "N NRHS COMPLEX" at the start of data: the length of the
 * line with its newline, or 0 when there is none in bounds. */
static size_t read_rhs_header(const uint8_t *data, size_t size, struct rhs_shape *shape)
{
    const uint8_t *newline = memchr(data, '\n', size);
    char header[64], extra;
    size_t length = newline ? (size_t)(newline - data) : sizeof header;
    if (length >= sizeof header)
        return 0;
    memcpy(header, data, length);
    header[length] = 0;
    if (sscanf(header, "%d %d %d %c", &shape->n, &shape->nrhs, &shape->is_complex, &extra) != 3 ||
        shape->n < 1 || shape->n > RHS_MAX_N || shape->nrhs < 1 || shape->nrhs > RHS_MAX_NRHS ||
        (shape->is_complex != 0 && shape->is_complex != 1))
        return 0;
    return length + 1;
}

fuzz_verdict_t fuzz_rhs(const uint8_t *data, size_t size)
{
    struct rhs_shape shape;
    size_t header = read_rhs_header(data, size, &shape);
    if (!header)
        return FUZZ_UNUSABLE;
    char path[64], error[600] = "";
    int fd = open_as_file(data + header, size - header, path, sizeof path);
    size_t count = (size_t)shape.n * shape.nrhs * (shape.is_complex ? 2 : 1);
    double *b = malloc(count * sizeof *b);
    if (fd < 0 || !b) {
        if (fd >= 0)
            close(fd);
        free(b);
        return FUZZ_UNUSABLE;
    }
    /* NaN everywhere first: an accepted file must have filled every value. */
    for (size_t k = 0; k < count; k++)
        b[k] = NAN;
    int status = rhs_read(path, b, shape.n, shape.nrhs, shape.is_complex, error, sizeof error);
    close(fd);
    fuzz_verdict_t verdict = status != 0 ? (error[0] ? FUZZ_REJECTED : FUZZ_BROKEN) : FUZZ_ACCEPTED;
    for (size_t k = 0; verdict == FUZZ_ACCEPTED && k < count; k++)
        if (!isfinite(b[k]))
            verdict = FUZZ_BROKEN;
    free(b);
    return verdict;
}
