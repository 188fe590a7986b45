/* The vmx module's entry points for the boot flow. */
#ifndef VMX_VMX_H
#define VMX_VMX_H

#include "kernel/panic.h"

/* Read and report the VMX capabilities; returns STATUS_OK when vmxlab can run a guest here,
 * else the status to stop with (the reason is logged). */
int vmx_probe(void);

#endif
