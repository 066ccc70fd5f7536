# Stand-ins for the Vivado Tcl commands the board project's scripts call,
# so that plain `tclsh` can run them (tests/bitstream_cli.rs): every call is
# recorded in ::llmfab_calls as a list {command arg...}; commands that
# return handles return a recognisable name. A command not stubbed here is
# an error, as it would be a typo or a command the checks do not know.
set ::llmfab_calls {}
namespace eval ipx {}

proc llmfab_stub {name result} {
    proc ::$name args [format {
        lappend ::llmfab_calls [linsert $args 0 %s]
        return %s
    } [list $name] [list $result]]
}

foreach cmd {
    create_project add_files update_compile_order close_project set_property package_xo
    ipx::package_project ipx::unload_core ipx::edit_ip_in_project ipx::remove_user_parameter
    ipx::associate_bus_interfaces ipx::create_xgui_files ipx::update_checksums
    ipx::check_integrity ipx::save_core
} {
    llmfab_stub $cmd ""
}
llmfab_stub current_fileset sources_1
llmfab_stub get_property ""
llmfab_stub ipx::current_core core0
llmfab_stub ipx::get_user_parameters {}
llmfab_stub ipx::add_bus_parameter busparam0
llmfab_stub ipx::add_memory_map memmap0
llmfab_stub ipx::add_address_block block0
llmfab_stub ipx::add_register_parameter regparam0

proc ipx::get_bus_interfaces args {
    lappend ::llmfab_calls [linsert $args 0 ipx::get_bus_interfaces]
    return "busif:[lindex $args end]"
}
proc ipx::add_register args {
    lappend ::llmfab_calls [linsert $args 0 ipx::add_register]
    return "reg:[lindex $args end-1]"
}

# Writes the recorded calls to `path`, one Tcl list per line.
proc llmfab_dump_calls {path} {
    set f [open $path w]
    foreach c $::llmfab_calls {
        puts $f $c
    }
    close $f
}
