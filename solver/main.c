#include <stdio.h>
int main(void) { puts("blrchol: not yet"); return 0; }
