/* hub_client.h - np-admin --hub: the commands over MQTT (hub_client.c). */
#ifndef NP_ADMIN_HUB_CLIENT_H
#define NP_ADMIN_HUB_CLIENT_H

#include "admin.h"

/* argv[0] is the program; the global options (--hub, -u, --cafile,
 * --timeout) come first, then the command. Returns np-admin's exit status. */
int admin_hub_main(int argc, char **argv);

#endif
