"""Random guest programs for differential testing (docs/testing.md, "Differential testing").

program(seed) gives the nasm source of one program: a fixed prologue (tests/diff/diffrt.inc's
rt_prologue, then every GPR, EFLAGS and the data segments from the seed), a sequence of blocks,
and rt_dump, which prints the state in one line. The same seed always gives the same text
(random.Random(seed), no other input). Each block is drawn from the kinds in KINDS with its own
random stream, so dropping a block (the minimizer, drop=) changes what follows only through the
machine state the generator tracks, never through the random numbers.

What the generator tracks, so that every block is defined by the SDM whatever came before:
- each data segment's selector, base and whether its limit is 4 GiB (big real mode: the hidden
  part stays across real-mode loads, SDM Vol.3A 20.1.1 / 9.9): every memory access is computed
  to fall inside a scratch area and inside the limit, so no access faults unplanned;
- which arithmetic flags are undefined (the SDM's "Flags Affected" of each instruction): an
  instruction that reads a flag (ADC, Jcc/SETcc/CMOVcc, LAHF, DAA, ...) is preceded by a CMP that
  defines them all when it would read an undefined one, and the dump masks what is still
  undefined at its end.
Nothing reads the TSC; CPUID's registers are kept only where docs/cpuid.md says vmxlab leaves
the CPU's answer (leaf 0; leaf 1 EAX; leaf 80000000H EAX), and overwritten otherwise.
"""
import random

from .diffgen_defs import *  # noqa: F401,F403
from .diffgen_system import SystemBlocks


