# amaranth: UnusedElaboratable=no
"""The link floor: its CRC units are real CRCs (so the floor counts working logic), it
elaborates around the sequencer, its synthesis counts cells, and its CLI refuses bad input."""

import pytest
from amaranth.back import rtlil
from amaranth.lib.crc import catalog

from bench.link_floor import LinkFloor, SerialCRC, main, measure
from hw.config import ArrayConfig


@pytest.mark.parametrize("algorithm, register", [
    (catalog.CRC16_CCITT_FALSE, 0x29B1),                  # its check value (no output XOR)
    (catalog.CRC32_ISO_HDLC, 0xCBF43926 ^ 0xFFFFFFFF)])   # zlib.crc32 before its output XOR
def test_the_bit_serial_crcs_compute_the_catalog_crc(run_sim, algorithm, register):
    dut = SerialCRC(algorithm)

    async def bench(ctx):
        ctx.set(dut.start, 1)
        await ctx.tick()
        ctx.set(dut.start, 0)
        for byte in b"123456789":
            ctx.set(dut.byte, byte)
            ctx.set(dut.feed, 1)
            await ctx.tick()
            ctx.set(dut.feed, 0)
            await ctx.tick().repeat(8)
        assert ctx.get(dut.crc) == register

    run_sim(dut, bench)


def test_the_floor_elaborates_around_the_sequencer_and_counts_its_cells(tmp_path):
    config = ArrayConfig.tiny()
    text = rtlil.convert(LinkFloor(config), name="top")
    assert "sequencer" in text and "crc32" in text and "beat_shift" in text
    cells = measure(config, tmp_path)
    # the program ROM (two EBRs), the data RAM and the payload buffer
    assert cells["ebr"] == 4 and cells["lc"] >= cells["lut"] > 0 and cells["ff"] > 0


def test_an_unknown_config_is_one_line(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["--config", "nonesuch"])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "unknown config 'nonesuch'" in err and "Traceback" not in err
