#include "support.h"

#include <criterion/criterion.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int run_shell(const char *command, char **output)
{
    size_t size = strlen(command) + 16;
    char *full = malloc(size);
    snprintf(full, size, "%s 2>&1", command);
    FILE *pipe = popen(full, "r");
    free(full);
    if (!pipe)
        return -1;
    size_t length = 0, capacity = 4096;
    char *text = malloc(capacity);
    size_t got;
    while ((got = fread(text + length, 1, capacity - length - 1, pipe)) > 0) {
        length += got;
        if (capacity - length < 1024)
            text = realloc(text, capacity *= 2);
    }
    text[length] = 0;
    int status = pclose(pipe);
    if (output)
        *output = text;
    else
        free(text);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int run_mpi(int ranks, const char *command_line, char **output)
{
    const char *mpirun = getenv("BLRCHOL_MPIRUN");
    char fallback[128];
    if (!mpirun || !*mpirun) {
        snprintf(fallback, sizeof fallback, "mpirun --oversubscribe%s",
                 geteuid() == 0 ? " --allow-run-as-root" : "");
        mpirun = fallback;
    }
    size_t size = strlen(mpirun) + strlen(command_line) + 256;
    char *command = malloc(size);
    snprintf(command, size, "%s -x STARPU_NCPU=1 -x STARPU_SILENT=1 -np %d %s", mpirun, ranks, command_line);
    int status = run_shell(command, output);
    free(command);
    return status;
}

int run_blrchol(int ranks, const char *args, char **output)
{
    size_t size = strlen(args) + 16;
    char *command_line = malloc(size);
    snprintf(command_line, size, "./blrchol %s", args);
    int status = run_mpi(ranks, command_line, output);
    free(command_line);
    return status;
}

static const char *find_key(const char *json, const char *key)
{
    char pattern[128];
    snprintf(pattern, sizeof pattern, "\"%s\":", key);
    const char *at = json ? strstr(json, pattern) : NULL;
    return at ? at + strlen(pattern) : NULL;
}

double json_number(const char *json, const char *key)
{
    const char *at = find_key(json, key);
    if (!at)
        return NAN;
    while (*at == ' ')
        at++;
    if (!strncmp(at, "null", 4))
        return NAN;
    return strtod(at, NULL);
}

int json_has_string(const char *json, const char *key, const char *value)
{
    const char *at = find_key(json, key);
    if (!at)
        return 0;
    while (*at == ' ')
        at++;
    return *at == '"' && !strncmp(at + 1, value, strlen(value)) && at[1 + strlen(value)] == '"';
}

char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = malloc(size + 1);
    size_t got = fread(text, 1, size, f);
    text[got] = 0;
    fclose(f);
    return text;
}

void temp_path(char *buffer, size_t size, const char *suffix)
{
    snprintf(buffer, size, "/tmp/blrchol-test-XXXXXX%s", suffix);
    int fd = mkstemps(buffer, (int)strlen(suffix));
    if (fd >= 0)
        close(fd);
}

double *read_vector(const char *path, int n, int is_complex)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    int count = n * (is_complex ? 2 : 1);
    double *values = malloc(count * sizeof *values);
    for (int k = 0; k < count; k++)
        if (fscanf(f, "%lf", &values[k]) != 1) {
            free(values);
            fclose(f);
            return NULL;
        }
    fclose(f);
    return values;
}

char *run_blrchol_json(int ranks, const char *args, int expected_exit)
{
    char json_path[64], command[1024];
    temp_path(json_path, sizeof json_path, ".json");
    snprintf(command, sizeof command, "%s --quiet --json %s", args, json_path);
    char *output = NULL;
    int status = run_blrchol(ranks, command, &output);
    cr_assert_eq(status, expected_exit, "blrchol %s on %d ranks exited %d, expected %d:\n%s", command, ranks, status,
                 expected_exit, output);
    free(output);
    char *json = slurp(json_path);
    unlink(json_path);
    cr_assert_not_null(json, "no JSON from blrchol %s", command);
    return json;
}

void expect_usage_error(int ranks, const char *args, const char *message)
{
    char *output = NULL;
    int status = run_blrchol(ranks, args, &output);
    cr_assert_eq(status, 2, "blrchol %s on %d ranks: exit %d, output:\n%s", args, ranks, status, output);
    cr_assert(strstr(output, message), "blrchol %s: expected '%s' in:\n%s", args, message, output);
    cr_assert(!strstr(output, "Segmentation") && !strstr(output, "Abort"), "%s", output);
    free(output);
}

int documented_nb(double n, int dense)
{
    int nb = 512;
    if (!dense) {
        const double target = 4.25 * sqrt(n);
        for (int candidate = 512; candidate <= 2048; candidate += 256)
            if (fabs(candidate - target) < fabs(nb - target))
                nb = candidate;
    }
    while (nb > 64 && 4.0 * nb > n)
        nb -= 64;
    return nb;
}
