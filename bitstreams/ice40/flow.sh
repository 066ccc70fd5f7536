#!/bin/sh
# The iCE40 flow by hand (what `llmfab bitstream --board ice40-hx8k` runs):
# Yosys synthesis, nextpnr-ice40 place and route at the board's 12 MHz,
# icepack. Program the board with `iceprog llmfab_ice40.bin`.
set -e
cd "$(dirname "$0")"
yosys -q -s synth.ys > yosys.log 2>&1
nextpnr-ice40 --hx8k --package ct256 --freq 12 --seed 1 --json llmfab_ice40.json \
    --pcf hx8k-breakout.pcf --asc llmfab_ice40.asc > nextpnr.log 2>&1
icepack llmfab_ice40.asc llmfab_ice40.bin
grep 'Max frequency' nextpnr.log | tail -n 1
