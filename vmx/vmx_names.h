/*
 * vmx_names.h - SDM names for the numbers a hypervisor prints: basic exit
 * reasons (Appendix C), VM-instruction errors (30.4, Table 30-1) and the bits
 * of the five VMX control fields (24.6-24.8).
 *
 * All functions return static strings and never NULL, except vmx_control_name,
 * which returns NULL for a reserved (unnamed) control bit.
 */
#ifndef VMX_NAMES_H
#define VMX_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "vmx/vmx_defs.h"

/* SDM name of a basic exit reason ("INIT signal", "EPT violation"). Bits 31:16
 * of the exit-reason field are ignored, so the raw field can be passed.
 * Unused or unknown numbers give "unknown exit reason". */
const char *vmx_exit_reason_name(uint32_t exit_reason);

/* SDM section(s) describing the cause and handling of a basic exit reason,
 * e.g. "29.4.3.3 (APIC-write VM exits)"; "" when unknown. */
const char *vmx_exit_reason_section(uint32_t exit_reason);

/* True if the basic exit reason is one of the numbers Table C-1 names. */
bool vmx_exit_reason_known(uint32_t exit_reason);

/* SDM text of a VM-instruction error number (30.4, Table 30-1);
 * "reserved VM-instruction error number" for 0, 14, 21, 27 and above 28. */
const char *vmx_instruction_error_text(uint32_t error);

/* SDM name of control bit `bit` (0..31) of a control field, e.g.
 * vmx_control_name(VMX_CTL_PROC2, 0) = "virtualize APIC accesses".
 * NULL for reserved bits (including the default1 class) and bad arguments. */
const char *vmx_control_name(enum vmx_ctl ctl, unsigned bit);

/* SDM name of IA32_FEATURE_CONTROL (0x3A) or a VMX capability MSR (0x480-0x491, Vol.3D
 * Appendix A), e.g. "IA32_VMX_BASIC": the MSRs vmxlab refuses because it hides VMX. NULL for
 * any other MSR. */
const char *vmx_msr_name(uint32_t msr);

/* "pin-based VM-execution controls", ... ; "?" for a bad value. */
const char *vmx_control_field_name(enum vmx_ctl ctl);

#endif /* VMX_NAMES_H */