class Program(SystemBlocks):
    def __init__(self, seed, label, drop=()):
        self.seed, self.label, self.drop = seed, label, set(drop)
        self.out = []
        self.n = 0
        self.undef = 0
        self.bits = 16
        self.pm = False
        self.paging = False
        self.a20_off = False      # the guest's A20 (rt_prologue turns it on)
        self.segs = {}

    # ---- helpers ------------------------------------------------------------------------
    def emit(self, *lines):
        self.out.extend(lines)

    def lab(self):
        self.n += 1
        return "%s_%d" % (self.label, self.n)

    def flags(self, reads=0, defined=0, undefined=0):
        """An instruction that reads `reads` and leaves `defined` defined, `undefined` not."""
        if reads & self.undef:
            self.emit("cmp eax, 0x%x" % 0x1234)  # defines all six
            self.undef = 0
        self.undef = (self.undef & ~defined) | undefined

    def addr_mode(self):
        return 32 if self.bits == 32 else 16

    # ---- memory operands ----------------------------------------------------------------
    def target(self, r, seg, size, apic=False):
        """An offset in seg at which `size` bytes lie in a scratch area (or the APIC's TPR), or None."""
        s = self.segs[seg]
        limit = 0xFFFFFFFF if s.big else 0xFFFF
        choices = []
        if apic and s.big and size == 32:
            return APIC_TPR - s.base
        # with A20 off, LOW also through its alias 1 MiB up (the same bytes: the dump's CRC sees
        # the stores); with A20 on that alias is memory no dump covers, so it is never reached
        for area in (LOW, HIGH) + ((LOW + A20_WRAP,) if self.a20_off else ()):
            lo, hi = max(area, s.base), min(area + SCRATCH, s.base + limit + 1)
            if hi - lo >= 64:
                choices.append((lo, hi))
        if not choices:
            return None
        lo, hi = r.choice(choices)
        return r.randrange(lo, hi - 8) - s.base

    def mem_operand(self, r, seg, off, size, avoid=()):
        """Lines that load address registers and the operand text for seg:off. The address
        registers are taken from the GPRs (clobbered, deterministic), never one in avoid."""
        pre = []
        a32 = off > 0xFFFF or self.bits == 32 or r.random() < 0.3
        seg_txt = "" if seg == "ds" and r.random() < 0.5 else seg + ":"
        if not a32:
            forms = ["disp", "bx", "si", "di", "bp", "bx+si", "bp+di", "bx+di"]
            form = r.choice([f for f in forms if not ("ebp" in avoid and "bp" in f)])
            if form == "disp":
                return pre, "%s [%s0x%x]" % (ptr(size), seg_txt, off)
            regs = form.split("+")
            disp = r.randrange(0, min(off, 0x7F) + 1)
            rest = off - disp
            if len(regs) == 1:
                vals = [rest]
            else:
                a = r.randrange(0, rest + 1)
                vals = [a, rest - a]
            for reg, v in zip(regs, vals):
                pre.append("mov %s, 0x%x" % (reg, v))
            if "bp" in regs and seg == "ds":
                seg_txt = "ds:"
            return pre, "%s [%s%s+0x%x]" % (ptr(size), seg_txt, form, disp)
        form = r.choice(["disp", "base", "base+index"])
        if form == "disp":
            return pre, "%s [%sdword 0x%x]" % (ptr(size), seg_txt, off)
        base, index = r.sample([x for x in ["ebx", "esi", "edi", "ebp", "edx", "ecx"] if x not in avoid], 2)
        disp = r.randrange(0, 0x100) if off >= 0x100 else 0
        rest = off - disp
        if form == "base":
            pre.append("mov %s, 0x%x" % (base, rest))
            if base == "ebp" and seg == "ds":
                seg_txt = "ds:"
            return pre, "%s [%s%s+0x%x]" % (ptr(size), seg_txt, base, disp)
        scale = r.choice([1, 2, 4, 8])
        iv = r.randrange(0, rest // scale + 1) if rest else 0
        pre.append("mov %s, 0x%x" % (index, iv))
        pre.append("mov %s, 0x%x" % (base, rest - iv * scale))
        if base == "ebp" and seg == "ds":
            seg_txt = "ds:"
        return pre, "%s [%s%s+%s*%d+0x%x]" % (ptr(size), seg_txt, base, index, scale, disp)

    def any_mem(self, r, size, apic=False):
        segs = list(DSEGS)
        r.shuffle(segs)
        for seg in segs:
            off = self.target(r, seg, size, apic)
            if off is not None:
                return seg, off
        return None, None

    # ---- arithmetic ---------------------------------------------------------------------
    def alu_one(self, r, avoid=()):
        regs = [x for x in R32 if x not in avoid]
        size = r.choice([8, 16, 32, 32])
        d32, s32 = r.choice(regs), r.choice(regs)
        if size == 8:
            r8 = [x for x in R8 if not any(size_reg(a, 16)[0] == x[0] for a in avoid if a in R32[:4])]
            d, s = r.choice(r8), r.choice(r8)
        else:
            d, s = size_reg(d32, size), size_reg(s32, size)
        k = r.choice(["arith", "arith", "logic", "incdec", "neg", "not", "shift", "rot", "rc", "imul", "mul", "bt",
                      "bsf", "shxd", "mov", "xchg", "movx", "bswap", "lea", "setcc", "cmov", "xadd", "cmpxchg",
                      "bcd", "ascii", "aam", "lahf", "sahf", "cf", "div", "cwd"])
        imm_or_reg = ("0x%x" % imm(r, size)) if r.random() < 0.5 else s
        if k == "arith":
            op = r.choice(["add", "sub", "adc", "sbb", "cmp"])
            self.flags(CF if op in ("adc", "sbb") else 0, ARITH)
            self.emit("%s %s, %s" % (op, d, imm_or_reg))
        elif k == "logic":
            op = r.choice(["and", "or", "xor", "test"])
            self.flags(0, CF | PF | ZF | SF | OF, AF)
            self.emit("%s %s, %s" % (op, d, imm_or_reg))
        elif k == "incdec":
            self.flags(0, OF | SF | ZF | AF | PF)
            self.emit("%s %s" % (r.choice(["inc", "dec"]), d))
        elif k == "neg":
            self.flags(0, ARITH)
            self.emit("neg " + d)
        elif k == "not":
            self.emit("not " + d)
        elif k == "shift":
            op = r.choice(["shl", "shr", "sar", "sal"])
            c = r.randrange(0, 32)
            use_cl = r.random() < 0.4 and "ecx" not in avoid and d[0] != "c" and d not in ("cx", "ecx")
            if use_cl:
                self.emit("mov cl, %d" % (c + 32 * r.randrange(0, 8)))
            m = c & 31
            if m == 1:
                self.flags(0, CF | OF | SF | ZF | PF, AF)
            elif m > 1:
                cf_undef = op in ("shl", "shr", "sal") and m >= size
                self.flags(0, SF | ZF | PF | (0 if cf_undef else CF), OF | AF | (CF if cf_undef else 0))
            self.emit("%s %s, %s" % (op, d, "cl" if use_cl else str(c)))
        elif k == "rot":
            c = r.randrange(1, 32)
            self.flags(0, CF | (OF if c == 1 else 0), 0 if c == 1 else OF)
            self.emit("%s %s, %d" % (r.choice(["rol", "ror"]), d, c))
        elif k == "rc":
            c = r.randrange(1, 8)
            self.flags(CF, CF | (OF if c == 1 else 0), 0 if c == 1 else OF)
            self.emit("%s %s, %d" % (r.choice(["rcl", "rcr"]), d, c))
        elif k == "imul" and size > 8:
            self.flags(0, CF | OF, SF | ZF | AF | PF)
            if r.random() < 0.5:
                self.emit("imul %s, %s" % (d, s))
            else:
                self.emit("imul %s, %s, 0x%x" % (d, s, imm(r, 8)))
        elif k == "mul" and not {"eax", "edx"} & set(avoid):
            self.flags(0, CF | OF, SF | ZF | AF | PF)
            self.emit("%s %s" % (r.choice(["mul", "imul"]), s if size > 8 else r.choice(R8)))
        elif k == "bt" and size > 8:
            self.flags(0, CF, OF | SF | AF | PF)
            self.emit("%s %s, %d" % (r.choice(["bt", "bts", "btr", "btc"]), d, r.randrange(size)))
        elif k == "bsf" and size > 8:
            self.flags(0, CF | PF | ZF | SF | OF, AF)
            self.emit("or %s, 0x%x" % (s, 1 << r.randrange(size)))   # a source that is not 0
            self.flags(0, ZF, CF | OF | SF | AF | PF)
            self.emit("%s %s, %s" % (r.choice(["bsf", "bsr"]), d, s))
        elif k == "shxd" and size > 8:
            c = r.randrange(1, size)
            self.flags(0, CF | SF | ZF | PF | (OF if c == 1 else 0), AF | (0 if c == 1 else OF))
            self.emit("%s %s, %s, %d" % (r.choice(["shld", "shrd"]), d, s, c))
        elif k == "mov":
            self.emit("mov %s, %s" % (d, imm_or_reg))
        elif k == "xchg":
            self.emit("xchg %s, %s" % (d, s))
        elif k == "movx" and size > 8:
            src = r.choice(R8) if r.random() < 0.6 or size == 16 else R16[s32]
            self.emit("%s %s, %s" % (r.choice(["movzx", "movsx"]), d, src))
        elif k == "bswap":
            self.emit("bswap " + d32)
        elif k == "lea" and size > 8:
            b, i = r.choice(R32), r.choice(R32)
            self.emit("lea %s, [%s+%s*%d+0x%x]" % (d, b, i, r.choice([1, 2, 4, 8]), imm(r, 16)))
        elif k == "setcc":
            cc = self.defined_cc(r)
            self.emit("set%s %s" % (cc, d if size == 8 else r.choice(R8)))
        elif k == "cmov" and size > 8:
            cc = self.defined_cc(r)
            self.emit("cmov%s %s, %s" % (cc, d, s))
        elif k == "xadd" and d != s:
            self.flags(0, ARITH)
            self.emit("xadd %s, %s" % (d, s))
        elif k == "cmpxchg" and d != s and "eax" not in avoid:
            self.flags(0, ARITH)
            self.emit("cmpxchg %s, %s" % (d, s))
        elif k == "bcd" and "eax" not in avoid and self.bits == 16:
            self.flags(CF | AF, CF | AF | SF | ZF | PF, OF)
            self.emit(r.choice(["daa", "das"]))
        elif k == "ascii" and "eax" not in avoid and self.bits == 16:
            self.flags(AF, AF | CF, OF | SF | ZF | PF)
            self.emit(r.choice(["aaa", "aas"]))
        elif k == "aam" and "eax" not in avoid and self.bits == 16:
            self.flags(0, SF | ZF | PF, OF | AF | CF)
            self.emit("%s %d" % (r.choice(["aam", "aad"]), r.randrange(1, 256)))
        elif k == "lahf" and "eax" not in avoid:
            self.flags(SF | ZF | AF | PF | CF)
            self.emit("lahf")
        elif k == "sahf":
            self.flags(0, SF | ZF | AF | PF | CF)
            self.emit("sahf")
        elif k == "cf":
            op = r.choice(["clc", "stc", "cmc"])
            self.flags(CF if op == "cmc" else 0, CF)
            self.emit(op)
        elif k == "div" and not {"eax", "edx"} & set(avoid):
            dv = r.choice([x for x in regs if x not in ("eax", "edx")])
            self.emit("xor edx, edx", "mov %s, 0x%x" % (dv, r.randrange(1, 1 << 32)), "div " + dv)
            self.undef = ARITH
        elif k == "cwd" and "eax" not in avoid and "edx" not in avoid:
            self.emit(r.choice(["cbw", "cwde", "cwd", "cdq"]))
        else:
            self.flags(0, ARITH)
            self.emit("add %s, 0x%x" % (d, imm(r, size)))

    def defined_cc(self, r):
        ok = [cc for cc, need in COND.items() if not need & self.undef]
        if not ok:
            self.flags(ARITH)
            ok = list(COND)
        return r.choice(ok)

    # ---- blocks ---------------------------------------------------------------------------
    def b_alu(self, r):
        for _ in range(r.randrange(3, 10)):
            self.alu_one(r)

    def mem_one(self, r, avoid=()):
        size = r.choice([8, 16, 32])
        apic = size == 32 and r.random() < 0.3
        seg, off = self.any_mem(r, size, apic)
        if seg is None and not self.pm:
            self.b_segload(r)
            seg, off = self.any_mem(r, size)
        if seg is None:
            return
        apic = off + self.segs[seg].base == APIC_TPR
        if self.paging and self.segs[seg].big and self.segs[seg].base == 0 and r.random() < 0.4:
            off = APIC_ALIAS if apic else off + RAM_ALIAS      # the same bytes through an alias mapping
        pre, m = self.mem_operand(r, seg, off, size, avoid)
        used = {x.split()[1].rstrip(",") for x in pre}
        regs = [x for x in R32 if x not in avoid and x not in used and R16[x] not in used]
        if size == 8:
            regs = [x for x in regs if x in R32[:4]]
        if not regs:
            return
        self.emit(*pre)
        v32 = r.choice(regs)
        v = size_reg(v32, size)
        if apic:  # the TPR: dword MOV only (SDM Vol.3A 11.4.1: APIC registers, 32-bit aligned accesses)
            if r.random() < 0.5:
                self.emit("mov %s, 0x%x" % (v, r.randrange(256)), "mov %s, %s" % (m, v))
            else:
                self.emit("mov %s, %s" % (v, m))
            return
        k = r.choice(["load", "store", "storeimm", "rmw", "rmwimm", "unary", "xchg", "movx", "pushpop", "shift", "bt",
                      "cmpxchg", "xadd", "setcc", "lxs"])
        if k == "load":
            self.emit("mov %s, %s" % (v, m))
        elif k == "store":
            self.emit("mov %s, %s" % (m, v))
        elif k == "storeimm":
            self.emit("mov %s, 0x%x" % (m, imm(r, size)))
        elif k in ("rmw", "rmwimm"):
            op = r.choice(["add", "sub", "adc", "sbb", "and", "or", "xor", "cmp", "test"])
            if op in ("and", "or", "xor", "test"):
                self.flags(0, CF | PF | ZF | SF | OF, AF)
            else:
                self.flags(CF if op in ("adc", "sbb") else 0, ARITH)
            src = v if k == "rmw" else "0x%x" % imm(r, size)
            if r.random() < 0.5 or op == "test":
                self.emit("%s %s, %s" % (op, m, src))
            else:
                self.emit("%s %s, %s" % (op, v, m))
        elif k == "unary":
            op = r.choice(["inc", "dec", "neg", "not"])
            if op in ("inc", "dec"):
                self.flags(0, OF | SF | ZF | AF | PF)
            elif op == "neg":
                self.flags(0, ARITH)
            self.emit("%s %s" % (op, m))
        elif k == "xchg":
            self.emit("xchg %s, %s" % (m, v))
        elif k == "movx" and size < 32:
            self.emit("%s %s, %s" % (r.choice(["movzx", "movsx"]), v32, m))
        elif k == "pushpop" and size > 8:
            self.emit("push %s" % m, "pop %s" % r.choice(regs if size == 32 else [R16[x] for x in regs]))
        elif k == "shift":
            c = r.randrange(1, 8)
            if r.random() < 0.5:
                self.flags(0, CF | SF | ZF | PF | (OF if c == 1 else 0), AF | (0 if c == 1 else OF))
                self.emit("%s %s, %d" % (r.choice(["shl", "shr", "sar"]), m, c))
            else:
                self.flags(0, CF | (OF if c == 1 else 0), 0 if c == 1 else OF)
                self.emit("%s %s, %d" % (r.choice(["rol", "ror"]), m, c))
        elif k == "bt" and size > 8:
            self.flags(0, CF, OF | SF | AF | PF)
            self.emit("%s %s, %d" % (r.choice(["bt", "bts", "btr", "btc"]), m, r.randrange(size)))
        elif k == "cmpxchg" and v32 != "eax":
            self.flags(0, ARITH)
            self.emit("cmpxchg %s, %s" % (m, v))
        elif k == "xadd":
            self.flags(0, ARITH)
            self.emit("xadd %s, %s" % (m, v))
        elif k == "setcc":
            self.emit("set%s byte%s" % (self.defined_cc(r), m[len(ptr(size)):]))
        elif k == "lxs" and size == 32 and not self.pm:
            # a far pointer written, then loaded: LDS/LES/LFS/LGS set the segment as MOV Sreg does
            seg2 = r.choice(DSEGS)
            val = r.randrange(0x1000, 0x1F01)
            lo = "word" + m[len("dword"):]
            hi = lo[:-1] + "+2]"
            off16 = r.randrange(0, 0x10000)
            self.emit("mov %s, 0x%x" % (lo, off16), "mov %s, 0x%x" % (hi, val),
                      "l%s %s, %s" % (seg2, R16[v32], m[len("dword "):]))
            self.set_real(seg2, val)
        else:
            self.emit("mov %s, %s" % (v, m))

    def b_mem(self, r):
        for _ in range(r.randrange(2, 7)):
            self.mem_one(r)

    def set_real(self, seg, val):
        s = self.segs[seg]
        s.sel, s.base = val, val << 4

    def b_segload(self, r):
        if self.pm:
            return
        for _ in range(r.randrange(1, 4)):
            seg = r.choice(DSEGS)
            if self.segs[seg].big and r.random() < 0.5:
                val = r.randrange(0, 0x2000)          # big: any base below the scratch areas
            else:
                val = r.randrange(0x1000, 0x1F01)     # 64 KiB: a base inside the low scratch
            how = r.random()
            if how < 0.5:
                tmp = r.choice(R32)
                self.emit("mov %s, 0x%x" % (R16[tmp], val), "mov %s, %s" % (seg, R16[tmp]))
            else:
                self.emit("push word 0x%x" % val, "pop " + seg)
            self.set_real(seg, val)

    def string_range(self, r, seg, size, count, down):
        """An offset for a string operand of count elements of size bytes through seg, or None."""
        span = size * count
        s = self.segs[seg]
        limit = 0xFFFFFFFF if s.big else 0xFFFF
        for _ in range(8):
            area = r.choice([LOW, HIGH])
            lo, hi = max(area, s.base), min(area + SCRATCH, s.base + limit + 1)
            if hi - lo < span + 16:
                continue
            start = r.randrange(lo, hi - span)
            off = start - s.base
            return off + span - size if down else off
        return None

    def b_string(self, r):
        op = r.choice(["movs", "stos", "lods", "cmps", "scas", "ins", "outs", "movs", "stos"])
        size = r.choice([1, 2, 4])
        sfx = {1: "b", 2: "w", 4: "d"}[size]
        rep = r.random() < 0.8 or op in ("movs", "stos")
        count = r.randrange(1, 80) if rep else 1
        if op in ("lods", "outs"):
            count = min(count, 8)
        down = r.random() < 0.3
        a32 = self.bits == 32 or r.random() < 0.4
        src_seg = r.choice(DSEGS) if op in ("movs", "lods", "cmps", "outs") else None
        offs = {}
        if src_seg:
            offs["si"] = self.string_range(r, src_seg, size, count, down)
        if op in ("movs", "stos", "cmps", "scas", "ins"):
            offs["di"] = self.string_range(r, "es", size, count, down)
        if any(v is None for v in offs.values()):
            if not self.pm:
                self.b_segload(r)
            return
        if any(v > 0xFFFF for v in offs.values()):
            a32 = True
        self.emit("std" if down else "cld")
        for reg, off in offs.items():
            self.emit("mov %s, 0x%x" % ("e" + reg if a32 else reg, off))
        self.emit("mov %s, %d" % ("ecx" if a32 else "cx", count))
        if op in ("ins", "outs"):
            self.emit("mov dx, 0x%x" % r.choice(UNUSED_PORTS))
        prefix = ""
        if rep:
            prefix = r.choice(["repe ", "repne "]) if op in ("cmps", "scas") else "rep "
        seg_over = src_seg if src_seg and src_seg != "ds" else None
        asz = "a32 " if a32 and self.bits == 16 else ""
        if seg_over:  # the source's segment override, as a prefix byte
            self.emit("db 0x%02x" % {"es": 0x26, "fs": 0x64, "gs": 0x65}[seg_over])
        self.emit("%s%s%s%s" % (asz, prefix, op, sfx))
        if op in ("cmps", "scas"):
            self.flags(0, ARITH)


    # ---- the program ----------------------------------------------------------------------
    def generate(self, nblocks=None):
        r = random.Random(self.seed)
        nblocks = nblocks or r.randrange(4, 14)
        kinds = [r.choice(KINDS) for _ in range(nblocks)]
        self.emit("; program seed=%d: %s" % (self.seed, " ".join(kinds)),
                  "mov esp, DIFF_STACK", "mov dword [cs:rt_seed], 0x%x" % self.seed, "call rt_prologue")
        for reg in R32:
            self.emit("mov %s, 0x%x" % (reg, r.getrandbits(32)))
        self.emit("push dword 0x%x" % (r.getrandbits(32) & POPF_BITS | 2), "popfd")
        for seg in DSEGS:
            val = r.randrange(0x1000, 0x1F01)
            self.emit("push word 0x%x" % val, "pop %s" % seg)
            self.segs[seg] = Seg(val, val << 4, False)
        blocks = [self.out]
        for i, kind in enumerate(kinds):
            if i in self.drop:
                continue
            self.out = ["; block %d: %s" % (i, kind)]
            getattr(self, "b_" + kind)(random.Random(self.seed * 7919 + i))
            blocks.append(self.out)
        self.out = ["mov dword [cs:rt_flmask], 0x%x" % (~self.undef & 0xFFFFFFFF), "call rt_dump"]
        blocks.append(self.out)
        return kinds, "\n".join("\n".join(b) for b in blocks) + "\n"


def program(seed, drop=(), label=None):
    """(block kinds, nasm text) of the program for seed, without the blocks in drop."""
    return Program(seed, label or "p%d" % seed, drop).generate()


ENTRY_ID = 0xFFFFFFFF   # the id of rt_init's line: the entry state (CR0, CR4, EFLAGS.IF/DF)


def guest_source(programs):
    """The whole guest: guest.inc, the runtime, then programs (nasm texts) back to back."""
    out = ["; generated by tools/vmxlab_py/diffgen.py (docs/testing.md, \"Differential testing\")",
           "%define SAVE_ENTRY_STATE", '%include "guest.inc"', '%include "diffrt.inc"', "main:", "call rt_init"]
    out += programs
    out += ['print_com1 "DIFF done %d"' % len(programs), "power_off 0", ""]
    return "\n".join(out)
