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
  requires transitive io.github.qemucpr.qmp;

  exports io.github.qemucpr.qga;
  exports io.github.qemucpr.qga.command;

  opens io.github.qemucpr.qga.command to
      tools.jackson.databind;
}
