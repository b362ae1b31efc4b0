import org.jspecify.annotations.NullMarked;

/**
 * A client for the QEMU guest agent ({@code qemu-ga}), above all for {@code guest-suspend-ram}
 * before a CPR migration. It speaks QMP's wire format, so it builds on the QMP module's transport.
 *
 * <p>Start with {@link io.github.qemucpr.qga.GuestAgentClient}.
 */
@NullMarked
module io.github.qemucpr.qga {
  requires static transitive org.jspecify;
  // The escape hatch (execute(String, JsonNode)) shows Jackson's JsonNode; no type of the QMP
  // module appears in this module's API, so the QMP module is an implementation detail.
  requires transitive tools.jackson.databind;
  requires io.github.qemucpr.qmp;

  exports io.github.qemucpr.qga;
  exports io.github.qemucpr.qga.command;

  opens io.github.qemucpr.qga.command to
      tools.jackson.databind;
}
