; config: tiny-a16-w4-kv4
; hbm: 16384
; Every SFU instruction on int16 activations and int4 KV (8 lanes): partial
; vectors, causal-free softmax from a matmul's ACC, requant to KV nibbles
; with column scales, RoPE with heads inside a vector (imm0 = 4) and with
; x1/x2 vector pairs (imm0 = 32), in-place gelu and mul.
load ch=0 buf=abuf rows=1 row_bytes=1024 hbm_addr=0x0 hbm_stride=0 buf_addr=0x0 buf_stride=0
load ch=0 buf=wbuf rows=1 row_bytes=64 hbm_addr=0x400 hbm_stride=0 buf_addr=0x0 buf_stride=0
load ch=0 buf=sbuf rows=1 row_bytes=1024 hbm_addr=0x800 hbm_stride=0 buf_addr=0x0 buf_stride=0 +push_next
matmul mode=0 m=2 n=16 k=8 a_addr=0x0 a_pitch=16 b_addr=0x0 acc_addr=0x0 acc_pitch=64 abits=16 bbits=4 +pop_prev
requant src=acc dst=abuf m=2 n=12 src_addr=0x0 src_pitch=64 dst_addr=0x400 dst_pitch=32 mult=300 shift=12
requant src=acc dst=kvbuf m=2 n=13 src_addr=0x0 src_pitch=64 dst_addr=0x10 dst_pitch=32 col_scale=1 s_addr=0x40 shift=14
softmax flags=0 shift=6 m=2 n=16 src=0x0 src_pitch=64 dst=0x480 dst_pitch=32 imm0=5
rmsnorm shift=12 m=2 n=20 src=0x100 src_pitch=48 dst=0x500 dst_pitch=48 s_addr=0x80 imm0=3277 imm1=16 imm2=4
layernorm shift=12 m=1 n=16 src=0x160 src_pitch=32 dst=0x560 dst_pitch=32 s_addr=0xc0 imm0=4096 imm1=16 imm2=4
silu m=2 n=11 src=0x180 src_pitch=32 dst=0x5a0 dst_pitch=32 s_addr=0x100
gelu m=1 n=8 src=0x1c0 src_pitch=16 dst=0x1c0 dst_pitch=16 s_addr=0x100
rope m=2 n=8 src=0x1e0 src_pitch=16 dst=0x5e0 dst_pitch=16 s_addr=0x320 imm0=4 imm2=16
rope m=1 n=32 src=0x200 src_pitch=64 dst=0x600 dst_pitch=64 s_addr=0x340 imm0=32 imm2=0
add shift=8 m=2 n=9 src=0x240 src_pitch=64 dst=0x640 dst_pitch=32 src2=0x260 imm0=200 imm1=-100
mul shift=12 m=2 n=9 src=0x2c0 src_pitch=32 dst=0x2c0 dst_pitch=32 src2=0x300 imm0=3 +push_next
store ch=0 buf=abuf rows=1 row_bytes=1024 hbm_addr=0x2000 hbm_stride=0 buf_addr=0x400 buf_stride=0 +pop_prev
store ch=0 buf=kvbuf rows=2 row_bytes=32 hbm_addr=0x2400 hbm_stride=32 buf_addr=0x0 buf_stride=32
halt
