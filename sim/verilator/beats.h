// Beats as 32-bit words, shared by the C++ drivers of the exported bitlinear_top (tb.cpp,
// session.cpp): a port of any width set from, or printed as, its words, least significant first.
#pragma once
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "verilated.h"

// Verilator spells the "__" of Amaranth's flattened port names as "___05F".
#define W_VALID w_in___05Fvalid
#define W_READY w_in___05Fready
#define W_PAYLOAD w_in___05Fpayload
#define X_VALID x_in___05Fvalid
#define X_READY x_in___05Fready
#define X_PAYLOAD x_in___05Fpayload
#define OUT_VALID acc_out___05Fvalid
#define OUT_READY acc_out___05Fready
#define OUT_PAYLOAD acc_out___05Fpayload

template <typename T> static void set_words(T& port, const uint32_t* w, int n) {
    uint64_t v = w[0];
    if (n > 1) v |= static_cast<uint64_t>(w[1]) << 32;
    port = static_cast<T>(v);
}
template <std::size_t N> static void set_words(VlWide<N>& port, const uint32_t* w, int n) {
    for (std::size_t i = 0; i < N; i++) port[i] = i < static_cast<std::size_t>(n) ? w[i] : 0;
}
template <typename T> static void print_words(FILE* f, const T& port, int n) {
    uint64_t v = port;
    for (int i = 0; i < n; i++) fprintf(f, " %x", static_cast<uint32_t>(i < 2 ? v >> (32 * i) : 0));
}
template <std::size_t N> static void print_words(FILE* f, const VlWide<N>& port, int n) {
    for (int i = 0; i < n; i++) fprintf(f, " %x", i < static_cast<int>(N) ? port[i] : 0u);
}

// `beats` beats of `words` hex words each, from `f`; exits 2 if they run short.
static std::vector<uint32_t> read_beats(FILE* f, long beats, int words) {
    std::vector<uint32_t> v(static_cast<size_t>(beats) * words);
    for (auto& x : v)
        if (fscanf(f, "%x", &x) != 1) { fprintf(stderr, "driver: short beats\n"); exit(2); }
    return v;
}
