// Gowin block RAM for gate-level simulation of synth_gowin netlists (sim.backends.netlist).
//
// yosys's share/gowin/cells_sim.v models the logic (LUT*, ALU, DFF*, MUX2_*, RAM16SDP*, IBUF,
// OBUF, ...) but has the BSRAM only as blackboxes (cells_xtra_gw1n.v). These behavioural models
// of the blocks yosys maps memories to (SDPB/SDPX9B semi-dual-port, DPB/DPX9B dual-port) follow
// what yosys's mapping (share/gowin/brams_map.v, brams.txt) assumes, checked against the RTL by
// the netlist tests, not against silicon: the X9 blocks hold 2048 bytes of 9 bits, the others
// 2048 of 8; a port BIT_WIDTH bits wide addresses AD[13:log2(width)] (9 counts as 8, 18 as 16,
// 36 as 32); at 16/18 bits AD[1:0] and at 32/36 bits AD[3:0] are byte write enables; a port
// reads mem[AD] into its DO at the clock edge (READ_MODE 0, bypass: one cycle of latency) and, on
// a write, leaves DO alone (WRITE_MODE 0), shows the new data (1) or the old (2); a port is
// selected when BLKSEL equals its BLK_SEL; RESET zeroes DO (RESET_MODE SYNC at the edge, ASYNC
// at once). SDP: port A (CEA) writes, port B reads. READ_MODE 1 (the output register) is not
// modelled: a design that gets it stops at its first cycle with a message. The single-port
// blocks (SP, SPX9) are not modelled: the netlist backend refuses a netlist that has them.

module __bitnet_gowin_bram(CLKA, CEA, WREA, RESETA, ADA, BLKSELA, DIA, DOA,
                           CLKB, CEB, WREB, RESETB, ADB, BLKSELB, DIB, DOB);
    parameter BYTE = 9;
    parameter NAME = "SDPX9B";
    parameter READ_MODE_A = 0;
    parameter READ_MODE_B = 0;
    parameter WRITE_MODE_A = 0;
    parameter WRITE_MODE_B = 0;
    parameter WIDTH_A = 4 * BYTE;
    parameter WIDTH_B = 4 * BYTE;
    parameter MAX_WIDTH = 4 * BYTE;
    parameter BLK_SEL_A = 3'b000;
    parameter BLK_SEL_B = 3'b000;
    parameter RESET_MODE = "SYNC";
    parameter [64 * 32 * BYTE - 1:0] INIT = 0;
    localparam DATA = 4 * BYTE;
    input CLKA, CEA, WREA, RESETA, CLKB, CEB, WREB, RESETB;
    input [13:0] ADA, ADB;
    input [2:0] BLKSELA, BLKSELB;
    input [DATA - 1:0] DIA, DIB;
    output reg [DATA - 1:0] DOA = 0, DOB = 0;

    reg [BYTE - 1:0] mem [0:2047];
    integer i;
    initial begin
        if (READ_MODE_A != 0 || READ_MODE_B != 0 || !legal(WIDTH_A) || !legal(WIDTH_B)
                || WRITE_MODE_A > 2 || WRITE_MODE_B > 2) begin
            $display("%s model: READ_MODE %0d/%0d, WRITE_MODE %0d/%0d, BIT_WIDTH %0d/%0d is not modelled (READ_MODE 0, WRITE_MODE 0-2 and widths up to %0d of %s are)", NAME, READ_MODE_A, READ_MODE_B, WRITE_MODE_A, WRITE_MODE_B, WIDTH_A, WIDTH_B, MAX_WIDTH, BYTE == 9 ? "9/18/36" : "1/2/4/8/16/32");
            $fatal;
        end
        for (i = 0; i < 2048; i = i + 1) mem[i] = INIT[i * BYTE +: BYTE];
    end

    function legal(input integer width);
        legal = width <= MAX_WIDTH && (BYTE == 9 ? (width == 9 || width == 18 || width == 36)
                                                 : (width == 1 || width == 2 || width == 4
                                                    || width == 8 || width == 16 || width == 32));
    endfunction

    // log2 of the bits a port moves at once, counting a byte as 8
    function integer shift(input integer width);
        shift = width >= 32 ? 5 : width >= 16 ? 4 : width >= 8 ? 3 : width == 4 ? 2 : width == 2 ? 1 : 0;
    endfunction

    // A port of ``width`` bits: bytes (width >= 8) or a part of one byte (1, 2, 4) at ``address``.
    function [DATA - 1:0] read_at(input integer width, input [13:0] address);
        integer b, first;
        begin
            read_at = 0;
            if (width >= 8) begin
                first = (address >> shift(width)) * (width / BYTE);
                for (b = 0; b < width / BYTE; b = b + 1) read_at[b * BYTE +: BYTE] = mem[first + b];
            end else begin
                read_at[7:0] = mem[address >> 3] >> (address[2:0] & ~((1 << shift(width)) - 1));
                read_at = read_at & ((1 << width) - 1);
            end
        end
    endfunction

    // Nonblocking writes of ``data`` at ``address``: every enabled byte, or part of one byte.
    task write_at(input integer width, input [13:0] address, input [DATA - 1:0] data);
        integer b, first, offset;
        begin
            if (width >= 8) begin
                first = (address >> shift(width)) * (width / BYTE);
                for (b = 0; b < width / BYTE; b = b + 1)
                    if (width < 16 || address[b]) mem[first + b] <= data[b * BYTE +: BYTE];
            end else begin
                offset = address[2:0] & ~((1 << shift(width)) - 1);
                for (b = 0; b < width; b = b + 1) mem[address >> 3][offset + b] <= data[b];
            end
        end
    endtask

    wire select_a = CEA && BLKSELA == BLK_SEL_A;
    wire reset_a_async = RESET_MODE == "ASYNC" ? RESETA : 1'b0;
    always @(posedge CLKA or posedge reset_a_async) begin
        if (RESETA) begin
            DOA <= 0;
        end else if (select_a) begin
            if (WREA) begin
                write_at(WIDTH_A, ADA, DIA);
                if (WRITE_MODE_A == 1) DOA <= DIA & ((1 << WIDTH_A) - 1);
                else if (WRITE_MODE_A == 2) DOA <= read_at(WIDTH_A, ADA);
            end else begin
                DOA <= read_at(WIDTH_A, ADA);
            end
        end
    end

    wire select_b = CEB && BLKSELB == BLK_SEL_B;
    wire reset_b_async = RESET_MODE == "ASYNC" ? RESETB : 1'b0;
    always @(posedge CLKB or posedge reset_b_async) begin
        if (RESETB) begin
            DOB <= 0;
        end else if (select_b) begin
            if (WREB) begin
                write_at(WIDTH_B, ADB, DIB);
                if (WRITE_MODE_B == 1) DOB <= DIB & ((1 << WIDTH_B) - 1);
                else if (WRITE_MODE_B == 2) DOB <= read_at(WIDTH_B, ADB);
            end else begin
                DOB <= read_at(WIDTH_B, ADB);
            end
        end
    end
