/* idset.h - a set of 16-byte message ids in memory: open addressing, linear
 * probing, grown at half full, deletion by backward shift (no tombstones). The hub keeps the withdrawn announcements in
 * one (history.c), asked at every delivery on np/ann/: a lookup hashes 8
 * bytes and compares a few ids. */
#ifndef NP_IDSET_H
#define NP_IDSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HUB_IDSET_ID_LEN 16

struct hub_idset {
	uint8_t (*slot)[HUB_IDSET_ID_LEN];      /* all zero: empty (the hub refuses zero ids) */
	size_t cap, n;                          /* cap: 0 or a power of two */
};

/* Copies id; 0, or -1 when out of memory (the set is unchanged). An all-zero
 * id is never added (and never found). */
int hub_idset_add(struct hub_idset *s, const uint8_t id[HUB_IDSET_ID_LEN]);
bool hub_idset_has(const struct hub_idset *s, const uint8_t id[HUB_IDSET_ID_LEN]);
/* Removes id: true when it was there. Never allocates (the table keeps its
 * size; hub_idset_clear gives the memory back). */
bool hub_idset_del(struct hub_idset *s, const uint8_t id[HUB_IDSET_ID_LEN]);
/* Empties the set and frees its memory; the set may be used again. */
void hub_idset_clear(struct hub_idset *s);

#endif
