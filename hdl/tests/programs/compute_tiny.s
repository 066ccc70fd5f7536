; config: tiny
; hbm: 16384
; Every compute instruction once, on data loaded from memory; results stored.
load ch=0 buf=abuf rows=1 row_bytes=512 hbm_addr=0x0 hbm_stride=0 buf_addr=0x0 buf_stride=0
load ch=0 buf=wbuf rows=1 row_bytes=1024 hbm_addr=0x400 hbm_stride=0 buf_addr=0x0 buf_stride=0
load ch=0 buf=sbuf rows=1 row_bytes=1024 hbm_addr=0x800 hbm_stride=0 buf_addr=0x0 buf_stride=0
load ch=0 buf=kvbuf rows=8 row_bytes=32 hbm_addr=0xc00 hbm_stride=32 buf_addr=0x0 buf_stride=32 +push_next
matmul mode=0 m=4 n=8 k=8 a_addr=0x0 a_pitch=8 b_addr=0x0 acc_addr=0x0 acc_pitch=32 abits=8 bbits=8 +pop_prev
matmul mode=1 m=1 n=16 k=16 a_addr=0x40 a_pitch=16 b_addr=0x80 acc_addr=0x100 acc_pitch=64 dequant=1 dq_shift=4 s_addr=0x300 accumulate=0 abits=8 bbits=8
matmul mode=1 m=2 n=8 k=8 bsrc=1 a_addr=0x60 a_pitch=8 b_addr=0x0 acc_addr=0x200 acc_pitch=32 abits=8 bbits=8
matmul mode=0 m=2 n=4 k=8 bsrc=1 btrans=1 accumulate=1 a_addr=0x80 a_pitch=8 b_addr=0x20 acc_addr=0x200 acc_pitch=32 abits=8 bbits=8
requant src=acc dst=abuf m=4 n=8 src_addr=0x0 src_pitch=32 dst_addr=0x400 dst_pitch=8 mult=300 shift=10
requant src=acc dst=kvbuf m=1 n=16 src_addr=0x100 src_pitch=64 dst_addr=0x200 dst_pitch=32 col_scale=1 s_addr=0x40 shift=12
requant src=abuf dst=abuf m=2 n=8 src_addr=0x100 src_pitch=8 dst_addr=0x440 dst_pitch=8 mult=-77 shift=6
softmax flags=1 shift=4 m=2 n=8 src=0x200 src_pitch=32 dst=0x480 dst_pitch=8 imm0=3 imm2=2
rmsnorm shift=14 m=2 n=8 src=0x100 src_pitch=8 dst=0x4c0 dst_pitch=8 s_addr=0x80 imm0=8192 imm1=16 imm2=4
layernorm shift=14 m=1 n=8 src=0x110 src_pitch=8 dst=0x500 dst_pitch=8 s_addr=0xa0 imm0=8192 imm1=16 imm2=4
silu m=2 n=8 src=0x120 src_pitch=8 dst=0x520 dst_pitch=8 s_addr=0x100
gelu m=1 n=8 src=0x130 src_pitch=8 dst=0x540 dst_pitch=8 s_addr=0x100
rope m=2 n=8 src=0x140 src_pitch=8 dst=0x560 dst_pitch=8 s_addr=0x320 imm0=8 imm2=16
add shift=8 m=2 n=8 src=0x150 src_pitch=8 dst=0x580 dst_pitch=8 src2=0x160 imm0=200 imm1=-100
mul shift=9 m=2 n=8 src=0x170 src_pitch=8 dst=0x5a0 dst_pitch=8 src2=0x180 imm0=3 +push_next
store ch=0 buf=abuf rows=1 row_bytes=512 hbm_addr=0x2000 hbm_stride=0 buf_addr=0x400 buf_stride=0 +pop_prev
store ch=0 buf=kvbuf rows=1 row_bytes=32 hbm_addr=0x2400 hbm_stride=0 buf_addr=0x200 buf_stride=0
halt
