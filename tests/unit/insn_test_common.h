/*
 * insn_test_common.h - shared fixtures for the insn_decode unit tests
 * (test_insn_decode.c, test_insn_emulate.c).  Test-only.
 */
#ifndef VMXLAB_TESTS_INSN_TEST_COMMON_H
#define VMXLAB_TESTS_INSN_TEST_COMMON_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "vmx/insn_decode.h"

/* Fixed guest registers used throughout the tests. */
static const uint64_t REGS[8] = {
    [INSN_RAX] = 0x1111111187654321ull,  /* AL=21 AH=43 AX=4321         */
    [INSN_RCX] = 0x22222222cafe0102ull,  /* CL=02 CX=0102               */
    [INSN_RDX] = 0x33333333beef0304ull,  /* DL=04                       */
    [INSN_RBX] = 0x0000000000001000ull,  /* BH=10                       */
    [INSN_RSP] = 0x0000000000007ff0ull,
    [INSN_RBP] = 0x0000000000002000ull,
    [INSN_RSI] = 0x0000000000000010ull,
    [INSN_RDI] = 0x0000000000000300ull,
};

/* Current memory value handed to read-modify-write ops. */
#define OLD 0x8421f0f5u

#define M16 INSN_MODE_16
#define M32 INSN_MODE_32
#define BYTES(...) .bytes = { __VA_ARGS__ }, \
                   .n = sizeof((uint8_t[]){ __VA_ARGS__ })
#define NOREG .reg = -1

#endif /* VMXLAB_TESTS_INSN_TEST_COMMON_H */
