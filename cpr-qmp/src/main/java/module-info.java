import org.jspecify.annotations.NullMarked;

/**
 * A typed, asynchronous client for the QEMU Machine Protocol (QMP).
 *
 * <p>Start with {@link io.github.qemucpr.qmp.QmpClient}. Typed commands live in {@link
 * io.github.qemucpr.qmp.command}, typed events in {@link io.github.qemucpr.qmp.event}; the whole
 * QAPI schema, generated, in {@link io.github.qemucpr.qmp.qapi} and its sub-packages.
 */
// "module": the qualified export names io.github.qemucpr.qga, which is built after this module.
@SuppressWarnings("module")
@NullMarked
module io.github.qemucpr.qmp {
  requires static transitive org.jspecify;
  requires transitive tools.jackson.databind;
  requires org.newsclub.net.unix;
  // junixsocket finds its JNI library in this module's resources; nothing else requires it, so
  // without this line it is not resolved on the module path (UnsatisfiedLinkError on connect).
  requires com.kohlschutter.junixsocket.nativecommon;

  exports io.github.qemucpr.qmp;
  exports io.github.qemucpr.qmp.command;
  exports io.github.qemucpr.qmp.event;
  // The generated QAPI surface: one package per module of QEMU's schema (cpr-qapi-generator).
  exports io.github.qemucpr.qmp.qapi;
  exports io.github.qemucpr.qmp.qapi.accelerator;
  exports io.github.qemucpr.qmp.qapi.acpi;
  exports io.github.qemucpr.qmp.qapi.acpihest;
  exports io.github.qemucpr.qmp.qapi.audio;
  exports io.github.qemucpr.qmp.qapi.authz;
  exports io.github.qemucpr.qmp.qapi.block;
  exports io.github.qemucpr.qmp.qapi.blockcore;
  exports io.github.qemucpr.qmp.qapi.blockexport;
  exports io.github.qemucpr.qmp.qapi.chardev;
  exports io.github.qemucpr.qmp.qapi.common;
  exports io.github.qemucpr.qmp.qapi.compat;
  exports io.github.qemucpr.qmp.qapi.control;
  exports io.github.qemucpr.qmp.qapi.crypto;
  exports io.github.qemucpr.qmp.qapi.cryptodev;
  exports io.github.qemucpr.qmp.qapi.cxl;
  exports io.github.qemucpr.qmp.qapi.dump;
  exports io.github.qemucpr.qmp.qapi.ebpf;
  exports io.github.qemucpr.qmp.qapi.error;
  exports io.github.qemucpr.qmp.qapi.introspect;
  exports io.github.qemucpr.qmp.qapi.job;
  exports io.github.qemucpr.qmp.qapi.machine;
  exports io.github.qemucpr.qmp.qapi.machinecommon;
  exports io.github.qemucpr.qmp.qapi.machines390x;
  exports io.github.qemucpr.qmp.qapi.machinetarget;
  exports io.github.qemucpr.qmp.qapi.migration;
  exports io.github.qemucpr.qmp.qapi.misc;
  exports io.github.qemucpr.qmp.qapi.miscarm;
  exports io.github.qemucpr.qmp.qapi.misci386;
  exports io.github.qemucpr.qmp.qapi.misctarget;
  exports io.github.qemucpr.qmp.qapi.net;
  exports io.github.qemucpr.qmp.qapi.pci;
  exports io.github.qemucpr.qmp.qapi.qdev;
  exports io.github.qemucpr.qmp.qapi.qom;
  exports io.github.qemucpr.qmp.qapi.replay;
  exports io.github.qemucpr.qmp.qapi.rocker;
  exports io.github.qemucpr.qmp.qapi.runstate;
  exports io.github.qemucpr.qmp.qapi.sockets;
  exports io.github.qemucpr.qmp.qapi.stats;
  exports io.github.qemucpr.qmp.qapi.tpm;
  exports io.github.qemucpr.qmp.qapi.trace;
  exports io.github.qemucpr.qmp.qapi.transaction;
  exports io.github.qemucpr.qmp.qapi.uefi;
  exports io.github.qemucpr.qmp.qapi.ui;
  exports io.github.qemucpr.qmp.qapi.vfio;
  exports io.github.qemucpr.qmp.qapi.virtio;
  exports io.github.qemucpr.qmp.qapi.yank;
  exports io.github.qemucpr.qmp.internal.wire to
      io.github.qemucpr.qga;

  opens io.github.qemucpr.qmp.command to
      tools.jackson.databind;
  opens io.github.qemucpr.qmp.event to
      tools.jackson.databind;
  opens io.github.qemucpr.qmp to
      tools.jackson.databind;
}
