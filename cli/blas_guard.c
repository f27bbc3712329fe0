#include "cli/blas_guard.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef HAVE_OPENBLAS_SET_NUM_THREADS
#include <cblas.h>
#endif

static int wants_complex_kernel(int argc, char **argv)
{
    for (int k = 1; k < argc; k++) {
        const char *value = NULL;
        if (!strcmp(argv[k], "--kernel") && k + 1 < argc)
            value = argv[k + 1];
        else if (!strncmp(argv[k], "--kernel=", 9))
            value = argv[k] + 9;
        if (value && (!strcmp(value, "helmholtz") || !strcmp(value, "hermitian")))
            return 1;
    }
    return 0;
}

/* "OpenBLAS 0.3.21 ..." -> 1 when older than 0.3.23. */
static int openblas_has_gemv_defect(void)
{
#ifdef HAVE_OPENBLAS_SET_NUM_THREADS
    int major, minor, patch;
    const char *config = openblas_get_config();
    if (config && sscanf(config, "OpenBLAS %d.%d.%d", &major, &minor, &patch) == 3)
        return major == 0 && (minor < 3 || (minor == 3 && patch < 23));
#endif
    return 0;
}

void blas_guard_complex(int argc, char **argv)
{
    if (getenv("OPENBLAS_CORETYPE") || !wants_complex_kernel(argc, argv) || !openblas_has_gemv_defect())
        return;
    setenv("OPENBLAS_CORETYPE", "SANDYBRIDGE", 1);
    execv("/proc/self/exe", argv);
    /* exec failed: go on with the defect rather than not at all. */
    unsetenv("OPENBLAS_CORETYPE");
}
