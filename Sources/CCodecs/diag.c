#include <stdlib.h>
#include <string.h>

#include "internal.h"

void ccodecs_diag_reset(ccodecs_diag_t *diag) {
    memset(diag, 0, sizeof *diag);
}

void ccodecs_diag_error(ccodecs_diag_t *diag, const char *message) {
    if (diag->message[0] != '\0') return;
    strncpy(diag->message, message, sizeof diag->message - 1);
}

void ccodecs_diag_warn(ccodecs_diag_t *diag, const char *message) {
    diag->warning_count++;
    size_t used = strlen(diag->warnings);
    size_t needed = strlen(message) + (used > 0 ? 1 : 0);
    if (used + needed >= sizeof diag->warnings) return;
    if (used > 0) diag->warnings[used++] = '\n';
    memcpy(diag->warnings + used, message, strlen(message) + 1);
}

void ccodecs_free(void *pointer) {
    free(pointer);
}
