// A BitLinear array kept running between requests, for sim/session.py (resident matrices).
//
// Reads one request a line on stdin, answers on stdout (flushed), and keeps the model's state in
// between, so a matrix loaded by one request is used by later ones. No stalls: every stream moves
// whenever the array lets it, and the Python side checks every cycle against the cycle model.
//
//   S k n base resident       set the shape inputs, clock SETTLE cycles        -> "OK"
//   W beats words + beats lines of `words` hex words (w_in beats)
//                             offer one beat a cycle from cycle 0; run until weights_loaded
//                                                                               -> "L cycle"
//                             (the first cycle on which weights_loaded was high)
//   X beats words expected outwords + beats lines (x_in beats)
//                             clear the counters, then offer one beat a cycle from cycle 0 with
//                             acc_out always ready; run until `expected` beats and DRAIN quiet
//                             cycles              -> "F cycle" (the first x_in handshake),
//                                                    "B cycle w0 w1 ..." per beat, then
//                                                    "E cycles x_taken received timeout busy in_stall out_stall"
//   O kL nL baseL wbeats wwords kR nR baseR xbeats xwords expected outwords + w lines + x lines
//                             a load that overlaps compute: the shape inputs name the load's slot
//                             (resident low) until its first beat is taken on cycle 0, then the
//                             resident matrix R (resident high); x_in is offered from cycle
//                             1 + SETTLE; answers "L cycle", then as X ("F", "B" ..., "E")
//   Q                         quit
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "Vbitlinear_top.h"
#include "verilated.h"
#include "beats.h"

