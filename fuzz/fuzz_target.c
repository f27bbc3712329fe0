/*
 * fuzz_target.c: the libFuzzer target of one parser, named at compile time
 * (-DFUZZ_ENTRY=fuzz_mesh, ...; see fuzz/entry_points.h).  A broken
 * contract traps, so that libFuzzer records the input as a crash.
 */
#include "fuzz/entry_points.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (FUZZ_ENTRY(data, size) == FUZZ_BROKEN)
        __builtin_trap();
    return 0;
}
