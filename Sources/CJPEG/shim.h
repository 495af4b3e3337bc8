// jpeglib.h needs <stdio.h> (FILE, size_t) before it.
#include <stddef.h>
#include <stdio.h>
#include <jpeglib.h>
