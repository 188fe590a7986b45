/* EXIT_PATH_FN: a function on a VM exit's common path (vmx's dispatcher and its short
 * handlers, apic's APIC-access and APIC-write handlers and the vlapic writes under them)
 * keeps no frame pointer: the push/mov/pop would be 3 of the ~100 instructions of a CPUID
 * exit (docs/performance.md). A backtrace through them skips their frame; the handler it
 * shows is still named. No dependencies, so host-tested files can use it too. */
#ifndef VMX_EXIT_PATH_H
#define VMX_EXIT_PATH_H

#define EXIT_PATH_FN __attribute__((optimize("omit-frame-pointer")))

#endif