int main(int argc, char** argv) {
    if (argc < 3) { fprintf(stderr, "usage: %s SETTLE DRAIN\n", argv[0]); return 2; }
    const int settle = atoi(argv[1]);
    const long drain = atol(argv[2]);
    auto context = std::make_unique<VerilatedContext>();
    context->commandArgs(argc, argv);
    auto top = std::make_unique<Vbitlinear_top>(context.get());
    auto tick = [&]() { top->clk = 0; top->eval(); top->clk = 1; top->eval(); };
    auto beat = [&](long cycle, int words) {   // an acc_out beat, as "B cycle w0 w1 ..."
        printf("B %ld", cycle);
        print_words(stdout, top->OUT_PAYLOAD, words);
        printf("\n");
    };
    top->W_VALID = 0; top->X_VALID = 0; top->OUT_READY = 1; top->perf___05Fclear = 0;
    top->rst = 1; tick(); top->rst = 0;

    char command[8];
    while (scanf("%7s", command) == 1) {
        if (!strcmp(command, "Q")) break;
        if (!strcmp(command, "S")) {
            long k, n, base, resident;
            if (scanf("%ld %ld %ld %ld", &k, &n, &base, &resident) != 4) return 2;
            top->k = k; top->n = n; top->w_base = base; top->w_resident = resident;
            for (int i = 0; i < settle; i++) tick();
            printf("OK\n");
        } else if (!strcmp(command, "W")) {
            long beats; int words;
            if (scanf("%ld %d", &beats, &words) != 2) return 2;
            std::vector<uint32_t> wb = read_beats(stdin, beats, words);
            long cycle = 0, taken = 0, loaded_at = -1;
            const long limit = 4 * beats + 1000;
            while (cycle < limit) {
                const bool valid = taken < beats;
                top->W_VALID = valid;
                if (valid) set_words(top->W_PAYLOAD, &wb[taken * words], words);
                top->clk = 0; top->eval();
                if (taken == beats && top->weights_loaded) { loaded_at = cycle; break; }
                const bool ready = top->W_READY;
                top->clk = 1; top->eval();
                if (valid && ready) taken++;
                cycle++;
            }
            top->W_VALID = 0;
            printf("L %ld %ld\n", loaded_at, taken);
        } else if (!strcmp(command, "X")) {
            long beats, expected; int words, out_words;
            if (scanf("%ld %d %ld %d", &beats, &words, &expected, &out_words) != 4) return 2;
            std::vector<uint32_t> xb = read_beats(stdin, beats, words);
            top->perf___05Fclear = 1; tick(); top->perf___05Fclear = 0;
            long cycle = 0, taken = 0, received = 0, quiet = 0;
            const long limit = 8 * (beats + expected) + 100000;
            bool timeout = false;
            while (quiet < drain) {
                if (cycle >= limit) { timeout = true; break; }
                const bool valid = taken < beats;
                top->X_VALID = valid;
                if (valid) set_words(top->X_PAYLOAD, &xb[taken * words], words);
                top->OUT_READY = 1;
                top->clk = 0; top->eval();
                const bool ready = top->X_READY;
                if (top->OUT_VALID) { beat(cycle, out_words); received++; }
                top->clk = 1; top->eval();
                if (valid && ready) { if (taken == 0) printf("F %ld\n", cycle); taken++; }
                quiet = received >= expected ? quiet + 1 : 0;
                cycle++;
            }
            top->X_VALID = 0;
            printf("E %ld %ld %ld %d %lu %lu %lu\n", cycle, taken, received, timeout ? 1 : 0,
                   static_cast<unsigned long>(top->perf___05Fbusy),
                   static_cast<unsigned long>(top->perf___05Fin_stall),
                   static_cast<unsigned long>(top->perf___05Fout_stall));
        } else if (!strcmp(command, "O")) {
            long kl, nl, bl, wbeats, kr, nr, br, xbeats, expected; int ww, xw, ow;
            if (scanf("%ld %ld %ld %ld %d %ld %ld %ld %ld %d %ld %d", &kl, &nl, &bl, &wbeats, &ww,
                      &kr, &nr, &br, &xbeats, &xw, &expected, &ow) != 12) return 2;
            std::vector<uint32_t> wb = read_beats(stdin, wbeats, ww), xb = read_beats(stdin, xbeats, xw);
            top->k = kl; top->n = nl; top->w_base = bl; top->w_resident = 0;
            for (int i = 0; i < settle; i++) tick();
            top->perf___05Fclear = 1; tick(); top->perf___05Fclear = 0;
            long cycle = 0, wt = 0, xt = 0, received = 0, quiet = 0, loaded_at = -1, x_from = -1;
            const long limit = 8 * (wbeats + xbeats + expected) + 100000;
            bool timeout = false;
            while (quiet < drain || loaded_at < 0) {
                if (cycle >= limit) { timeout = true; break; }
                if (wt == 1 && x_from < 0) {   // the load has its shape: switch to R
                    top->k = kr; top->n = nr; top->w_base = br; top->w_resident = 1;
                    x_from = cycle + settle;
                }
                const bool wv = wt < wbeats, xv = x_from >= 0 && cycle >= x_from && xt < xbeats;
                top->W_VALID = wv;
                if (wv) set_words(top->W_PAYLOAD, &wb[wt * ww], ww);
                top->X_VALID = xv;
                if (xv) set_words(top->X_PAYLOAD, &xb[xt * xw], xw);
                top->OUT_READY = 1;
                top->clk = 0; top->eval();
                if (loaded_at < 0 && wt == wbeats && top->weights_loaded) loaded_at = cycle;
                const bool wr = top->W_READY, xr = top->X_READY;
                if (top->OUT_VALID) { beat(cycle, ow); received++; }
                top->clk = 1; top->eval();
                if (wv && wr) wt++;
                if (xv && xr) { if (xt == 0) printf("F %ld\n", cycle); xt++; }
                quiet = received >= expected ? quiet + 1 : 0;
                cycle++;
            }
            top->W_VALID = 0; top->X_VALID = 0;
            printf("L %ld %ld\n", loaded_at, wt);
            printf("E %ld %ld %ld %d %lu %lu %lu\n", cycle, xt, received, timeout ? 1 : 0,
                   static_cast<unsigned long>(top->perf___05Fbusy),
                   static_cast<unsigned long>(top->perf___05Fin_stall),
                   static_cast<unsigned long>(top->perf___05Fout_stall));
        } else {
            fprintf(stderr, "session: unknown request %s\n", command);
            return 2;
        }
        fflush(stdout);
    }
    top->final();
    return 0;
}
