import org.jspecify.annotations.NullMarked;

/**
 * CprReboot: a validated, recoverable cpr-reboot save and restore of a QEMU VM.
 *
 * <p>Start with {@link io.github.qemucpr.api.CprReboot}.
 */
// "module": the qualified export names io.github.qemucpr.examples, which is built after this
// module.
@SuppressWarnings("module")
@NullMarked
module io.github.qemucpr.api {
  requires static transitive org.jspecify;
  requires transitive io.github.qemucpr.qmp;
  requires transitive io.github.qemucpr.qga;
  requires tools.jackson.databind;

  exports io.github.qemucpr.api;
  // QEMU's command line, read the same way by the SDK and by the cpr tool (cpr exec --same-args).
  exports io.github.qemucpr.api.internal.cmdline to
      io.github.qemucpr.examples;
}
