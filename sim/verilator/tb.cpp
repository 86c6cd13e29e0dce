// Stream driver for the exported bitlinear_top, run by sim/backends/verilator.py.
//
// Reads a stimulus file (argv[1]): layer shape, w_in and x_in beats as 32-bit hex words, and one
// byte per cycle of stall pattern (bit 0: w_in may be valid, bit 1: x_in may be valid, bit 2:
// acc_out is ready). Drives the streams exactly like the Amaranth harness and writes a trace
// (argv[2]): the first x_in handshake, every acc_out beat with its cycle, the counters and the
// number of cycles acc_out was valid but not ready. The
// scoreboard in Python checks the trace against golden/ in order.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <vector>

#include "Vbitlinear_top.h"
#include "verilated.h"
#include "beats.h"
#if VM_TRACE
#include "verilated_vcd_c.h"
#endif

int main(int argc, char** argv) {
    // Positional arguments; Verilator's own (+verilator+seed+N, ...) go to the context.
    std::vector<char*> args;
    for (int i = 0; i < argc; i++)
        if (argv[i][0] != '+') args.push_back(argv[i]);
    if (args.size() < 3) { fprintf(stderr, "usage: %s STIMULUS TRACE [WAVES.vcd] [+verilator+...]\n", argv[0]); return 2; }
    FILE* in = fopen(args[1], "r");
    if (!in) { perror(args[1]); return 2; }
    long k, n, nw, nx, expected, limit, drain;
    int ww, xw, ow, settle;
    if (fscanf(in, "%ld %ld %ld %d %ld %d %d %ld %ld %ld %d", &k, &n, &nw, &ww, &nx, &xw, &ow,
               &expected, &limit, &drain, &settle) != 11) { fprintf(stderr, "tb: bad header\n"); return 2; }
    std::vector<uint32_t> wb = read_beats(in, nw, ww), xb = read_beats(in, nx, xw);
    fgetc(in);  // the newline before the pattern
    std::vector<uint8_t> pattern(limit);
    if (fread(pattern.data(), 1, limit, in) != static_cast<size_t>(limit)) {
        fprintf(stderr, "tb: short stall pattern\n"); return 2;
    }
    fclose(in);
    FILE* out = fopen(args[2], "w");
    if (!out) { perror(args[2]); return 2; }

    auto context = std::make_unique<VerilatedContext>();
    context->commandArgs(argc, argv);
    auto top = std::make_unique<Vbitlinear_top>(context.get());
#if VM_TRACE
    std::unique_ptr<VerilatedVcdC> vcd;
    if (args.size() > 3) {
        context->traceEverOn(true);
        vcd = std::make_unique<VerilatedVcdC>();
        top->trace(vcd.get(), 99);
        vcd->open(args[3]);
    }
    uint64_t time = 0;
    auto dump = [&]() { if (vcd) vcd->dump(time); time += 5; };
#else
    auto dump = []() {};
#endif
    top->k = k; top->n = n; top->perf___05Fclear = 0;
    top->w_base = 0; top->w_resident = 0;   // one matrix, at the start of the banks
    top->W_VALID = 0; top->X_VALID = 0; top->OUT_READY = 0;
    top->rst = 1; top->clk = 0; top->eval(); dump(); top->clk = 1; top->eval(); dump();
    top->rst = 0;
    for (int i = 0; i < settle; i++) {  // the shape registers take k and n
        top->clk = 0; top->eval(); dump(); top->clk = 1; top->eval(); dump();
    }

    long cycle = 0, wn = 0, xn = 0, received = 0, quiet = 0, held = 0;
    bool timeout = false;
    while (quiet < drain) {
        if (cycle >= limit) { timeout = true; break; }
        const uint8_t p = pattern[cycle];
        const bool wv = wn < nw && (p & 1), xv = xn < nx && (p & 2);
        const bool ready = (p & 4) || received >= expected;
        top->W_VALID = wv;
        if (wv) set_words(top->W_PAYLOAD, &wb[wn * ww], ww);
        top->X_VALID = xv;
        if (xv) set_words(top->X_PAYLOAD, &xb[xn * xw], xw);
        top->OUT_READY = ready;
        top->clk = 0; top->eval(); dump();
        const bool wr = top->W_READY, xr = top->X_READY, ov = top->OUT_VALID;
        if (ov && !ready) held++;
        if (ov && ready) {
            fprintf(out, "B %ld", cycle);
            print_words(out, top->OUT_PAYLOAD, ow);
            fputc('\n', out);
            received++;
        }
        top->clk = 1; top->eval(); dump();
        if (wv && wr) wn++;
        if (xv && xr) { if (xn == 0) fprintf(out, "X %ld\n", cycle); xn++; }
        quiet = received >= expected ? quiet + 1 : 0;
        cycle++;
    }
    fprintf(out, "P %lu %lu %lu\n", static_cast<unsigned long>(top->perf___05Fbusy),
            static_cast<unsigned long>(top->perf___05Fin_stall),
            static_cast<unsigned long>(top->perf___05Fout_stall));
    fprintf(out, "E %ld %ld %ld %ld %d %ld\n", cycle, wn, xn, received, timeout ? 1 : 0, held);
    fclose(out);
    top->final();
    return 0;
}
