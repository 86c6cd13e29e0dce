// The virtual board: the exported board_top (UART, protocol engine, clock crossings, array) under
// Verilator, its UART pins wired to a pseudo-terminal. Run by sim/virtual_board.py.
//
// argv: LINK_PERIOD_PS ARRAY_PERIOD_PS DIVISOR [STATS]. It prints the pty's path on stdout, then runs the
// two clocks with their real periods and turns pty bytes into 8N1 frames on rx (DIVISOR link
// cycles a bit) and 8N1 frames on tx back into pty bytes. While nothing moves on the line for a
// long time (longer than the device's own frame timeout) it waits for the host instead of
// spinning (simulated time stands still meanwhile, so it counts what a board would spend). On
// SIGINT/SIGTERM it stops and writes the link cycles simulated and the bytes each way to STATS.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <termios.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <deque>
#include <memory>

#include "Vboard_top.h"
#include "verilated.h"

static volatile sig_atomic_t stop = 0;
static void on_signal(int) { stop = 1; }

struct UartOut {  // host -> device: bytes from the pty as levels on rx
    std::deque<uint8_t> queue;
    int bit = -1;          // -1 idle, 0 start, 1..8 data, 9 stop
    int count = 0;
    uint8_t byte = 0;
    int level() const {
        if (bit < 0) return 1;
        if (bit == 0) return 0;
        if (bit <= 8) return (byte >> (bit - 1)) & 1;
        return 1;
    }
    bool idle() const { return bit < 0 && queue.empty(); }
    void tick(int divisor) {  // one link cycle
        if (bit < 0) {
            if (queue.empty()) return;
            byte = queue.front(); queue.pop_front(); bit = 0; count = 0;
            return;
        }
        if (++count == divisor) { count = 0; if (++bit == 10) bit = -1; }
    }
};

struct UartIn {  // device -> host: levels on tx as bytes
    int bit = -1;          // -1 waiting for a start bit
    int count = 0;
    uint8_t byte = 0;
    bool idle() const { return bit < 0; }
    // one link cycle with tx at ``level``; returns a byte (0..255) or -1
    int tick(int level, int divisor) {
        if (bit < 0) {
            if (level == 0) { bit = 0; count = divisor / 2; }   // middle of the start bit
            return -1;
        }
        if (--count > 0) return -1;
        count = divisor;
        if (bit == 0) { bit = level == 0 ? 1 : -1; return -1; }
        if (bit <= 8) { byte |= level << (bit - 1); bit++; return -1; }
        int out = level == 1 ? byte : -1;                        // the stop bit
        bit = -1; byte = 0;
        return out;
    }
};

int main(int argc, char** argv) {
    if (argc < 4) { fprintf(stderr, "usage: %s LINK_PS ARRAY_PS DIVISOR [STATS]\n", argv[0]); return 2; }
    const uint64_t link_half = strtoull(argv[1], nullptr, 10) / 2;
    const uint64_t array_half = strtoull(argv[2], nullptr, 10) / 2;
    const int divisor = atoi(argv[3]);
    // quiet this long (link cycles) before waiting for the host: well past the frame timeout
    const uint64_t settle = static_cast<uint64_t>(divisor) * 10 * 256;

    int master = posix_openpt(O_RDWR | O_NOCTTY);
    if (master < 0 || grantpt(master) || unlockpt(master)) { perror("pty"); return 2; }
    struct termios raw;
    tcgetattr(master, &raw);
    cfmakeraw(&raw);
    tcsetattr(master, TCSANOW, &raw);
    fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);

    auto context = std::make_unique<VerilatedContext>();
    auto top = std::make_unique<Vboard_top>(context.get());
    UartOut to_device;
    UartIn from_device;
    top->rx = 1; top->rst = 1; top->array_rst = 1; top->clk = 0; top->array_clk = 0;
    top->eval();

    uint64_t now = 0, next_link = link_half, next_array = array_half, link_cycles = 0;
    uint64_t quiet = 0, bytes_in = 0, bytes_out = 0;
    uint8_t buffer[4096];
    while (!stop) {
        bool waiting = quiet > settle && to_device.idle() && from_device.idle() && !top->busy;
        if (waiting) {                    // nothing is happening: wait for the host
            struct pollfd wait = {master, POLLIN, 0};
            poll(&wait, 1, 20);
            if (wait.revents & POLLHUP) usleep(20000);
        }
        if ((waiting || link_cycles % 64 == 0) && to_device.queue.size() < 4096) {
            ssize_t got = read(master, buffer, sizeof buffer);
            for (ssize_t i = 0; i < got; i++) to_device.queue.push_back(buffer[i]);
            if (got > 0) { bytes_in += got; quiet = 0; }
        }
        if (waiting && to_device.idle()) continue;
        bool link_edge = next_link <= next_array;
        now = link_edge ? next_link : next_array;
        if (link_edge) {
            top->clk = !top->clk;
            next_link += link_half;
        } else {
            top->array_clk = !top->array_clk;
            next_array += array_half;
        }
        top->eval();
        if (link_edge && top->clk) {   // one rising edge of the link clock
            link_cycles++;
            if (link_cycles == 16) { top->rst = 0; top->array_rst = 0; }
            if (link_cycles == 64) {   // out of reset: now the host may talk
                printf("%s\n", ptsname(master));
                fflush(stdout);
            }
            int byte = from_device.tick(top->tx, divisor);
            if (byte >= 0) {
                uint8_t b = static_cast<uint8_t>(byte);
                while (write(master, &b, 1) < 0 && !stop) usleep(100);
                bytes_out++;
            }
            to_device.tick(divisor);
            top->rx = to_device.level();
            bool moving = !to_device.idle() || !from_device.idle() || top->busy;
            quiet = moving ? 0 : quiet + 1;
        }
    }
    top->final();
    close(master);
    if (argc > 4) {
        FILE* stats = fopen(argv[4], "w");
        if (stats) {
            fprintf(stats, "{\"link_cycles\": %llu, \"bytes_to_device\": %llu, \"bytes_from_device\": %llu}\n",
                    (unsigned long long)link_cycles, (unsigned long long)bytes_in,
                    (unsigned long long)bytes_out);
            fclose(stats);
        }
    }
    (void)now;
    return 0;
}
