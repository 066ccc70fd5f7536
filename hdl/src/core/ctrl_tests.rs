//! rust-hdl simulation test of the AXI4-Lite control slave.

use super::ctrl::Ctrl;
use super::testing::{settle, tick};
use rust_hdl::prelude::*;

fn write(u: &mut Ctrl, addr: u64, data: u64) -> (bool, u64) {
    u.awvalid.next = true;
    u.wvalid.next = true;
    u.awaddr.next = addr.to_bits();
    u.wdata.next = data.to_bits();
    settle(u);
    assert!(u.awready.val() && u.wready.val());
    let ext = (u.ext_we.val(), u.ext_widx.val().to_u64());
    tick(u, |x| &mut x.clock);
    u.awvalid.next = false;
    u.wvalid.next = false;
    u.bready.next = true;
    settle(u);
    assert!(u.bvalid.val());
    tick(u, |x| &mut x.clock);
    ext
}

fn read(u: &mut Ctrl, addr: u64) -> u64 {
    u.arvalid.next = true;
    u.araddr.next = addr.to_bits();
    settle(u);
    assert!(u.arready.val());
    tick(u, |x| &mut x.clock);
    u.arvalid.next = false;
    u.rready.next = true;
    settle(u);
    assert!(u.rvalid.val());
    let d = u.rdata.val().to_u64();
    tick(u, |x| &mut x.clock);
    d
}

#[test]
fn ctrl_register_map_start_done_and_cycle_counter() {
    let mut u = Ctrl::default();
    u.connect_all();
    u.channels.next = 2u64.to_bits();
    u.ext_rdata.next = 0xabcdu64.to_bits();
    assert_eq!(read(&mut u, 0x00) & 0xf, 0b0100, "idle after reset");
    write(&mut u, 0x10, 0x1000);
    write(&mut u, 0x14, 0x2);
    write(&mut u, 0x18, 77);
    assert_eq!(write(&mut u, 0x28, 5), (true, 2), "channel 1 low word");
    assert!(!write(&mut u, 0x30, 5).0, "past the last channel");
    assert_eq!(read(&mut u, 0x24), 0xabcd);
    write(&mut u, 0x08, 1);
    write(&mut u, 0x04, 1);
    settle(&mut u);
    assert_eq!(u.instr_addr.val().to_u64(), 0x2_0000_1000);
    assert_eq!(u.instr_count.val().to_u64(), 77);
    // start: the write handshake cycle w, start in w+1
    u.awvalid.next = true;
    u.wvalid.next = true;
    u.awaddr.next = 0u64.to_bits();
    u.wdata.next = 1u64.to_bits();
    tick(&mut u, |x| &mut x.clock);
    u.awvalid.next = false;
    u.wvalid.next = false;
    settle(&mut u);
    assert!(u.start.val());
    tick(&mut u, |x| &mut x.clock); // cycle s ends
    for _ in 0..9 {
        settle(&mut u);
        assert!(!u.start.val());
        tick(&mut u, |x| &mut x.clock);
    }
    u.done.next = true; // cycle s + 10
    settle(&mut u);
    tick(&mut u, |x| &mut x.clock);
    u.done.next = false;
    settle(&mut u);
    assert!(u.interrupt.val());
    tick(&mut u, |x| &mut x.clock);
    assert_eq!(
        read(&mut u, 0x20 + 8 * 2),
        10,
        "cycle counter = done − start"
    );
    assert_eq!(read(&mut u, 0x00) & 0xf, 0b1110, "done, idle, ready");
    assert_eq!(read(&mut u, 0x00) & 0xf, 0b0100, "ap_done clears on read");
    write(&mut u, 0x0c, 1);
    settle(&mut u);
    assert!(!u.interrupt.val(), "ISR toggled off");
}
