/* print.h - a received message on one line of stdout, for np-feed and
 * np-history. */
#ifndef NP_EXAMPLES_PRINT_H
#define NP_EXAMPLES_PRINT_H

#include <stdbool.h>

#include "np_client.h"

/* Prints m on one line of stdout, as JSON or as text, and flushes stdout. */
void cli_print_msg(const struct np_msg *m, bool json);

#endif
