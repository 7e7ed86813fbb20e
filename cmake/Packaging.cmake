# Install rules and the Debian package (CPack): `cpack -G DEB` in the build
# folder writes vaultd_<version>_amd64.deb with vaultd, vaultctl, their man
# pages, /etc/vaultd/vaultd.conf (a conffile), the hardened systemd unit and
# the maintainer scripts that create the vaultd user and /var/lib/vaultd.
# Files: packaging/ (docs/operations.md section 25).
include(GNUInstallDirs)

set(VAULT_PKG_DIR ${PROJECT_SOURCE_DIR}/packaging)

# Man pages are written in troff (packaging/man) and installed gzipped, as
# Debian policy asks.
set(VAULT_MAN_OUT ${PROJECT_BINARY_DIR}/man)
set(VAULT_MAN_GZ)
foreach(page vaultd.8 vaultctl.1)
  add_custom_command(
    OUTPUT ${VAULT_MAN_OUT}/${page}.gz
    COMMAND ${CMAKE_COMMAND} -E make_directory ${VAULT_MAN_OUT}
    COMMAND gzip -9 -n -c ${VAULT_PKG_DIR}/man/${page} > ${VAULT_MAN_OUT}/${page}.gz
    DEPENDS ${VAULT_PKG_DIR}/man/${page}
    COMMENT "gzip man page ${page}")
  list(APPEND VAULT_MAN_GZ ${VAULT_MAN_OUT}/${page}.gz)
endforeach()
add_custom_target(vault_man_pages ALL DEPENDS ${VAULT_MAN_GZ})

install(TARGETS vaultd vaultctl RUNTIME DESTINATION bin COMPONENT runtime)
install(FILES ${VAULT_MAN_OUT}/vaultd.8.gz DESTINATION share/man/man8 COMPONENT runtime)
install(FILES ${VAULT_MAN_OUT}/vaultctl.1.gz DESTINATION share/man/man1 COMPONENT runtime)
# Absolute destinations: these belong where Debian looks for them whatever
# the install prefix (/usr in the package).
install(FILES ${VAULT_PKG_DIR}/vaultd.conf DESTINATION /etc/vaultd
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ COMPONENT runtime)
install(FILES ${VAULT_PKG_DIR}/systemd/vaultd.service DESTINATION /lib/systemd/system
        COMPONENT runtime)
install(FILES ${VAULT_PKG_DIR}/grafana/vaultd-dashboard.json
        DESTINATION share/vaultd/grafana COMPONENT runtime)
install(FILES ${VAULT_PKG_DIR}/prometheus/vaultd-alerts.yml
        DESTINATION share/vaultd/prometheus COMPONENT runtime)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME vaultd)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "vaultd")
set(CPACK_PACKAGE_CONTACT "vaultd maintainers <vaultd@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "personal-data vault: encrypted storage with crypto-shredding")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_SET_DESTDIR OFF)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # vaultd_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Shared-library dependencies from the binaries (dpkg-shlibdeps), plus what
# the maintainer scripts call.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${VAULT_PKG_DIR}/debian/conffiles ${VAULT_PKG_DIR}/debian/postinst
    ${VAULT_PKG_DIR}/debian/prerm ${VAULT_PKG_DIR}/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# The binaries as built (RelWithDebInfo) carry debug info; strip them in the
# package.
set(CPACK_STRIP_FILES ON)
include(CPack)

# `cmake --build build --target vault_deb` builds the package (what the
# packaging test and CI use).
add_custom_target(vault_deb
  COMMAND ${CMAKE_CPACK_COMMAND} -G DEB --config ${PROJECT_BINARY_DIR}/CPackConfig.cmake
  WORKING_DIRECTORY ${PROJECT_BINARY_DIR}
  DEPENDS vaultd vaultctl vault_man_pages
  COMMENT "cpack -G DEB")
