import org.jspecify.annotations.NullMarked;

/**
 * CprReboot: a validated, recoverable cpr-reboot save and restore of a QEMU VM.
 *
 * <p>Start with {@link io.github.qemucpr.api.CprReboot}.
 */
@NullMarked
module io.github.qemucpr.api {
  requires static transitive org.jspecify;
  requires transitive io.github.qemucpr.qmp;
  requires transitive io.github.qemucpr.qga;
  requires tools.jackson.databind;

  exports io.github.qemucpr.api;
}
