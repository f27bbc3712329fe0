/*
 * support.h: helpers for tests that run the blrchol command under mpirun
 * (Criterion forks its tests, and MPI_Init does not mix with that: the
 * solver runs as a child process and its JSON result is read back).
 */
#ifndef BLRCHOL_TEST_SUPPORT_H
#define BLRCHOL_TEST_SUPPORT_H

#include <stddef.h>

/* Run `./blrchol ARGS` on `ranks` ranks (one StarPU worker each).  Output
 * (stdout + stderr) goes to *output (malloc'ed, may be NULL).  Returns the
 * exit status. */
int run_blrchol(int ranks, const char *args, char **output);
/* The same for any command line ("PROGRAM ARGS", which may start with
 * mpirun options such as "-x VAR=value"). */
int run_mpi(int ranks, const char *command_line, char **output);
/* Run a shell command, stdout + stderr in *output (malloc'ed, may be
 * NULL); the exit code, -1 if it did not exit. */
int run_shell(const char *command, char **output);

/* Run `./blrchol ARGS --quiet --json FILE` on `ranks` ranks, assert the
 * exit code, and return the JSON text (malloc'ed; asserted present). */
char *run_blrchol_json(int ranks, const char *args, int expected_exit);

/* Run blrchol as run_blrchol does and assert a usage error: exit code 2,
 * `message` in the output, no crash. */
void expect_usage_error(int ranks, const char *args, const char *message);

/* The number under "key" in a JSON text; NAN when absent or null. */
double json_number(const char *json, const char *key);
/* 1 when "key": "value" is in the JSON text. */
int json_has_string(const char *json, const char *key, const char *value);

/* The whole file, malloc'ed and NUL-terminated, or NULL. */
char *slurp(const char *path);
/* A fresh temporary path name (the file is created empty). */
void temp_path(char *buffer, size_t size, const char *suffix);

/* Read a vector written by --solution: n values (complex: 2n reals). */
double *read_vector(const char *path, int n, int is_complex);

/* The tile size docs/user-guide.md gives for a run without --nb, worked
 * out from the documentation (the candidate multiples of 256 nearest the
 * target, then 64 at a time down to n / 4), not from the library's code. */
int documented_nb(double n, int dense);

#endif
