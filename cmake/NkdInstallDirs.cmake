# Install layout. nkd is packaged as a Debian system package, so a new build directory defaults
# to the prefix /usr (the unit's ExecStart and the .deb's paths both derive from the prefix; a
# directory configured earlier keeps its cached prefix, which is why tools/package-check.sh
# passes -DCMAKE_INSTALL_PREFIX=/usr). Included before the subfolders so they all see the
# GNUInstallDirs paths.
if(CMAKE_INSTALL_PREFIX_INITIALIZED_TO_DEFAULT)
  set(CMAKE_INSTALL_PREFIX /usr CACHE PATH "Install prefix" FORCE)
endif()
include(GNUInstallDirs)
# systemd reads units, sysusers.d and tmpfiles.d from <prefix>/lib on every architecture.
set(NKD_SYSTEMD_UNIT_DIR lib/systemd/system)
set(NKD_SYSUSERS_DIR lib/sysusers.d)
set(NKD_TMPFILES_DIR lib/tmpfiles.d)
