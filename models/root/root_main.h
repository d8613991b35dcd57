/*
 * root_main.h — entry of the root partition's program (root_main.c).
 */
#ifndef MODELS_ROOT_MAIN_H
#define MODELS_ROOT_MAIN_H

#include "models/guest/guest.h"

#include "hvsim/root_boot.h"

void root_main(struct guest *g, const struct root_boot *boot);

#endif /* MODELS_ROOT_MAIN_H */