endmodule

module SDPX9B(CLKA, CEA, CLKB, CEB, OCE, RESETA, RESETB, ADA, ADB, BLKSELA, BLKSELB, DI, DO);
    input CLKA, CEA, CLKB, CEB, OCE, RESETA, RESETB;
    input [13:0] ADA, ADB;
    input [2:0] BLKSELA, BLKSELB;
    input [35:0] DI;
    output [35:0] DO;
    parameter READ_MODE = 1'b0;
    parameter BIT_WIDTH_0 = 36;
    parameter BIT_WIDTH_1 = 36;
    parameter BLK_SEL_0 = 3'b000;
    parameter BLK_SEL_1 = 3'b000;
    parameter RESET_MODE = "SYNC";
    parameter INIT_RAM_00 = 288'h0;
    parameter INIT_RAM_01 = 288'h0;
    parameter INIT_RAM_02 = 288'h0;
    parameter INIT_RAM_03 = 288'h0;
    parameter INIT_RAM_04 = 288'h0;
    parameter INIT_RAM_05 = 288'h0;
    parameter INIT_RAM_06 = 288'h0;
    parameter INIT_RAM_07 = 288'h0;
    parameter INIT_RAM_08 = 288'h0;
    parameter INIT_RAM_09 = 288'h0;
    parameter INIT_RAM_0A = 288'h0;
    parameter INIT_RAM_0B = 288'h0;
    parameter INIT_RAM_0C = 288'h0;
    parameter INIT_RAM_0D = 288'h0;
    parameter INIT_RAM_0E = 288'h0;
    parameter INIT_RAM_0F = 288'h0;
    parameter INIT_RAM_10 = 288'h0;
    parameter INIT_RAM_11 = 288'h0;
    parameter INIT_RAM_12 = 288'h0;
    parameter INIT_RAM_13 = 288'h0;
    parameter INIT_RAM_14 = 288'h0;
    parameter INIT_RAM_15 = 288'h0;
    parameter INIT_RAM_16 = 288'h0;
    parameter INIT_RAM_17 = 288'h0;
    parameter INIT_RAM_18 = 288'h0;
    parameter INIT_RAM_19 = 288'h0;
    parameter INIT_RAM_1A = 288'h0;
    parameter INIT_RAM_1B = 288'h0;
    parameter INIT_RAM_1C = 288'h0;
    parameter INIT_RAM_1D = 288'h0;
    parameter INIT_RAM_1E = 288'h0;
    parameter INIT_RAM_1F = 288'h0;
    parameter INIT_RAM_20 = 288'h0;
    parameter INIT_RAM_21 = 288'h0;
    parameter INIT_RAM_22 = 288'h0;
    parameter INIT_RAM_23 = 288'h0;
    parameter INIT_RAM_24 = 288'h0;
    parameter INIT_RAM_25 = 288'h0;
    parameter INIT_RAM_26 = 288'h0;
    parameter INIT_RAM_27 = 288'h0;
    parameter INIT_RAM_28 = 288'h0;
    parameter INIT_RAM_29 = 288'h0;
    parameter INIT_RAM_2A = 288'h0;
    parameter INIT_RAM_2B = 288'h0;
    parameter INIT_RAM_2C = 288'h0;
    parameter INIT_RAM_2D = 288'h0;
    parameter INIT_RAM_2E = 288'h0;
    parameter INIT_RAM_2F = 288'h0;
    parameter INIT_RAM_30 = 288'h0;
    parameter INIT_RAM_31 = 288'h0;
    parameter INIT_RAM_32 = 288'h0;
    parameter INIT_RAM_33 = 288'h0;
    parameter INIT_RAM_34 = 288'h0;
    parameter INIT_RAM_35 = 288'h0;
    parameter INIT_RAM_36 = 288'h0;
    parameter INIT_RAM_37 = 288'h0;
    parameter INIT_RAM_38 = 288'h0;
    parameter INIT_RAM_39 = 288'h0;
    parameter INIT_RAM_3A = 288'h0;
    parameter INIT_RAM_3B = 288'h0;
    parameter INIT_RAM_3C = 288'h0;
    parameter INIT_RAM_3D = 288'h0;
    parameter INIT_RAM_3E = 288'h0;
    parameter INIT_RAM_3F = 288'h0;
    // port A only writes (CEA is its write enable), port B only reads
    __bitnet_gowin_bram #(.BYTE(9), .NAME("SDPX9B"), .READ_MODE_A(0), .READ_MODE_B(READ_MODE),
        .WIDTH_A(BIT_WIDTH_0), .WIDTH_B(BIT_WIDTH_1), .BLK_SEL_A(BLK_SEL_0), .BLK_SEL_B(BLK_SEL_1),
        .RESET_MODE(RESET_MODE), .INIT({INIT_RAM_3F, INIT_RAM_3E, INIT_RAM_3D, INIT_RAM_3C, INIT_RAM_3B, INIT_RAM_3A, INIT_RAM_39, INIT_RAM_38, INIT_RAM_37, INIT_RAM_36, INIT_RAM_35, INIT_RAM_34, INIT_RAM_33, INIT_RAM_32, INIT_RAM_31, INIT_RAM_30, INIT_RAM_2F, INIT_RAM_2E, INIT_RAM_2D, INIT_RAM_2C, INIT_RAM_2B, INIT_RAM_2A, INIT_RAM_29, INIT_RAM_28, INIT_RAM_27, INIT_RAM_26, INIT_RAM_25, INIT_RAM_24, INIT_RAM_23, INIT_RAM_22, INIT_RAM_21, INIT_RAM_20, INIT_RAM_1F, INIT_RAM_1E, INIT_RAM_1D, INIT_RAM_1C, INIT_RAM_1B, INIT_RAM_1A, INIT_RAM_19, INIT_RAM_18, INIT_RAM_17, INIT_RAM_16, INIT_RAM_15, INIT_RAM_14, INIT_RAM_13, INIT_RAM_12, INIT_RAM_11, INIT_RAM_10, INIT_RAM_0F, INIT_RAM_0E, INIT_RAM_0D, INIT_RAM_0C, INIT_RAM_0B, INIT_RAM_0A, INIT_RAM_09, INIT_RAM_08, INIT_RAM_07, INIT_RAM_06, INIT_RAM_05, INIT_RAM_04, INIT_RAM_03, INIT_RAM_02, INIT_RAM_01, INIT_RAM_00}))
        core (.CLKA(CLKA), .CEA(CEA), .WREA(1'b1), .RESETA(1'b0), .ADA(ADA), .BLKSELA(BLKSELA),
              .DIA(DI), .DOA(),
              .CLKB(CLKB), .CEB(CEB), .WREB(1'b0), .RESETB(RESETB), .ADB(ADB), .BLKSELB(BLKSELB),
              .DIB({36{1'b0}}), .DOB(DO));
endmodule

module SDPB(CLKA, CEA, CLKB, CEB, OCE, RESETA, RESETB, ADA, ADB, BLKSELA, BLKSELB, DI, DO);
    input CLKA, CEA, CLKB, CEB, OCE, RESETA, RESETB;
    input [13:0] ADA, ADB;
    input [2:0] BLKSELA, BLKSELB;
    input [31:0] DI;
    output [31:0] DO;
    parameter READ_MODE = 1'b0;
    parameter BIT_WIDTH_0 = 32;
    parameter BIT_WIDTH_1 = 32;
    parameter BLK_SEL_0 = 3'b000;
    parameter BLK_SEL_1 = 3'b000;
    parameter RESET_MODE = "SYNC";
    parameter INIT_RAM_00 = 256'h0;
    parameter INIT_RAM_01 = 256'h0;
    parameter INIT_RAM_02 = 256'h0;
    parameter INIT_RAM_03 = 256'h0;
    parameter INIT_RAM_04 = 256'h0;
    parameter INIT_RAM_05 = 256'h0;
    parameter INIT_RAM_06 = 256'h0;
    parameter INIT_RAM_07 = 256'h0;
    parameter INIT_RAM_08 = 256'h0;
    parameter INIT_RAM_09 = 256'h0;
    parameter INIT_RAM_0A = 256'h0;
    parameter INIT_RAM_0B = 256'h0;
    parameter INIT_RAM_0C = 256'h0;
    parameter INIT_RAM_0D = 256'h0;
    parameter INIT_RAM_0E = 256'h0;
    parameter INIT_RAM_0F = 256'h0;
    parameter INIT_RAM_10 = 256'h0;
    parameter INIT_RAM_11 = 256'h0;
    parameter INIT_RAM_12 = 256'h0;
    parameter INIT_RAM_13 = 256'h0;
    parameter INIT_RAM_14 = 256'h0;
    parameter INIT_RAM_15 = 256'h0;
    parameter INIT_RAM_16 = 256'h0;
    parameter INIT_RAM_17 = 256'h0;
    parameter INIT_RAM_18 = 256'h0;
    parameter INIT_RAM_19 = 256'h0;
    parameter INIT_RAM_1A = 256'h0;
    parameter INIT_RAM_1B = 256'h0;
    parameter INIT_RAM_1C = 256'h0;
    parameter INIT_RAM_1D = 256'h0;
    parameter INIT_RAM_1E = 256'h0;
    parameter INIT_RAM_1F = 256'h0;
    parameter INIT_RAM_20 = 256'h0;
    parameter INIT_RAM_21 = 256'h0;
    parameter INIT_RAM_22 = 256'h0;
    parameter INIT_RAM_23 = 256'h0;
    parameter INIT_RAM_24 = 256'h0;
    parameter INIT_RAM_25 = 256'h0;
    parameter INIT_RAM_26 = 256'h0;
    parameter INIT_RAM_27 = 256'h0;
    parameter INIT_RAM_28 = 256'h0;
    parameter INIT_RAM_29 = 256'h0;
    parameter INIT_RAM_2A = 256'h0;
    parameter INIT_RAM_2B = 256'h0;
    parameter INIT_RAM_2C = 256'h0;
    parameter INIT_RAM_2D = 256'h0;
    parameter INIT_RAM_2E = 256'h0;
    parameter INIT_RAM_2F = 256'h0;
    parameter INIT_RAM_30 = 256'h0;
    parameter INIT_RAM_31 = 256'h0;
    parameter INIT_RAM_32 = 256'h0;
    parameter INIT_RAM_33 = 256'h0;
    parameter INIT_RAM_34 = 256'h0;
    parameter INIT_RAM_35 = 256'h0;
    parameter INIT_RAM_36 = 256'h0;
    parameter INIT_RAM_37 = 256'h0;
    parameter INIT_RAM_38 = 256'h0;
    parameter INIT_RAM_39 = 256'h0;
    parameter INIT_RAM_3A = 256'h0;
    parameter INIT_RAM_3B = 256'h0;
    parameter INIT_RAM_3C = 256'h0;
    parameter INIT_RAM_3D = 256'h0;
    parameter INIT_RAM_3E = 256'h0;
    parameter INIT_RAM_3F = 256'h0;
    // port A only writes (CEA is its write enable), port B only reads
    __bitnet_gowin_bram #(.BYTE(8), .NAME("SDPB"), .READ_MODE_A(0), .READ_MODE_B(READ_MODE),
        .WIDTH_A(BIT_WIDTH_0), .WIDTH_B(BIT_WIDTH_1), .BLK_SEL_A(BLK_SEL_0), .BLK_SEL_B(BLK_SEL_1),
        .RESET_MODE(RESET_MODE), .INIT({INIT_RAM_3F, INIT_RAM_3E, INIT_RAM_3D, INIT_RAM_3C, INIT_RAM_3B, INIT_RAM_3A, INIT_RAM_39, INIT_RAM_38, INIT_RAM_37, INIT_RAM_36, INIT_RAM_35, INIT_RAM_34, INIT_RAM_33, INIT_RAM_32, INIT_RAM_31, INIT_RAM_30, INIT_RAM_2F, INIT_RAM_2E, INIT_RAM_2D, INIT_RAM_2C, INIT_RAM_2B, INIT_RAM_2A, INIT_RAM_29, INIT_RAM_28, INIT_RAM_27, INIT_RAM_26, INIT_RAM_25, INIT_RAM_24, INIT_RAM_23, INIT_RAM_22, INIT_RAM_21, INIT_RAM_20, INIT_RAM_1F, INIT_RAM_1E, INIT_RAM_1D, INIT_RAM_1C, INIT_RAM_1B, INIT_RAM_1A, INIT_RAM_19, INIT_RAM_18, INIT_RAM_17, INIT_RAM_16, INIT_RAM_15, INIT_RAM_14, INIT_RAM_13, INIT_RAM_12, INIT_RAM_11, INIT_RAM_10, INIT_RAM_0F, INIT_RAM_0E, INIT_RAM_0D, INIT_RAM_0C, INIT_RAM_0B, INIT_RAM_0A, INIT_RAM_09, INIT_RAM_08, INIT_RAM_07, INIT_RAM_06, INIT_RAM_05, INIT_RAM_04, INIT_RAM_03, INIT_RAM_02, INIT_RAM_01, INIT_RAM_00}))
        core (.CLKA(CLKA), .CEA(CEA), .WREA(1'b1), .RESETA(1'b0), .ADA(ADA), .BLKSELA(BLKSELA),
              .DIA(DI), .DOA(),
              .CLKB(CLKB), .CEB(CEB), .WREB(1'b0), .RESETB(RESETB), .ADB(ADB), .BLKSELB(BLKSELB),
              .DIB({32{1'b0}}), .DOB(DO));
endmodule

module DPX9B(CLKA, CEA, CLKB, CEB, OCEA, OCEB, RESETA, RESETB, WREA, WREB, ADA, ADB, DIA, DIB, BLKSELA, BLKSELB, DOA, DOB);
    input CLKA, CEA, CLKB, CEB, OCEA, OCEB, RESETA, RESETB, WREA, WREB;
    input [13:0] ADA, ADB;
    input [2:0] BLKSELA, BLKSELB;
    input [17:0] DIA, DIB;
    output [17:0] DOA, DOB;
    parameter READ_MODE0 = 1'b0;
    parameter READ_MODE1 = 1'b0;
    parameter WRITE_MODE0 = 2'b00;
    parameter WRITE_MODE1 = 2'b00;
    parameter BIT_WIDTH_0 = 18;
    parameter BIT_WIDTH_1 = 18;
    parameter BLK_SEL_0 = 3'b000;
    parameter BLK_SEL_1 = 3'b000;
    parameter RESET_MODE = "SYNC";
    parameter INIT_RAM_00 = 288'h0;
    parameter INIT_RAM_01 = 288'h0;
    parameter INIT_RAM_02 = 288'h0;
    parameter INIT_RAM_03 = 288'h0;
    parameter INIT_RAM_04 = 288'h0;
    parameter INIT_RAM_05 = 288'h0;
    parameter INIT_RAM_06 = 288'h0;
    parameter INIT_RAM_07 = 288'h0;
    parameter INIT_RAM_08 = 288'h0;
    parameter INIT_RAM_09 = 288'h0;
    parameter INIT_RAM_0A = 288'h0;
    parameter INIT_RAM_0B = 288'h0;
    parameter INIT_RAM_0C = 288'h0;
    parameter INIT_RAM_0D = 288'h0;
    parameter INIT_RAM_0E = 288'h0;
    parameter INIT_RAM_0F = 288'h0;
    parameter INIT_RAM_10 = 288'h0;
    parameter INIT_RAM_11 = 288'h0;
    parameter INIT_RAM_12 = 288'h0;
    parameter INIT_RAM_13 = 288'h0;
    parameter INIT_RAM_14 = 288'h0;
    parameter INIT_RAM_15 = 288'h0;
    parameter INIT_RAM_16 = 288'h0;
    parameter INIT_RAM_17 = 288'h0;
    parameter INIT_RAM_18 = 288'h0;
    parameter INIT_RAM_19 = 288'h0;
    parameter INIT_RAM_1A = 288'h0;
    parameter INIT_RAM_1B = 288'h0;
    parameter INIT_RAM_1C = 288'h0;
    parameter INIT_RAM_1D = 288'h0;
    parameter INIT_RAM_1E = 288'h0;
    parameter INIT_RAM_1F = 288'h0;
    parameter INIT_RAM_20 = 288'h0;
    parameter INIT_RAM_21 = 288'h0;
    parameter INIT_RAM_22 = 288'h0;
    parameter INIT_RAM_23 = 288'h0;
    parameter INIT_RAM_24 = 288'h0;
    parameter INIT_RAM_25 = 288'h0;
    parameter INIT_RAM_26 = 288'h0;
    parameter INIT_RAM_27 = 288'h0;
    parameter INIT_RAM_28 = 288'h0;
    parameter INIT_RAM_29 = 288'h0;
    parameter INIT_RAM_2A = 288'h0;
    parameter INIT_RAM_2B = 288'h0;
    parameter INIT_RAM_2C = 288'h0;
    parameter INIT_RAM_2D = 288'h0;
    parameter INIT_RAM_2E = 288'h0;
    parameter INIT_RAM_2F = 288'h0;
    parameter INIT_RAM_30 = 288'h0;
    parameter INIT_RAM_31 = 288'h0;
    parameter INIT_RAM_32 = 288'h0;
    parameter INIT_RAM_33 = 288'h0;
    parameter INIT_RAM_34 = 288'h0;
    parameter INIT_RAM_35 = 288'h0;
    parameter INIT_RAM_36 = 288'h0;
    parameter INIT_RAM_37 = 288'h0;
    parameter INIT_RAM_38 = 288'h0;
    parameter INIT_RAM_39 = 288'h0;
    parameter INIT_RAM_3A = 288'h0;
    parameter INIT_RAM_3B = 288'h0;
    parameter INIT_RAM_3C = 288'h0;
    parameter INIT_RAM_3D = 288'h0;
    parameter INIT_RAM_3E = 288'h0;
    parameter INIT_RAM_3F = 288'h0;
    wire [35:0] doa, dob;
    assign DOA = doa[17:0];
    assign DOB = dob[17:0];
    __bitnet_gowin_bram #(.BYTE(9), .NAME("DPX9B"), .READ_MODE_A(READ_MODE0),
        .READ_MODE_B(READ_MODE1), .WRITE_MODE_A(WRITE_MODE0), .WRITE_MODE_B(WRITE_MODE1),
        .WIDTH_A(BIT_WIDTH_0), .WIDTH_B(BIT_WIDTH_1), .BLK_SEL_A(BLK_SEL_0), .BLK_SEL_B(BLK_SEL_1),
        .MAX_WIDTH(18), .RESET_MODE(RESET_MODE), .INIT({INIT_RAM_3F, INIT_RAM_3E, INIT_RAM_3D, INIT_RAM_3C, INIT_RAM_3B, INIT_RAM_3A, INIT_RAM_39, INIT_RAM_38, INIT_RAM_37, INIT_RAM_36, INIT_RAM_35, INIT_RAM_34, INIT_RAM_33, INIT_RAM_32, INIT_RAM_31, INIT_RAM_30, INIT_RAM_2F, INIT_RAM_2E, INIT_RAM_2D, INIT_RAM_2C, INIT_RAM_2B, INIT_RAM_2A, INIT_RAM_29, INIT_RAM_28, INIT_RAM_27, INIT_RAM_26, INIT_RAM_25, INIT_RAM_24, INIT_RAM_23, INIT_RAM_22, INIT_RAM_21, INIT_RAM_20, INIT_RAM_1F, INIT_RAM_1E, INIT_RAM_1D, INIT_RAM_1C, INIT_RAM_1B, INIT_RAM_1A, INIT_RAM_19, INIT_RAM_18, INIT_RAM_17, INIT_RAM_16, INIT_RAM_15, INIT_RAM_14, INIT_RAM_13, INIT_RAM_12, INIT_RAM_11, INIT_RAM_10, INIT_RAM_0F, INIT_RAM_0E, INIT_RAM_0D, INIT_RAM_0C, INIT_RAM_0B, INIT_RAM_0A, INIT_RAM_09, INIT_RAM_08, INIT_RAM_07, INIT_RAM_06, INIT_RAM_05, INIT_RAM_04, INIT_RAM_03, INIT_RAM_02, INIT_RAM_01, INIT_RAM_00}))
        core (.CLKA(CLKA), .CEA(CEA), .WREA(WREA), .RESETA(RESETA), .ADA(ADA), .BLKSELA(BLKSELA),
              .DIA({18'd0, DIA}), .DOA(doa),
              .CLKB(CLKB), .CEB(CEB), .WREB(WREB), .RESETB(RESETB), .ADB(ADB), .BLKSELB(BLKSELB),
              .DIB({18'd0, DIB}), .DOB(dob));
endmodule

module DPB(CLKA, CEA, CLKB, CEB, OCEA, OCEB, RESETA, RESETB, WREA, WREB, ADA, ADB, DIA, DIB, BLKSELA, BLKSELB, DOA, DOB);
    input CLKA, CEA, CLKB, CEB, OCEA, OCEB, RESETA, RESETB, WREA, WREB;
    input [13:0] ADA, ADB;
    input [2:0] BLKSELA, BLKSELB;
    input [15:0] DIA, DIB;
    output [15:0] DOA, DOB;
    parameter READ_MODE0 = 1'b0;
    parameter READ_MODE1 = 1'b0;
    parameter WRITE_MODE0 = 2'b00;
    parameter WRITE_MODE1 = 2'b00;
    parameter BIT_WIDTH_0 = 16;
    parameter BIT_WIDTH_1 = 16;
    parameter BLK_SEL_0 = 3'b000;
    parameter BLK_SEL_1 = 3'b000;
    parameter RESET_MODE = "SYNC";
    parameter INIT_RAM_00 = 256'h0;
    parameter INIT_RAM_01 = 256'h0;
    parameter INIT_RAM_02 = 256'h0;
    parameter INIT_RAM_03 = 256'h0;
    parameter INIT_RAM_04 = 256'h0;
    parameter INIT_RAM_05 = 256'h0;
    parameter INIT_RAM_06 = 256'h0;
    parameter INIT_RAM_07 = 256'h0;
    parameter INIT_RAM_08 = 256'h0;
    parameter INIT_RAM_09 = 256'h0;
    parameter INIT_RAM_0A = 256'h0;
    parameter INIT_RAM_0B = 256'h0;
    parameter INIT_RAM_0C = 256'h0;
    parameter INIT_RAM_0D = 256'h0;
    parameter INIT_RAM_0E = 256'h0;
    parameter INIT_RAM_0F = 256'h0;
    parameter INIT_RAM_10 = 256'h0;
    parameter INIT_RAM_11 = 256'h0;
    parameter INIT_RAM_12 = 256'h0;
    parameter INIT_RAM_13 = 256'h0;
    parameter INIT_RAM_14 = 256'h0;
    parameter INIT_RAM_15 = 256'h0;
    parameter INIT_RAM_16 = 256'h0;
    parameter INIT_RAM_17 = 256'h0;
    parameter INIT_RAM_18 = 256'h0;
    parameter INIT_RAM_19 = 256'h0;
    parameter INIT_RAM_1A = 256'h0;
    parameter INIT_RAM_1B = 256'h0;
    parameter INIT_RAM_1C = 256'h0;
    parameter INIT_RAM_1D = 256'h0;
    parameter INIT_RAM_1E = 256'h0;
    parameter INIT_RAM_1F = 256'h0;
    parameter INIT_RAM_20 = 256'h0;
    parameter INIT_RAM_21 = 256'h0;
    parameter INIT_RAM_22 = 256'h0;
    parameter INIT_RAM_23 = 256'h0;
    parameter INIT_RAM_24 = 256'h0;
    parameter INIT_RAM_25 = 256'h0;
    parameter INIT_RAM_26 = 256'h0;
    parameter INIT_RAM_27 = 256'h0;
    parameter INIT_RAM_28 = 256'h0;
    parameter INIT_RAM_29 = 256'h0;
    parameter INIT_RAM_2A = 256'h0;
    parameter INIT_RAM_2B = 256'h0;
    parameter INIT_RAM_2C = 256'h0;
    parameter INIT_RAM_2D = 256'h0;
    parameter INIT_RAM_2E = 256'h0;
    parameter INIT_RAM_2F = 256'h0;
    parameter INIT_RAM_30 = 256'h0;
    parameter INIT_RAM_31 = 256'h0;
    parameter INIT_RAM_32 = 256'h0;
    parameter INIT_RAM_33 = 256'h0;
    parameter INIT_RAM_34 = 256'h0;
    parameter INIT_RAM_35 = 256'h0;
    parameter INIT_RAM_36 = 256'h0;
    parameter INIT_RAM_37 = 256'h0;
    parameter INIT_RAM_38 = 256'h0;
    parameter INIT_RAM_39 = 256'h0;
    parameter INIT_RAM_3A = 256'h0;
    parameter INIT_RAM_3B = 256'h0;
    parameter INIT_RAM_3C = 256'h0;
    parameter INIT_RAM_3D = 256'h0;
    parameter INIT_RAM_3E = 256'h0;
    parameter INIT_RAM_3F = 256'h0;
    wire [31:0] doa, dob;
    assign DOA = doa[15:0];
    assign DOB = dob[15:0];
    __bitnet_gowin_bram #(.BYTE(8), .NAME("DPB"), .READ_MODE_A(READ_MODE0),
        .READ_MODE_B(READ_MODE1), .WRITE_MODE_A(WRITE_MODE0), .WRITE_MODE_B(WRITE_MODE1),
        .WIDTH_A(BIT_WIDTH_0), .WIDTH_B(BIT_WIDTH_1), .BLK_SEL_A(BLK_SEL_0), .BLK_SEL_B(BLK_SEL_1),
        .MAX_WIDTH(16), .RESET_MODE(RESET_MODE), .INIT({INIT_RAM_3F, INIT_RAM_3E, INIT_RAM_3D, INIT_RAM_3C, INIT_RAM_3B, INIT_RAM_3A, INIT_RAM_39, INIT_RAM_38, INIT_RAM_37, INIT_RAM_36, INIT_RAM_35, INIT_RAM_34, INIT_RAM_33, INIT_RAM_32, INIT_RAM_31, INIT_RAM_30, INIT_RAM_2F, INIT_RAM_2E, INIT_RAM_2D, INIT_RAM_2C, INIT_RAM_2B, INIT_RAM_2A, INIT_RAM_29, INIT_RAM_28, INIT_RAM_27, INIT_RAM_26, INIT_RAM_25, INIT_RAM_24, INIT_RAM_23, INIT_RAM_22, INIT_RAM_21, INIT_RAM_20, INIT_RAM_1F, INIT_RAM_1E, INIT_RAM_1D, INIT_RAM_1C, INIT_RAM_1B, INIT_RAM_1A, INIT_RAM_19, INIT_RAM_18, INIT_RAM_17, INIT_RAM_16, INIT_RAM_15, INIT_RAM_14, INIT_RAM_13, INIT_RAM_12, INIT_RAM_11, INIT_RAM_10, INIT_RAM_0F, INIT_RAM_0E, INIT_RAM_0D, INIT_RAM_0C, INIT_RAM_0B, INIT_RAM_0A, INIT_RAM_09, INIT_RAM_08, INIT_RAM_07, INIT_RAM_06, INIT_RAM_05, INIT_RAM_04, INIT_RAM_03, INIT_RAM_02, INIT_RAM_01, INIT_RAM_00}))
        core (.CLKA(CLKA), .CEA(CEA), .WREA(WREA), .RESETA(RESETA), .ADA(ADA), .BLKSELA(BLKSELA),
              .DIA({16'd0, DIA}), .DOA(doa),
              .CLKB(CLKB), .CEB(CEB), .WREB(WREB), .RESETB(RESETB), .ADB(ADB), .BLKSELB(BLKSELB),
              .DIB({16'd0, DIB}), .DOB(dob));
endmodule
