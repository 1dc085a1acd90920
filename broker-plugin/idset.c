/* idset.c - see idset.h. The ids are UUIDv7-like (a clock, then random
 * bytes) or SHA-256 cuts (CAP imports): the last 8 bytes, mixed by a
 * multiplication, spread well enough for a power-of-two table. */
#include <stdlib.h>
#include <string.h>

#include "idset.h"

static const uint8_t zero[HUB_IDSET_ID_LEN];

static size_t
home(const uint8_t id[HUB_IDSET_ID_LEN], size_t cap)
{
	uint64_t h = 0;
	int i;

	for (i = 0; i < HUB_IDSET_ID_LEN; i++)
		h = (h ^ id[i]) * 0x100000001b3ull;     /* FNV-1a, 64 bits */
	return (size_t)(h ^ (h >> 29)) & (cap - 1);
}

static void
put(uint8_t (*slot)[HUB_IDSET_ID_LEN], size_t cap, const uint8_t id[HUB_IDSET_ID_LEN])
{
	size_t i = home(id, cap);

	while (memcmp(slot[i], zero, HUB_IDSET_ID_LEN) != 0) {
		if (memcmp(slot[i], id, HUB_IDSET_ID_LEN) == 0)
			return;
		i = (i + 1) & (cap - 1);
	}
	memcpy(slot[i], id, HUB_IDSET_ID_LEN);
}

static int
grow(struct hub_idset *s)
{
	size_t cap = s->cap ? s->cap * 2 : 64, i;
	uint8_t (*slot)[HUB_IDSET_ID_LEN] = calloc(cap, HUB_IDSET_ID_LEN);

	if (slot == NULL)
		return -1;
	for (i = 0; i < s->cap; i++) {
		if (memcmp(s->slot[i], zero, HUB_IDSET_ID_LEN) != 0)
			put(slot, cap, s->slot[i]);
	}
	free(s->slot);
	s->slot = slot;
	s->cap = cap;
	return 0;
}

bool
hub_idset_has(const struct hub_idset *s, const uint8_t id[HUB_IDSET_ID_LEN])
{
	size_t i;

	if (s->n == 0 || memcmp(id, zero, HUB_IDSET_ID_LEN) == 0)
		return false;
	for (i = home(id, s->cap); memcmp(s->slot[i], zero, HUB_IDSET_ID_LEN) != 0;
	     i = (i + 1) & (s->cap - 1)) {
		if (memcmp(s->slot[i], id, HUB_IDSET_ID_LEN) == 0)
			return true;
	}
	return false;
}

int
hub_idset_add(struct hub_idset *s, const uint8_t id[HUB_IDSET_ID_LEN])
{
	if (memcmp(id, zero, HUB_IDSET_ID_LEN) == 0 || hub_idset_has(s, id))
		return 0;
	if ((s->n + 1) * 2 > s->cap && grow(s) != 0)
		return -1;
	put(s->slot, s->cap, id);
	s->n++;
	return 0;
}

/* true when home k lies cyclically in (i, j]: an id there may stay at j
 * when slot i empties, since its probe from k reaches j without passing i. */
static bool
between(size_t i, size_t k, size_t j)
{
	return i <= j ? (i < k && k <= j) : (i < k || k <= j);
}

bool
hub_idset_del(struct hub_idset *s, const uint8_t id[HUB_IDSET_ID_LEN])
{
	size_t i, j;

	if (!hub_idset_has(s, id))
		return false;
	for (i = home(id, s->cap); memcmp(s->slot[i], id, HUB_IDSET_ID_LEN) != 0;
	     i = (i + 1) & (s->cap - 1))
		;
	/* shift back every later id of the run whose probe would pass the hole */
	for (j = (i + 1) & (s->cap - 1); memcmp(s->slot[j], zero, HUB_IDSET_ID_LEN) != 0;
	     j = (j + 1) & (s->cap - 1)) {
		if (between(i, home(s->slot[j], s->cap), j))
			continue;
		memcpy(s->slot[i], s->slot[j], HUB_IDSET_ID_LEN);
		i = j;
	}
	memset(s->slot[i], 0, HUB_IDSET_ID_LEN);
	s->n--;
	return true;
}

void
hub_idset_clear(struct hub_idset *s)
{
	free(s->slot);
	s->slot = NULL;
	s->cap = s->n = 0;
}
