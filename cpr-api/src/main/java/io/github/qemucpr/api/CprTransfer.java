package io.github.qemucpr.api;

import io.github.qemucpr.api.internal.TransferWorkflow;
import io.github.qemucpr.qmp.QmpClient;
import java.time.Duration;
import java.util.Objects;

/**
 * The entry point of a cpr-transfer (QEMU 10.0+): move a running VM into a new QEMU on the same
 * host, started while the old one still runs. Guest RAM is not copied: the old QEMU hands its
 * memory over as file descriptors through a Unix socket (the cpr channel), and the device state
 * goes over a second socket (the main channel). The VM stops only for the device state, which makes
 * this the faster choice for a QEMU update without a host reboot; a host kernel reboot needs {@link
 * CprReboot}.
 *
 * <p>The caller starts the new QEMU first, with the source's arguments plus two {@code -incoming}
 * options, and then runs the transfer against the old one:
 *
 * <pre>{@code
 * // qemu-system-x86_64 <same arguments> \
 * //   -incoming '{"channel-type":"cpr","addr":{"transport":"socket","type":"unix",
 * //               "path":"/run/vm1/cpr.sock"}}' \
 * //   -incoming defer            (or -incoming unix:/run/vm1/main.sock)
 * try (QmpClient source = QmpClient.connect(Path.of("/run/vm1/qmp.sock"))) {
 *   CprTransferResult r = CprTransfer.from(source)
 *       .cprChannel(Path.of("/run/vm1/cpr.sock"))
 *       .mainChannel(Path.of("/run/vm1/main.sock"))
 *       .targetQmp(Path.of("/run/vm1/qmp-new.sock"))
 *       .run();
 *   try (QmpClient target = r.target()) {
 *     CprTransfer.quitSource(source, target, Duration.ofSeconds(30)); // when the caller chooses
 *     // ... the VM runs on, in the new QEMU
 *   }
 * }
 * }</pre>
 *
 * <p>Both QEMUs need shared RAM ({@code memory-backend-memfd,share=on} or {@code
 * memory-backend-file,share=on}) and {@code -machine aux-ram-share=on}; the preflight checks that.
 * The new QEMU reads the cpr channel before it opens its monitor, so its QMP socket appears only
 * after the source's {@code migrate}; {@link CprTransferBuilder#run()} connects to it then. The
 * source is left in {@code postmigrate}: quitting it is the caller's choice, with {@link
 * #quitSource} or {@link CprTransferBuilder#quitSourceAfterTransfer(boolean)}.
 */
public final class CprTransfer {
  private CprTransfer() {}

  /** Starts a transfer of the VM behind {@code source}, the running (old) QEMU. */
  public static CprTransferBuilder from(QmpClient source) {
    return new CprTransferBuilder(Objects.requireNonNull(source, "source"));
  }

  /**
   * Quits the source after a transfer, once the target is confirmed to hold the VM: the target's
   * incoming migration {@code completed} and its run state is {@code running} (or {@code paused} or
   * {@code suspended}, for a VM that was so before). Waits until the source's monitor connection
   * closes. Neither client is closed by this call (QEMU closes the source's).
   *
   * @throws CprTransferException if the target is not confirmed to hold the VM, or the source is
   *     not in {@code postmigrate} (nothing was done then: its recovery is {@link
   *     VmRecovery#UNTOUCHED}, which speaks of this call only, not of the transfer before it), or
   *     the source did not quit in time
   * @throws IllegalArgumentException if {@code timeout} is not positive
   */
  public static void quitSource(QmpClient source, QmpClient target, Duration timeout) {
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(target, "target");
    TransferWorkflow.quitSource(
        source, target, CprTransferBuilder.checkDuration("timeout", timeout));
  }
}
