// Platform-Level Interrupt Controller: routes device interrupts to harts.
#pragma once

#include "lib/types.h"

void plic_init();       // once: device priorities
void plic_init_hart();  // each hart: enable our devices for its S-mode context
u32 plic_claim();       // the pending interrupt's source, 0 if none
void plic_complete(u32 irq);
