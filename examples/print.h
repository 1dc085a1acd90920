/* print.h - a received message on one line of stdout, for np-feed and
 * np-history. */
#ifndef NP_EXAMPLES_PRINT_H
#define NP_EXAMPLES_PRINT_H

#include <stdbool.h>

#include "np_client.h"

/* Prints m on one line of stdout, as JSON or as text, and flushes stdout. */
void cli_print_msg(const struct np_msg *m, bool json);
/* Writes m's photo (if any) to DIR/<id as 32 hex digits>.jpg|.png|.webp; 0,
 * or -1 after saying why on stderr. */
int cli_save_photo(const char *prog, const struct np_msg *m, const char *dir);
/* Makes dir (0755) unless it exists: 0, or -1 after a usage message. */
int cli_photo_dir(const char *prog, const char *dir);

#endif
