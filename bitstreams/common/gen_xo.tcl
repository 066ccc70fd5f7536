# Builds the kernel object (.xo) for v++ (AMD UG1393):
#   vivado -mode batch -source gen_xo.tcl -tclargs XO_PATH TARGET PLATFORM
# TARGET (hw or hw_emu) and PLATFORM are recorded by the Makefile; the .xo
# itself is the same for both targets.
if {$::argc != 3} {
    puts "usage: vivado -mode batch -source gen_xo.tcl -tclargs XO_PATH TARGET PLATFORM"
    exit 1
}
set xo_path [lindex $::argv 0]
set target [lindex $::argv 1]
set platform [lindex $::argv 2]
set root [file dirname [file normalize [info script]]]
source [file join $root package_kernel.tcl]
puts "llmfab: packaged $kernel_name for $platform ($target)"
if {[file exists $xo_path]} {
    file delete -force $xo_path
}
package_xo -xo_path $xo_path -kernel_name $kernel_name -ip_directory [file join $root packaged_kernel] -kernel_xml [file join $root kernel.xml]
