package io.github.qemucpr.api;

import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * Every problem the preflight found, errors first. A save runs only when {@link #hasErrors()} is
 * false. Immutable.
 *
 * <pre>{@code
 * PreflightReport report = CprReboot.save(qmp).to(stateFile).check();
 * if (report.hasErrors()) {
 *   System.err.println(report);
 * }
 * }</pre>
 *
 * @param qemu the QEMU that was checked, for messages, such as {@code QEMU 10.0.2
 *     (/run/vm1/qmp.sock)}
 * @param items the findings, errors first, in the order they were found within each severity
 * @param expectedStateFileBytes an upper bound of the state file's size: the RAM that will be
 *     copied into it, plus room for the device state
 * @param memorySavedInPlace whether all guest RAM is kept in place ({@code x-ignore-shared})
 * @param vfioDevices the QOM paths of the VFIO devices found
 * @param suspendGuest whether a save with these options suspends the guest first
 */
public record PreflightReport(
    String qemu,
    List<PreflightItem> items,
    long expectedStateFileBytes,
    boolean memorySavedInPlace,
    List<String> vfioDevices,
    boolean suspendGuest) {

  /** Copies the lists and puts errors first. */
  public PreflightReport {
    Objects.requireNonNull(qemu, "qemu");
    items =
        items.stream()
            .sorted((a, b) -> a.severity().compareTo(b.severity()))
            .collect(Collectors.toUnmodifiableList());
    vfioDevices = List.copyOf(vfioDevices);
  }

  /** Whether any item is an error. */
  public boolean hasErrors() {
    return items.stream().anyMatch(PreflightItem::isError);
  }

  /** The errors. */
  public List<PreflightItem> errors() {
    return items.stream().filter(PreflightItem::isError).collect(Collectors.toUnmodifiableList());
  }

  /** The warnings. */
  public List<PreflightItem> warnings() {
    return items.stream().filter(i -> !i.isError()).collect(Collectors.toUnmodifiableList());
  }

  /** Whether an item with this code was found. */
  public boolean has(PreflightCode code) {
    return items.stream().anyMatch(i -> i.code() == code);
  }

  /**
   * A readable summary, one item per paragraph:
   *
   * <pre>
   * Preflight of QEMU 10.0.2 (/run/vm1/qmp.sock): 1 error, 1 warning
   *   ERROR   CAPABILITY_INCOMPATIBLE  postcopy-ram
   *           cpr-reboot refuses postcopy-ram ("Cannot use postcopy with CPR").
   *           Fix: migrate-set-capabilities postcopy-ram off
   * </pre>
   */
  @Override
  public String toString() {
    long errors = items.stream().filter(PreflightItem::isError).count();
    long warnings = items.size() - errors;
    StringBuilder sb = new StringBuilder("Preflight of ").append(qemu).append(": ");
    if (items.isEmpty()) {
      sb.append("no problems");
    } else {
      sb.append(errors)
          .append(errors == 1 ? " error, " : " errors, ")
          .append(warnings)
          .append(warnings == 1 ? " warning" : " warnings");
    }
    sb.append(memorySavedInPlace ? "; RAM saved in place" : "; RAM copied into the state file")
        .append(", state file up to ")
        .append(expectedStateFileBytes)
        .append(" bytes");
    for (PreflightItem item : items) {
      sb.append(String.format("%n  %-7s %-28s %s", item.severity(), item.code(), item.subject()))
          .append(String.format("%n          %s", item.message()))
          .append(String.format("%n          Fix: %s", item.fix()));
    }
    return sb.toString();
  }
}
