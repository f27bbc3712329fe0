/*
 * test_fuzz_corpus.c: every seed of the fuzz corpora (fuzz/corpus/TARGET/)
 * replayed through the entry points the fuzz targets call, compiled as the
 * command is.  A file's name says what its parser must do with it:
 * valid-* is accepted, bad-* is refused with an error, neither crashes.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/options.h"
#include "fuzz/entry_points.h"

#include "tests/mesh_corpus.inc"

typedef fuzz_verdict_t (*entry_point_t)(const uint8_t *data, size_t size);

/* The whole file (malloc'ed; NUL bytes kept) and its size in *size. */
static uint8_t *read_bytes(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    cr_assert(f, "%s: cannot open", path);
    uint8_t *bytes = NULL;
    size_t capacity = 0;
    *size = 0;
    for (;;) {
        if (*size == capacity) {
            capacity = capacity ? 2 * capacity : 4096;
            bytes = realloc(bytes, capacity);
            cr_assert(bytes);
        }
        size_t got = fread(bytes + *size, 1, capacity - *size, f);
        if (got == 0)
            break;
        *size += got;
    }
    fclose(f);
    return bytes;
}

static int starts_with(const char *text, const char *prefix)
{
    return strncmp(text, prefix, strlen(prefix)) == 0;
}

/* Replay fuzz/corpus/TARGET; each corpus holds valid and bad seeds alike. */
static void replay_corpus(const char *target, entry_point_t entry)
{
    char dir_path[256];
    snprintf(dir_path, sizeof dir_path, "fuzz/corpus/%s", target);
    DIR *dir = opendir(dir_path);
    cr_assert(dir, "%s: no such corpus", dir_path);
    int valid = 0, bad = 0;
    for (struct dirent *entry_name; (entry_name = readdir(dir));) {
        const char *name = entry_name->d_name;
        if (name[0] == '.')
            continue;
        cr_assert(starts_with(name, "valid-") || starts_with(name, "bad-"),
                  "%s/%s: a seed's name starts with valid- or bad-", dir_path, name);
        fuzz_verdict_t expected = starts_with(name, "valid-") ? FUZZ_ACCEPTED : FUZZ_REJECTED;
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir_path, name);
        size_t size;
        uint8_t *bytes = read_bytes(path, &size);
        fuzz_verdict_t got = entry(bytes, size);
        free(bytes);
        cr_expect_eq(got, expected, "%s: %s, expected %s", path, fuzz_verdict_name(got), fuzz_verdict_name(expected));
        valid += expected == FUZZ_ACCEPTED;
        bad += expected == FUZZ_REJECTED;
    }
    closedir(dir);
    cr_expect(valid > 0 && bad > 0, "%s: %d valid and %d bad seeds, at least one of each expected", dir_path, valid,
              bad);
}

Test(fuzz_corpus, options) { replay_corpus("options", fuzz_options); }
Test(fuzz_corpus, mesh) { replay_corpus("mesh", fuzz_mesh); }
Test(fuzz_corpus, rhs) { replay_corpus("rhs", fuzz_rhs); }

/* One parse after another, as the fuzzer makes them: the second must not
 * resume inside the first's cluster of short options ("-hn" stops at h). */
Test(fuzz_corpus, options_parse_starts_afresh)
{
    char program[] = "blrchol", help_cluster[] = "-hn", quiet[] = "--quiet";
    char *first[] = {program, help_cluster, NULL}, *second[] = {program, quiet, NULL};
    options_t opt;
    cr_assert_eq(options_parse(&opt, 2, first, 0), 1, "-hn is a request for help");
    cr_assert_eq(options_parse(&opt, 2, second, 0), 0, "--quiet refused after -hn");
    cr_expect(opt.quiet && opt.n == 20000, "--quiet after -hn: quiet %d, n %d", opt.quiet, opt.n);
}

/* The malformed meshes of tests/mesh_corpus.inc are seeds of the mesh
 * corpus, byte for byte: the fuzzer starts from every case the mesh tests
 * know. */
Test(fuzz_corpus, mesh_seeds_hold_the_malformed_mesh_list)
{
    for (int k = 0; k < NBAD_MESHES; k++) {
        char path[256];
        snprintf(path, sizeof path, "fuzz/corpus/mesh/bad-inc-%02d.msh", k);
        size_t size;
        uint8_t *bytes = read_bytes(path, &size);
        size_t expected_size = strlen(bad_meshes[k].text);
        cr_expect(size == expected_size && memcmp(bytes, bad_meshes[k].text, size) == 0,
                  "%s differs from bad_meshes[%d] of tests/mesh_corpus.inc", path, k);
        free(bytes);
    }
}
