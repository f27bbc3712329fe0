/*
 * entry_points.h: the command's input parsers, each fed one input of raw
 * bytes.  The libFuzzer targets (fuzz/fuzz_target.c) and the corpus replay
 * test (tests/unit/test_fuzz_corpus.c) call the same functions, so a seed
 * the fuzzer starts from is also a case the test suite checks.
 */
#ifndef BLRCHOL_FUZZ_ENTRY_POINTS_H
#define BLRCHOL_FUZZ_ENTRY_POINTS_H

#include <stddef.h>
#include <stdint.h>

typedef enum fuzz_verdict {
    FUZZ_ACCEPTED, /* the parser took the input, and what it returned is sound */
    FUZZ_REJECTED, /* the parser refused it with an error code (and message) */
    FUZZ_BROKEN,   /* the parser broke its contract: a crash in the fuzz build */
    FUZZ_UNUSABLE, /* the input does not fit the harness (the rhs header line) */
} fuzz_verdict_t;

/* argv for options_parse: the bytes split on NUL or newline, one argument
 * per piece (a final separator ends the last argument). */
fuzz_verdict_t fuzz_options(const uint8_t *data, size_t size);

/* The bytes as a Gmsh file for bem_mesh_read. */
fuzz_verdict_t fuzz_mesh(const uint8_t *data, size_t size);

/* A header line "N NRHS COMPLEX" (1 <= N <= 4096, 1 <= NRHS <= 16,
 * COMPLEX 0 or 1) for rhs_read's arguments, then the file it reads. */
fuzz_verdict_t fuzz_rhs(const uint8_t *data, size_t size);

const char *fuzz_verdict_name(fuzz_verdict_t verdict);

#endif
