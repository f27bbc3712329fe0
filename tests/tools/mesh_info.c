/*
 * mesh_info: read a mesh with bem_mesh_read and print what it holds, or
 * its error; the memory checker runs it on the malformed-mesh corpus
 * (tests/mpi/test_mesh_solve.c).  Exit 0, or 2 for a refused mesh.
 *   build/mesh_info FILE.msh
 */
#include <stdio.h>

#include "bem/mesh.h"

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: mesh_info FILE.msh\n");
        return 2;
    }
    bem_mesh_t mesh;
    char error[600];
    if (bem_mesh_read(argv[1], &mesh, error, sizeof error) != 0) {
        fprintf(stderr, "%s\n", error);
        return 2;
    }
    double area = 0;
    for (int t = 0; t < mesh.ntriangles; t++)
        area += mesh.areas[t];
    printf("%d triangles, area %.6g, longest edge %.6g, %d other elements\n", mesh.ntriangles, area,
           mesh.diameter_max, mesh.ignored_elements);
    bem_mesh_free(&mesh);
    return 0;
}
