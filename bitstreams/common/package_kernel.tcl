# Packages the Verilog in src/ as a Vitis RTL kernel IP (AMD UG1393,
# "Packaging the RTL Code as a Vitis XO"); sourced by gen_xo.tcl.
# kernel_params.tcl (generated) sets kernel_name, vendor, library, version,
# part, freq_hz, masters (the AXI4 master interfaces) and registers
# ({name offset bits busif description} per s_axi_control register).
set root [file dirname [file normalize [info script]]]
source [file join $root kernel_params.tcl]
set tmp_project [file join $root _x kernel_pack]
set packaged [file join $root packaged_kernel]

create_project -force kernel_pack $tmp_project -part $part
add_files -norecurse [lsort [glob -directory [file join $root src] *.v]]
set_property top $kernel_name [current_fileset]
update_compile_order -fileset sources_1

ipx::package_project -root_dir $packaged -vendor $vendor -library $library -taxonomy /KernelIP -import_files -set_current false
ipx::unload_core [file join $packaged component.xml]
ipx::edit_ip_in_project -upgrade true -name tmp_edit_project -directory $packaged [file join $packaged component.xml]
set core [ipx::current_core]
set_property version $version $core
set_property core_revision 1 $core
foreach up [ipx::get_user_parameters -of_objects $core] {
    ipx::remove_user_parameter [get_property NAME $up] $core
}

# Every AXI interface runs on ap_clk (the kernel has one clock).
ipx::associate_bus_interfaces -busif s_axi_control -clock ap_clk $core
foreach m $masters {
    ipx::associate_bus_interfaces -busif $m -clock ap_clk $core
}
set clkbif [ipx::get_bus_interfaces -of_objects $core ap_clk]
set clkparam [ipx::add_bus_parameter -quiet FREQ_HZ $clkbif]
set_property value $freq_hz $clkparam
set_property value_resolve_type user $clkparam

# The s_axi_control register map (docs/engine.md §7).
set mem_map [ipx::add_memory_map -quiet s_axi_control $core]
set block [ipx::add_address_block -quiet reg0 $mem_map]
set_property range 4096 $block
foreach r $registers {
    lassign $r name offset bits busif description
    set reg [ipx::add_register -quiet $name $block]
    set_property address_offset $offset $reg
    set_property size $bits $reg
    set_property description $description $reg
    if {$busif ne ""} {
        set p [ipx::add_register_parameter -quiet ASSOCIATED_BUSIF $reg]
        set_property value $busif $p
    }
}
set_property slave_memory_map_ref s_axi_control [ipx::get_bus_interfaces -of_objects $core s_axi_control]

set_property xpm_libraries {XPM_CDC XPM_MEMORY XPM_FIFO} $core
set_property sdx_kernel true $core
set_property sdx_kernel_type rtl $core
set_property supported_families {} $core
set_property auto_family_support_level level_2 $core
ipx::create_xgui_files $core
ipx::update_checksums $core
ipx::check_integrity -kernel $core
ipx::save_core $core
close_project -delete
