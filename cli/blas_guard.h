/*
 * blas_guard.h: a guard against a known defect of the BLAS in use.
 * OpenBLAS before 0.3.23 (Debian 12 ships 0.3.21) has complex gemv kernels
 * for Haswell/Zen that read outside their vectors (upstream OpenBLAS issues
 * 4013 and 5000); LAPACK's complex SVD and QR call them, and a read past a
 * mapped page crashes.  OPENBLAS_CORETYPE=SANDYBRIDGE selects kernels
 * without the defect (valgrind-clean) but slower, so they are
 * applied only to complex runs and only when the user chose no core type.
 */
#ifndef BLRCHOL_BLAS_GUARD_H
#define BLRCHOL_BLAS_GUARD_H

/* Call first thing in main, before MPI_Init: may re-execute the program
 * with OPENBLAS_CORETYPE set (OpenBLAS reads it when it loads). */
void blas_guard_complex(int argc, char **argv);

#endif
