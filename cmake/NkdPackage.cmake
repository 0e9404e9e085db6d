# What `make install` puts beside the binary (which cli/ installs) and the systemd files (which
# systemd/ installs): the man page, generated from the binary's own help by help2man, and the
# example configs and alert rules. Then the Debian package: `cpack` in the build directory
# writes nkd_<version>_<arch>.deb; tools/package-check.sh installs and removes it.

find_program(NKD_HELP2MAN help2man)
if(NKD_HELP2MAN)
  set(NKD_MAN_PAGE ${CMAKE_CURRENT_BINARY_DIR}/nkd.1)
  # --help-all puts every subcommand's options on the page; the UTF-8 locale keeps the help
  # text's non-ASCII characters; gzip -n keeps the file reproducible.
  add_custom_command(
    OUTPUT ${NKD_MAN_PAGE}.gz
    COMMAND ${NKD_HELP2MAN} --no-info --section=1 --locale=C.UTF-8 --help-option=--help-all
            --version-option=--version
            "--name=keep Kubernetes clusters on Ignition hosts equal to a Git repository"
            --output=${NKD_MAN_PAGE} $<TARGET_FILE:nkd>
    COMMAND gzip -9nf ${NKD_MAN_PAGE}
    DEPENDS nkd
    COMMENT "Generating the nkd(1) man page from nkd --help-all"
    VERBATIM)
  add_custom_target(nkd_man ALL DEPENDS ${NKD_MAN_PAGE}.gz)
  install(FILES ${NKD_MAN_PAGE}.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
else()
  message(STATUS "help2man not found: no nkd(1) man page (Debian package help2man)")
endif()

set(NKD_EXAMPLES_DIR ${CMAKE_INSTALL_DOCDIR}/examples)
install(FILES ${PROJECT_SOURCE_DIR}/examples-repo/syncd.yaml
              ${PROJECT_SOURCE_DIR}/examples-repo/clouds.yaml
        DESTINATION ${NKD_EXAMPLES_DIR})
install(FILES ${PROJECT_SOURCE_DIR}/examples-repo/alerts/nkd.rules.yaml
        DESTINATION ${NKD_EXAMPLES_DIR}/alerts)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME nkd)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "nkd developers <dev@nkd.io>")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "nkd developers <dev@nkd.io>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "GitOps daemon for Kubernetes clusters on Ignition-configured hosts")
set(CPACK_PACKAGE_DESCRIPTION
    "nkd watches a Git repository of cluster definitions, renders Ignition configs and\n"
    "housekeeper manifests for each cluster, and reconciles its machines on OpenStack or\n"
    "bare metal. The package ships the nkd binary, the nkd-syncd systemd service (not enabled),\n"
    "its system user, example configs and Prometheus alert rules.")
# The package's paths are the install prefix's, so they agree with the unit's ExecStart.
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
if(NOT CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  message(STATUS "Install prefix ${CMAKE_INSTALL_PREFIX}: a .deb built here installs there; "
                 "configure with -DCMAKE_INSTALL_PREFIX=/usr for a system package")
endif()
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://nkd.io")
# Runtime libraries become Depends through dpkg-shlibdeps (package dpkg-dev).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# GPGME runs gpg to check OpenPGP commit signatures (repository.verify mode openpgp).
set(CPACK_DEBIAN_PACKAGE_SUGGESTS gpg)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/cmake/deb/postinst
    ${PROJECT_SOURCE_DIR}/cmake/deb/prerm
    ${PROJECT_SOURCE_DIR}/cmake/deb/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
