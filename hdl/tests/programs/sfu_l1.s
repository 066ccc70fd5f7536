; config: tiny-w2-l1
; hbm: 16384
; Every SFU instruction on a one-lane SFU (int8, KV8): causal softmax,
; requant to KV and ABUF, norms, tables, RoPE (imm0 = 2 and 6), add, mul.
load ch=0 buf=abuf rows=1 row_bytes=512 hbm_addr=0x0 hbm_stride=0 buf_addr=0x0 buf_stride=0
load ch=0 buf=wbuf rows=1 row_bytes=64 hbm_addr=0x400 hbm_stride=0 buf_addr=0x0 buf_stride=0
load ch=0 buf=sbuf rows=1 row_bytes=1024 hbm_addr=0x800 hbm_stride=0 buf_addr=0x0 buf_stride=0 +push_next
matmul mode=0 m=3 n=8 k=16 a_addr=0x0 a_pitch=16 b_addr=0x0 acc_addr=0x0 acc_pitch=32 abits=8 bbits=2 +pop_prev
softmax flags=1 shift=5 m=3 n=7 src=0x0 src_pitch=32 dst=0x400 dst_pitch=8 imm0=7 imm2=1
requant src=acc dst=kvbuf m=2 n=5 src_addr=0x0 src_pitch=32 dst_addr=0x3 dst_pitch=32 mult=-90 shift=9
requant src=abuf dst=abuf m=1 n=7 src_addr=0x10 src_pitch=8 dst_addr=0x10 dst_pitch=8 col_scale=1 s_addr=0x6 shift=13
rmsnorm shift=20 m=2 n=5 src=0x20 src_pitch=8 dst=0x420 dst_pitch=8 s_addr=0x10 imm0=13107 imm1=16 imm2=2
layernorm shift=20 m=1 n=5 src=0x30 src_pitch=8 dst=0x430 dst_pitch=8 s_addr=0x20 imm0=13107 imm1=16 imm2=2
silu m=1 n=6 src=0x40 src_pitch=8 dst=0x440 dst_pitch=8 s_addr=0x100
gelu m=2 n=3 src=0x48 src_pitch=8 dst=0x48 dst_pitch=8 s_addr=0x100
rope m=2 n=6 src=0x60 src_pitch=8 dst=0x460 dst_pitch=8 s_addr=0x320 imm0=2 imm2=4
rope m=1 n=12 src=0x70 src_pitch=16 dst=0x470 dst_pitch=16 s_addr=0x330 imm0=6 imm2=0
add shift=7 m=2 n=5 src=0x80 src_pitch=16 dst=0x480 dst_pitch=8 src2=0x88 imm0=120 imm1=-77
mul shift=9 m=2 n=5 src=0xa0 src_pitch=8 dst=0xc0 dst_pitch=8 src2=0xc0 imm0=5 +push_next
store ch=0 buf=abuf rows=1 row_bytes=512 hbm_addr=0x2000 hbm_stride=0 buf_addr=0x400 buf_stride=0 +pop_prev
store ch=0 buf=kvbuf rows=2 row_bytes=32 hbm_addr=0x2400 hbm_stride=32 buf_addr=0x0 buf_stride=32
halt
